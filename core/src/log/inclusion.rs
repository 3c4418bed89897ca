//! A capture's place in the log: one leaf and the C2SP tlog-proof of its inclusion, kept together.
//!
//! This is the payload of the evidence bundle's `LOGP` section (`docs/bundle.md`): the canonical
//! JSON ([`crate::canonical`]) of `{"leaf": <leaf text>, "proof": <tlog-proof text>}`, both strings
//! exactly as the log published them. The same pair arrives in a capture's status
//! ([`crate::wire::LogInclusion`], with the leaf index beside it). Parsing is strict: canonical
//! bytes, a v1 leaf ([`crate::log::leaf`]), a well-formed proof ([`crate::log::proof`]).
//!
//! What a leaf says about a capture: `manifest_received` and `image_verified` leaves name its
//! manifest hash ([`LogInclusionProof::manifest_hash`]). Verifying the proof against the log's keys
//! and witnesses is [`TlogProof::verify`]'s; the checks a verifier makes on a bundle are in
//! [`crate::verify`].
//!
//! Pure: no I/O.

use serde::{Deserialize, Serialize};

use crate::canonical::{self, CanonicalError};
use crate::hash::Sha256Digest;
use crate::log::leaf::{LeafBody, LeafError, LogEvent};
use crate::log::merkle::{Hash, leaf_hash};
use crate::log::proof::{LogPolicy, TlogProof, TlogProofError, VerifiedProof};
use crate::wire::LogInclusion;

