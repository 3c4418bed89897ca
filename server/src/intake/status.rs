//! A capture's state as the server holds it: submission, receipt, verification report, the
//! Returning Officer's request for a new capture when one is in force (`crate::review`), and its
//! latest leaf in the public log with a tlog-proof ([`crate::log::publication::inclusion`]).
//! Read-only.

use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::wire::CaptureStatus;

use crate::db;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The capture whose manifest hash is `hash`.
pub async fn capture_status(
    state: &AppState,
    hash: &Sha256Digest,
) -> Result<CaptureStatus, ApiError> {
    let (row, report) = db::get_submission_with_report(&state.db.pool, &hash.to_hex())
        .await?
        .ok_or_else(|| ApiError::new(Problem::UnknownSubmission, "no such manifest"))?;
    let report = report
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|e| ApiError::internal("stored report", e))?;
    let receipt =
        serde_json::from_str(&row.receipt).map_err(|e| ApiError::internal("stored receipt", e))?;
    let recapture = crate::review::recapture_request(&state.db.pool, &hash.to_hex()).await?;
    let log = crate::log::publication::inclusion(state, &row.manifest_hash.to_hex())
        .await
        .map_err(|e| match e {
            crate::log::hashes::HashesError::Database(e) => ApiError::from(e),
            other => ApiError::internal("log inclusion", other),
        })?;
    Ok(CaptureStatus {
        manifest_hash: row.manifest_hash.to_hex(),
        status: row.status.as_str().to_owned(),
        election: row.election_id,
        constituency: row.constituency,
        station: row.station,
        received_at_ms: row.received_at_ms,
        image_received_at_ms: row.image_received_at_ms,
        verdict: row.verdict.map(|v| v.as_str().to_owned()),
        receipt,
        report,
        recapture,
        log,
    })
}
