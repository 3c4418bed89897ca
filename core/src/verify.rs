//! Verification: every forensic check of `MISSION.md`, as a pure function from a capture and a
//! context to a [`VerificationReport`].
//!
//! The same function runs on the server (at intake), on the phone (self-check before sending, so the
//! Presiding Officer can still retake a picture) and on an auditor's laptop (`tallyseal verify`).
//! It never does I/O and never reads the clock: the context carries "now" and the received time.
//!
//! A check that cannot be made for lack of context (no election package, no enrolment records)
//! is a *warning* saying so, never a silent pass.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::bundle::EvidenceBundle;
use crate::exif::{ExifStatus, ExifSummary, extract_exif};
use crate::form::{FormFigures, validate};
use crate::geofence::{FencePosition, is_valid_coordinate, measure};
use crate::hash::{Sha256Digest, sha256};
use crate::keys::{PublicKey, SignatureBytes};
use crate::manifest::{CaptureManifest, MANIFEST_DOMAIN, ManifestExif, from_e7};
use crate::model::{Constituency, LatLon, PollingStation};
use crate::package::ElectionPackage;
use crate::phash;
use crate::receipt::Receipt;
use crate::time::{GnssReading, TimeAssessment, TimeSource, assess_time};

/// A device key as enrolled: bound to one station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolledDevice {
    pub key: PublicKey,
    pub constituency: String,
    pub station: u32,
    #[serde(default)]
    pub enrolled_at_ms: Option<i64>,
    #[serde(default)]
    pub revoked_at_ms: Option<i64>,
}

/// An image already submitted (for duplicate detection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownImage {
    pub sha256: Sha256Digest,
    #[serde(default)]
    pub phash: Option<u64>,
    pub constituency: String,
    pub station: u32,
    pub manifest_hash: Sha256Digest,
}

/// An earlier capture of the same device (for sequence and chain checks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorCapture {
    pub seq: u64,
    pub manifest_hash: Sha256Digest,
}

/// Thresholds. The defaults are what the server and CLI use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VerificationPolicy {
    /// EXIF GPS further than max(this, 3 × fix accuracy) from the fix fails.
    pub exif_gps_tolerance_m: f64,
    /// A fix less precise than this cannot place a capture: warning.
    pub max_fix_accuracy_m: f64,
    /// Device clock off by more than this: warning.
    pub clock_skew_warn_ms: i64,
    /// EXIF time this far from the best capture time (beyond its uncertainty): warning; twice as far
    /// or more than an hour: failure.
    pub exif_time_tolerance_ms: i64,
    /// A capture time this far after the received time is "in the future".
    pub future_tolerance_ms: i64,
    /// Hamming distance for near-duplicates.
    pub near_duplicate_max_distance: u32,
    /// Compute the image's perceptual hash (and record it in the report) even when there is no
    /// other station's image to compare it with — what a server that keeps the hashes for later
    /// captures needs. Off by default: decoding costs ~7-9 ms per MB of JPEG.
    pub record_phash: bool,
    /// Leave the near-duplicate check to a later, separate analysis ([`near_duplicate_check`],
    /// [`VerificationReport::complete_pending`]): the report lists it in `pending` and the image is
    /// not decoded. What a server does so that a receipt does not wait for the perceptual hash,
    /// and so that captures are compared one after another, never two at once unseen by each other.
    pub defer_near_duplicates: bool,
}

impl Default for VerificationPolicy {
    fn default() -> Self {
        VerificationPolicy {
            exif_gps_tolerance_m: 500.0,
            max_fix_accuracy_m: 500.0,
            clock_skew_warn_ms: 5 * 60_000,
            exif_time_tolerance_ms: 10 * 60_000,
            future_tolerance_ms: 2 * 60_000,
            near_duplicate_max_distance: phash::NEAR_DUPLICATE_MAX_DISTANCE,
            record_phash: false,
            defer_near_duplicates: false,
        }
    }
}

/// What the verifier knows besides the capture itself.
#[derive(Debug, Clone, Default)]
pub struct VerificationContext {
    /// The authentic election package (its signature already checked by the caller).
    pub package: Option<ElectionPackage>,
    /// Hash of that signed package.
    pub package_hash: Option<Sha256Digest>,
    /// Enrolment records. Empty means "unknown": the enrolment check then warns.
    pub devices: Vec<EnrolledDevice>,
    /// Keys trusted to sign time anchors.
    pub anchor_keys: Vec<PublicKey>,
    /// Keys trusted to sign receipts.
    pub receipt_keys: Vec<PublicKey>,
    /// When the server received the manifest (Unix ms), if known.
    pub received_at_ms: Option<i64>,
    /// The verifier's current time (Unix ms), used when no received time is known.
    pub now_ms: i64,
    /// Images already submitted, for duplicate detection.
    pub known_images: Vec<KnownImage>,
    /// This device's earlier captures known to the verifier.
    pub prior_captures: Vec<PriorCapture>,
    pub policy: VerificationPolicy,
}

/// Stable names of the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    ManifestFormat,
    Signature,
    ElectionPackage,
    StationKnown,
    DeviceEnrolled,
    ImageHash,
    Geofence,
    MockLocation,
    ExifGps,
    CaptureTime,
    ClockSkew,
    ExifDatetime,
    ExifDevice,
    EditingSoftware,
    ExifMatchesManifest,
    DuplicateImage,
    NearDuplicateImage,
    CaptureSequence,
    FormArithmetic,
    Receipt,
}

impl CheckId {
    pub fn as_str(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
}

/// One check's result: outcome, a reason a person can read, and the measured values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: CheckId,
    pub outcome: Outcome,
    pub reason: String,
    pub measured: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Verified,
    VerifiedWithWarnings,
    Failed,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::VerifiedWithWarnings => "verified_with_warnings",
            Verdict::Failed => "failed",
        }
    }
}

