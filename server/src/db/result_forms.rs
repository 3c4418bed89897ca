//! Signed versions of Forms 47, 48 and 49 (`signed_forms`) and the postal ballots the RO enters
//! for Form-49 (`postal_ballots`). Append-only (triggers): version n + 1 supersedes version n,
//! and a new postal-ballot row names the one before.

use sqlx::{AnyConnection, AnyPool};

use super::DbResult;
use super::events::insert_event;
use super::scoped::{Scope, scoped_rows};

/// A signed form version, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SignedFormRow {
    pub id: String,
    pub election_id: String,
    pub constituency: String,
    /// `form47`, `form48` or `form49`.
    pub form: String,
    pub version: i64,
    /// The signed statement: canonical JSON.
    pub body: String,
    pub body_sha256: String,
    pub signer_key: String,
    pub signature: String,
    pub reason: String,
    pub actor: String,
    pub origin: String,
    pub at_ms: i64,
    pub supersedes: Option<String>,
}

const FORM_COLUMNS: &str = "id, election_id, constituency, form, version, body, body_sha256, \
     signer_key, signature, reason, actor, origin, at_ms, supersedes";

/// Insert a signed form, its event and its `form_version` log leaf; false when its id or its version exists already.
pub(crate) async fn insert_signed_form(
    conn: &mut AnyConnection,
    row: &SignedFormRow,
) -> DbResult<bool> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO signed_forms ({FORM_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING"
    )))
    .bind(row.id.clone())
    .bind(row.election_id.clone())
    .bind(row.constituency.clone())
    .bind(row.form.clone())
    .bind(row.version)
    .bind(row.body.clone())
    .bind(row.body_sha256.clone())
    .bind(row.signer_key.clone())
    .bind(row.signature.clone())
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
        "form_signed",
        &format!("{}/{}", row.election_id, row.constituency),
        &serde_json::json!({
            "record": row.id, "form": row.form, "version": row.version,
            "body_sha256": row.body_sha256, "reason": row.reason, "actor": row.actor,
            "origin": row.origin, "supersedes": row.supersedes,
        }),
    )
    .await?;
    super::console_leaves::log_form_version(&mut *conn, row).await?;
    Ok(true)
}

/// The signed form with this id.
pub async fn signed_form_by_id(db: &AnyPool, id: &str) -> DbResult<Option<SignedFormRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {FORM_COLUMNS} FROM signed_forms WHERE id = $1"
    )))
    .bind(id.to_owned())
    .fetch_optional(db)
    .await
}

/// Every signed version of one form of a constituency, first version first.
pub async fn signed_forms_of(
    db: &AnyPool,
    election: &str,
    constituency: &str,
    form: &str,
) -> DbResult<Vec<SignedFormRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {FORM_COLUMNS} FROM signed_forms \
         WHERE election_id = $1 AND constituency = $2 AND form = $3 ORDER BY version"
    )))
    .bind(election.to_owned())
    .bind(constituency.to_owned())
    .bind(form.to_owned())
    .fetch_all(db)
    .await
}

/// Postal ballots, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PostalBallotsRow {
    pub id: String,
    pub election_id: String,
    pub constituency: String,
    /// JSON object: `candidate_<ballot no>` → votes.
    pub votes: String,
    pub rejected: i64,
    pub reason: String,
    pub actor: String,
    pub origin: String,
    pub at_ms: i64,
    pub supersedes: Option<String>,
}

const POSTAL_COLUMNS: &str =
    "id, election_id, constituency, votes, rejected, reason, actor, origin, at_ms, supersedes";

/// Insert postal ballots and their event; false when the id exists, or another row already
/// follows the one this one supersedes.
pub(crate) async fn insert_postal_ballots(
    conn: &mut AnyConnection,
    row: &PostalBallotsRow,
) -> DbResult<bool> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO postal_ballots ({POSTAL_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING"
    )))
    .bind(row.id.clone())
    .bind(row.election_id.clone())
    .bind(row.constituency.clone())
    .bind(row.votes.clone())
    .bind(row.rejected)
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
        "postal_ballots_entered",
        &format!("{}/{}", row.election_id, row.constituency),
        &serde_json::json!({
            "record": row.id, "rejected": row.rejected, "reason": row.reason,
            "actor": row.actor, "origin": row.origin, "supersedes": row.supersedes,
        }),
    )
    .await?;
    Ok(true)
}

/// Every postal-ballot row of a constituency, oldest first.
pub async fn postal_ballots_of(
    db: &AnyPool,
    election: &str,
    constituency: &str,
) -> DbResult<Vec<PostalBallotsRow>> {
    let scope = Scope::Constituency(election, constituency);
    scoped_rows(db, POSTAL_COLUMNS, "postal_ballots", scope, "at_ms, id").await
}
