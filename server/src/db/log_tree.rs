//! The transparency log's tree as the sequencer writes it (all append-only): the stored hashes
//! (`log_hashes`), the signed checkpoints (`log_checkpoints`, one per size), the witnesses'
//! cosignatures (`log_cosignatures`) and the log's identity (`log_identity`: origin and key).

use sqlx::{AnyPool, Row};

use super::DbResult;

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CheckpointRow {
    pub tree_size: i64,
    pub root_hash: String,
    pub note: String,
    pub signed_at_ms: i64,
}

/// A witness's cosignature line on a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CosignatureRow {
    pub tree_size: i64,
    pub witness_vkey: String,
    pub line: String,
    pub received_at_ms: i64,
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The stored hashes (hex) at `indexes` that the table has, as `(index, hex)`.
pub async fn stored_hashes(db: &AnyPool, indexes: &[u64]) -> DbResult<Vec<(u64, String)>> {
    let mut out = Vec::with_capacity(indexes.len());
    for chunk in indexes.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT hash_index, hash FROM log_hashes WHERE hash_index IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for &i in chunk {
            query = query.bind(to_i64(i));
        }
        for row in query.fetch_all(db).await? {
            let index: i64 = row.try_get("hash_index")?;
            out.push((u64::try_from(index).unwrap_or(0), row.try_get("hash")?));
        }
    }
    Ok(out)
}

/// Append stored hashes `(index, hex)`; an index already there is left as it is (the tree is
/// deterministic: a second sequencer computes the same hash).
pub(super) async fn insert_hashes(db: &AnyPool, hashes: &[(u64, String)]) -> DbResult<()> {
    let mut tx = super::begin_write(db).await?;
    for chunk in hashes.chunks(400) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!(
            "INSERT INTO log_hashes (hash_index, hash) VALUES {} \
             ON CONFLICT (hash_index) DO NOTHING",
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (i, h) in chunk {
            query = query.bind(to_i64(*i)).bind(h.clone());
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// The checkpoint of the largest tree signed so far.
pub async fn latest_checkpoint(db: &AnyPool) -> DbResult<Option<CheckpointRow>> {
    sqlx::query_as(
        "SELECT tree_size, root_hash, note, signed_at_ms FROM log_checkpoints \
         ORDER BY tree_size DESC LIMIT 1",
    )
    .fetch_optional(db)
    .await
}

/// Record a witness's cosignature line; false when that witness's line for that size is there.
pub(super) async fn insert_cosignature(db: &AnyPool, c: &CosignatureRow) -> DbResult<bool> {
    let done = sqlx::query(
        "INSERT INTO log_cosignatures (tree_size, witness_vkey, line, received_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size, witness_vkey) DO NOTHING",
    )
    .bind(c.tree_size)
    .bind(c.witness_vkey.clone())
    .bind(c.line.clone())
    .bind(c.received_at_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The cosignatures collected on the checkpoint of `tree_size`, by witness vkey.
pub async fn cosignatures_for(db: &AnyPool, tree_size: u64) -> DbResult<Vec<CosignatureRow>> {
    sqlx::query_as(
        "SELECT tree_size, witness_vkey, line, received_at_ms FROM log_cosignatures \
         WHERE tree_size = $1 ORDER BY witness_vkey",
    )
    .bind(to_i64(tree_size))
    .fetch_all(db)
    .await
}

/// The largest tree size `witness_vkey` cosigned (0 if none).
pub async fn last_cosigned_size(db: &AnyPool, witness_vkey: &str) -> DbResult<u64> {
    let n: i64 = sqlx::query(
        "SELECT COALESCE(MAX(tree_size), 0) AS n FROM log_cosignatures WHERE witness_vkey = $1",
    )
    .bind(witness_vkey.to_owned())
    .fetch_one(db)
    .await?
    .try_get("n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The log's recorded origin and vkey, if any.
pub async fn recorded_log_identity(db: &AnyPool) -> DbResult<Option<(String, String)>> {
    let row = sqlx::query("SELECT origin, log_vkey FROM log_identity WHERE id = 1")
        .fetch_optional(db)
        .await?;
    row.map(|r| Ok((r.try_get("origin")?, r.try_get("log_vkey")?)))
        .transpose()
}

/// Record the log's origin and vkey unless recorded; returns the identity in force (the first
/// recorded, on this server or another).
pub(super) async fn record_log_identity(
    db: &AnyPool,
    origin: &str,
    vkey: &str,
    now: i64,
) -> DbResult<(String, String)> {
    sqlx::query(
        "INSERT INTO log_identity (id, origin, log_vkey, recorded_at_ms) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(origin.to_owned())
    .bind(vkey.to_owned())
    .bind(now)
    .execute(db)
    .await?;
    Ok(recorded_log_identity(db).await?.unwrap_or_default())
}