/// The result of verifying one capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationReport {
    pub format: String,
    pub v: u32,
    pub verdict: Verdict,
    /// SHA-256 of the manifest bytes (present even when the manifest did not parse).
    pub manifest_hash: Sha256Digest,
    pub election: Option<String>,
    pub constituency: Option<String>,
    pub station: Option<u32>,
    pub page: Option<u32>,
    pub pages: Option<u32>,
    /// Best estimate of the capture time.
    pub capture_time: Option<crate::time::TimeEstimate>,
    /// The image's perceptual hash (64-bit dHash, hex) when the image was present and decodable;
    /// what later captures are compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_phash: Option<String>,
    pub checks: Vec<CheckResult>,
    /// Checks left to a later analysis (see [`VerificationPolicy::defer_near_duplicates`]); the
    /// verdict covers the checks present. Empty once the analysis is done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<CheckId>,
    /// Version of the verifier that produced the report.
    pub verifier: String,
}

impl VerificationReport {
    pub fn check(&self, id: CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.check == id)
    }

    /// The checks with the given outcome.
    pub fn with_outcome(&self, outcome: Outcome) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(move |c| c.outcome == outcome)
    }

    /// Add the result of a check that was pending (or replace an earlier result of the same
    /// check), take it off the pending list and recompute the verdict.
    pub fn complete_pending(&mut self, result: CheckResult) {
        self.pending.retain(|p| *p != result.check);
        self.checks.retain(|c| c.check != result.check);
        self.checks.push(result);
        self.verdict = verdict_of(&self.checks);
    }
}

fn check_result(
    check: CheckId,
    outcome: Outcome,
    reason: impl Into<String>,
    measured: Value,
) -> CheckResult {
    let measured = match measured {
        Value::Object(m) => m.into_iter().collect(),
        Value::Null => BTreeMap::new(),
        other => BTreeMap::from([("value".to_owned(), other)]),
    };
    CheckResult {
        check,
        outcome,
        reason: reason.into(),
        measured,
    }
}

struct Checks(Vec<CheckResult>);

impl Checks {
    fn add(
        &mut self,
        check: CheckId,
        outcome: Outcome,
        reason: impl Into<String>,
        measured: Value,
    ) {
        self.0.push(check_result(check, outcome, reason, measured));
    }
    fn pass(&mut self, c: CheckId, r: impl Into<String>, m: Value) {
        self.add(c, Outcome::Pass, r, m)
    }
    fn warn(&mut self, c: CheckId, r: impl Into<String>, m: Value) {
        self.add(c, Outcome::Warn, r, m)
    }
    fn fail(&mut self, c: CheckId, r: impl Into<String>, m: Value) {
        self.add(c, Outcome::Fail, r, m)
    }
}

/// Verify an evidence bundle (manifest, signature, image, and the receipt when present).
pub fn verify_bundle(bundle: &EvidenceBundle, ctx: &VerificationContext) -> VerificationReport {
    let manifest_hash = sha256(&bundle.manifest);
    let mut receipt_check = None;
    let mut received_at_ms = ctx.received_at_ms;
    if let Some(bytes) = &bundle.receipt {
        let mut c = Checks(Vec::new());
        match Receipt::from_bytes(bytes) {
            Err(e) => c.fail(
                CheckId::Receipt,
                format!("the receipt cannot be read: {e}"),
                json!({}),
            ),
            Ok(r) => {
                let m = json!({
                    "received_at_ms": r.body.received_at_ms,
                    "status": r.body.status,
                    "server_key": r.body.server_key,
                });
                if r.body.manifest_hash != manifest_hash {
                    c.fail(
                        CheckId::Receipt,
                        "the receipt is for a different manifest",
                        m,
                    );
                } else if ctx.receipt_keys.is_empty() {
                    c.warn(
                        CheckId::Receipt,
                        "no trusted server keys in the context: the receipt's signature was not checked",
                        m,
                    );
                } else {
                    match r.verify_for(&manifest_hash, &ctx.receipt_keys) {
                        Ok(()) => {
                            received_at_ms = received_at_ms.or(Some(r.body.received_at_ms));
                            c.pass(
                                CheckId::Receipt,
                                "signed receipt from a trusted server key",
                                m,
                            )
                        }
                        Err(e) => c.fail(CheckId::Receipt, e.to_string(), m),
                    }
                }
            }
        }
        receipt_check = c.0.pop();
    }
    let mut ctx_view = ctx.clone();
    ctx_view.received_at_ms = received_at_ms;
    let mut report = verify_capture(
        &bundle.manifest,
        &bundle.signature,
        bundle.image.as_deref(),
        &ctx_view,
    );
    if let Some(c) = receipt_check {
        report.checks.push(c);
        report.verdict = verdict_of(&report.checks);
    }
    report
}

fn verdict_of(checks: &[CheckResult]) -> Verdict {
    match checks.iter().map(|c| c.outcome).max() {
        Some(Outcome::Fail) => Verdict::Failed,
        Some(Outcome::Warn) => Verdict::VerifiedWithWarnings,
        _ => Verdict::Verified,
    }
}

