//! Receipts: what the server signs for a capture (`manifest_received`, then `verified` with a
//! verdict). Signing is the core's ([`crate::provenance::Receipt::issue`]); this module only fills
//! in the server's key. It never stores anything: the caller records the receipt with the state
//! change it attests.

use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::receipt::ReceiptError;

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
    Receipt::issue(
        &state.commission_key,
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
        },
    )
}
