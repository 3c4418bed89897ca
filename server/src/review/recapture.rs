//! A capture's pending request for a new capture, as `GET /api/v1/captures/{hash}` reports it to
//! the phone (`CaptureStatus.recapture`): present while the capture's latest decision asks for a
//! new capture. The phone's new capture names this one in its manifest's `supersedes`.

use tallyseal_core::wire::RecaptureRequest;

use crate::db;
use crate::stations::state::head_decisions;

/// The recapture request in force for the capture `manifest_hash`, if its latest decision is one.
pub async fn recapture_request(
    pool: &sqlx::AnyPool,
    manifest_hash: &str,
) -> Result<Option<RecaptureRequest>, sqlx::Error> {
    let decisions = db::decisions_for_capture(pool, manifest_hash).await?;
    let heads = head_decisions(&decisions);
    Ok(heads
        .get(manifest_hash)
        .filter(|d| d.action == "recapture")
        .map(|d| RecaptureRequest {
            request_id: d.decision_id.clone(),
            reason_code: d.reason_code.clone().unwrap_or_default(),
            reason: d.reason_text.clone(),
            requested_at_ms: d.decided_at_ms,
            requested_by: d.actor_id.clone(),
        }))
}