/// Why a log section could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InclusionError {
    #[error("the log section is not canonical JSON with the fields leaf and proof: {0}")]
    Json(#[from] CanonicalError),
    #[error("the log section's leaf: {0}")]
    Leaf(#[from] LeafError),
    #[error("the log section's proof: {0}")]
    Proof(#[from] TlogProofError),
    #[error("the leaf index {stated} differs from the proof's index {proof}")]
    IndexMismatch { stated: u64, proof: u64 },
}

/// A leaf and its proof.
#[derive(Debug, Clone, PartialEq)]
pub struct LogInclusionProof {
    /// The leaf's exact bytes.
    pub leaf: Vec<u8>,
    /// Its tlog-proof.
    pub proof: TlogProof,
}

/// The JSON shape of the section.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    leaf: String,
    proof: String,
}

impl LogInclusionProof {
    /// A leaf (checked to be a v1 leaf) and its proof.
    pub fn new(leaf: Vec<u8>, proof: TlogProof) -> Result<Self, InclusionError> {
        LeafBody::from_leaf_bytes(&leaf)?;
        Ok(Self { leaf, proof })
    }

    /// The section's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, InclusionError> {
        let leaf = std::str::from_utf8(&self.leaf).map_err(|_| {
            InclusionError::Leaf(LeafError::Json(CanonicalError::Syntax(
                "the leaf is not UTF-8".into(),
            )))
        })?;
        Ok(canonical::to_canonical_bytes(&Section {
            leaf: leaf.to_string(),
            proof: self.proof.to_text(),
        })?)
    }

    /// Read a section (strictly: canonical JSON, a v1 leaf, a well-formed proof).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, InclusionError> {
        let section: Section = canonical::from_canonical_bytes(bytes)?;
        let proof = TlogProof::parse(section.proof.as_bytes())?;
        Self::new(section.leaf.into_bytes(), proof)
    }

    /// From a capture's status, which states the leaf index beside the proof: they must agree.
    pub fn from_wire(wire: &LogInclusion) -> Result<Self, InclusionError> {
        let proof = TlogProof::parse(wire.proof.as_bytes())?;
        if proof.index != wire.leaf_index {
            return Err(InclusionError::IndexMismatch {
                stated: wire.leaf_index,
                proof: proof.index,
            });
        }
        Self::new(wire.leaf.clone().into_bytes(), proof)
    }

    /// As a capture's status carries it.
    pub fn to_wire(&self) -> LogInclusion {
        LogInclusion {
            leaf_index: self.proof.index,
            leaf: String::from_utf8_lossy(&self.leaf).into_owned(),
            proof: self.proof.to_text(),
        }
    }

    /// The leaf's index in the log.
    pub fn index(&self) -> u64 {
        self.proof.index
    }

    /// The leaf's Merkle leaf hash.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.leaf)
    }

    /// The parsed leaf.
    pub fn leaf_body(&self) -> Result<LeafBody, LeafError> {
        LeafBody::from_leaf_bytes(&self.leaf)
    }

    /// The capture the leaf is about, for the leaves that name one.
    pub fn manifest_hash(&self) -> Option<Sha256Digest> {
        match self.leaf_body().ok()?.event {
            LogEvent::ManifestReceived { manifest_hash, .. }
            | LogEvent::ImageVerified { manifest_hash, .. } => Some(manifest_hash),
            _ => None,
        }
    }

    /// Verify the proof for this leaf under `policy` ([`TlogProof::verify`]).
    pub fn verify(&self, policy: &LogPolicy) -> Result<VerifiedProof, TlogProofError> {
        self.proof.verify(self.leaf_hash(), policy)
    }

    /// Whether `other` is a later word on the same capture than `self`: a later leaf, or the same
    /// leaf proved in a larger tree (or, same size, with a different checkpoint text, e.g. more
    /// cosignatures). A phone keeps only the newest.
    pub fn is_superseded_by(&self, other: &LogInclusionProof) -> bool {
        let size = |p: &LogInclusionProof| p.proof.unverified_checkpoint().map_or(0, |c| c.size);
        match other.index().cmp(&self.index()) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => {
                let (mine, theirs) = (size(self), size(other));
                theirs > mine
                    || (theirs == mine
                        && other.proof.checkpoint.len() > self.proof.checkpoint.len())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DeviceKey;
    use crate::log::checkpoint::Checkpoint;
    use crate::log::cosignature::Cosigner;
    use crate::log::merkle::MemoryHashStore;
    use crate::note::Signer;

    fn leaf(n: u8) -> Vec<u8> {
        LeafBody {
            event: LogEvent::ManifestReceived {
                manifest_hash: crate::hash::sha256(&[n]),
                received_at_ms: 1_707_300_000_000 + i64::from(n),
            },
            logged_at_ms: 1_707_300_000_000 + i64::from(n),
        }
        .to_leaf_bytes()
        .unwrap()
    }

    fn inclusion(n: u8, size: u8, cosigned: bool) -> (LogInclusionProof, Signer) {
        let mut store = MemoryHashStore::new();
        for i in 0..size {
            store.append(&leaf(i)).unwrap();
        }
        let log = Signer::new("tallyseal.example/log", DeviceKey::from_seed(&[1; 32])).unwrap();
        let cp = Checkpoint::new("tallyseal.example/log", store.size(), store.root().unwrap());
        let mut note = cp.sign(&log).unwrap();
        if cosigned {
            let w = Cosigner::new("w.example", DeviceKey::from_seed(&[2; 32])).unwrap();
            note.push_str(&w.cosign(&cp.body().unwrap(), 1).unwrap());
        }
        let hashes = store.inclusion_proof(u64::from(n), store.size()).unwrap();
        let proof = TlogProof::new(u64::from(n), hashes, note);
        (LogInclusionProof::new(leaf(n), proof).unwrap(), log)
    }

    #[test]
    fn section_round_trip_wire_and_manifest() {
        let (inc, log) = inclusion(2, 5, true);
        let bytes = inc.to_bytes().unwrap();
        assert_eq!(LogInclusionProof::from_bytes(&bytes).unwrap(), inc);
        assert_eq!(inc.manifest_hash(), Some(crate::hash::sha256(&[2])));
        let wire = inc.to_wire();
        assert_eq!(wire.leaf_index, 2);
        assert_eq!(LogInclusionProof::from_wire(&wire).unwrap(), inc);
        let mut lying = wire;
        lying.leaf_index = 3;
        assert_eq!(
            LogInclusionProof::from_wire(&lying),
            Err(InclusionError::IndexMismatch {
                stated: 3,
                proof: 2
            })
        );
        let policy = LogPolicy::for_log_key(log.verifier(), Vec::new(), 0).unwrap();
        inc.verify(&policy).unwrap();
        inc.proof.check_inclusion_unsigned(inc.leaf_hash()).unwrap();
        assert!(
            inc.proof
                .check_inclusion_unsigned(leaf_hash(&leaf(3)))
                .is_err()
        );
    }

    #[test]
    fn bad_sections_are_refused() {
        let (inc, _) = inclusion(0, 1, false);
        let text = String::from_utf8(inc.to_bytes().unwrap()).unwrap();
        assert!(LogInclusionProof::from_bytes(text.replacen('{', "{ ", 1).as_bytes()).is_err());
        assert!(
            LogInclusionProof::from_bytes(
                text.replacen("tallyseal-log-leaf/v1", "x", 1).as_bytes()
            )
            .is_err()
        );
        assert!(
            LogInclusionProof::from_bytes(
                text.replacen("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2", 1)
                    .as_bytes()
            )
            .is_err()
        );
        assert!(LogInclusionProof::from_bytes(b"{}").is_err());
        assert!(LogInclusionProof::new(b"not a leaf".to_vec(), inc.proof).is_err());
    }

    #[test]
    fn newer_inclusions_supersede_older_ones() {
        let (small, _) = inclusion(1, 3, false);
        let (bigger, _) = inclusion(1, 7, false);
        let (cosigned, _) = inclusion(1, 7, true);
        let (later_leaf, _) = inclusion(4, 5, false);
        assert!(small.is_superseded_by(&bigger));
        assert!(!bigger.is_superseded_by(&small));
        assert!(bigger.is_superseded_by(&cosigned));
        assert!(!cosigned.is_superseded_by(&bigger));
        assert!(bigger.is_superseded_by(&later_leaf));
        assert!(!later_leaf.is_superseded_by(&bigger));
        assert!(!small.is_superseded_by(&small));
    }
}
