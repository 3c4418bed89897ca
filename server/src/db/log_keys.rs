//! The log's signing key over time: the key recorded with the log's identity, then each change
//! (`log_key_changes`, append-only). The key in force for a checkpoint of size N is the new key
//! of the latest change whose boundary is smaller than N, else the identity's. A checkpoint is
//! recorded only if its signer is the key in force for its size, checked in the transaction that
//! records it; a change is recorded in a transaction that takes the largest checkpoint so far as
//! its boundary, so no checkpoint can slip between the two keys.

use sqlx::{AnyConnection, AnyPool};

use super::{DbResult, log_tree::CheckpointRow};

/// A change of the log key, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyChangeRow {
    /// The boundary's size: checkpoints of larger trees are signed by `new_vkey`.
    pub from_size: i64,
    pub old_vkey: String,
    pub new_vkey: String,
    /// The `log_key_changed` leaf.
    pub leaf_index: i64,
    /// The checkpoint of `from_size`, signed by `old_vkey` (it covers the leaf).
    pub boundary: String,
    pub changed_at_ms: i64,
}

const COLUMNS: &str = "from_size, old_vkey, new_vkey, leaf_index, boundary, changed_at_ms";

/// Every change, oldest first.
pub async fn log_key_changes(db: &AnyPool) -> DbResult<Vec<KeyChangeRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM log_key_changes ORDER BY from_size"
    )))
    .fetch_all(db)
    .await
}

/// The key in force for a checkpoint of `size` (the identity's when nothing changed).
async fn key_in_force_at(conn: &mut AnyConnection, size: i64) -> DbResult<Option<String>> {
    let changed: Option<String> = sqlx::query_scalar(
        "SELECT new_vkey FROM log_key_changes WHERE from_size < $1 \
         ORDER BY from_size DESC LIMIT 1",
    )
    .bind(size)
    .fetch_optional(&mut *conn)
    .await?;
    if changed.is_some() {
        return Ok(changed);
    }
    sqlx::query_scalar("SELECT log_vkey FROM log_identity WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await
}

/// The key in force for the next checkpoint (the latest change's, else the identity's).
pub async fn log_key_in_force(db: &AnyPool) -> DbResult<Option<String>> {
    let mut conn = db.acquire().await?;
    key_in_force_at(&mut conn, i64::MAX).await
}

/// How recording a checkpoint went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointInsert {
    Recorded,
    /// A checkpoint of that size exists already.
    Exists,
    /// The signer is not the key in force for that size (the key in force).
    NotInForce(String),
}

/// Serialise with appends, key changes and other checkpoints (PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` already does).
async fn lock_head(conn: &mut AnyConnection) -> DbResult<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM log_head WHERE id = 1 FOR UPDATE")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Record a checkpoint signed by `signer_vkey`, if that is the key in force for its size.
pub(super) async fn insert_checkpoint(
    db: &AnyPool,
    c: &CheckpointRow,
    signer_vkey: &str,
) -> DbResult<CheckpointInsert> {
    let mut tx = super::begin_write(db).await?;
    lock_head(&mut tx).await?;
    if let Some(in_force) = key_in_force_at(&mut tx, c.tree_size).await?
        && in_force != signer_vkey
    {
        tx.rollback().await?;
        return Ok(CheckpointInsert::NotInForce(in_force));
    }
    let done = sqlx::query(
        "INSERT INTO log_checkpoints (tree_size, root_hash, note, signed_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING",
    )
    .bind(c.tree_size)
    .bind(c.root_hash.clone())
    .bind(c.note.clone())
    .bind(c.signed_at_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(if done.rows_affected() == 1 {
        CheckpointInsert::Recorded
    } else {
        CheckpointInsert::Exists
    })
}

/// Record the change from `old_vkey` to `new_vkey` logged at `leaf_index`, with the largest
/// checkpoint so far as its boundary. `None` (nothing written) when `old_vkey` is no longer the
/// key in force or no checkpoint covers the leaf yet.
pub(super) async fn record_key_change(
    db: &AnyPool,
    old_vkey: &str,
    new_vkey: &str,
    leaf_index: i64,
    now: i64,
) -> DbResult<Option<KeyChangeRow>> {
    let mut tx = super::begin_write(db).await?;
    lock_head(&mut tx).await?;
    let in_force = key_in_force_at(&mut tx, i64::MAX).await?;
    let latest: Option<CheckpointRow> = sqlx::query_as(
        "SELECT tree_size, root_hash, note, signed_at_ms FROM log_checkpoints \
         ORDER BY tree_size DESC LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (Some(boundary), true) = (latest, in_force.as_deref() == Some(old_vkey)) else {
        tx.rollback().await?;
        return Ok(None);
    };
    if boundary.tree_size <= leaf_index {
        tx.rollback().await?;
        return Ok(None);
    }
    let row = KeyChangeRow {
        from_size: boundary.tree_size,
        old_vkey: old_vkey.to_owned(),
        new_vkey: new_vkey.to_owned(),
        leaf_index,
        boundary: boundary.note,
        changed_at_ms: now,
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO log_key_changes ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    )))
    .bind(row.from_size)
    .bind(row.old_vkey.clone())
    .bind(row.new_vkey.clone())
    .bind(row.leaf_index)
    .bind(row.boundary.clone())
    .bind(row.changed_at_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(row))
}
