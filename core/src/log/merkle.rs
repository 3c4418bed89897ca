//! RFC 6962 / RFC 9162 Merkle tree hashing and proofs, through the `tlog_tiles` crate.
//!
//! The arithmetic (leaf and node hashes, the stored-hash layout, proof construction and checking)
//! is `tlog_tiles`, Cloudflare's port of Go's `golang.org/x/mod/sumdb/tlog`. This module adds only
//! what the crate leaves to its caller:
//! - the edge cases RFC 9162 defines and Go's `CheckTree` refuses as "invalid input": a consistency
//!   proof from the empty tree (always consistent, the proof must be empty) and between equal sizes
//!   (the proof must be empty and the roots equal);
//! - a bound on proof length before any work is done, so untrusted proofs cost at most
//!   [`MAX_PROOF_HASHES`] hashes;
//! - [`MemoryHashStore`], an in-memory store of the tree's stored hashes that appends leaves and
//!   serves roots and proofs (the server will put the same stored hashes in its database).
//!
//! Nothing here does I/O or panics on input.

pub use tlog_tiles::{EMPTY_HASH, HASH_SIZE, Hash, HashReader};

/// What a [`HashReader`] returns when it does not hold a stored hash (`tlog_tiles::Error`).
pub use tlog_tiles::Error as HashReadError;

/// The most hashes an inclusion or consistency proof may have: a tree of at most 2^64 − 1 leaves
/// needs at most 64 for inclusion and 64 for consistency.
pub const MAX_PROOF_HASHES: usize = 64;

/// Why a proof was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error(
        "the new tree size {new_size} is smaller than the old size {old_size}: a log never shrinks"
    )]
    NewSmallerThanOld { old_size: u64, new_size: u64 },
    #[error("the proof has {len} hashes, more than the limit of {MAX_PROOF_HASHES}")]
    TooLong { len: usize },
    #[error("a consistency proof from the empty tree must be empty, but it has {len} hashes")]
    NonEmptyFromEmpty { len: usize },
    #[error("the trees have the same size {size}, so the proof must be empty and the roots equal")]
    SameSizeDifferentRoots { size: u64 },
    #[error("a proof between equal sizes must be empty, but it has {len} hashes")]
    NonEmptySameSize { len: usize },
    #[error("the inclusion proof does not lead to the tree's root")]
    InclusionMismatch,
    #[error("the consistency proof does not link the two roots")]
    ConsistencyMismatch,
    #[error("the hash store cannot answer: {0}")]
    Store(String),
}

/// The leaf hash of `data`: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    tlog_tiles::record_hash(data)
}

/// The interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: Hash, right: Hash) -> Hash {
    tlog_tiles::node_hash(left, right)
}

/// Parse a base64 (standard alphabet, padded) 32-byte hash.
pub fn parse_hash(text: &str) -> Option<Hash> {
    tlog_tiles::Hash::parse_hash(text).ok()
}

/// The base64 text of a hash (as in checkpoints and the witness protocol).
pub fn hash_to_base64(hash: &Hash) -> String {
    hash.to_string()
}

fn check_len(proof: &[Hash]) -> Result<(), ProofError> {
    if proof.len() > MAX_PROOF_HASHES {
        return Err(ProofError::TooLong { len: proof.len() });
    }
    Ok(())
}

/// Check that `leaf` is the leaf at `index` in the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    proof: &[Hash],
    index: u64,
    size: u64,
    leaf: Hash,
    root: Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    check_len(proof)?;
    tlog_tiles::check_record(&proof.to_vec(), size, root, index, leaf)
        .map_err(|_| ProofError::InclusionMismatch)
}

/// Check that the tree of `new_size` leaves with root `new_root` extends the tree of `old_size`
/// leaves with root `old_root` (RFC 9162 §2.1.4.2, including its empty-tree and equal-size cases).
pub fn verify_consistency(
    proof: &[Hash],
    old_size: u64,
    old_root: Hash,
    new_size: u64,
    new_root: Hash,
) -> Result<(), ProofError> {
    if new_size < old_size {
        return Err(ProofError::NewSmallerThanOld { old_size, new_size });
    }
    check_len(proof)?;
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::NonEmptySameSize { len: proof.len() });
        }
        if old_root != new_root {
            return Err(ProofError::SameSizeDifferentRoots { size: old_size });
        }
        return Ok(());
    }
    if old_size == 0 {
        if !proof.is_empty() {
            return Err(ProofError::NonEmptyFromEmpty { len: proof.len() });
        }
        return Ok(());
    }
    tlog_tiles::check_tree(&proof.to_vec(), new_size, new_root, old_size, old_root)
        .map_err(|_| ProofError::ConsistencyMismatch)
}

