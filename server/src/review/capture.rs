//! What the review of one capture shows (the JSON the console page renders): the manifest's
//! fields, the stored verification report (every check with its measured values and verdict),
//! times (captured, anchored, received, image received), the device and its sequence, the
//! decisions, and every other capture of the same station and form with how it relates to this
//! one. Also the image bytes and the map. Read-only.

use serde::Serialize;
use tallyseal_core::manifest::CaptureManifest;
use tallyseal_core::model::{LatLon, StationLocation, StationType};

use super::map::{Position, fence_svg};
use crate::accounts::ConstituencyRef;
use crate::db::{self, DecisionRow, SubmissionRow};
use crate::error::{ApiError, Problem};
use crate::provenance;
use crate::state::AppState;
use crate::stations::board::constituency_of;
use crate::stations::state::{CaptureSummary, head_decisions, summarise};

/// The times of a capture, Unix ms.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureTimes {
    /// The best estimate of when it was taken, and from what (`gnss`, `anchor`, `device_clock`).
    pub captured_at_ms: Option<i64>,
    pub capture_time_source: Option<&'static str>,
    /// The device clock at capture.
    pub device_time_ms: i64,
    /// The server time of the time anchor the phone held, when it held one.
    pub anchored_at_ms: Option<i64>,
    /// The manifest received (hash committed).
    pub received_at_ms: i64,
    pub image_received_at_ms: Option<i64>,
}

/// The device that signed the capture.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureDevice {
    pub key: String,
    pub seq: u64,
    /// The manifest hash of the device's capture before this one.
    pub prev: Option<String>,
    pub officer_name: Option<String>,
    pub enrolled_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// Another capture of the same station and form.
#[derive(Debug, Clone, Serialize)]
pub struct RelatedCapture {
    /// `supersedes_this` (it names this capture in `supersedes`), `superseded_by_this`,
    /// `earlier` or `later` (by time received).
    pub relation: &'static str,
    pub capture: CaptureSummary,
}

/// The station the capture is for.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewStation {
    pub number: u32,
    pub name: String,
    pub station_type: StationType,
    pub location: Option<StationLocation>,
}

/// The review of one capture.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureReview {
    pub manifest_hash: String,
    pub election: String,
    pub constituency: String,
    pub station: ReviewStation,
    pub form: String,
    /// The signed manifest's fields.
    pub manifest: Option<CaptureManifest>,
    /// The capture's state (the one definition, `crate::stations`).
    pub capture: CaptureSummary,
    /// The stored `VerificationReport` (checks, measured values, verdicts).
    pub report: Option<serde_json::Value>,
    pub times: CaptureTimes,
    pub device: CaptureDevice,
    /// Every decision on the capture, oldest first.
    pub decisions: Vec<DecisionRow>,
    /// What a new decision must name in `supersedes` (`None`: it would be the first).
    pub latest_decision_id: Option<String>,
    pub others: Vec<RelatedCapture>,
    pub image_url: String,
    pub map_url: String,
}

fn unknown() -> ApiError {
    ApiError::new(
        Problem::UnknownSubmission,
        "no capture with this hash in this constituency",
    )
}

/// The submission `manifest_hash` of `constituency`, with its report (404 for another
/// constituency's capture, which is not revealed).
async fn submission_of(
    state: &AppState,
    constituency: &ConstituencyRef,
    manifest_hash: &str,
) -> Result<(SubmissionRow, Option<String>), ApiError> {
    db::get_submission_with_report(&state.db.pool, manifest_hash)
        .await?
        .filter(|(s, _)| {
            s.election_id == constituency.election && s.constituency == constituency.code
        })
        .ok_or_else(unknown)
}

fn manifest_of(row: &SubmissionRow) -> Option<CaptureManifest> {
    row.manifest_bytes()
        .and_then(Result::ok)
        .and_then(|b| provenance::read_stored_manifest(&b).ok())
}