/// Verify a capture given as manifest bytes, signature and (once received) image bytes.
/// With `image: None` the image checks are warnings ("not yet received").
pub fn verify_capture(
    manifest_bytes: &[u8],
    signature: &SignatureBytes,
    image: Option<&[u8]>,
    ctx: &VerificationContext,
) -> VerificationReport {
    let manifest_hash = sha256(manifest_bytes);
    let mut c = Checks(Vec::new());
    let m = match CaptureManifest::parse(manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            c.fail(
                CheckId::ManifestFormat,
                format!("the manifest cannot be accepted: {e}"),
                json!({}),
            );
            return VerificationReport {
                format: "tallyseal.verification-report".into(),
                v: 1,
                verdict: Verdict::Failed,
                manifest_hash,
                election: None,
                constituency: None,
                station: None,
                page: None,
                pages: None,
                capture_time: None,
                image_phash: None,
                checks: c.0,
                pending: Vec::new(),
                verifier: verifier_version(),
            };
        }
    };
    c.pass(
        CheckId::ManifestFormat,
        "canonical manifest, format tallyseal.capture version 1",
        json!({"bytes": manifest_bytes.len()}),
    );

    match m
        .device
        .key
        .verify(MANIFEST_DOMAIN, manifest_bytes, signature)
    {
        Ok(()) => c.pass(
            CheckId::Signature,
            "the device's ed25519 signature over the manifest is valid",
            json!({"device_key": m.device.key}),
        ),
        Err(e) => c.fail(
            CheckId::Signature,
            format!("the signature does not match the manifest and device key: {e}"),
            json!({"device_key": m.device.key}),
        ),
    }

    let (constituency, station) = check_package_and_station(&m, ctx, &mut c);
    check_enrolment(&m, ctx, &mut c);

    // The image, and what the verifier itself reads from it.
    let exif_from_image = image.map(extract_exif);
    check_image_hash(&m, image, &mut c);

    check_location(&m, station, ctx, exif_from_image.as_ref(), &mut c);
    let time = check_time(&m, ctx, &mut c);
    check_exif(&m, exif_from_image.as_ref(), &time, &mut c);
    let image_phash = check_duplicates(&m, &manifest_hash, image, ctx, &mut c);
    let pending = if ctx.policy.defer_near_duplicates {
        vec![CheckId::NearDuplicateImage]
    } else {
        Vec::new()
    };
    check_sequence(&m, &manifest_hash, ctx, &mut c);
    check_figures(&m, constituency, station, &mut c);

    VerificationReport {
        format: "tallyseal.verification-report".into(),
        v: 1,
        verdict: verdict_of(&c.0),
        manifest_hash,
        election: Some(m.election.clone()),
        constituency: Some(m.constituency.clone()),
        station: Some(m.station),
        page: Some(m.page),
        pages: Some(m.pages),
        capture_time: Some(time.best),
        image_phash: image_phash.map(|p| format!("{p:016x}")),
        checks: c.0,
        pending,
        verifier: verifier_version(),
    }
}

fn verifier_version() -> String {
    format!("tallyseal-core/{}", env!("CARGO_PKG_VERSION"))
}

fn check_package_and_station<'a>(
    m: &CaptureManifest,
    ctx: &'a VerificationContext,
    c: &mut Checks,
) -> (Option<&'a Constituency>, Option<&'a PollingStation>) {
    let Some(pkg) = &ctx.package else {
        c.warn(
            CheckId::ElectionPackage,
            "no election package in the context: the station, geofence, poll times and ballot \
             could not be checked",
            json!({"manifest_package": m.package}),
        );
        c.warn(
            CheckId::StationKnown,
            "not checked: no election package",
            json!({}),
        );
        return (None, None);
    };
    let measured = json!({
        "manifest_package": m.package,
        "context_package": ctx.package_hash,
        "election": m.election,
    });
    if pkg.election.id != m.election {
        c.fail(
            CheckId::ElectionPackage,
            format!(
                "the capture is for election {:?}, the package is for {:?}",
                m.election, pkg.election.id
            ),
            measured,
        );
    } else if m.package.is_none() {
        c.warn(
            CheckId::ElectionPackage,
            "the phone did not hold a signed election package",
            measured,
        );
    } else if ctx.package_hash.is_some() && m.package != ctx.package_hash {
        c.warn(
            CheckId::ElectionPackage,
            "the phone held a different version of the election package than the verifier",
            measured,
        );
    } else {
        c.pass(
            CheckId::ElectionPackage,
            "the phone held this election's signed package",
            measured,
        );
    }

    let Some(con) = pkg.constituencies.iter().find(|k| k.code == m.constituency) else {
        c.fail(
            CheckId::StationKnown,
            format!(
                "constituency {} is not in the election package",
                m.constituency
            ),
            json!({"constituency": m.constituency}),
        );
        return (None, None);
    };
    let Some(st) = con.station(m.station) else {
        c.fail(
            CheckId::StationKnown,
            format!(
                "station {} is not in {}'s polling scheme ({} stations)",
                m.station,
                con.code,
                con.stations.len()
            ),
            json!({"constituency": m.constituency, "station": m.station, "stations_in_scheme": con.stations.len()}),
        );
        return (Some(con), None);
    };
    c.pass(
        CheckId::StationKnown,
        format!("{} station {}: {}", con.code, st.number, st.name),
        json!({"constituency": con.code, "station": st.number, "station_type": st.station_type}),
    );
    (Some(con), Some(st))
}

