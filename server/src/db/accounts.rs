//! Console accounts: `accounts` (who, role, scope, created by whom), `account_scopes`,
//! `account_changes` (password set, disabled, enabled: appended, the latest wins) and
//! `login_attempts` (one row per attempt, for the lock-out). All four are append-only (triggers
//! in both databases); each write here appends its audit event in the same transaction.

use sqlx::{AnyPool, Row};

use super::DbResult;
use super::events::insert_event;

/// An account as created (never changed afterwards).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRow {
    pub user_id: String,
    pub login: String,
    pub role: String,
    pub scope_all: i64,
    pub created_by: String,
    pub created_at_ms: i64,
}

/// A new account: its row, its constituencies and its first password hash.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub row: AccountRow,
    /// (election, constituency) pairs; empty when `scope_all` is 1.
    pub scope: Vec<(String, String)>,
    pub password_hash: String,
}

/// What an account change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Password,
    Disabled,
    Enabled,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Password => "password",
            ChangeKind::Disabled => "disabled",
            ChangeKind::Enabled => "enabled",
        }
    }
}

/// A change to append, with the event that records it.
#[derive(Debug, Clone)]
pub struct AccountChange {
    pub user_id: String,
    pub kind: ChangeKind,
    /// Only for [`ChangeKind::Password`].
    pub password_hash: Option<String>,
    pub by_user: String,
    pub at_ms: i64,
    pub event_kind: &'static str,
    pub event_detail: serde_json::Value,
}

const ACCOUNT_COLUMNS: &str = "user_id, login, role, scope_all, created_by, created_at_ms";

/// The account with this login name.
pub async fn get_account_by_login(db: &AnyPool, login: &str) -> DbResult<Option<AccountRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login = $1"
    )))
    .bind(login.to_owned())
    .fetch_optional(db)
    .await
}

/// The account with this id.
pub async fn get_account(db: &AnyPool, user_id: &str) -> DbResult<Option<AccountRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE user_id = $1"
    )))
    .bind(user_id.to_owned())
    .fetch_optional(db)
    .await
}

/// Every account, by login name.
pub async fn list_accounts(db: &AnyPool) -> DbResult<Vec<AccountRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY login"
    )))
    .fetch_all(db)
    .await
}

/// The (election, constituency) pairs of an account.
pub async fn account_scope(db: &AnyPool, user_id: &str) -> DbResult<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT election, constituency FROM account_scopes WHERE user_id = $1 \
         ORDER BY election, constituency",
    )
    .bind(user_id.to_owned())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("election")?, r.try_get("constituency")?)))
        .collect()
}