/// The review of the capture `manifest_hash`.
pub async fn capture_review(
    state: &AppState,
    constituency: &ConstituencyRef,
    manifest_hash: &str,
) -> Result<CaptureReview, ApiError> {
    let (row, report) = submission_of(state, constituency, manifest_hash).await?;
    let package_constituency =
        constituency_of(state, &constituency.election, &constituency.code).await?;
    let pool = &state.db.pool;
    let device = db::get_device(pool, &row.device_key.to_hex()).await?;
    let siblings =
        db::station_captures(pool, &row.election_id, &row.constituency, row.station).await?;
    let siblings: Vec<_> = siblings
        .into_iter()
        .filter(|s| s.form == row.form)
        .collect();
    let decisions =
        db::decisions_for_station(pool, &row.election_id, &row.constituency, row.station).await?;
    let heads = head_decisions(&decisions);
    let facts = state
        .manifest_facts
        .facts_for(&siblings, &[state.commission_key.public_key()]);
    let superseded_by = |hash: &str| {
        siblings
            .iter()
            .zip(&facts)
            .find(|(_, f)| f.supersedes.as_ref().is_some_and(|(h, _)| h == hash))
            .map(|(s, _)| s.manifest_hash.to_hex())
    };
    let mut this = None;
    let mut others = Vec::new();
    for (sibling, f) in siblings.iter().zip(&facts) {
        let hash = sibling.manifest_hash.to_hex();
        let summary = summarise(sibling, f, heads.get(&hash).copied(), superseded_by(&hash));
        if hash == manifest_hash {
            this = Some((summary, f.clone()));
            continue;
        }
        others.push((summary, f.clone(), sibling.received_at_ms));
    }
    let (capture, this_facts) = this.ok_or_else(unknown)?;
    let others = others
        .into_iter()
        .map(|(summary, f, received)| RelatedCapture {
            relation: if f
                .supersedes
                .as_ref()
                .is_some_and(|(h, _)| h == manifest_hash)
            {
                "supersedes_this"
            } else if this_facts
                .supersedes
                .as_ref()
                .is_some_and(|(h, _)| *h == *summary.manifest_hash.as_str())
            {
                "superseded_by_this"
            } else if received <= row.received_at_ms {
                "earlier"
            } else {
                "later"
            },
            capture: summary,
        })
        .collect();
    let manifest = manifest_of(&row);
    let report = report
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|e| ApiError::internal("stored report", e))?;
    let station_number = u32::try_from(row.station).unwrap_or(0);
    let station = package_constituency.station(station_number);
    let own_decisions: Vec<DecisionRow> = decisions
        .iter()
        .filter(|d| d.manifest_hash.to_hex() == manifest_hash)
        .cloned()
        .collect();
    let base = format!(
        "/api/v1/console/{}/{}/captures/{manifest_hash}",
        row.election_id, row.constituency
    );
    Ok(CaptureReview {
        manifest_hash: manifest_hash.to_owned(),
        election: row.election_id.clone(),
        constituency: row.constituency.clone(),
        station: ReviewStation {
            number: station_number,
            name: station.map(|s| s.name.clone()).unwrap_or_default(),
            station_type: station.map_or(StationType::Combined, |s| s.station_type),
            location: station.and_then(|s| s.location.clone()),
        },
        form: row.form.clone(),
        times: CaptureTimes {
            captured_at_ms: this_facts.captured_at_ms,
            capture_time_source: this_facts.capture_time_source,
            device_time_ms: manifest.as_ref().map_or(0, |m| m.clock.device_time_ms),
            anchored_at_ms: manifest
                .as_ref()
                .and_then(|m| m.clock.anchor.as_ref())
                .map(|a| a.anchor.body.server_time_ms),
            received_at_ms: row.received_at_ms,
            image_received_at_ms: row.image_received_at_ms,
        },
        device: CaptureDevice {
            key: row.device_key.to_hex(),
            seq: u64::try_from(row.seq).unwrap_or(0),
            prev: manifest
                .as_ref()
                .and_then(|m| m.device.prev.map(|p| p.to_hex())),
            officer_name: device.as_ref().map(|d| d.officer_name.clone()),
            enrolled_at_ms: device.as_ref().map(|d| d.enrolled_at_ms),
            revoked_at_ms: device.as_ref().and_then(|d| d.revoked_at_ms),
        },
        latest_decision_id: heads.get(manifest_hash).map(|d| d.decision_id.clone()),
        decisions: own_decisions,
        manifest,
        capture,
        report,
        others,
        image_url: format!("{base}/image"),
        map_url: format!("{base}/map.svg"),
    })
}

/// The capture's image bytes and their media type (`None` while the image has not arrived).
pub async fn capture_image(
    state: &AppState,
    constituency: &ConstituencyRef,
    manifest_hash: &str,
) -> Result<(bytes::Bytes, &'static str), ApiError> {
    let (row, _) = submission_of(state, constituency, manifest_hash).await?;
    if row.image_received_at_ms.is_none() {
        return Err(ApiError::new(
            Problem::NotFound,
            "the image of this capture has not been received",
        ));
    }
    let bytes = state
        .store
        .get(&crate::store::ObjectKey::for_digest(
            &row.image_sha256.digest(),
        ))
        .await?
        .ok_or_else(|| ApiError::internal("image object", "missing"))?;
    // Only the image types a capture may have, never a type taken as given.
    let media_type = match row.media_type.as_str() {
        "image/jpeg" => "image/jpeg",
        "image/heic" => "image/heic",
        "image/heif" => "image/heif",
        "image/png" => "image/png",
        "image/webp" => "image/webp",
        _ => "application/octet-stream",
    };
    Ok((bytes, media_type))
}

/// The map of the station's geofence and the capture's position, as SVG.
pub async fn capture_map(
    state: &AppState,
    constituency: &ConstituencyRef,
    manifest_hash: &str,
) -> Result<String, ApiError> {
    let (row, _) = submission_of(state, constituency, manifest_hash).await?;
    let package_constituency =
        constituency_of(state, &constituency.election, &constituency.code).await?;
    let number = u32::try_from(row.station).unwrap_or(0);
    let location = package_constituency
        .station(number)
        .and_then(|s| s.location.clone())
        .ok_or_else(|| {
            ApiError::new(
                Problem::NotFound,
                "the election package has no location for this station",
            )
        })?;
    let position = manifest_of(&row).and_then(|m| m.fix).map(|f| Position {
        point: LatLon {
            lat: f.lat_e7 as f64 / 1e7,
            lon: f.lon_e7 as f64 / 1e7,
        },
        accuracy_m: f.accuracy_mm as f64 / 1000.0,
        mock: f.mock,
    });
    Ok(fence_svg(number, &location, position))
}
