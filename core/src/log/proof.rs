//! C2SP tlog-proof (https://c2sp.org/tlog-proof), `c2sp.org/tlog-proof@v1`: an offline proof that
//! an entry is in the log, as one text file (`.tlog-proof`).
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64>            (optional, unauthenticated)
//! index <decimal>
//! <base64 hash>             (zero or more: the RFC 6962 inclusion proof, leaf's sibling first)
//!
//! <the signed checkpoint, verbatim, with its cosignatures>
//! ```
//!
//! [`TlogProof::parse`] is strict and bounded ([`MAX_TLOG_PROOF_BYTES`], at most
//! [`MAX_PROOF_HASHES`] hashes, canonical base64 and decimals) and never panics; [`TlogProof::to_text`]
//! writes the one form `parse` accepts. [`TlogProof::verify`] checks, against a [`LogPolicy`] (the
//! log's origin, its keys, the witnesses' keys and how many must have cosigned), that the checkpoint
//! is the log's and signed by it, that every cosignature by a listed witness verifies and at least
//! the threshold of them are present, and that the leaf hash is at `index` in the checkpoint's tree.
//!
//! Pure: no I/O, no clock.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::log::checkpoint::{Checkpoint, CheckpointError, MAX_CHECKPOINT_NOTE_BYTES};
use crate::log::cosignature::{
    CosignatureError, CosignatureVerifier, VerifiedCosignature, open_cosigned_checkpoint,
};
use crate::log::merkle::{Hash, MAX_PROOF_HASHES, ProofError, leaf_hash, verify_inclusion};
use crate::note::Verifier;

/// The first line of every v1 proof.
pub const TLOG_PROOF_V1: &str = "c2sp.org/tlog-proof@v1";

/// Largest opaque extra data accepted, in bytes (before base64).
pub const MAX_EXTRA_BYTES: usize = 4096;

/// Largest proof text accepted: the checkpoint's own limit plus the header, the extra line and a
/// full inclusion proof.
pub const MAX_TLOG_PROOF_BYTES: usize =
    MAX_CHECKPOINT_NOTE_BYTES + 64 + MAX_EXTRA_BYTES * 4 / 3 + 16 + MAX_PROOF_HASHES * 45;

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlogProofError {
    #[error("the proof is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the proof is not valid UTF-8")]
    NotUtf8,
    #[error("tlog-proof line {line} is malformed: {reason}")]
    Malformed { line: usize, reason: &'static str },
    #[error("the inclusion proof has more than {MAX_PROOF_HASHES} hashes")]
    TooManyHashes,
    #[error("the extra data is {0} bytes, more than the limit of {MAX_EXTRA_BYTES}")]
    ExtraTooLarge(usize),
    #[error("the proof's checkpoint is not signed by the log: {0}")]
    Checkpoint(CheckpointError),
    #[error("the proof's checkpoint carries a bad cosignature: {0}")]
    Cosignature(CosignatureError),
    #[error("the checkpoint is for the log {found:?}, not {expected:?}")]
    WrongOrigin { expected: String, found: String },
    #[error("the checkpoint is of the empty tree (size 0): it contains no entry")]
    EmptyTree,
    #[error("index {index} is not in the checkpoint's tree of {size} entries")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error(
        "the inclusion proof does not lead from this leaf at index {index} to the root of the \
         checkpoint of size {size}"
    )]
    NotIncluded { index: u64, size: u64 },
    #[error(
        "the checkpoint has {verified} valid cosignature(s) from the {witnesses} trusted \
         witness(es); the policy needs {needed}"
    )]
    TooFewCosignatures {
        needed: usize,
        verified: usize,
        witnesses: usize,
    },
    #[error("the witness policy needs {needed} cosignatures but lists only {witnesses} witnesses")]
    UnsatisfiablePolicy { needed: usize, witnesses: usize },
}

/// What a proof is checked against: the log's origin and keys, and the witnesses (k of n).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPolicy {
    /// The log's origin (the checkpoint's first line).
    pub origin: String,
    /// The log's checkpoint keys (one must have signed).
    pub log_keys: Vec<Verifier>,
    /// The trusted witnesses' cosigner keys.
    pub witnesses: Vec<CosignatureVerifier>,
    /// How many distinct listed witnesses must have cosigned (0: none required).
    pub witness_threshold: usize,
}