/// The account's password hash in force (its latest `password` change).
pub async fn current_password_hash(db: &AnyPool, user_id: &str) -> DbResult<Option<String>> {
    sqlx::query_scalar(
        "SELECT password_hash FROM account_changes WHERE user_id = $1 AND kind = 'password' \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(user_id.to_owned())
    .fetch_optional(db)
    .await
}

/// Whether the account's latest enable/disable change disabled it.
pub async fn is_disabled(db: &AnyPool, user_id: &str) -> DbResult<bool> {
    let kind: Option<String> = sqlx::query_scalar(
        "SELECT kind FROM account_changes WHERE user_id = $1 AND kind IN ('disabled', 'enabled') \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(user_id.to_owned())
    .fetch_optional(db)
    .await?;
    Ok(kind.as_deref() == Some("disabled"))
}

/// Create an account with its scope, first password and `account_created` event, atomically;
/// false when the login name is taken.
pub async fn insert_account(writer: &AnyPool, new: &NewAccount) -> DbResult<bool> {
    let mut tx = super::begin_write(writer).await?;
    let a = &new.row;
    let inserted = sqlx::query(
        "INSERT INTO accounts (user_id, login, role, scope_all, created_by, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(a.user_id.clone())
    .bind(a.login.clone())
    .bind(a.role.clone())
    .bind(a.scope_all)
    .bind(a.created_by.clone())
    .bind(a.created_at_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(false);
    }
    for (election, constituency) in &new.scope {
        sqlx::query(
            "INSERT INTO account_scopes (user_id, election, constituency) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(a.user_id.clone())
        .bind(election.clone())
        .bind(constituency.clone())
        .execute(&mut *tx)
        .await?;
    }
    insert_change_row(
        &mut tx,
        &a.user_id,
        ChangeKind::Password,
        Some(&new.password_hash),
        &a.created_by,
        a.created_at_ms,
    )
    .await?;
    let scope: Vec<String> = new.scope.iter().map(|(e, c)| format!("{e}/{c}")).collect();
    let detail = serde_json::json!({
        "login": a.login, "role": a.role, "scope_all": a.scope_all == 1, "scope": scope,
        "by": a.created_by,
    });
    insert_event(
        &mut *tx,
        a.created_at_ms,
        "account_created",
        &a.user_id,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Append a change and its event; a new password or a disabled account also ends every session
/// of the account, in the same transaction.
pub async fn append_change(writer: &AnyPool, change: &AccountChange) -> DbResult<()> {
    let mut tx = super::begin_write(writer).await?;
    insert_change_row(
        &mut tx,
        &change.user_id,
        change.kind,
        change.password_hash.as_deref(),
        &change.by_user,
        change.at_ms,
    )
    .await?;
    if change.kind != ChangeKind::Enabled {
        super::console_sessions::delete_sessions_of(&mut *tx, &change.user_id).await?;
    }
    insert_event(
        &mut *tx,
        change.at_ms,
        change.event_kind,
        &change.user_id,
        &change.event_detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_change_row(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    kind: ChangeKind,
    password_hash: Option<&str>,
    by_user: &str,
    at_ms: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO account_changes (user_id, kind, password_hash, by_user, at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id.to_owned())
    .bind(kind.as_str())
    .bind(password_hash.map(str::to_owned))
    .bind(by_user.to_owned())
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The outcome of a login attempt as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Ok,
    Failed,
    Refused,
}

impl AttemptOutcome {
    fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Ok => "ok",
            AttemptOutcome::Failed => "failed",
            AttemptOutcome::Refused => "refused",
        }
    }
}

/// One login attempt and the events it causes (subject, kind, detail), appended together.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    pub at_ms: i64,
    pub login: String,
    pub client: String,
    pub outcome: AttemptOutcome,
    pub events: Vec<(String, &'static str, serde_json::Value)>,
}

/// Append a login attempt with its events.
pub async fn record_login_attempt(writer: &AnyPool, attempt: &LoginAttempt) -> DbResult<()> {
    let mut tx = super::begin_write(writer).await?;
    sqlx::query(
        "INSERT INTO login_attempts (at_ms, login, client, outcome) VALUES ($1, $2, $3, $4)",
    )
    .bind(attempt.at_ms)
    .bind(attempt.login.clone())
    .bind(attempt.client.clone())
    .bind(attempt.outcome.as_str())
    .execute(&mut *tx)
    .await?;
    for (subject, kind, detail) in &attempt.events {
        insert_event(&mut *tx, attempt.at_ms, kind, subject, detail).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The times of the latest `limit` failed logins of a login name since its last success,
/// newest first.
pub async fn recent_failures_of_login(db: &AnyPool, login: &str, limit: i64) -> DbResult<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT at_ms FROM login_attempts WHERE login = $1 AND outcome = 'failed' AND id > \
         COALESCE((SELECT MAX(id) FROM login_attempts WHERE login = $1 AND outcome = 'ok'), 0) \
         ORDER BY id DESC LIMIT $2",
    )
    .bind(login.to_owned())
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The times of the latest `limit` failed logins from a client address, newest first (a success
/// from the address does not reset them: one good account must not unlock guessing others).
pub async fn recent_failures_of_client(
    db: &AnyPool,
    client: &str,
    limit: i64,
) -> DbResult<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT at_ms FROM login_attempts WHERE client = $1 AND outcome = 'failed' \
         ORDER BY id DESC LIMIT $2",
    )
    .bind(client.to_owned())
    .bind(limit)
    .fetch_all(db)
    .await
}
