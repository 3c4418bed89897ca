//! The sequencer: a background worker that, every `log_sequence_interval_ms`, takes the leaves
//! committed since the last checkpoint, computes their stored hashes, writes the new tiles and
//! entry bundles to the object store (C2SP tlog-tiles paths under `log/`), then records the
//! hashes and a checkpoint signed by the log key, and asks the witnesses to cosign it.
//!
//! One server sequences at a time: it holds the database lease ([`crate::db::SequencerLease`]).
//! Order matters for readers: tiles are durable before the checkpoint that covers them is
//! recorded, so a published checkpoint never names a tile that is not there. A crash in between
//! leaves tiles without a checkpoint, which the next run writes again identically (a tile of a
//! given path never changes, and the store never replaces a file).
//!
//! Must never: sign two different checkpoints of one size (one row per size, and the tree is
//! computed from immutable, gapless leaves); run on a request's path.

use std::time::Duration;

use bytes::Bytes;
use tallyseal_core::log::merkle::{
    EMPTY_HASH, Hash, HashReader, ProofError, leaf_hash, stored_hash_count, stored_hashes_for_leaf,
    tree_root,
};
use tallyseal_core::log::tiles::{TileCoord, encode_entry_bundle, new_tiles, tile_hash_indexes};

use super::hashes::{HashesError, TreeHashes};
use tallyseal_core::note::Signer;

use crate::db::{self, CheckpointInsert, CheckpointRow, LeafRow, SequencerLease};
use crate::provenance;
use crate::state::AppState;
use crate::store::{ObjectKey, StoreError};

/// Most leaves one checkpoint step takes (a tick takes steps until it has caught up).
const MAX_STEP: u64 = 4096;

/// Why a sequencing step failed (it is retried at the next tick; nothing half-done is visible).
#[derive(Debug, thiserror::Error)]
pub enum SequenceError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Hashes(#[from] HashesError),
    #[error("tiles: {0}")]
    Tiles(#[from] tallyseal_core::log::tiles::TileError),
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] tallyseal_core::log::checkpoint::CheckpointError),
    #[error("leaf {index}: {problem}")]
    Leaf { index: u64, problem: String },
    #[error(
        "the log key was changed to {0}: this server's key no longer signs checkpoints; restart \
         it with the new key"
    )]
    KeyRotated(String),
}

impl From<ProofError> for SequenceError {
    fn from(e: ProofError) -> Self {
        SequenceError::Hashes(HashesError::Proof(e))
    }
}

/// Start the sequencer (and the witness collection after each checkpoint).
pub fn spawn(state: actix_web::web::Data<AppState>) {
    tokio::spawn(async move {
        let interval = Duration::from_millis(state.config.log_sequence_interval_ms.max(1));
        let url = state.config.effective_database_url();
        let mut lease: Option<SequencerLease> = None;
        loop {
            if let Some(held) = &mut lease
                && !held.still_held().await
            {
                lease = None;
            }
            if lease.is_none() {
                lease = match SequencerLease::try_take(&url, state.db.backend).await {
                    Ok(l) => l,
                    Err(e) => {
                        log::warn!("log sequencer: cannot reach the database for the lease: {e}");
                        None
                    }
                };
            }
            if lease.is_some() {
                match sequence(&state).await {
                    Ok(Some(latest)) => super::witnesses::collect(&state, &latest).await,
                    Ok(None) => {}
                    Err(e @ SequenceError::KeyRotated(_)) => {
                        // Another server changed the log key: this one signs nothing more and
                        // leaves the lease to a server with the new key.
                        log::error!("log sequencer stopped: {e}");
                        if let Some(held) = lease.take() {
                            held.release().await;
                        }
                        return;
                    }
                    Err(e) => log::warn!("log sequencer: {e}"),
                }
            }
            tokio::time::sleep(interval).await;
        }
    });
}

/// Sequence every leaf committed so far, in steps, signing with the log key; returns the latest
/// checkpoint (also when there was nothing new, so lagging witnesses are asked again), `None`
/// when there is none.
pub async fn sequence(state: &AppState) -> Result<Option<CheckpointRow>, SequenceError> {
    sequence_with(state, &state.log.signer).await
}

/// [`sequence`], signing with `signer` (the previous key, while a key change completes:
/// [`super::rotation`]).
pub async fn sequence_with(
    state: &AppState,
    signer: &Signer,
) -> Result<Option<CheckpointRow>, SequenceError> {
    loop {
        match step(state, signer).await? {
            Step::Signed => continue,
            Step::UpToDate(latest) => return Ok(latest),
        }
    }
}

