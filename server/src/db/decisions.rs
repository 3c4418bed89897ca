//! Review decisions (`review_decisions`, migration 0007): the Returning Officer's accept, reject
//! and recapture records. Append-only (triggers in both databases refuse UPDATE and DELETE); a
//! later decision on a capture is a new row naming the one it supersedes, and the UNIQUE
//! `(manifest_hash, supersedes_key)` lets only one decision follow each (or be the first).

use sqlx::{AnyConnection, AnyPool};

use super::DbResult;
use super::columns::Sha256Hex;
use super::events::insert_event;
use super::scoped::{Scope, scoped_rows};

/// A decision as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct DecisionRow {
    pub decision_id: String,
    pub manifest_hash: Sha256Hex,
    pub election_id: String,
    pub constituency: String,
    pub station: i64,
    pub form: String,
    /// `accept`, `reject` or `recapture`.
    pub action: String,
    pub reason_code: Option<String>,
    pub reason_text: String,
    pub actor_id: String,
    pub origin: String,
    pub decided_at_ms: i64,
    pub supersedes: Option<String>,
    /// SHA-256 (hex) of the decision as the client sent it: the same id with another body is
    /// refused.
    #[serde(skip)]
    pub body_sha256: String,
}

const DECISION_ORDER: &str = "decided_at_ms, decision_id";

const DECISION_COLUMNS: &str = "decision_id, manifest_hash, election_id, constituency, station, \
     form, action, reason_code, reason_text, actor_id, origin, decided_at_ms, supersedes, \
     body_sha256";

/// Insert a decision and its `review_decision` event; false (nothing written) when its id exists
/// already or another decision already follows the one it supersedes. Runs inside a transaction
/// ([`super::Database::write_atomic`]), which also appends its `ro_decision` log leaf.
pub async fn insert_decision(conn: &mut AnyConnection, d: &DecisionRow) -> DbResult<bool> {
    let done = sqlx::query(
        "INSERT INTO review_decisions (decision_id, manifest_hash, election_id, constituency, \
           station, form, action, reason_code, reason_text, actor_id, origin, decided_at_ms, \
           supersedes, supersedes_key, body_sha256) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT DO NOTHING",
    )
    .bind(d.decision_id.clone())
    .bind(d.manifest_hash)
    .bind(d.election_id.clone())
    .bind(d.constituency.clone())
    .bind(d.station)
    .bind(d.form.clone())
    .bind(d.action.clone())
    .bind(d.reason_code.clone())
    .bind(d.reason_text.clone())
    .bind(d.actor_id.clone())
    .bind(d.origin.clone())
    .bind(d.decided_at_ms)
    .bind(d.supersedes.clone())
    .bind(d.supersedes.clone().unwrap_or_default())
    .bind(d.body_sha256.clone())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    insert_event(
        &mut *conn,
        d.decided_at_ms,
        "review_decision",
        &d.manifest_hash.to_hex(),
        &serde_json::json!({
            "decision": d.decision_id, "action": d.action, "reason_code": d.reason_code,
            "actor": d.actor_id, "origin": d.origin, "supersedes": d.supersedes,
            "election": d.election_id, "constituency": d.constituency, "station": d.station,
            "form": d.form,
        }),
    )
    .await?;
    super::console_leaves::log_decision(&mut *conn, d).await?;
    Ok(true)
}

/// The decision with this id, if any.
pub async fn get_decision(db: &AnyPool, decision_id: &str) -> DbResult<Option<DecisionRow>> {
    let sql = format!("SELECT {DECISION_COLUMNS} FROM review_decisions WHERE decision_id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(decision_id.to_owned())
        .fetch_optional(db)
        .await
}

/// Every decision on one capture, oldest first.
pub async fn decisions_for_capture(
    db: &AnyPool,
    manifest_hash: &str,
) -> DbResult<Vec<DecisionRow>> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM review_decisions WHERE manifest_hash = $1 \
         ORDER BY decided_at_ms, decision_id"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(manifest_hash.to_owned())
        .fetch_all(db)
        .await
}

/// Every decision of an election, or of one of its constituencies, oldest first (one query for
/// a whole board).
pub async fn decisions_for_board(
    db: &AnyPool,
    election: &str,
    constituency: Option<&str>,
) -> DbResult<Vec<DecisionRow>> {
    let scope = Scope::of(election, constituency);
    scoped_rows(
        db,
        DECISION_COLUMNS,
        "review_decisions",
        scope,
        DECISION_ORDER,
    )
    .await
}

/// Every decision on the captures of one station, oldest first.
pub async fn decisions_for_station(
    db: &AnyPool,
    election: &str,
    constituency: &str,
    station: i64,
) -> DbResult<Vec<DecisionRow>> {
    let scope = Scope::Station(election, constituency, station);
    scoped_rows(
        db,
        DECISION_COLUMNS,
        "review_decisions",
        scope,
        DECISION_ORDER,
    )
    .await
}
