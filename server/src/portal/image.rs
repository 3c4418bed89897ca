//! A capture's image as the station sent it (the bytes the PO signed the hash of), for the
//! station page. Content-addressed: the bytes behind a manifest hash never change.

use bytes::Bytes;

use crate::db;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::store::ObjectKey;

/// An image and what the answer needs.
#[derive(Debug, Clone)]
pub struct CaptureImage {
    pub bytes: Bytes,
    /// `image/jpeg` or `image/heic`, as the manifest declared and the intake checked.
    pub media_type: String,
    /// The image's SHA-256 (hex): a strong tag.
    pub sha256: String,
    pub received_at_ms: i64,
}

/// The image of the capture `manifest_hash` (404 when the capture is unknown or its image has not
/// arrived).
pub async fn capture_image(
    state: &AppState,
    manifest_hash: &str,
) -> Result<CaptureImage, ApiError> {
    let state = state.for_public_reads();
    let row = db::get_submission(&state.db.pool, manifest_hash)
        .await?
        .ok_or_else(|| ApiError::new(Problem::UnknownSubmission, "no such capture"))?;
    let Some(received_at_ms) = row.image_received_at_ms else {
        return Err(ApiError::new(
            Problem::NotFound,
            "the image of this capture has not been received",
        ));
    };
    let digest = row.image_sha256.digest();
    let bytes = state
        .store
        .get(&ObjectKey::for_digest(&digest))
        .await?
        .ok_or_else(|| ApiError::new(Problem::NotFound, "the image is not stored here"))?;
    Ok(CaptureImage {
        bytes,
        media_type: row.media_type.clone(),
        sha256: digest.to_hex(),
        received_at_ms,
    })
}