impl LogPolicy {
    /// A policy; refused when the threshold exceeds the number of witnesses.
    pub fn new(
        origin: &str,
        log_keys: Vec<Verifier>,
        witnesses: Vec<CosignatureVerifier>,
        witness_threshold: usize,
    ) -> Result<Self, TlogProofError> {
        let policy = Self {
            origin: origin.to_string(),
            log_keys,
            witnesses,
            witness_threshold,
        };
        policy.check()?;
        Ok(policy)
    }

    /// The policy of one log key whose name is the origin (the project's convention).
    pub fn for_log_key(
        log_key: Verifier,
        witnesses: Vec<CosignatureVerifier>,
        witness_threshold: usize,
    ) -> Result<Self, TlogProofError> {
        let origin = log_key.name.clone();
        Self::new(&origin, vec![log_key], witnesses, witness_threshold)
    }

    fn check(&self) -> Result<(), TlogProofError> {
        if self.witness_threshold > self.witnesses.len() {
            return Err(TlogProofError::UnsatisfiablePolicy {
                needed: self.witness_threshold,
                witnesses: self.witnesses.len(),
            });
        }
        Ok(())
    }
}

/// A parsed `c2sp.org/tlog-proof@v1`.
#[derive(Debug, Clone, PartialEq)]
pub struct TlogProof {
    /// Opaque, unauthenticated extra data (the `extra` line), if any.
    pub extra: Option<Vec<u8>>,
    /// The entry's zero-based index.
    pub index: u64,
    /// The inclusion proof, leaf's sibling first.
    pub hashes: Vec<Hash>,
    /// The signed checkpoint note, verbatim (body, blank line, signature lines).
    pub checkpoint: String,
}

/// What a verified proof established.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedProof {
    /// The checkpoint the leaf is included in.
    pub checkpoint: Checkpoint,
    /// The leaf's index.
    pub index: u64,
    /// The listed witnesses whose cosignatures verified, each once.
    pub cosignatures: Vec<VerifiedCosignature>,
}

fn malformed(line: usize, reason: &'static str) -> TlogProofError {
    TlogProofError::Malformed { line, reason }
}

fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

impl TlogProof {
    /// A proof without extra data.
    pub fn new(index: u64, hashes: Vec<Hash>, checkpoint: String) -> Self {
        Self {
            extra: None,
            index,
            hashes,
            checkpoint,
        }
    }

