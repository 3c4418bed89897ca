//! A capture's evidence bundle (`docs/bundle.md`), assembled from what the server stores: the
//! signed manifest bytes and the device's signature (the submission), the image (the object
//! store, once received), the latest signed receipt, and the capture's latest leaf in the
//! transparency log with its tlog-proof once a checkpoint covers it. The same format the phone
//! exports and `tallyseal verify` reads; nothing is re-signed here.

use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::log::inclusion::LogInclusionProof;
use tallyseal_core::receipt::Receipt;

use crate::db::{self, SubmissionRow};
use crate::error::{ApiError, Problem};
use crate::log::hashes::HashesError;
use crate::state::AppState;
use crate::store::ObjectKey;

/// A bundle's bytes and when its capture last changed (ms).
#[derive(Debug, Clone)]
pub struct AssembledBundle {
    pub bytes: Vec<u8>,
    pub last_modified_ms: i64,
    /// Whether the bundle carries the image, the receipt and a log proof.
    pub complete: bool,
}

/// The capture `hash`'s bundle (404 `unknown-submission` when the server never received it).
pub async fn bundle(state: &AppState, hash: &Sha256Digest) -> Result<AssembledBundle, ApiError> {
    let state = state.for_public_reads();
    let row = db::get_submission(&state.db.pool, &hash.to_hex())
        .await?
        .ok_or_else(|| ApiError::new(Problem::UnknownSubmission, "no such manifest"))?;
    assemble(state, &row).await
}

/// The bundle of a stored submission.
pub async fn assemble(state: &AppState, row: &SubmissionRow) -> Result<AssembledBundle, ApiError> {
    let state = state.for_public_reads();
    let hash = row.manifest_hash.digest();
    let manifest = match row.manifest_bytes() {
        Some(bytes) => bytes.map_err(|e| ApiError::internal("stored manifest", e))?,
        // Rows from before the manifest column: the object store has it.
        None => state
            .store
            .get(&ObjectKey::for_digest(&hash))
            .await?
            .ok_or_else(|| ApiError::internal("manifest object", "missing"))?
            .to_vec(),
    };
    let image = match row.image_received_at_ms {
        Some(_) => Some(
            state
                .store
                .get(&ObjectKey::for_digest(&row.image_sha256.digest()))
                .await?
                .ok_or_else(|| ApiError::internal("image object", "missing"))?
                .to_vec(),
        ),
        None => None,
    };
    let receipt = stored_receipt(row);
    let log_proof = log_proof(state, &hash.to_hex()).await?;
    let complete = image.is_some() && receipt.is_some() && log_proof.is_some();
    let bundle = EvidenceBundle {
        manifest,
        signature: row.signature.get(),
        image,
        receipt,
        log_proof,
    };
    Ok(AssembledBundle {
        bytes: bundle.to_bytes(),
        last_modified_ms: row.image_received_at_ms.unwrap_or(row.received_at_ms),
        complete,
    })
}

/// The receipt stored with the submission, as the bundle's canonical bytes (left out, and
/// logged, if it does not read: the bundle still carries the signed manifest and image).
fn stored_receipt(row: &SubmissionRow) -> Option<Vec<u8>> {
    match serde_json::from_str::<Receipt>(&row.receipt).map(|r| r.to_bytes()) {
        Ok(Ok(bytes)) => Some(bytes),
        Ok(Err(e)) => {
            log::warn!("receipt of {}: {e}", row.manifest_hash.to_hex());
            None
        }
        Err(e) => {
            log::warn!("receipt of {}: {e}", row.manifest_hash.to_hex());
            None
        }
    }
}

/// The capture's latest leaf and its tlog-proof, once a checkpoint covers it.
async fn log_proof(state: &AppState, manifest_hash: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let inclusion = crate::log::publication::inclusion(state, manifest_hash)
        .await
        .map_err(|e| match e {
            HashesError::Database(e) => ApiError::from(e),
            other => ApiError::internal("log inclusion", other),
        })?;
    inclusion
        .map(|wire| LogInclusionProof::from_wire(&wire).and_then(|p| p.to_bytes()))
        .transpose()
        .map_err(|e| ApiError::internal("log inclusion", e))
}
