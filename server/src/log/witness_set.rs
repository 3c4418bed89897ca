//! The witness policy is public: at start, the server compares the witnesses it is configured
//! with against the set the log records (its `witness_changed` leaves, all about the subject
//! [`WITNESS_SET_SUBJECT`]) and logs each difference as a leaf (`added` true or false), so anyone
//! reading the log sees which witnesses the log asked, and from when.
//!
//! Several servers starting at once append the differences once: the leaves go in only if the
//! log's witness leaves are still those read (the database checks it under the log's lock).

use std::collections::BTreeSet;

use crate::db::{self, Database};
use crate::provenance::{LeafBody, LogEvent};

/// The subject of every `witness_changed` leaf.
pub const WITNESS_SET_SUBJECT: &str = "log-witnesses";

/// Why the witness set could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum WitnessSetError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("a recorded witness leaf: {0}")]
    Leaf(#[from] crate::provenance::LeafError),
    #[error("the log's witness leaves kept changing while this server started")]
    Contended,
}

/// The witness vkeys the log's leaves say are in force, and how many witness leaves there are.
async fn recorded(db: &Database) -> Result<(BTreeSet<String>, usize), WitnessSetError> {
    let rows = db::leaves_for(&db.pool, WITNESS_SET_SUBJECT).await?;
    let mut set = BTreeSet::new();
    for row in &rows {
        if let LogEvent::WitnessChanged {
            witness_vkey,
            added,
        } = LeafBody::from_leaf_bytes(row.leaf.as_bytes())?.event
        {
            if added {
                set.insert(witness_vkey);
            } else {
                set.remove(&witness_vkey);
            }
        }
    }
    Ok((set, rows.len()))
}

/// Log the differences between the configured witnesses (`configured`, cosigner vkeys) and the
/// recorded set; returns how many leaves were appended.
pub async fn record(
    db: &Database,
    configured: &[String],
    now: i64,
) -> Result<usize, WitnessSetError> {
    let configured: BTreeSet<String> = configured.iter().cloned().collect();
    for _ in 0..5 {
        let (set, seen) = recorded(db).await?;
        let changes = configured
            .difference(&set)
            .map(|v| (v.clone(), true))
            .chain(set.difference(&configured).map(|v| (v.clone(), false)));
        let leaves = changes
            .map(|(witness_vkey, added)| {
                super::leaf(
                    LogEvent::WitnessChanged {
                        witness_vkey,
                        added,
                    },
                    WITNESS_SET_SUBJECT,
                    now,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        if leaves.is_empty() {
            return Ok(0);
        }
        if db
            .append_leaves_if_unchanged(WITNESS_SET_SUBJECT, seen, &leaves)
            .await?
        {
            return Ok(leaves.len());
        }
    }
    Err(WitnessSetError::Contended)
}
