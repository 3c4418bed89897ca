//! The RO's reasoned releases of quarantined captures (`quarantine_releases`). Append-only
//! (triggers); a capture's latest release is the one in force.

use sqlx::{AnyConnection, AnyPool};

use super::DbResult;
use super::events::insert_event;
use super::scoped::{Scope, scoped_rows};

/// A release, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReleaseRow {
    pub id: String,
    pub manifest_hash: String,
    pub election_id: String,
    pub constituency: String,
    pub station: i64,
    /// JSON list of the finding codes released.
    pub findings: String,
    pub reason: String,
    pub actor: String,
    pub origin: String,
    pub at_ms: i64,
    pub supersedes: Option<String>,
}

const COLUMNS: &str = "id, manifest_hash, election_id, constituency, station, findings, reason, \
     actor, origin, at_ms, supersedes";

/// Insert a release, its event and its `results_released` log leaf; false when its id exists already.
pub(crate) async fn insert_release(conn: &mut AnyConnection, row: &ReleaseRow) -> DbResult<bool> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO quarantine_releases ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING"
    )))
    .bind(row.id.clone())
    .bind(row.manifest_hash.clone())
    .bind(row.election_id.clone())
    .bind(row.constituency.clone())
    .bind(row.station)
    .bind(row.findings.clone())
    .bind(row.reason.clone())
    .bind(row.actor.clone())
    .bind(row.origin.clone())
    .bind(row.at_ms)
    .bind(row.supersedes.clone())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    insert_event(
        &mut *conn,
        row.at_ms,
        "quarantine_released",
        &row.manifest_hash,
        &serde_json::json!({
            "record": row.id, "station": row.station,
            "findings": serde_json::from_str::<serde_json::Value>(&row.findings)
                .unwrap_or(serde_json::Value::Null),
            "reason": row.reason, "actor": row.actor, "origin": row.origin,
            "supersedes": row.supersedes,
        }),
    )
    .await?;
    super::console_leaves::log_release(&mut *conn, row).await?;
    Ok(true)
}

/// The release with this id.
pub async fn release_by_id(db: &AnyPool, id: &str) -> DbResult<Option<ReleaseRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM quarantine_releases WHERE id = $1"
    )))
    .bind(id.to_owned())
    .fetch_optional(db)
    .await
}

/// Every release of a constituency, oldest first.
pub async fn releases_of_constituency(
    db: &AnyPool,
    election: &str,
    constituency: &str,
) -> DbResult<Vec<ReleaseRow>> {
    let scope = Scope::Constituency(election, constituency);
    scoped_rows(db, COLUMNS, "quarantine_releases", scope, "at_ms, id").await
}
