//! Verification: every forensic check of `MISSION.md`, as a pure function from a capture and a
//! context to a [`VerificationReport`].
//!
//! The same function runs on the server (at intake), on the phone (self-check before sending, so the
//! Presiding Officer can still retake a picture) and on an auditor's laptop (`tallyseal verify`).
//! It never does I/O and never reads the clock: the context carries "now" and the received time.
//!
//! A check that cannot be made for lack of context (no election package, no enrolment records)
//! is a *warning* saying so, never a silent pass.
//!
//! Files: `report` (check names, outcomes, the report), `context` (what the verifier is given),
//! then one file per group of checks — `station` (package, station), `device` (enrolment,
//! capture sequence), `image` (image hash, EXIF, frame size), `position` (geofence, mock
//! location, EXIF GPS), `capture_time` (time window, clock skew), `duplicates`, `figures` — and
//! `log_inclusion` (the bundle's transparency-log section) and `format` (times and durations in
//! reasons).

use serde_json::json;

use crate::bundle::EvidenceBundle;
use crate::exif::extract_exif;
use crate::hash::sha256;
use crate::keys::SignatureBytes;
use crate::manifest::{CaptureManifest, MANIFEST_DOMAIN};
use crate::receipt::Receipt;

mod capture_time;
mod context;
mod device;
mod duplicates;
mod figures;
mod format;
mod image;
mod log_inclusion;
mod position;
mod report;
mod station;

use capture_time::check_time;
pub use context::{
    EnrolledDevice, KnownImage, PriorCapture, VerificationContext, VerificationPolicy,
};
use device::{check_enrolment, check_sequence};
use duplicates::check_duplicates;
pub use duplicates::near_duplicate_check;
use figures::check_figures;
pub use format::{fmt_ms, parse_rfc3339_ms};
pub use image::MIN_FRAME_SHORT_SIDE_PX;
pub use image::is_editing_software;
use image::{check_exif, check_image_frame, check_image_hash};
pub use log_inclusion::log_inclusion_check;
use position::check_location;
pub use report::{CheckId, CheckResult, Outcome, Verdict, VerificationReport};
use report::{Checks, verdict_of, verifier_version};
use station::check_package_and_station;

/// The `device_enrolled` check alone, for a manifest already opened (its signature checked): the
/// same rule [`verify_capture`] applies, for a caller such as the server's intake that must decide
/// whether a device may submit before it has the image.
pub fn device_enrolment_check(m: &CaptureManifest, ctx: &VerificationContext) -> CheckResult {
    let mut c = Checks(Vec::new());
    check_enrolment(m, ctx, &mut c);
    // check_enrolment records exactly one check.
    c.0.into_iter().next().unwrap_or_else(|| {
        report::check_result(
            CheckId::DeviceEnrolled,
            Outcome::Warn,
            "the device was not checked",
            json!({}),
        )
    })
}

/// Verify an evidence bundle (manifest, signature, image, and the receipt and the log section
/// when present). Without the log's keys the log section's signatures are not checked (a
/// warning says so): [`verify_bundle_with_log`] takes them.
pub fn verify_bundle(bundle: &EvidenceBundle, ctx: &VerificationContext) -> VerificationReport {
    verify_bundle_with_log(bundle, ctx, None)
}

/// [`verify_bundle`], with the `log_inclusion` check made against the log's `policy` (its key and
/// the witnesses, k of n) when the bundle has a log section.
pub fn verify_bundle_with_log(
    bundle: &EvidenceBundle,
    ctx: &VerificationContext,
    log_policy: Option<&crate::log::proof::LogPolicy>,
) -> VerificationReport {
    let manifest_hash = sha256(&bundle.manifest);
    let mut receipt_check = None;
    let mut receipt_log_index = None;
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
                if r.body.manifest_hash == manifest_hash {
                    receipt_log_index = r.body.log_index;
                }
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
    }
    if let Some(c) = log_inclusion_check(bundle, &manifest_hash, receipt_log_index, log_policy) {
        report.checks.push(c);
    }
    report.verdict = verdict_of(&report.checks);
    report
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
    if let (Some(image), Some(exif)) = (image, &exif_from_image) {
        check_image_frame(image, exif, &mut c);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
