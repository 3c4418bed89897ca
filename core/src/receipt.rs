//! Signed receipts: the server's statement that it has durably stored a submission, and when.
//!
//! The phone keeps a capture until it has verified a receipt for it; the receipt then travels in
//! the evidence bundle so anyone can see when the server received the capture.

use serde::{Deserialize, Serialize};

use crate::canonical::{CanonicalError, from_canonical_bytes, to_canonical_bytes};
use crate::hash::Sha256Digest;
use crate::keys::{DeviceKey, KeyError, PublicKey, SignatureBytes};

/// Signature domain of receipts.
pub const RECEIPT_DOMAIN: &str = "tallyseal/receipt/v1";

/// HTTP header carrying a receipt (base64 of its JSON) on the answer that completed an image
/// upload (`docs/tus.md`).
pub const RECEIPT_HEADER: &str = "Tallyseal-Receipt";

/// How far the server has got with a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    /// The signed manifest is durable; the image has not arrived yet.
    ManifestReceived,
    /// The image is durable and matches the signed hash.
    ImageReceived,
    /// The image is durable and the full verification has run.
    Verified,
}

/// The signed statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    pub v: u32,
    pub manifest_hash: Sha256Digest,
    /// When the manifest was received (server clock, Unix ms).
    pub received_at_ms: i64,
    pub status: ReceiptStatus,
    /// Hash of the image received, once received.
    pub image_sha256: Option<Sha256Digest>,
    /// When the image upload completed (server clock, Unix ms).
    pub image_received_at_ms: Option<i64>,
    /// Verification verdict (`verified`, `verified_with_warnings`, `failed`) once verified.
    pub verdict: Option<String>,
    pub server_key: PublicKey,
    /// The index of the event's leaf in the public transparency log (`docs/log.md`): a signed
    /// promise that the log includes it. Absent from receipts issued before the log existed,
    /// which keep their exact bytes and still verify (the field is left out, not `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

/// A receipt: body plus the server's signature over its canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub body: ReceiptBody,
    pub signature: SignatureBytes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("the receipt was signed by a key that is not a trusted server key")]
    UntrustedKey,
    #[error("the receipt's signature does not verify: {0}")]
    Signature(#[from] KeyError),
    #[error("the receipt is not valid canonical JSON: {0}")]
    Encoding(#[from] CanonicalError),
    #[error("the receipt is for manifest {found}, not {expected}")]
    WrongManifest {
        expected: Sha256Digest,
        found: Sha256Digest,
    },
    #[error("the receipt is not in its one canonical form (a field missing or re-encoded)")]
    NotCanonical,
    #[error("receipt version {0} is not supported (1 is)")]
    Version(u32),
}

impl Receipt {
    /// Sign a receipt (server side). The body's `server_key` is set from `key`.
    pub fn issue(key: &DeviceKey, mut body: ReceiptBody) -> Result<Receipt, ReceiptError> {
        body.server_key = key.public_key();
        let bytes = to_canonical_bytes(&body)?;
        Ok(Receipt {
            signature: key.sign(RECEIPT_DOMAIN, &bytes),
            body,
        })
    }

    /// Check the signature and that the server key is trusted.
    pub fn verify(&self, trusted: &[PublicKey]) -> Result<(), ReceiptError> {
        if !trusted.contains(&self.body.server_key) {
            return Err(ReceiptError::UntrustedKey);
        }
        let bytes = to_canonical_bytes(&self.body)?;
        self.body
            .server_key
            .verify(RECEIPT_DOMAIN, &bytes, &self.signature)?;
        Ok(())
    }

    /// Check the signature, the key, and that the receipt is for `manifest_hash`.
    pub fn verify_for(
        &self,
        manifest_hash: &Sha256Digest,
        trusted: &[PublicKey],
    ) -> Result<(), ReceiptError> {
        if &self.body.manifest_hash != manifest_hash {
            return Err(ReceiptError::WrongManifest {
                expected: *manifest_hash,
                found: self.body.manifest_hash,
            });
        }
        self.verify(trusted)
    }

    /// Canonical bytes (as stored in a bundle).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ReceiptError> {
        Ok(to_canonical_bytes(self)?)
    }

    /// Parse canonical bytes (does not verify): they must be exactly the receipt's canonical
    /// encoding (every field present, `null` included: one content, one byte form), of
    /// version 1.
    pub fn from_bytes(bytes: &[u8]) -> Result<Receipt, ReceiptError> {
        let receipt: Receipt = from_canonical_bytes(bytes)?;
        if receipt.body.v != 1 {
            return Err(ReceiptError::Version(receipt.body.v));
        }
        if receipt.to_bytes()? != bytes {
            return Err(ReceiptError::NotCanonical);
        }
        Ok(receipt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::sha256;

    fn body(log_index: Option<u64>) -> ReceiptBody {
        ReceiptBody {
            v: 1,
            manifest_hash: sha256(b"manifest"),
            received_at_ms: 1_707_300_000_000,
            status: ReceiptStatus::ManifestReceived,
            image_sha256: None,
            image_received_at_ms: None,
            verdict: None,
            server_key: PublicKey([0; 32]),
            log_index,
        }
    }

    /// The log index is signed: changing it breaks the signature; a receipt without it (as
    /// issued before the log) keeps its bytes, parses and verifies.
    #[test]
    fn log_index_is_signed_and_optional() {
        let key = DeviceKey::from_seed(&[9; 32]);
        let trusted = [key.public_key()];
        let with = Receipt::issue(&key, body(Some(41))).unwrap();
        let bytes = with.to_bytes().unwrap();
        assert!(String::from_utf8_lossy(&bytes).contains("\"log_index\":41"));
        let parsed = Receipt::from_bytes(&bytes).unwrap();
        parsed.verify(&trusted).unwrap();
        assert_eq!(parsed.body.log_index, Some(41));
        let mut moved = parsed.clone();
        moved.body.log_index = Some(42);
        assert!(matches!(
            moved.verify(&trusted),
            Err(ReceiptError::Signature(_))
        ));

        let without = Receipt::issue(&key, body(None)).unwrap();
        let old_bytes = without.to_bytes().unwrap();
        assert!(!String::from_utf8_lossy(&old_bytes).contains("log_index"));
        let parsed = Receipt::from_bytes(&old_bytes).unwrap();
        parsed.verify(&trusted).unwrap();
        assert_eq!(parsed.body.log_index, None);
        // `null` is not the receipt's one form.
        let nulled = String::from_utf8(old_bytes)
            .unwrap()
            .replace("\"manifest_hash\"", "\"log_index\":null,\"manifest_hash\"");
        assert!(Receipt::from_bytes(nulled.as_bytes()).is_err());
    }
}