enum Step {
    Signed,
    UpToDate(Option<CheckpointRow>),
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// One checkpoint's worth: the leaves after the latest checkpoint, at most [`MAX_STEP`].
async fn step(state: &AppState, signer: &Signer) -> Result<Step, SequenceError> {
    let pool = &state.db.pool;
    let latest = db::latest_checkpoint(pool).await?;
    let old_size = latest.as_ref().map_or(0, |c| to_u64(c.tree_size));
    let leaves = db::leaves_in(pool, old_size, old_size + MAX_STEP).await?;
    if leaves.is_empty() && latest.is_some() {
        return Ok(Step::UpToDate(latest));
    }
    let mut hashes = TreeHashes::new();
    let mut new_hashes: Vec<(u64, String)> = Vec::new();
    for (index, row) in (old_size..).zip(&leaves) {
        let leaf = checked_leaf_hash(index, row)?;
        let stored = hashes
            .run(pool, |r| stored_hashes_for_leaf(index, leaf, r))
            .await?;
        let first = stored_hash_count(index);
        hashes.insert(first, &stored);
        new_hashes.extend((first..).zip(stored.iter().map(|h| hex::encode(h.0))));
    }
    let new_size = old_size + leaves.len() as u64;
    let root = if new_size == 0 {
        EMPTY_HASH
    } else {
        hashes.run(pool, |r| tree_root(new_size, r)).await?
    };
    // Each new level-0 tile has its twin entry bundle (the same index and width).
    let mut coords = Vec::new();
    for coord in new_tiles(old_size, new_size)? {
        if coord.level == Some(0) {
            coords.push(TileCoord {
                level: None,
                ..coord
            });
        }
        coords.push(coord);
    }
    for coord in coords {
        let bytes = tile_bytes(state, &mut hashes, coord).await?;
        state
            .store
            .put_named_if_absent(&ObjectKey::for_log_file(&coord.path()?), bytes)
            .await?;
    }
    state.db.insert_log_hashes(&new_hashes).await?;
    let note = provenance::sign_checkpoint(signer, &state.log.origin, new_size, root)?;
    let now = crate::now_ms();
    let row = CheckpointRow {
        tree_size: i64::try_from(new_size).unwrap_or(i64::MAX),
        root_hash: hex::encode(root.0),
        note,
        signed_at_ms: now,
    };
    match state
        .db
        .insert_checkpoint(&row, &signer.verifier().to_vkey())
        .await?
    {
        CheckpointInsert::Recorded => {
            if let Some(first) = leaves.first() {
                let delay = (now - first.logged_at_ms) as f64 / 1000.0;
                crate::metrics::tlog::sequenced(leaves.len() as u64, delay);
            }
        }
        CheckpointInsert::Exists => {}
        CheckpointInsert::NotInForce(in_force) => {
            return Err(SequenceError::KeyRotated(in_force));
        }
    }
    Ok(Step::Signed)
}

/// The leaf's hash, recomputed from its bytes (a row changed behind the server's back is
/// refused, not published).
fn checked_leaf_hash(index: u64, row: &LeafRow) -> Result<Hash, SequenceError> {
    let bad = |problem: &str| SequenceError::Leaf {
        index,
        problem: problem.to_owned(),
    };
    if to_u64(row.leaf_index) != index {
        return Err(bad("the leaves are not contiguous"));
    }
    let hash = leaf_hash(row.leaf.as_bytes());
    if hex::encode(hash.0) != row.leaf_hash {
        return Err(bad("its stored hash is not the hash of its bytes"));
    }
    Ok(hash)
}

/// The bytes of a tile: its hashes, or for an entry tile the entry bundle of its leaves.
async fn tile_bytes(
    state: &AppState,
    hashes: &mut TreeHashes,
    coord: TileCoord,
) -> Result<Bytes, SequenceError> {
    if coord.level.is_none() {
        let first = coord.index * 256;
        let rows = db::leaves_in(&state.db.pool, first, first + u64::from(coord.width)).await?;
        if rows.len() != coord.width as usize {
            return Err(SequenceError::Leaf {
                index: first,
                problem: "an entry bundle's leaves are missing".into(),
            });
        }
        let entries: Vec<&[u8]> = rows.iter().map(|r| r.leaf.as_bytes()).collect();
        return Ok(Bytes::from(encode_entry_bundle(&entries)?));
    }
    let indexes = tile_hash_indexes(coord)?;
    let tile = hashes
        .run(&state.db.pool, |r| {
            r.read_hashes(&indexes)
                .map_err(|e| ProofError::Store(e.to_string()))
        })
        .await?;
    Ok(Bytes::from(
        tile.iter().flat_map(|h| h.0).collect::<Vec<u8>>(),
    ))
}