/// Where the hash of the subtree at `level` (0 = leaves) and index `n` within that level sits in
/// the stored-hash sequence (`tlog_tiles::stored_hash_index`).
pub fn stored_hash_index(level: u8, n: u64) -> u64 {
    tlog_tiles::stored_hash_index(level, n)
}

/// How many stored hashes a tree of `size` leaves has.
pub fn stored_hash_count(size: u64) -> u64 {
    tlog_tiles::stored_hash_count(size)
}

/// The stored hashes to append when the leaf with hash `leaf` becomes leaf `index`, reading
/// earlier stored hashes from `reader` (any store with the layout of [`MemoryHashStore`]).
pub fn stored_hashes_for_leaf<R: HashReader>(
    index: u64,
    leaf: Hash,
    reader: &R,
) -> Result<Vec<Hash>, ProofError> {
    tlog_tiles::stored_hashes_for_record_hash(index, leaf, reader)
        .map_err(|e| ProofError::Store(e.to_string()))
}

/// The root of the tree of `size` leaves, from the stored hashes in `reader`.
pub fn tree_root<R: HashReader>(size: u64, reader: &R) -> Result<Hash, ProofError> {
    tlog_tiles::tree_hash(size, reader).map_err(|e| ProofError::Store(e.to_string()))
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves, from `reader`.
pub fn prove_inclusion<R: HashReader>(
    index: u64,
    size: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    tlog_tiles::prove_record(size, index, reader).map_err(|e| ProofError::Store(e.to_string()))
}

/// The consistency proof from `old_size` to `new_size` leaves, from `reader` (empty when
/// `old_size` is 0 or equal to `new_size`).
pub fn prove_consistency<R: HashReader>(
    old_size: u64,
    new_size: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProofError> {
    if new_size < old_size {
        return Err(ProofError::NewSmallerThanOld { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    tlog_tiles::prove_tree(new_size, old_size, reader).map_err(|e| ProofError::Store(e.to_string()))
}

/// The stored hashes of a growing tree, in memory: appends leaves, gives roots and proofs.
///
/// The layout is `tlog_tiles`' (Crosby–Wallach stored-hash order, the same as Go's sumdb), so a
/// database table holding the same sequence can serve identical proofs.
#[derive(Debug, Clone, Default)]
pub struct MemoryHashStore {
    stored: Vec<Hash>,
    size: u64,
}

impl HashReader for MemoryHashStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.stored.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

impl MemoryHashStore {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many leaves the tree has.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Append the leaf whose data is `data`; returns its index.
    pub fn append(&mut self, data: &[u8]) -> Result<u64, ProofError> {
        self.append_leaf_hash(leaf_hash(data))
    }

    /// Append a leaf by its leaf hash; returns its index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, ProofError> {
        let index = self.size;
        let new = tlog_tiles::stored_hashes_for_record_hash(index, leaf, self)
            .map_err(|e| ProofError::Store(e.to_string()))?;
        self.stored.extend(new);
        self.size += 1;
        Ok(index)
    }

    /// The root of the tree of the first `size` leaves (`size` at most [`Self::size`]).
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        if size > self.size {
            return Err(ProofError::Store(format!(
                "the tree has {} leaves, not {size}",
                self.size
            )));
        }
        tlog_tiles::tree_hash(size, self).map_err(|e| ProofError::Store(e.to_string()))
    }

    /// The current root.
    pub fn root(&self) -> Result<Hash, ProofError> {
        self.root_at(self.size)
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        if size > self.size {
            return Err(ProofError::IndexOutOfRange {
                index: size - 1,
                size: self.size,
            });
        }
        tlog_tiles::prove_record(size, index, self).map_err(|e| ProofError::Store(e.to_string()))
    }

    /// The consistency proof from the first `old_size` leaves to the first `new_size` leaves
    /// (empty when `old_size` is 0 or equal to `new_size`).
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ProofError> {
        if new_size < old_size {
            return Err(ProofError::NewSmallerThanOld { old_size, new_size });
        }
        if new_size > self.size {
            return Err(ProofError::Store(format!(
                "the tree has {} leaves, not {new_size}",
                self.size
            )));
        }
        if old_size == 0 || old_size == new_size {
            return Ok(Vec::new());
        }
        tlog_tiles::prove_tree(new_size, old_size, self)
            .map_err(|e| ProofError::Store(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_tree_root_is_hash_of_nothing() {
        let store = MemoryHashStore::new();
        assert_eq!(store.root().unwrap(), EMPTY_HASH);
        assert_eq!(
            hex::encode(EMPTY_HASH.0),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn proofs_round_trip_for_every_pair_of_small_sizes() {
        let mut store = MemoryHashStore::new();
        for i in 0u32..40 {
            store.append(&i.to_be_bytes()).unwrap();
        }
        for new in 1..=40u64 {
            let new_root = store.root_at(new).unwrap();
            for idx in 0..new {
                let proof = store.inclusion_proof(idx, new).unwrap();
                let leaf = leaf_hash(&u32::try_from(idx).unwrap().to_be_bytes());
                verify_inclusion(&proof, idx, new, leaf, new_root).unwrap();
                assert_eq!(
                    verify_inclusion(&proof, idx, new, leaf_hash(b"other"), new_root),
                    Err(ProofError::InclusionMismatch)
                );
            }
            for old in 0..=new {
                let proof = store.consistency_proof(old, new).unwrap();
                let old_root = store.root_at(old).unwrap();
                verify_consistency(&proof, old, old_root, new, new_root).unwrap();
            }
        }
    }

    #[test]
    fn refusals_are_specific() {
        let mut store = MemoryHashStore::new();
        for i in 0u8..5 {
            store.append(&[i]).unwrap();
        }
        let r5 = store.root().unwrap();
        let r3 = store.root_at(3).unwrap();
        let p = store.consistency_proof(3, 5).unwrap();
        assert_eq!(
            verify_consistency(&p, 5, r5, 3, r3),
            Err(ProofError::NewSmallerThanOld {
                old_size: 5,
                new_size: 3
            })
        );
        assert_eq!(
            verify_consistency(&p, 0, EMPTY_HASH, 5, r5),
            Err(ProofError::NonEmptyFromEmpty { len: p.len() })
        );
        assert_eq!(
            verify_consistency(&[], 5, r5, 5, r3),
            Err(ProofError::SameSizeDifferentRoots { size: 5 })
        );
        assert_eq!(
            verify_consistency(&p, 3, r5, 5, r5),
            Err(ProofError::ConsistencyMismatch)
        );
        assert_eq!(
            verify_inclusion(&[], 5, 5, leaf_hash(&[0]), r5),
            Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
        );
        let long = vec![EMPTY_HASH; MAX_PROOF_HASHES + 1];
        assert_eq!(
            verify_consistency(&long, 3, r3, 5, r5),
            Err(ProofError::TooLong { len: 65 })
        );
        // Proofs from and to size 0.
        assert_eq!(
            verify_inclusion(&[], 0, 0, leaf_hash(&[0]), EMPTY_HASH),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(
            verify_consistency(&[], 3, r3, 0, EMPTY_HASH),
            Err(ProofError::NewSmallerThanOld {
                old_size: 3,
                new_size: 0
            })
        );
        verify_consistency(&[], 0, EMPTY_HASH, 0, EMPTY_HASH).unwrap();
        verify_consistency(&[], 0, EMPTY_HASH, 5, r5).unwrap();
        assert_eq!(
            verify_consistency(&[], 0, EMPTY_HASH, 0, r5),
            Err(ProofError::SameSizeDifferentRoots { size: 0 })
        );
        assert_eq!(store.consistency_proof(0, 5).unwrap(), Vec::<Hash>::new());
        assert!(store.consistency_proof(5, 3).is_err());
        assert!(store.inclusion_proof(2, 6).is_err());
    }
}
