//! Receipts: what the server signs for a capture (`manifest_received`, then `verified` with a
//! verdict). Signing is the core's ([`crate::provenance::Receipt::issue`]); this module only fills
//! in the server's key. It never stores anything: the caller records the receipt with the state
//! change it attests. A receipt for a logged event carries its leaf's index, so it is signed
//! inside the event's transaction, once the index is fixed ([`logged_receipt`]).

use std::sync::Arc;

use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::receipt::ReceiptError;

use crate::db::{LeafToAppend, LoggedReceipt, ReceiptSigner};
use crate::error::ApiError;
use crate::provenance::LogEvent;

use crate::provenance::{Receipt, ReceiptBody, ReceiptStatus};
use crate::state::AppState;

/// Sign a receipt with the commission key; `image` is the image's hash and the time it was
/// received, once it has been.
pub fn issue_receipt(
    state: &AppState,
    manifest_hash: Sha256Digest,
    received_at_ms: i64,
    status: ReceiptStatus,
    image: Option<(Sha256Digest, i64)>,
    verdict: Option<String>,
) -> Result<Receipt, ReceiptError> {
    let body = receipt_body(state, manifest_hash, received_at_ms, status, image, verdict);
    Receipt::issue(&state.commission_key, body)
}

/// The leaf of `event` and a signer of the capture's receipt with that leaf's index (the
/// database runs it inside the event's transaction).
pub fn logged_receipt(
    state: &AppState,
    event: LogEvent,
    body: ReceiptBody,
    at_ms: i64,
) -> Result<LoggedReceipt, ApiError> {
    let leaf: LeafToAppend = crate::log::leaf(event, &body.manifest_hash.to_hex(), at_ms)
        .map_err(|e| ApiError::internal("log leaf", e))?;
    let key = DeviceKey::from_seed(&state.commission_key.seed());
    let sign = move |index: Option<u64>| {
        let mut body = body.clone();
        body.log_index = index;
        let receipt = Receipt::issue(&key, body).map_err(|e| e.to_string())?;
        serde_json::to_string(&receipt).map_err(|e| e.to_string())
    };
    Ok(LoggedReceipt {
        leaf: state.config.log_captures.then_some(leaf),
        sign: ReceiptSigner(Arc::new(sign)),
    })
}

/// A receipt body for the capture (`image` and `verdict` once known), signed by the commission
/// key; the log index is filled in by [`logged_receipt`].
pub fn receipt_body(
    state: &AppState,
    manifest_hash: Sha256Digest,
    received_at_ms: i64,
    status: ReceiptStatus,
    image: Option<(Sha256Digest, i64)>,
    verdict: Option<String>,
) -> ReceiptBody {
    ReceiptBody {
        v: 1,
        manifest_hash,
        received_at_ms,
        status,
        image_sha256: image.map(|i| i.0),
        image_received_at_ms: image.map(|i| i.1),
        verdict,
        server_key: state.commission_key.public_key(),
        log_index: None,
    }
}
