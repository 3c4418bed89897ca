//! Elections: an id and its signed package (note and hash), written once, with its leaf in the
//! public log.

use sqlx::{AnyPool, Row};

use super::DbResult;
use super::events::insert_event;
use super::log_leaves::{LeafToAppend, append_leaf};

/// Insert an election, its event and its leaf in the log; false when the id exists already
/// (then nothing is written).
pub async fn insert_election(
    db: &AnyPool,
    id: &str,
    note: &str,
    hash: &str,
    now: i64,
    leaf: &LeafToAppend,
) -> DbResult<bool> {
    let mut tx = super::begin_write(db).await?;
    let done = sqlx::query(
        "INSERT INTO elections (id, package_note, package_hash, created_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id.to_owned())
    .bind(note.to_owned())
    .bind(hash.to_owned())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        insert_event(
            &mut *tx,
            now,
            "election_published",
            id,
            &serde_json::json!({"package_hash": hash}),
        )
        .await?;
        append_leaf(&mut tx, leaf).await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// The signed note and hash of an election's package.
pub async fn get_election(db: &AnyPool, id: &str) -> DbResult<Option<(String, String)>> {
    let row = sqlx::query("SELECT package_note, package_hash FROM elections WHERE id = $1")
        .bind(id.to_owned())
        .fetch_optional(db)
        .await?;
    row.map(|r| Ok((r.try_get("package_note")?, r.try_get("package_hash")?)))
        .transpose()
}

/// The ids of the elections published here, oldest first, at most `limit`.
pub async fn list_election_ids(db: &AnyPool, limit: i64) -> DbResult<Vec<String>> {
    let rows = sqlx::query("SELECT id FROM elections ORDER BY created_at_ms, id LIMIT $1")
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}
