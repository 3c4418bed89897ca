//! The evidence bundle: one file holding a capture's image, manifest and signature (and, once the
//! server has it, the signed receipt and a transparency-log proof), for a court or observer to keep.
//!
//! Binary layout (all integers big-endian; specified in `docs/bundle.md`):
//!
//! ```text
//! "TSBUNDLE"  u16 version (=1)
//! section*    tag: 4 ASCII bytes, length: u64, payload: `length` bytes
//!             in this order: MANI (required), SIGN (required, 64 bytes), IMAG, RCPT, LOGP (optional)
//! "END." u64 32, then SHA-256 of every byte before the "END." tag
//! ```
//!
//! The parser checks every length against the bytes that remain *before* allocating, so a hostile
//! file cannot make it allocate more than the file's own size, and refuses anything after `END.`.

use crate::hash::sha256;
use crate::keys::SignatureBytes;
use crate::manifest::MAX_MANIFEST_BYTES;
use crate::seal::MAX_IMAGE_BYTES;

pub const BUNDLE_MAGIC: &[u8; 8] = b"TSBUNDLE";
pub const BUNDLE_VERSION: u16 = 1;
/// Largest receipt section, bytes.
pub const MAX_RECEIPT_BYTES: u64 = 64 * 1024;
/// Largest log-proof section, bytes.
pub const MAX_LOG_PROOF_BYTES: u64 = 1024 * 1024;

const TAG_MANIFEST: [u8; 4] = *b"MANI";
const TAG_SIGNATURE: [u8; 4] = *b"SIGN";
const TAG_IMAGE: [u8; 4] = *b"IMAG";
const TAG_RECEIPT: [u8; 4] = *b"RCPT";
const TAG_LOG_PROOF: [u8; 4] = *b"LOGP";
const TAG_END: [u8; 4] = *b"END.";

/// The contents of an evidence bundle. Sections are kept as bytes: the manifest and receipt are
/// parsed and checked by the verifier, not here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceBundle {
    /// Canonical manifest bytes, exactly as signed.
    pub manifest: Vec<u8>,
    pub signature: SignatureBytes,
    pub image: Option<Vec<u8>>,
    /// Canonical receipt bytes ([`crate::receipt::Receipt::to_bytes`]).
    pub receipt: Option<Vec<u8>>,
    /// The capture's leaf in the transparency log and its C2SP tlog-proof
    /// ([`crate::log::inclusion::LogInclusionProof::to_bytes`]); read and checked by the verifier.
    pub log_proof: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("not a tallyseal evidence bundle (bad magic bytes)")]
    BadMagic,
    #[error("unsupported bundle version {0}")]
    UnsupportedVersion(u16),
    #[error("the bundle is truncated (in section {0})")]
    Truncated(String),
    #[error("section {tag} is {len} bytes; the limit is {limit}")]
    SectionTooLarge { tag: String, len: u64, limit: u64 },
    #[error("unexpected section {0} (unknown, repeated or out of order)")]
    UnexpectedSection(String),
    #[error("required section {0} is missing")]
    MissingSection(String),
    #[error("the bundle's checksum does not match its contents (corrupted or edited)")]
    ChecksumMismatch,
    #[error("{0} bytes follow the end of the bundle")]
    TrailingBytes(usize),
}

fn tag_name(tag: &[u8]) -> String {
    tag.iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}

fn limit_for(tag: [u8; 4]) -> Option<u64> {
    match tag {
        TAG_MANIFEST => Some(MAX_MANIFEST_BYTES as u64),
        TAG_SIGNATURE => Some(64),
        TAG_IMAGE => Some(MAX_IMAGE_BYTES),
        TAG_RECEIPT => Some(MAX_RECEIPT_BYTES),
        TAG_LOG_PROOF => Some(MAX_LOG_PROOF_BYTES),
        TAG_END => Some(32),
        _ => None,
    }
}

/// Section order: each tag's rank; sections must appear with strictly increasing rank.
fn rank(tag: [u8; 4]) -> Option<u8> {
    [
        TAG_MANIFEST,
        TAG_SIGNATURE,
        TAG_IMAGE,
        TAG_RECEIPT,
        TAG_LOG_PROOF,
        TAG_END,
    ]
    .iter()
    .position(|t| *t == tag)
    .map(|p| p as u8)
}

impl EvidenceBundle {
    /// Encode to the binary layout in the module documentation.
    pub fn to_bytes(&self) -> Vec<u8> {
        let image_len = self.image.as_ref().map_or(0, Vec::len);
        let mut out = Vec::with_capacity(self.manifest.len() + image_len + 256);
        out.extend_from_slice(BUNDLE_MAGIC);
        out.extend_from_slice(&BUNDLE_VERSION.to_be_bytes());
        let put = |out: &mut Vec<u8>, tag: [u8; 4], payload: &[u8]| {
            out.extend_from_slice(&tag);
            out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
            out.extend_from_slice(payload);
        };
        put(&mut out, TAG_MANIFEST, &self.manifest);
        put(&mut out, TAG_SIGNATURE, &self.signature.0);
        if let Some(i) = &self.image {
            put(&mut out, TAG_IMAGE, i);
        }
        if let Some(r) = &self.receipt {
            put(&mut out, TAG_RECEIPT, r);
        }
        if let Some(p) = &self.log_proof {
            put(&mut out, TAG_LOG_PROOF, p);
        }
        let digest = sha256(&out);
        put(&mut out, TAG_END, &digest.0);
        out
    }

