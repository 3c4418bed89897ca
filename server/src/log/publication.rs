//! What the log publishes: the latest checkpoint with the cosignatures collected on it, the tiles
//! and entry bundles the object store holds, each only once a recorded checkpoint covers it (a
//! tile written by a sequencer that has not yet recorded its checkpoint is not published), and a
//! capture's latest leaf with its C2SP tlog-proof against the latest checkpoint (the server
//! computes inclusion proofs from its stored hashes; clients may equally compute them from the
//! tiles).

use bytes::Bytes;
use tallyseal_core::log::merkle::prove_inclusion;
use tallyseal_core::log::tiles::{FULL_TILE_WIDTH, TileCoord, TileError, tile_width_at};
use tallyseal_core::wire::LogInclusion;

use super::hashes::{HashesError, TreeHashes};
use crate::db;
use crate::provenance::TlogProof;
use crate::state::AppState;
use crate::store::{ObjectKey, StoreError};

/// The checkpoint as served at `/log/checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedCheckpoint {
    /// The signed note followed by the cosignature lines collected so far.
    pub note: String,
    pub tree_size: u64,
    /// How many witnesses cosigned it.
    pub cosignatures: usize,
    /// It has at least `log_witness_policy` cosignatures.
    pub witnessed: bool,
}

/// The latest checkpoint with its cosignatures, `None` before the first one.
pub async fn latest_checkpoint(
    state: &AppState,
) -> Result<Option<PublishedCheckpoint>, sqlx::Error> {
    let Some(row) = db::latest_checkpoint(&state.db.pool).await? else {
        return Ok(None);
    };
    let tree_size = u64::try_from(row.tree_size).unwrap_or(0);
    let cosignatures = cosignature_lines(state, tree_size).await?;
    let count = cosignatures.len();
    Ok(Some(PublishedCheckpoint {
        note: format!("{}{}", row.note, cosignatures.concat()),
        tree_size,
        cosignatures: count,
        witnessed: count >= state.log.policy,
    }))
}

/// The cosignature lines (each ending in a newline) of configured witnesses on the checkpoint of
/// `tree_size`, in configuration order.
async fn cosignature_lines(state: &AppState, tree_size: u64) -> Result<Vec<String>, sqlx::Error> {
    let rows = db::cosignatures_for(&state.db.pool, tree_size).await?;
    Ok(state
        .log
        .witnesses
        .iter()
        .filter_map(|w| {
            let vkey = w.verifier.to_vkey();
            rows.iter()
                .find(|r| r.witness_vkey == vkey)
                .map(|r| r.line.clone())
        })
        .collect())
}

/// Why a tile request failed.
#[derive(Debug, thiserror::Error)]
pub enum TileRequestError {
    /// Not a C2SP tile path (400).
    #[error("{0}")]
    BadPath(#[from] TileError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A published tile.
#[derive(Debug, Clone)]
pub struct PublishedTile {
    pub bytes: Bytes,
    /// A full tile (never changes; a partial one is replaced by wider ones as the log grows).
    pub full: bool,
}

/// The tile at the C2SP `path` (`tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`), `None` when
/// no recorded checkpoint covers it yet.
pub async fn tile(state: &AppState, path: &str) -> Result<Option<PublishedTile>, TileRequestError> {
    let coord = TileCoord::parse_path(path)?;
    let size = db::latest_checkpoint(&state.db.pool)
        .await?
        .map_or(0, |c| u64::try_from(c.tree_size).unwrap_or(0));
    let available = tile_width_at(coord.level, coord.index, size);
    if available == 0 || coord.width > available {
        return Ok(None);
    }
    let bytes = state
        .store
        .get(&ObjectKey::for_log_file(&coord.path()?))
        .await?;
    Ok(bytes.map(|bytes| PublishedTile {
        bytes,
        full: coord.width == FULL_TILE_WIDTH,
    }))
}

/// The latest leaf about `subject` (a manifest hash) that the latest checkpoint covers, with its
/// tlog-proof against that checkpoint and the cosignatures collected on it; `None` before the
/// log has published one.
pub async fn inclusion(
    state: &AppState,
    subject: &str,
) -> Result<Option<LogInclusion>, HashesError> {
    let Some(latest) = latest_checkpoint(state).await? else {
        return Ok(None);
    };
    let Some(leaf) = db::latest_leaf_for(&state.db.pool, subject, latest.tree_size).await? else {
        return Ok(None);
    };
    let index = u64::try_from(leaf.leaf_index).unwrap_or(0);
    let size = latest.tree_size;
    let hashes = TreeHashes::new()
        .run(&state.db.pool, |r| prove_inclusion(index, size, r))
        .await?;
    let proof = TlogProof::new(index, hashes, latest.note);
    Ok(Some(LogInclusion {
        leaf_index: index,
        leaf: leaf.leaf,
        proof: proof.to_text(),
    }))
}