fn check_enrolment(m: &CaptureManifest, ctx: &VerificationContext, c: &mut Checks) {
    if ctx.devices.is_empty() {
        c.warn(
            CheckId::DeviceEnrolled,
            "no enrolment records in the context: the device key was not checked",
            json!({"device_key": m.device.key}),
        );
        return;
    }
    let records: Vec<&EnrolledDevice> = ctx
        .devices
        .iter()
        .filter(|d| d.key == m.device.key)
        .collect();
    let reference_ms = ctx.received_at_ms.unwrap_or(ctx.now_ms);
    let here = records
        .iter()
        .find(|d| d.constituency == m.constituency && d.station == m.station);
    match (records.is_empty(), here) {
        (true, _) => c.fail(
            CheckId::DeviceEnrolled,
            "the device key is not enrolled for any station",
            json!({"device_key": m.device.key}),
        ),
        (false, None) => {
            let d = records[0];
            c.fail(
                CheckId::DeviceEnrolled,
                format!(
                    "the device is enrolled for {} station {}, but the capture claims {} station {}",
                    d.constituency, d.station, m.constituency, m.station
                ),
                json!({"device_key": m.device.key, "enrolled_constituency": d.constituency, "enrolled_station": d.station}),
            )
        }
        (false, Some(d)) => match d.revoked_at_ms {
            Some(r) if r <= reference_ms => c.fail(
                CheckId::DeviceEnrolled,
                format!("the device key was revoked at {} (before the capture was received)", fmt_ms(r)),
                json!({"device_key": m.device.key, "revoked_at_ms": r, "reference_ms": reference_ms}),
            ),
            _ => c.pass(
                CheckId::DeviceEnrolled,
                format!("the device key is enrolled for {} station {}", d.constituency, d.station),
                json!({"device_key": m.device.key, "enrolled_at_ms": d.enrolled_at_ms}),
            ),
        },
    }
}

fn check_image_hash(m: &CaptureManifest, image: Option<&[u8]>, c: &mut Checks) {
    let Some(image) = image else {
        c.warn(
            CheckId::ImageHash,
            "the image has not been received yet: only the manifest was checked",
            json!({"expected_sha256": m.image.sha256, "expected_bytes": m.image.bytes}),
        );
        return;
    };
    let actual = sha256(image);
    let measured = json!({
        "expected_sha256": m.image.sha256,
        "actual_sha256": actual,
        "expected_bytes": m.image.bytes,
        "actual_bytes": image.len(),
    });
    if actual == m.image.sha256 && image.len() as u64 == m.image.bytes {
        c.pass(
            CheckId::ImageHash,
            "the image bytes match the signed SHA-256",
            measured,
        );
    } else {
        c.fail(
            CheckId::ImageHash,
            "the image is not the one that was signed (SHA-256 differs)",
            measured,
        );
    }
}

fn check_location(
    m: &CaptureManifest,
    station: Option<&PollingStation>,
    ctx: &VerificationContext,
    exif_from_image: Option<&ExifSummary>,
    c: &mut Checks,
) {
    let Some(fix) = &m.fix else {
        c.fail(
            CheckId::Geofence,
            "no location fix was recorded with the capture",
            json!({}),
        );
        c.warn(CheckId::MockLocation, "no location fix to check", json!({}));
        check_exif_gps(m, None, ctx, exif_from_image, c);
        return;
    };
    let p = LatLon {
        lat: from_e7(fix.lat_e7),
        lon: from_e7(fix.lon_e7),
    };
    let accuracy_m = fix.accuracy_mm as f64 / 1000.0;
    let base =
        json!({"lat": p.lat, "lon": p.lon, "accuracy_m": accuracy_m, "provider": fix.provider});
    if !is_valid_coordinate(p) {
        c.fail(
            CheckId::Geofence,
            format!("the fix ({}, {}) is not a place on Earth (latitude must be within ±90°, longitude ±180°)", p.lat, p.lon),
            base,
        );
    } else if fix.lat_e7 == 0 && fix.lon_e7 == 0 {
        c.fail(
            CheckId::Geofence,
            "the fix is exactly 0°, 0° (\"null island\"): a placeholder, not a position",
            base,
        );
    } else if fix.accuracy_mm < 0 {
        c.fail(
            CheckId::Geofence,
            "the fix reports a negative accuracy",
            base,
        );
    } else {
        match station.and_then(|s| s.location.as_ref()) {
            None => c.warn(
                CheckId::Geofence,
                "the station's location is not known to the verifier: geofence not checked",
                base,
            ),
            Some(loc) => {
                let r = measure(loc, p, accuracy_m);
                let measured = json!({
                    "lat": p.lat, "lon": p.lon, "accuracy_m": accuracy_m,
                    "distance_to_station_m": round1(r.distance_to_station_m),
                    "distance_outside_fence_m": round1(r.distance_outside_m),
                    "position": r.position,
                });
                match r.position {
                    FencePosition::Inside if accuracy_m <= ctx.policy.max_fix_accuracy_m => c.pass(
                        CheckId::Geofence,
                        format!(
                            "taken {:.0} m from the station, inside its geofence (accuracy {:.0} m)",
                            r.distance_to_station_m, accuracy_m
                        ),
                        measured,
                    ),
                    FencePosition::Inside | FencePosition::Uncertain => c.warn(
                        CheckId::Geofence,
                        format!(
                            "taken {:.0} m from the station; with an accuracy of {:.0} m the fix may be outside the geofence",
                            r.distance_to_station_m, accuracy_m
                        ),
                        measured,
                    ),
                    FencePosition::Outside => c.fail(
                        CheckId::Geofence,
                        format!(
                            "taken {:.0} m from the station, {:.0} m outside its geofence (accuracy {:.0} m)",
                            r.distance_to_station_m, r.distance_outside_m, accuracy_m
                        ),
                        measured,
                    ),
                }
            }
        }
    }
    if fix.mock {
        c.fail(
            CheckId::MockLocation,
            "the phone reported the fix as coming from a mock location provider",
            json!({"mock": true, "provider": fix.provider}),
        );
    } else {
        c.pass(
            CheckId::MockLocation,
            format!("not a mock location (provider {})", fix.provider),
            json!({"mock": false, "provider": fix.provider}),
        );
    }
    check_exif_gps(m, Some(p), ctx, exif_from_image, c);
}

fn exif_gps(m: &CaptureManifest, from_image: Option<&ExifSummary>) -> Option<LatLon> {
    match from_image {
        Some(s) => s.gps.map(|g| LatLon {
            lat: g.lat,
            lon: g.lon,
        }),
        None => match (m.exif.gps_lat_e7, m.exif.gps_lon_e7) {
            (Some(a), Some(b)) => Some(LatLon {
                lat: from_e7(a),
                lon: from_e7(b),
            }),
            _ => None,
        },
    }
}