    /// Parse and check the layout and checksum. Never panics; allocates at most the input's size.
    pub fn from_bytes(bytes: &[u8]) -> Result<EvidenceBundle, BundleError> {
        if bytes.len() < 10 {
            return Err(if bytes.len() >= 8 && &bytes[..8] == BUNDLE_MAGIC {
                BundleError::Truncated("header".into())
            } else {
                BundleError::BadMagic
            });
        }
        if &bytes[..8] != BUNDLE_MAGIC {
            return Err(BundleError::BadMagic);
        }
        let version = u16::from_be_bytes([bytes[8], bytes[9]]);
        if version != BUNDLE_VERSION {
            return Err(BundleError::UnsupportedVersion(version));
        }
        let mut pos = 10usize;
        let mut last_rank: Option<u8> = None;
        let mut manifest = None;
        let mut signature = None;
        let mut image = None;
        let mut receipt = None;
        let mut log_proof = None;
        loop {
            let header = bytes
                .get(pos..pos + 12)
                .ok_or_else(|| BundleError::Truncated("section header".into()))?;
            let mut tag = [0u8; 4];
            tag.copy_from_slice(&header[..4]);
            let mut len_bytes = [0u8; 8];
            len_bytes.copy_from_slice(&header[4..12]);
            let len = u64::from_be_bytes(len_bytes);
            let name = tag_name(&tag);
            let r = rank(tag).ok_or_else(|| BundleError::UnexpectedSection(name.clone()))?;
            if last_rank.is_some_and(|l| r <= l) {
                return Err(BundleError::UnexpectedSection(name));
            }
            last_rank = Some(r);
            let limit = limit_for(tag).unwrap_or(0);
            if len > limit {
                return Err(BundleError::SectionTooLarge {
                    tag: name,
                    len,
                    limit,
                });
            }
            let start = pos + 12;
            let remaining = (bytes.len() - start) as u64;
            if len > remaining {
                return Err(BundleError::Truncated(name));
            }
            let end = start + len as usize;
            let payload = &bytes[start..end];
            match tag {
                TAG_MANIFEST => manifest = Some(payload.to_vec()),
                TAG_SIGNATURE => {
                    let mut s = [0u8; 64];
                    if payload.len() != 64 {
                        return Err(BundleError::Truncated(name));
                    }
                    s.copy_from_slice(payload);
                    signature = Some(SignatureBytes(s));
                }
                TAG_IMAGE => image = Some(payload.to_vec()),
                TAG_RECEIPT => receipt = Some(payload.to_vec()),
                TAG_LOG_PROOF => log_proof = Some(payload.to_vec()),
                _ => {
                    // END.
                    if payload.len() != 32 {
                        return Err(BundleError::Truncated(name));
                    }
                    // Under the fuzzer the checksum is not enforced, so that it can explore
                    // the parser behind it (a random input never has a valid checksum).
                    if !cfg!(fuzzing) && sha256(&bytes[..pos]).0 != payload {
                        return Err(BundleError::ChecksumMismatch);
                    }
                    if end != bytes.len() {
                        return Err(BundleError::TrailingBytes(bytes.len() - end));
                    }
                    break;
                }
            }
            pos = end;
        }
        Ok(EvidenceBundle {
            manifest: manifest.ok_or_else(|| BundleError::MissingSection("MANI".into()))?,
            signature: signature.ok_or_else(|| BundleError::MissingSection("SIGN".into()))?,
            image,
            receipt,
            log_proof,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EvidenceBundle {
        EvidenceBundle {
            manifest: br#"{"a":1}"#.to_vec(),
            signature: SignatureBytes([7; 64]),
            image: Some(vec![0xff, 0xd8, 0xff, 0xd9]),
            receipt: None,
            log_proof: None,
        }
    }

    #[test]
    fn round_trip() {
        let b = sample();
        assert_eq!(EvidenceBundle::from_bytes(&b.to_bytes()), Ok(b));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample().to_bytes();
        for cut in 0..bytes.len() {
            assert!(
                EvidenceBundle::from_bytes(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn every_flipped_byte_is_an_error() {
        let bytes = sample().to_bytes();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(EvidenceBundle::from_bytes(&b).is_err(), "flip at {i}");
        }
    }

    #[test]
    fn huge_declared_length_does_not_allocate() {
        let mut b = BUNDLE_MAGIC.to_vec();
        b.extend_from_slice(&1u16.to_be_bytes());
        b.extend_from_slice(b"IMAG");
        b.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(
            EvidenceBundle::from_bytes(&b),
            Err(BundleError::UnexpectedSection(_) | BundleError::SectionTooLarge { .. })
        ));
    }
}
