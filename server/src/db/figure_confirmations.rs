//! Confirmed figures (`figure_confirmations`): agreed by both blind entries (and the PO's sealed
//! figures), or settled by the RO field by field with reasons. Append-only (triggers); a later
//! confirmation of a capture names the one it supersedes.

use sqlx::{AnyConnection, AnyPool};

use super::DbResult;
use super::events::insert_event;
use super::scoped::{Scope, scoped_rows};

/// A confirmation, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConfirmationRow {
    pub id: String,
    pub manifest_hash: String,
    pub election_id: String,
    pub constituency: String,
    pub station: i64,
    pub form: String,
    /// `agreed` or `settled`.
    pub how: String,
    /// JSON object: field name → non-negative integer.
    pub figures: String,
    /// JSON list of `{field, value, reason}` (empty when agreed).
    pub settlements: String,
    pub entry_1: String,
    pub entry_2: String,
    pub actor: String,
    pub origin: String,
    pub at_ms: i64,
    pub supersedes: Option<String>,
}

const COLUMNS: &str = "id, manifest_hash, election_id, constituency, station, form, how, figures, \
     settlements, entry_1, entry_2, actor, origin, at_ms, supersedes";

/// Insert a confirmation, its event and its `figures_confirmed` log leaf; false when its id exists, or when this pair of entries
/// is confirmed already.
pub(crate) async fn insert_confirmation(
    conn: &mut AnyConnection,
    row: &ConfirmationRow,
) -> DbResult<bool> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO figure_confirmations ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING"
    )))
    .bind(row.id.clone())
    .bind(row.manifest_hash.clone())
    .bind(row.election_id.clone())
    .bind(row.constituency.clone())
    .bind(row.station)
    .bind(row.form.clone())
    .bind(row.how.clone())
    .bind(row.figures.clone())
    .bind(row.settlements.clone())
    .bind(row.entry_1.clone())
    .bind(row.entry_2.clone())
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
        if row.how == "settled" {
            "figures_settled"
        } else {
            "figures_confirmed"
        },
        &row.manifest_hash,
        &serde_json::json!({
            "record": row.id, "how": row.how, "entries": [row.entry_1, row.entry_2],
            "settlements": serde_json::from_str::<serde_json::Value>(&row.settlements)
                .unwrap_or(serde_json::Value::Null),
            "actor": row.actor, "origin": row.origin, "supersedes": row.supersedes,
        }),
    )
    .await?;
    super::console_leaves::log_confirmation(&mut *conn, row).await?;
    Ok(true)
}

/// The confirmation with this id.
pub async fn confirmation_by_id(db: &AnyPool, id: &str) -> DbResult<Option<ConfirmationRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM figure_confirmations WHERE id = $1"
    )))
    .bind(id.to_owned())
    .fetch_optional(db)
    .await
}

/// Every confirmation of a capture, oldest first.
pub async fn confirmations_of_capture(
    db: &AnyPool,
    manifest_hash: &str,
) -> DbResult<Vec<ConfirmationRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM figure_confirmations WHERE manifest_hash = $1 ORDER BY at_ms, id"
    )))
    .bind(manifest_hash.to_owned())
    .fetch_all(db)
    .await
}

/// Every confirmation of a constituency, oldest first.
pub async fn confirmations_of_constituency(
    db: &AnyPool,
    election: &str,
    constituency: &str,
) -> DbResult<Vec<ConfirmationRow>> {
    let scope = Scope::Constituency(election, constituency);
    scoped_rows(db, COLUMNS, "figure_confirmations", scope, "at_ms, id").await
}