    /// The proof's text (the one form [`Self::parse`] accepts for it).
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(
            TLOG_PROOF_V1.len() + 32 + self.hashes.len() * 45 + self.checkpoint.len(),
        );
        out.push_str(TLOG_PROOF_V1);
        out.push('\n');
        if let Some(extra) = &self.extra {
            out.push_str("extra ");
            out.push_str(&B64.encode(extra));
            out.push('\n');
        }
        out.push_str("index ");
        out.push_str(&self.index.to_string());
        out.push('\n');
        for h in &self.hashes {
            out.push_str(&B64.encode(h.0));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Parse a proof strictly. The checkpoint is kept verbatim; it is opened by [`Self::verify`].
    pub fn parse(bytes: &[u8]) -> Result<Self, TlogProofError> {
        if bytes.len() > MAX_TLOG_PROOF_BYTES {
            return Err(TlogProofError::TooLarge {
                size: bytes.len(),
                limit: MAX_TLOG_PROOF_BYTES,
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| TlogProofError::NotUtf8)?;
        let mut rest = text;
        let mut line_no = 0usize;
        let mut next_line = |rest: &mut &str| -> Result<(usize, String), TlogProofError> {
            line_no += 1;
            let (line, tail) = rest
                .split_once('\n')
                .ok_or(malformed(line_no, "missing newline"))?;
            let line = line.to_string();
            *rest = tail;
            Ok((line_no, line))
        };

        let (n, first) = next_line(&mut rest)?;
        if first != TLOG_PROOF_V1 {
            return Err(malformed(
                n,
                "the first line must be c2sp.org/tlog-proof@v1",
            ));
        }
        let (mut n, mut line) = next_line(&mut rest)?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            let raw = B64
                .decode(b64)
                .map_err(|_| malformed(n, "the extra data is not standard base64"))?;
            if raw.is_empty() || B64.encode(&raw) != b64 {
                return Err(malformed(n, "the extra data is not canonical base64"));
            }
            if raw.len() > MAX_EXTRA_BYTES {
                return Err(TlogProofError::ExtraTooLarge(raw.len()));
            }
            extra = Some(raw);
            (n, line) = next_line(&mut rest)?;
        }
        let index = line
            .strip_prefix("index ")
            .ok_or(malformed(n, "expected `index <decimal>`"))?;
        let index = parse_decimal(index).ok_or(malformed(
            n,
            "the index must be a decimal without leading zeros that fits 64 bits",
        ))?;
        let mut hashes = Vec::new();
        loop {
            let (n, line) = next_line(&mut rest)?;
            if line.is_empty() {
                break;
            }
            if hashes.len() == MAX_PROOF_HASHES {
                return Err(TlogProofError::TooManyHashes);
            }
            let raw = B64
                .decode(&line)
                .map_err(|_| malformed(n, "a proof line is not base64"))?;
            let hash: [u8; 32] = raw
                .try_into()
                .map_err(|_| malformed(n, "a proof line is not a 32-byte hash"))?;
            if B64.encode(hash) != line {
                return Err(malformed(n, "a proof line is not canonical base64"));
            }
            hashes.push(Hash(hash));
        }
        if rest.is_empty() {
            return Err(malformed(line_no + 1, "the checkpoint is missing"));
        }
        Ok(Self {
            extra,
            index,
            hashes,
            checkpoint: rest.to_string(),
        })
    }

    /// Verify that the leaf whose Merkle leaf hash is `leaf` is at [`Self::index`] in the log,
    /// under `policy`. Checks, in order: the policy, the checkpoint's log signature and its
    /// listed witnesses' cosignatures (a listed witness's bad line refuses the proof), the origin,
    /// the tree size and index, the inclusion proof, then the number of cosignatures.
    pub fn verify(&self, leaf: Hash, policy: &LogPolicy) -> Result<VerifiedProof, TlogProofError> {
        policy.check()?;
        let opened = open_cosigned_checkpoint(
            self.checkpoint.as_bytes(),
            &policy.log_keys,
            &policy.witnesses,
        )
        .map_err(|e| match e {
            CosignatureError::Checkpoint(e) => TlogProofError::Checkpoint(e),
            e => TlogProofError::Cosignature(e),
        })?;
        let checkpoint = opened.signed.checkpoint;
        if checkpoint.origin != policy.origin {
            return Err(TlogProofError::WrongOrigin {
                expected: policy.origin.clone(),
                found: checkpoint.origin,
            });
        }
        self.check_tree(leaf, &checkpoint)?;
        if opened.cosignatures.len() < policy.witness_threshold {
            return Err(TlogProofError::TooFewCosignatures {
                needed: policy.witness_threshold,
                verified: opened.cosignatures.len(),
                witnesses: policy.witnesses.len(),
            });
        }
        Ok(VerifiedProof {
            checkpoint,
            index: self.index,
            cosignatures: opened.cosignatures,
        })
    }

    /// The checkpoint body, read **without checking any signature** (to show what a proof
    /// claims when no log key is at hand, or to pick the keys to check it with).
    pub fn unverified_checkpoint(&self) -> Result<Checkpoint, TlogProofError> {
        let end = self
            .checkpoint
            .find("\n\n")
            .ok_or(TlogProofError::Checkpoint(CheckpointError::Malformed))?;
        Checkpoint::parse_body(&self.checkpoint[..end + 1]).map_err(TlogProofError::Checkpoint)
    }

    /// The Merkle part of [`Self::verify`] alone: the leaf is at [`Self::index`] in the tree the
    /// checkpoint names. **No signature is checked**: this says the proof is coherent, not that
    /// the log published that tree.
    pub fn check_inclusion_unsigned(&self, leaf: Hash) -> Result<Checkpoint, TlogProofError> {
        let checkpoint = self.unverified_checkpoint()?;
        self.check_tree(leaf, &checkpoint)?;
        Ok(checkpoint)
    }

    fn check_tree(&self, leaf: Hash, checkpoint: &Checkpoint) -> Result<(), TlogProofError> {
        if checkpoint.size == 0 {
            return Err(TlogProofError::EmptyTree);
        }
        if self.index >= checkpoint.size {
            return Err(TlogProofError::IndexOutOfRange {
                index: self.index,
                size: checkpoint.size,
            });
        }
        verify_inclusion(
            &self.hashes,
            self.index,
            checkpoint.size,
            leaf,
            checkpoint.root,
        )
        .map_err(|e| match e {
            ProofError::TooLong { .. } => TlogProofError::TooManyHashes,
            _ => TlogProofError::NotIncluded {
                index: self.index,
                size: checkpoint.size,
            },
        })
    }

    /// [`Self::verify`] for the leaf's bytes (its leaf hash is computed here).
    pub fn verify_leaf(
        &self,
        leaf_bytes: &[u8],
        policy: &LogPolicy,
    ) -> Result<VerifiedProof, TlogProofError> {
        self.verify(leaf_hash(leaf_bytes), policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DeviceKey;
    use crate::log::cosignature::Cosigner;
    use crate::log::merkle::MemoryHashStore;
    use crate::note::Signer;

    const ORIGIN: &str = "tallyseal.example/log";

    struct Fixture {
        store: MemoryHashStore,
        log: Signer,
        witnesses: Vec<Cosigner>,
    }

    fn fixture(leaves: u8) -> Fixture {
        let mut store = MemoryHashStore::new();
        for i in 0..leaves {
            store.append(&[i]).unwrap();
        }
        let log = Signer::new(ORIGIN, DeviceKey::from_seed(&[1; 32])).unwrap();
        let witnesses = (0..3u8)
            .map(|i| {
                Cosigner::new(
                    &format!("w{i}.example"),
                    DeviceKey::from_seed(&[10 + i; 32]),
                )
                .unwrap()
            })
            .collect();
        Fixture {
            store,
            log,
            witnesses,
        }
    }

    impl Fixture {
        /// A checkpoint of the whole tree cosigned by the first `cosigners` witnesses.
        fn checkpoint(&self, cosigners: usize) -> String {
            let cp = Checkpoint::new(ORIGIN, self.store.size(), self.store.root().unwrap());
            let mut note = cp.sign(&self.log).unwrap();
            for w in &self.witnesses[..cosigners] {
                note.push_str(&w.cosign(&cp.body().unwrap(), 1_707_300_000).unwrap());
            }
            note
        }

        fn proof(&self, index: u64, cosigners: usize) -> TlogProof {
            let hashes = self
                .store
                .inclusion_proof(index, self.store.size())
                .unwrap();
            TlogProof::new(index, hashes, self.checkpoint(cosigners))
        }

        fn policy(&self, threshold: usize) -> LogPolicy {
            LogPolicy::for_log_key(
                self.log.verifier(),
                self.witnesses.iter().map(Cosigner::verifier).collect(),
                threshold,
            )
            .unwrap()
        }
    }

    #[test]
    fn round_trip_and_verify_every_leaf() {
        let f = fixture(13);
        for i in 0..13u8 {
            let mut proof = f.proof(u64::from(i), 2);
            if i == 5 {
                proof.extra = Some(b"manifest".to_vec());
            }
            let text = proof.to_text();
            let parsed = TlogProof::parse(text.as_bytes()).unwrap();
            assert_eq!(parsed, proof);
            assert_eq!(parsed.to_text(), text);
            let ok = parsed.verify_leaf(&[i], &f.policy(2)).unwrap();
            assert_eq!(ok.index, u64::from(i));
            assert_eq!(ok.checkpoint.size, 13);
            assert_eq!(ok.cosignatures.len(), 2);
        }
    }

    #[test]
    fn text_form_matches_the_spec_layout() {
        let f = fixture(3);
        let mut proof = f.proof(2, 0);
        proof.extra = Some(b"hi".to_vec());
        let text = proof.to_text();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("c2sp.org/tlog-proof@v1"));
        assert_eq!(lines.next(), Some("extra aGk="));
        assert_eq!(lines.next(), Some("index 2"));
        assert_eq!(lines.next().map(str::len), Some(44));
        assert_eq!(lines.next(), Some(""));
        assert_eq!(lines.next(), Some(ORIGIN));
    }

    #[test]
    fn a_single_leaf_tree_has_an_empty_proof() {
        let f = fixture(1);
        let proof = f.proof(0, 1);
        assert!(proof.hashes.is_empty());
        let parsed = TlogProof::parse(proof.to_text().as_bytes()).unwrap();
        parsed.verify_leaf(&[0], &f.policy(1)).unwrap();
    }

    #[test]
    fn wrong_leaf_changed_hash_and_wrong_index_are_not_included() {
        let f = fixture(9);
        let proof = f.proof(4, 1);
        let policy = f.policy(1);
        assert_eq!(
            proof.verify_leaf(&[5], &policy),
            Err(TlogProofError::NotIncluded { index: 4, size: 9 })
        );
        let mut changed = proof.clone();
        changed.hashes[1].0[7] ^= 1;
        assert_eq!(
            changed.verify_leaf(&[4], &policy),
            Err(TlogProofError::NotIncluded { index: 4, size: 9 })
        );
        let mut moved = proof.clone();
        moved.index = 5;
        assert_eq!(
            moved.verify_leaf(&[4], &policy),
            Err(TlogProofError::NotIncluded { index: 5, size: 9 })
        );
        let mut short = proof.clone();
        short.hashes.pop();
        assert!(matches!(
            short.verify_leaf(&[4], &policy),
            Err(TlogProofError::NotIncluded { .. })
        ));
        let mut beyond = proof;
        beyond.index = 9;
        assert_eq!(
            beyond.verify_leaf(&[4], &policy),
            Err(TlogProofError::IndexOutOfRange { index: 9, size: 9 })
        );
    }

    #[test]
    fn the_empty_tree_contains_nothing() {
        let f = fixture(0);
        let proof = TlogProof::new(0, Vec::new(), f.checkpoint(1));
        assert_eq!(
            proof.verify_leaf(&[0], &f.policy(1)),
            Err(TlogProofError::EmptyTree)
        );
    }

    #[test]
    fn signatures_origin_and_cosignature_policy() {
        let f = fixture(4);
        let proof = f.proof(3, 1);
        // Another log key.
        let other = Signer::new(ORIGIN, DeviceKey::from_seed(&[2; 32])).unwrap();
        let policy = LogPolicy::for_log_key(other.verifier(), Vec::new(), 0).unwrap();
        assert!(matches!(
            proof.verify_leaf(&[3], &policy),
            Err(TlogProofError::Checkpoint(_))
        ));
        // A changed checkpoint body: the log signature fails.
        let mut forged = proof.clone();
        let root = f.store.root().unwrap();
        let other_root = leaf_hash(b"forged");
        forged.checkpoint = forged
            .checkpoint
            .replace(&root.to_string(), &other_root.to_string());
        assert!(matches!(
            forged.verify_leaf(&[3], &f.policy(0)),
            Err(TlogProofError::Checkpoint(CheckpointError::Note(_)))
        ));
        // Another origin, same key.
        let policy =
            LogPolicy::new("other.example/log", vec![f.log.verifier()], Vec::new(), 0).unwrap();
        assert_eq!(
            proof.verify_leaf(&[3], &policy),
            Err(TlogProofError::WrongOrigin {
                expected: "other.example/log".into(),
                found: ORIGIN.into()
            })
        );
        // Too few cosignatures.
        assert_eq!(
            proof.verify_leaf(&[3], &f.policy(2)),
            Err(TlogProofError::TooFewCosignatures {
                needed: 2,
                verified: 1,
                witnesses: 3
            })
        );
        // A cosignature by a witness outside the policy does not count.
        let only_third =
            LogPolicy::for_log_key(f.log.verifier(), vec![f.witnesses[2].verifier()], 1).unwrap();
        assert!(matches!(
            proof.verify_leaf(&[3], &only_third),
            Err(TlogProofError::TooFewCosignatures { verified: 0, .. })
        ));
        // A listed witness's line that does not verify refuses the proof.
        let cp = Checkpoint::new(ORIGIN, 3, f.store.root_at(3).unwrap());
        let stale = f.witnesses[1]
            .cosign(&cp.body().unwrap(), 1_707_300_000)
            .unwrap();
        let mut bad = proof.clone();
        bad.checkpoint.push_str(&stale);
        assert!(matches!(
            bad.verify_leaf(&[3], &f.policy(1)),
            Err(TlogProofError::Cosignature(
                CosignatureError::InvalidCosignature { .. }
            ))
        ));
        // An impossible policy.
        assert_eq!(
            LogPolicy::for_log_key(f.log.verifier(), Vec::new(), 1),
            Err(TlogProofError::UnsatisfiablePolicy {
                needed: 1,
                witnesses: 0
            })
        );
    }

    #[test]
    fn malformed_text_is_refused() {
        let f = fixture(5);
        let good = f.proof(1, 0).to_text();
        let cases: Vec<(String, &str)> = vec![
            (good.replacen("@v1", "@v2", 1), "first line"),
            (good.replacen("index 1", "index 01", 1), "leading zero"),
            (good.replacen("index 1", "index -1", 1), "negative"),
            (good.replacen("index 1", "index  1", 1), "two spaces"),
            (good.replacen("index 1", "index 1 ", 1), "trailing space"),
            (good.replacen("index 1", "idx 1", 1), "no index"),
            (
                good.replacen("index 1", "index 18446744073709551616", 1),
                "overflow",
            ),
            (
                good.replacen("index 1\n", "index 1\nAAAA\n", 1),
                "short hash",
            ),
            (
                good.replacen("index 1\n", "index 1\n!!!!\n", 1),
                "not base64",
            ),
            (
                good.replacen("index 1\n", "extra \nindex 1\n", 1),
                "empty extra",
            ),
            (
                good.replacen("index 1\n", "index 1\nindex 1\n", 1),
                "second index",
            ),
            (
                good.split("\n\n").next().unwrap().to_string(),
                "no checkpoint",
            ),
            (format!("{TLOG_PROOF_V1}\nindex 1\n\n"), "empty checkpoint"),
            (TLOG_PROOF_V1.to_string(), "no newline"),
            (String::new(), "empty"),
            (good.replace('\n', "\r\n"), "CRLF"),
        ];
        for (bad, why) in cases {
            assert!(TlogProof::parse(bad.as_bytes()).is_err(), "{why}");
        }
        // A hash line with non-canonical base64 padding bits.
        let line = good.lines().nth(2).unwrap().to_string();
        let mut chars: Vec<char> = line.chars().collect();
        let last = chars.len() - 2;
        chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
        let noncanon: String = chars.into_iter().collect();
        if B64
            .decode(&noncanon)
            .is_ok_and(|r| B64.encode(r) != noncanon)
        {
            assert!(TlogProof::parse(good.replacen(&line, &noncanon, 1).as_bytes()).is_err());
        }
        assert!(matches!(
            TlogProof::parse(&[0xff, b'\n']),
            Err(TlogProofError::NotUtf8)
        ));
        let huge = vec![b'a'; MAX_TLOG_PROOF_BYTES + 1];
        assert!(matches!(
            TlogProof::parse(&huge),
            Err(TlogProofError::TooLarge { .. })
        ));
        let many = format!(
            "{TLOG_PROOF_V1}\nindex 0\n{}\n{}",
            format!("{}\n", leaf_hash(b"x")).repeat(MAX_PROOF_HASHES + 1),
            f.checkpoint(0)
        );
        assert_eq!(
            TlogProof::parse(many.as_bytes()),
            Err(TlogProofError::TooManyHashes)
        );
        let big_extra = format!(
            "{TLOG_PROOF_V1}\nextra {}\nindex 0\n\n{}",
            B64.encode(vec![0u8; MAX_EXTRA_BYTES + 1]),
            f.checkpoint(0)
        );
        assert_eq!(
            TlogProof::parse(big_extra.as_bytes()),
            Err(TlogProofError::ExtraTooLarge(MAX_EXTRA_BYTES + 1))
        );
    }
}
