//! The tree's stored hashes, read from the database (`log_hashes`) for `tlog_tiles`' algorithms,
//! which read through a synchronous [`HashReader`].
//!
//! Which stored hashes an algorithm needs depends only on the tree sizes and indexes, not on the
//! hashes' values, so [`TreeHashes::run`] runs it on what is in memory, notes every index it was
//! refused, loads those from the database, and runs it again, until it succeeds (a few rounds at
//! most: the frontier of a tree is at most 64 hashes). New hashes the sequencer computes are added
//! to the same memory first, so a batch of leaves is hashed without a round trip per leaf.

use std::cell::RefCell;
use std::collections::HashMap;

use sqlx::AnyPool;
use tallyseal_core::log::merkle::{Hash, HashReadError, HashReader, ProofError};

use crate::db;

/// Rounds of loading before giving up (a bug, or a database without the hashes it should have).
const MAX_ROUNDS: usize = 80;

/// Stored hashes in memory, loaded on demand.
#[derive(Debug, Default)]
pub struct TreeHashes {
    known: HashMap<u64, Hash>,
}

/// Why the hashes could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HashesError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the log's stored hashes: {0}")]
    Proof(#[from] ProofError),
    #[error("stored hash {0} is not in the database")]
    Missing(u64),
    #[error("stored hash {0} in the database is not 64 hex digits")]
    Corrupt(u64),
}

/// A reader over the hashes in memory that records what it lacked (what [`TreeHashes::run`]
/// hands its closure).
#[derive(Debug)]
pub struct Recording<'a> {
    known: &'a HashMap<u64, Hash>,
    missing: RefCell<Vec<u64>>,
}

impl HashReader for Recording<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, HashReadError> {
        let mut out = Vec::with_capacity(indexes.len());
        let mut missing = self.missing.borrow_mut();
        for i in indexes {
            match self.known.get(i) {
                Some(h) => out.push(*h),
                None => missing.push(*i),
            }
        }
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(HashReadError::IndexesNotInTree)
        }
    }
}

impl TreeHashes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remember stored hashes the caller computed (`first` is the index of the first).
    pub fn insert(&mut self, first: u64, hashes: &[Hash]) {
        for (i, h) in (first..).zip(hashes) {
            self.known.insert(i, *h);
        }
    }

    /// Run `f` over the stored hashes, loading from the database whatever it asks for.
    pub async fn run<T>(
        &mut self,
        pool: &AnyPool,
        f: impl Fn(&Recording<'_>) -> Result<T, ProofError>,
    ) -> Result<T, HashesError> {
        for _ in 0..MAX_ROUNDS {
            let reader = Recording {
                known: &self.known,
                missing: RefCell::new(Vec::new()),
            };
            let result = f(&reader);
            let mut missing = reader.missing.into_inner();
            match result {
                Ok(t) if missing.is_empty() => return Ok(t),
                Err(e) if missing.is_empty() => return Err(e.into()),
                _ => {}
            }
            missing.sort_unstable();
            missing.dedup();
            for (i, hex_hash) in db::stored_hashes(pool, &missing).await? {
                let mut h = [0u8; 32];
                hex::decode_to_slice(&hex_hash, &mut h).map_err(|_| HashesError::Corrupt(i))?;
                self.known.insert(i, Hash(h));
            }
            if let Some(&lacking) = missing.iter().find(|i| !self.known.contains_key(i)) {
                return Err(HashesError::Missing(lacking));
            }
        }
        Err(HashesError::Missing(u64::MAX))
    }
}
