//! Changing the log's signing key (`docs/log.md`, "Log key rotation"). A server started with a
//! new key (`log_key_seed` / `log.key`) and the key in force as its previous key
//! (`log_previous_key_seed` / `log.previous.key`) completes the change before it sequences:
//!
//! 1. it appends one `log_key_changed {old_vkey, new_vkey}` leaf (once: a restart finds it);
//! 2. it sequences every leaf so far with the OLD key, so a checkpoint the old key signs covers
//!    that leaf;
//! 3. it records the change with the largest checkpoint so far as its boundary, in a transaction
//!    that checkpoints also take: checkpoints of larger trees are recorded only when the new key
//!    signed them. A server still running with the old key stops signing (its sequencer reports
//!    the change) until it is restarted with the new key.
//!
//! Anyone who trusts the old key can then trust the new one: the boundary checkpoint (published
//! at `GET /api/v1/keys` with the change) is signed by the old key and covers the leaf that names
//! the new one — the monitor follows exactly that chain.

use tallyseal_core::note::Signer;

use super::sequencer::{SequenceError, sequence_with};
use crate::db::{self, KeyChangeRow};
use crate::provenance::{LeafBody, LogEvent};
use crate::state::AppState;

/// The subject of every `log_key_changed` leaf.
pub const LOG_KEY_SUBJECT: &str = "log-key";

/// Why the change could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("a recorded log key leaf: {0}")]
    Leaf(#[from] crate::provenance::LeafError),
    #[error("sequencing with the previous key: {0}")]
    Sequence(#[from] SequenceError),
    #[error("the log key change could not be recorded: another change happened meanwhile")]
    Contended,
}

/// The index of the `log_key_changed` leaf from `old` to `new`, if logged.
async fn logged(
    state: &AppState,
    old: &str,
    new: &str,
) -> Result<(Option<u64>, usize), RotationError> {
    let rows = db::leaves_for(&state.db.pool, LOG_KEY_SUBJECT).await?;
    let mut found = None;
    for row in &rows {
        if let LogEvent::LogKeyChanged { old_vkey, new_vkey } =
            LeafBody::from_leaf_bytes(row.leaf.as_bytes())?.event
            && old_vkey == old
            && new_vkey == new
        {
            found = u64::try_from(row.leaf_index).ok();
        }
    }
    Ok((found, rows.len()))
}

/// Complete the change from `previous` to this server's log key (see the module docs).
pub async fn complete(state: &AppState, previous: &Signer) -> Result<KeyChangeRow, RotationError> {
    let old = previous.verifier().to_vkey();
    let new = state.log.vkey();
    for _ in 0..5 {
        let index = match logged(state, &old, &new).await? {
            (Some(index), _) => index,
            (None, seen) => {
                let leaf = super::leaf(
                    LogEvent::LogKeyChanged {
                        old_vkey: old.clone(),
                        new_vkey: new.clone(),
                    },
                    LOG_KEY_SUBJECT,
                    crate::now_ms(),
                )?;
                state
                    .db
                    .append_leaves_if_unchanged(LOG_KEY_SUBJECT, seen, &[leaf])
                    .await?;
                continue;
            }
        };
        sequence_with(state, previous).await?;
        let index = i64::try_from(index).unwrap_or(i64::MAX);
        if let Some(row) = state
            .db
            .record_log_key_change(&old, &new, index, crate::now_ms())
            .await?
        {
            log::warn!(
                "log key changed from {old} to {new}: checkpoints after size {} are signed by \
                 the new key",
                row.from_size
            );
            return Ok(row);
        }
        // Another server completed this same change meanwhile.
        if let Some(row) = db::log_key_changes(&state.db.pool)
            .await?
            .into_iter()
            .find(|c| c.old_vkey == old && c.new_vkey == new)
        {
            return Ok(row);
        }
    }
    Err(RotationError::Contended)
}