fn check_exif_gps(
    m: &CaptureManifest,
    fix: Option<LatLon>,
    ctx: &VerificationContext,
    from_image: Option<&ExifSummary>,
    c: &mut Checks,
) {
    let Some(e) = exif_gps(m, from_image) else {
        c.pass(
            CheckId::ExifGps,
            "the image carries no EXIF GPS position to compare",
            json!({}),
        );
        return;
    };
    let measured = json!({"exif_lat": e.lat, "exif_lon": e.lon});
    if !is_valid_coordinate(e) || (e.lat == 0.0 && e.lon == 0.0) {
        c.warn(
            CheckId::ExifGps,
            format!(
                "the EXIF GPS position ({}, {}) is not a valid place",
                e.lat, e.lon
            ),
            measured,
        );
        return;
    }
    let Some(f) = fix.filter(|f| is_valid_coordinate(*f)) else {
        c.warn(
            CheckId::ExifGps,
            "EXIF has a GPS position but there is no valid fix to compare it with",
            measured,
        );
        return;
    };
    let d = crate::geofence::distance_m(e, f);
    let accuracy_m = m
        .fix
        .as_ref()
        .map_or(0.0, |x| x.accuracy_mm as f64 / 1000.0);
    let tolerance = ctx.policy.exif_gps_tolerance_m.max(3.0 * accuracy_m);
    let measured = json!({
        "exif_lat": e.lat, "exif_lon": e.lon, "distance_from_fix_m": round1(d), "tolerance_m": tolerance,
    });
    if d <= tolerance {
        c.pass(
            CheckId::ExifGps,
            format!("EXIF GPS agrees with the fix ({d:.0} m apart)"),
            measured,
        );
    } else {
        c.fail(
            CheckId::ExifGps,
            format!(
                "EXIF GPS puts the photo {:.1} km from the recorded fix",
                d / 1000.0
            ),
            measured,
        );
    }
}

fn check_time(m: &CaptureManifest, ctx: &VerificationContext, c: &mut Checks) -> TimeAssessment {
    let gnss = m.fix.as_ref().filter(|f| !f.mock).and_then(|f| {
        f.gnss_time_ms.map(|t| GnssReading {
            gnss_time_ms: t,
            fix_monotonic_ms: f.fix_monotonic_ms,
        })
    });
    let t = assess_time(&m.clock, gnss, &ctx.anchor_keys);
    let best = t.best;
    let unc = best.uncertainty_ms.map_or(0, |u| u as i64);
    let reference_ms = ctx.received_at_ms.unwrap_or(ctx.now_ms);
    let mut measured = json!({
        "capture_time": fmt_ms(best.time_ms),
        "capture_time_ms": best.time_ms,
        "source": best.source,
        "uncertainty_ms": best.uncertainty_ms,
        "reference_time": fmt_ms(reference_ms),
    });
    let window = ctx.package.as_ref().and_then(|p| {
        Some((
            parse_rfc3339_ms(&p.election.poll_close)?,
            parse_rfc3339_ms(&p.election.results_deadline),
        ))
    });
    if let Some((close, _)) = window {
        measured["poll_close"] = json!(fmt_ms(close));
    }
    let future_by = best.time_ms - unc - reference_ms;
    if future_by > ctx.policy.future_tolerance_ms {
        c.fail(
            CheckId::CaptureTime,
            format!(
                "the capture time {} is {} after it was received",
                fmt_ms(best.time_ms),
                fmt_duration(future_by)
            ),
            measured,
        );
    } else if let Some((close, deadline)) = window {
        if best.time_ms + unc < close {
            c.fail(
                CheckId::CaptureTime,
                format!(
                    "taken {} before the poll closed: the result of the count cannot exist yet",
                    fmt_duration(close - best.time_ms)
                ),
                measured,
            );
        } else if best.time_ms < close {
            c.warn(
                CheckId::CaptureTime,
                "the capture time is within its uncertainty of the poll closing time",
                measured,
            );
        } else if best.source == TimeSource::DeviceClock {
            c.warn(
                CheckId::CaptureTime,
                "after poll close by the device clock, which is not trustworthy: no GNSS time and no usable time anchor",
                measured,
            );
        } else if deadline.is_some_and(|d| best.time_ms > d) {
            c.warn(
                CheckId::CaptureTime,
                "taken after the results deadline (late, but not impossible)",
                measured,
            );
        } else {
            c.pass(
                CheckId::CaptureTime,
                format!(
                    "taken {} after poll close (by {:?} time)",
                    fmt_duration(best.time_ms - close),
                    best.source
                ),
                measured,
            );
        }
    } else {
        c.warn(
            CheckId::CaptureTime,
            "poll times unknown to the verifier: the time window was not checked",
            measured,
        );
    }

    let mut sk = json!({
        "device_time": fmt_ms(m.clock.device_time_ms),
        "device_clock_skew_ms": t.device_clock_skew_ms,
        "clock_moved_ms": t.clock_moved_ms,
        "anchor_problem": t.anchor_problem,
    });
    if let Some(moved) = t
        .clock_moved_ms
        .filter(|d| d.abs() > crate::time::CLOCK_MOVED_THRESHOLD_MS)
    {
        sk["clock_moved_ms"] = json!(moved);
        c.warn(
            CheckId::ClockSkew,
            format!(
                "the device clock was moved by {} after the last time anchor",
                fmt_duration(moved)
            ),
            sk,
        );
    } else if let Some(skew) = t.device_clock_skew_ms {
        if skew.abs() > ctx.policy.clock_skew_warn_ms {
            c.warn(
                CheckId::ClockSkew,
                format!("the device clock is off by {}", fmt_duration(skew)),
                sk,
            );
        } else {
            c.pass(
                CheckId::ClockSkew,
                format!(
                    "the device clock is within {} of the best time",
                    fmt_duration(skew)
                ),
                sk,
            );
        }
    } else {
        let why = t
            .anchor_problem
            .clone()
            .unwrap_or_else(|| "no GNSS time and no time anchor".into());
        c.warn(
            CheckId::ClockSkew,
            format!("the device clock could not be checked: {why}"),
            sk,
        );
    }
    t
}

