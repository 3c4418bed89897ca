//! Blind double entry (`figure_entries`): every claim, draft and submission of an entry is a new
//! row; a save names the version it read and writes the next, and the unique key
//! `(manifest_hash, slot, version)` lets one save per version win. Append-only (triggers).

use sqlx::{AnyConnection, AnyPool};

use super::DbResult;
use super::events::insert_event;

/// One action on one entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EntryRow {
    pub id: String,
    pub manifest_hash: String,
    pub election_id: String,
    pub constituency: String,
    pub station: i64,
    pub form: String,
    pub slot: i64,
    pub version: i64,
    /// `claim`, `draft` or `submit`.
    pub action: String,
    /// JSON object: field name → non-negative integer.
    pub figures: String,
    pub actor: String,
    pub origin: String,
    pub at_ms: i64,
    pub supersedes: Option<String>,
}

const COLUMNS: &str = "id, manifest_hash, election_id, constituency, station, form, slot, version, \
     action, figures, actor, origin, at_ms, supersedes";

/// Insert an entry row and its event; false (nothing written) when its id, its version of the
/// slot, or (for a claim) the operator's claim of the other slot exists already.
pub(crate) async fn insert_entry(conn: &mut AnyConnection, row: &EntryRow) -> DbResult<bool> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO figure_entries ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING"
    )))
    .bind(row.id.clone())
    .bind(row.manifest_hash.clone())
    .bind(row.election_id.clone())
    .bind(row.constituency.clone())
    .bind(row.station)
    .bind(row.form.clone())
    .bind(row.slot)
    .bind(row.version)
    .bind(row.action.clone())
    .bind(row.figures.clone())
    .bind(row.actor.clone())
    .bind(row.origin.clone())
    .bind(row.at_ms)
    .bind(row.supersedes.clone())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let kind = match row.action.as_str() {
        "claim" => "figures_entry_claimed",
        "submit" => "figures_entry_submitted",
        _ => "figures_entry_saved",
    };
    insert_event(
        &mut *conn,
        row.at_ms,
        kind,
        &row.manifest_hash,
        &serde_json::json!({
            "record": row.id, "slot": row.slot, "version": row.version, "actor": row.actor,
            "origin": row.origin, "supersedes": row.supersedes,
        }),
    )
    .await?;
    Ok(true)
}

/// The entry row with this client-generated id.
pub async fn entry_by_id(db: &AnyPool, id: &str) -> DbResult<Option<EntryRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM figure_entries WHERE id = $1"
    )))
    .bind(id.to_owned())
    .fetch_optional(db)
    .await
}

/// The latest row of each slot of a capture's entries (at most two, slot order).
pub async fn latest_entries(db: &AnyPool, manifest_hash: &str) -> DbResult<Vec<EntryRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM figure_entries e WHERE manifest_hash = $1 \
           AND version = (SELECT MAX(version) FROM figure_entries x \
                          WHERE x.manifest_hash = e.manifest_hash AND x.slot = e.slot) \
         ORDER BY slot"
    )))
    .bind(manifest_hash.to_owned())
    .fetch_all(db)
    .await
}

/// The latest row of every entry of a constituency.
pub async fn latest_entries_of_constituency(
    db: &AnyPool,
    election: &str,
    constituency: &str,
) -> DbResult<Vec<EntryRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM figure_entries e WHERE election_id = $1 AND constituency = $2 \
           AND version = (SELECT MAX(version) FROM figure_entries x \
                          WHERE x.manifest_hash = e.manifest_hash AND x.slot = e.slot) \
         ORDER BY manifest_hash, slot"
    )))
    .bind(election.to_owned())
    .bind(constituency.to_owned())
    .fetch_all(db)
    .await
}