fn check_exif(
    m: &CaptureManifest,
    from_image: Option<&ExifSummary>,
    time: &TimeAssessment,
    c: &mut Checks,
) {
    // What we compare: the verifier's own reading of the image when it has the image, else the
    // manifest's record of what the phone read.
    let from_manifest = ExifView::from_manifest(&m.exif);
    let view = from_image
        .map(ExifView::from_summary)
        .unwrap_or(from_manifest.clone());

    match (&view.datetime_original, view.status) {
        (_, ExifStatus::Unreadable) => c.warn(
            CheckId::ExifDatetime,
            "the image's EXIF is unreadable",
            json!({}),
        ),
        (None, _) => c.warn(
            CheckId::ExifDatetime,
            "the image has no EXIF DateTimeOriginal",
            json!({}),
        ),
        (Some(raw), _) => {
            let offset_min = view
                .offset_time_original
                .as_deref()
                .and_then(parse_offset_minutes)
                .unwrap_or(m.clock.tz_offset_min);
            match parse_exif_datetime_ms(raw, offset_min) {
                None => c.warn(
                    CheckId::ExifDatetime,
                    format!("EXIF DateTimeOriginal {raw:?} is not a valid date"),
                    json!({"exif_datetime_original": raw}),
                ),
                Some(exif_ms) => {
                    let diff = exif_ms - time.best.time_ms;
                    let unc = time.best.uncertainty_ms.map_or(0, |u| u as i64);
                    let beyond = diff.abs() - unc;
                    let measured = json!({
                        "exif_datetime_original": raw, "utc_offset_min": offset_min,
                        "difference_ms": diff, "capture_time": fmt_ms(time.best.time_ms),
                    });
                    if beyond <= 10 * 60_000 {
                        c.pass(
                            CheckId::ExifDatetime,
                            format!(
                                "EXIF time agrees with the capture time ({} apart)",
                                fmt_duration(diff)
                            ),
                            measured,
                        );
                    } else if beyond <= 60 * 60_000 {
                        c.warn(
                            CheckId::ExifDatetime,
                            format!(
                                "EXIF time differs from the capture time by {}",
                                fmt_duration(diff)
                            ),
                            measured,
                        );
                    } else {
                        c.fail(
                            CheckId::ExifDatetime,
                            format!("the photo's EXIF says it was taken {} away from the capture time: an older or different photo", fmt_duration(diff)),
                            measured,
                        );
                    }
                }
            }
        }
    }

    let dev = json!({"make": view.make, "model": view.model});
    match (&view.make, &view.model) {
        (Some(mk), Some(md)) => c.pass(CheckId::ExifDevice, format!("camera: {mk} {md}"), dev),
        _ => c.warn(
            CheckId::ExifDevice,
            "the image does not name the camera's make and model",
            dev,
        ),
    }

    let editor = view.software.as_deref().filter(|s| is_editing_software(s));
    if editor.is_some() || view.findings.iter().any(|f| f == "editing_software") {
        c.fail(
            CheckId::EditingSoftware,
            format!(
                "the image was saved by editing software: {}",
                view.software.as_deref().unwrap_or("(named in EXIF)")
            ),
            json!({"software": view.software}),
        );
    } else {
        c.pass(
            CheckId::EditingSoftware,
            "no editing software named in EXIF",
            json!({"software": view.software}),
        );
    }

    if let Some(s) = from_image {
        if ManifestExif::from_summary(s) == m.exif {
            c.pass(
                CheckId::ExifMatchesManifest,
                "the EXIF recorded at sealing matches the image",
                json!({}),
            );
        } else {
            c.warn(
                CheckId::ExifMatchesManifest,
                "the EXIF recorded in the manifest differs from what this verifier reads from the image",
                json!({"manifest": m.exif, "image": ManifestExif::from_summary(s)}),
            );
        }
    }
}

#[derive(Clone)]
struct ExifView {
    status: ExifStatus,
    make: Option<String>,
    model: Option<String>,
    software: Option<String>,
    datetime_original: Option<String>,
    offset_time_original: Option<String>,
    findings: Vec<String>,
}

impl ExifView {
    fn from_manifest(e: &ManifestExif) -> ExifView {
        ExifView {
            status: e.status,
            make: e.make.clone(),
            model: e.model.clone(),
            software: e.software.clone(),
            datetime_original: e.datetime_original.clone(),
            offset_time_original: e.offset_time_original.clone(),
            findings: e.findings.clone(),
        }
    }
    fn from_summary(s: &ExifSummary) -> ExifView {
        ExifView::from_manifest(&ManifestExif::from_summary(s))
    }
}

/// Whether an EXIF Software string names an image editor (the list lives in [`crate::exif`]).
pub fn is_editing_software(software: &str) -> bool {
    crate::exif::editing_software(software).is_some()
}

fn check_duplicates(
    m: &CaptureManifest,
    manifest_hash: &Sha256Digest,
    image: Option<&[u8]>,
    ctx: &VerificationContext,
    c: &mut Checks,
) -> Option<u64> {
    let same: Vec<&KnownImage> = ctx
        .known_images
        .iter()
        .filter(|k| k.sha256 == m.image.sha256 && &k.manifest_hash != manifest_hash)
        .collect();
    let elsewhere = same
        .iter()
        .find(|k| k.constituency != m.constituency || k.station != m.station);
    if let Some(k) = elsewhere {
        c.fail(
            CheckId::DuplicateImage,
            format!(
                "the same image was already submitted for {} station {}",
                k.constituency, k.station
            ),
            json!({"other_manifest": k.manifest_hash, "other_constituency": k.constituency, "other_station": k.station}),
        );
    } else if let Some(k) = same.first() {
        c.warn(
            CheckId::DuplicateImage,
            "the same image was already submitted for this station under another manifest",
            json!({"other_manifest": k.manifest_hash}),
        );
    } else {
        c.pass(
            CheckId::DuplicateImage,
            format!("no identical image among {} known", ctx.known_images.len()),
            json!({"known_images": ctx.known_images.len()}),
        );
    }

    if ctx.policy.defer_near_duplicates {
        return None;
    }
    // The perceptual hash is computed when there is something to compare it with, or when the
    // policy asks for it to be recorded for the captures that come later.
    let has_candidates = ctx
        .known_images
        .iter()
        .any(|k| is_near_duplicate_candidate(k, &m.image.sha256, &m.constituency, m.station));
    if !has_candidates && !ctx.policy.record_phash {
        // Nothing to compare with, and no hash wanted: the image is not decoded at all.
        c.pass(
            CheckId::NearDuplicateImage,
            "no perceptual hashes of other stations' images to compare",
            json!({}),
        );
        return None;
    }
    let ours = image.and_then(phash::dhash);
    c.0.push(near_duplicate_check(
        ours,
        &m.image.sha256,
        &m.constituency,
        m.station,
        &ctx.known_images,
        &ctx.policy,
    ));
    ours
}

/// Near-copies matter across stations (one sheet passed off as another station's). At the same
/// station a near-copy is a retake or the next page of the same sheet, which is expected; an
/// identical image is the exact-duplicate check's business.
fn is_near_duplicate_candidate(
    k: &KnownImage,
    sha: &Sha256Digest,
    constituency: &str,
    station: u32,
) -> bool {
    k.phash.is_some()
        && &k.sha256 != sha
        && (k.constituency != constituency || k.station != station)
}

/// The near-duplicate check of an image whose perceptual hash is `phash` (`None`: the image could
/// not be decoded) against `known` images: a warning naming the nearest other station's image
/// within `policy.near_duplicate_max_distance` bits. Used inside [`verify_capture`], and on its own
/// by an analysis that runs after the receipt (see [`VerificationPolicy::defer_near_duplicates`]).
pub fn near_duplicate_check(
    phash: Option<u64>,
    sha256: &Sha256Digest,
    constituency: &str,
    station: u32,
    known: &[KnownImage],
    policy: &VerificationPolicy,
) -> CheckResult {
    let candidates: Vec<&KnownImage> = known
        .iter()
        .filter(|k| is_near_duplicate_candidate(k, sha256, constituency, station))
        .collect();
    // An image without a perceptual hash is compared with nothing, now or later (later images
    // are compared only with hashed ones): a warning even when there is nothing to compare yet.
    let Some(ours) = phash else {
        return check_result(
            CheckId::NearDuplicateImage,
            Outcome::Warn,
            "the image could not be decoded for a perceptual hash; it is not compared with other stations' images",
            json!({"compared": 0}),
        );
    };
    if candidates.is_empty() {
        check_result(
            CheckId::NearDuplicateImage,
            Outcome::Pass,
            "no perceptual hashes of other stations' images to compare",
            json!({"phash": format!("{ours:016x}")}),
        )
    } else {
        let nearest = candidates
            .iter()
            .filter_map(|k| k.phash.map(|p| (phash::distance(p, ours), *k)))
            .min_by_key(|(d, _)| *d);
        match nearest {
            Some((d, k)) if d <= policy.near_duplicate_max_distance => check_result(
                CheckId::NearDuplicateImage,
                Outcome::Warn,
                format!(
                    "nearly the same picture as one submitted for {} station {} ({d} of 64 bits differ)",
                    k.constituency, k.station
                ),
                json!({"phash": format!("{ours:016x}"), "distance": d, "other_manifest": k.manifest_hash,
                       "other_constituency": k.constituency, "other_station": k.station,
                       "compared": candidates.len()}),
            ),
            _ => check_result(
                CheckId::NearDuplicateImage,
                Outcome::Pass,
                "no near-duplicate among the known images",
                json!({"phash": format!("{ours:016x}"), "compared": candidates.len()}),
            ),
        }
    }
}

fn check_sequence(
    m: &CaptureManifest,
    manifest_hash: &Sha256Digest,
    ctx: &VerificationContext,
    c: &mut Checks,
) {
    let seq = m.device.seq;
    let measured =
        json!({"seq": seq, "prev": m.device.prev, "known_captures": ctx.prior_captures.len()});
    if let Some(fork) = ctx
        .prior_captures
        .iter()
        .find(|p| p.seq == seq && &p.manifest_hash != manifest_hash)
    {
        c.fail(
            CheckId::CaptureSequence,
            format!("the device already produced a different capture with sequence number {seq}"),
            json!({"seq": seq, "other_manifest": fork.manifest_hash}),
        );
        return;
    }
    if seq == 1 {
        c.pass(
            CheckId::CaptureSequence,
            "the device's first capture",
            measured,
        );
        return;
    }
    // Of several captures numbered `seq - 1` (a fork, flagged on the later of them), the one
    // this capture names, whatever order they are known in.
    let mut before = ctx.prior_captures.iter().filter(|p| p.seq == seq - 1);
    let linked = before
        .clone()
        .find(|p| Some(p.manifest_hash) == m.device.prev);
    match linked.or_else(|| before.next()) {
        Some(p) if Some(p.manifest_hash) == m.device.prev => c.pass(
            CheckId::CaptureSequence,
            format!("capture {seq} follows capture {} of this device", seq - 1),
            measured,
        ),
        Some(p) => c.fail(
            CheckId::CaptureSequence,
            format!("the chain is broken: capture {} of this device is {}, not the one this capture names", seq - 1, p.manifest_hash),
            measured,
        ),
        None => {
            let known_below = ctx.prior_captures.iter().filter(|p| p.seq < seq).map(|p| p.seq).max();
            let missing_from = known_below.map_or(1, |k| k + 1);
            c.warn(
                CheckId::CaptureSequence,
                format!(
                    "gap in the device's captures: {} not received",
                    if missing_from == seq - 1 {
                        format!("capture {missing_from}")
                    } else {
                        format!("captures {missing_from}..{}", seq - 1)
                    }
                ),
                json!({"seq": seq, "missing_from": missing_from, "missing_to": seq - 1}),
            );
        }
    }
}

fn check_figures(
    m: &CaptureManifest,
    constituency: Option<&Constituency>,
    station: Option<&PollingStation>,
    c: &mut Checks,
) {
    let Some(figures) = &m.figures else {
        if m.page == 1 {
            c.warn(
                CheckId::FormArithmetic,
                "no figures were entered with this capture",
                json!({}),
            );
        } else {
            c.pass(
                CheckId::FormArithmetic,
                "figures travel with page 1",
                json!({}),
            );
        }
        return;
    };
    let candidates = constituency.map(|k| k.candidates.as_slice());
    let violations = validate(figures, station, candidates);
    let summary = match figures {
        FormFigures::Form45(f) => {
            json!({"total_valid": f.total_valid, "rejected": f.rejected, "total_polled": f.total_polled})
        }
        FormFigures::Form46(f) => {
            json!({"ballots_received": f.ballots_received, "ballots_issued": f.ballots_issued})
        }
    };
    if violations.is_empty() {
        c.pass(
            CheckId::FormArithmetic,
            "the figures satisfy every consistency rule",
            summary,
        );
    } else {
        let reason = violations
            .iter()
            .map(|v| v.detail.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        c.fail(
            CheckId::FormArithmetic,
            reason,
            json!({"figures": summary, "violations": violations}),
        );
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Unix ms → RFC 3339 UTC text (or the number, if out of range).
pub fn fmt_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{ms} ms"))
}

fn fmt_duration(ms: i64) -> String {
    let s = ms.unsigned_abs() / 1000;
    let sign = if ms < 0 { "-" } else { "" };
    match s {
        0..=119 => format!("{sign}{s} s"),
        120..=7199 => format!("{sign}{} min", s / 60),
        7200..=172_799 => format!("{sign}{:.1} h", s as f64 / 3600.0),
        _ => format!("{sign}{:.1} days", s as f64 / 86_400.0),
    }
}

/// RFC 3339 text → Unix ms.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// `+05:00` / `-04:30` → minutes east of UTC.
fn parse_offset_minutes(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h: i32 = s.get(1..3)?.parse().ok()?;
    let m: i32 = s.get(4..6)?.parse().ok()?;
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

/// EXIF `YYYY:MM:DD HH:MM:SS` at a UTC offset → Unix ms.
fn parse_exif_datetime_ms(raw: &str, offset_min: i32) -> Option<i64> {
    let s = raw.trim_end_matches('\0').trim();
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b':'
        || b[7] != b':'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i32>().ok();
    let month = time::Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(num(0..4)?, month, u8::try_from(num(8..10)?).ok()?).ok()?;
    let t = time::Time::from_hms(
        u8::try_from(num(11..13)?).ok()?,
        u8::try_from(num(14..16)?).ok()?,
        u8::try_from(num(17..19)?).ok()?,
    )
    .ok()?;
    let offset = time::UtcOffset::from_whole_seconds(offset_min.checked_mul(60)?).ok()?;
    let dt = time::PrimitiveDateTime::new(date, t).assume_offset(offset);
    i64::try_from(dt.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_datetime_parsing() {
        assert_eq!(
            parse_exif_datetime_ms("1970:01:01 00:00:10", 0),
            Some(10_000)
        );
        assert_eq!(parse_exif_datetime_ms("1970:01:01 05:00:00", 300), Some(0));
        assert_eq!(parse_exif_datetime_ms("0000:00:00 00:00:00", 0), None);
        assert_eq!(parse_exif_datetime_ms("", 0), None);
        assert_eq!(parse_exif_datetime_ms("2024:13:01 00:00:00", 0), None);
        assert_eq!(parse_offset_minutes("+05:00"), Some(300));
        assert_eq!(parse_offset_minutes("-04:30"), Some(-270));
        assert_eq!(parse_offset_minutes("5"), None);
    }

    #[test]
    fn editors_are_recognised() {
        assert!(is_editing_software("Adobe Photoshop CC 2019 (Macintosh)"));
        assert!(is_editing_software("GIMP 2.8.16"));
        assert!(is_editing_software(
            "Microsoft Windows Photo Viewer 10.0.19041.1"
        ));
        assert!(!is_editing_software("G935LKLU1APL1"));
        assert!(!is_editing_software("HDR+ 1.0.570503588zd"));
    }

    #[test]
    fn garbage_manifest_fails_cleanly() {
        let r = verify_capture(
            b"{not json",
            &SignatureBytes([0; 64]),
            None,
            &VerificationContext::default(),
        );
        assert_eq!(r.verdict, Verdict::Failed);
        assert_eq!(r.checks[0].check, CheckId::ManifestFormat);
    }
}
