//! `console_sessions`: who is signed in to the console right now. The row is keyed by the SHA-256
//! of the cookie's value (the database never holds a usable cookie) and carries the session's
//! anti-forgery token. The one table of the console that is changed and purged: a session is
//! access state, not a record (logins and logouts are events), and ending one must remove it.

use sqlx::{Any, AnyPool, Executor};

use super::DbResult;
use super::events::insert_event;

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at_ms: i64,
    pub seen_at_ms: i64,
}

/// The session whose cookie hashes to `token_hash`.
pub async fn get_session(db: &AnyPool, token_hash: &str) -> DbResult<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT token_hash, user_id, csrf_token, created_at_ms, seen_at_ms \
         FROM console_sessions WHERE token_hash = $1",
    )
    .bind(token_hash.to_owned())
    .fetch_optional(db)
    .await
}

/// Start a session; `replaces` (the session the browser came with, if any) ends in the same
/// transaction, as do sessions past `expired_before_ms` (seen) or `started_before_ms` (created).
pub async fn start_session(
    writer: &AnyPool,
    row: &SessionRow,
    replaces: Option<&str>,
    expired_before_ms: i64,
    started_before_ms: i64,
) -> DbResult<()> {
    let mut tx = super::begin_write(writer).await?;
    if let Some(old) = replaces {
        delete_session(&mut *tx, old).await?;
    }
    sqlx::query("DELETE FROM console_sessions WHERE seen_at_ms < $1 OR created_at_ms < $2")
        .bind(expired_before_ms)
        .bind(started_before_ms)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at_ms, seen_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(row.token_hash.clone())
    .bind(row.user_id.clone())
    .bind(row.csrf_token.clone())
    .bind(row.created_at_ms)
    .bind(row.seen_at_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Note that the session was used at `now` (its idle timeout starts again).
pub async fn touch_session(writer: &AnyPool, token_hash: &str, now: i64) -> DbResult<()> {
    sqlx::query("UPDATE console_sessions SET seen_at_ms = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(token_hash.to_owned())
        .execute(writer)
        .await?;
    Ok(())
}

/// End one session.
pub async fn delete_session<'e, E: Executor<'e, Database = Any>>(
    e: E,
    token_hash: &str,
) -> DbResult<()> {
    sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
        .bind(token_hash.to_owned())
        .execute(e)
        .await?;
    Ok(())
}

/// End every session of an account.
pub async fn delete_sessions_of<'e, E: Executor<'e, Database = Any>>(
    e: E,
    user_id: &str,
) -> DbResult<()> {
    sqlx::query("DELETE FROM console_sessions WHERE user_id = $1")
        .bind(user_id.to_owned())
        .execute(e)
        .await?;
    Ok(())
}

/// End one session with its `console_logout` event.
pub async fn end_session(
    writer: &AnyPool,
    token_hash: &str,
    user_id: &str,
    now: i64,
    detail: &serde_json::Value,
) -> DbResult<()> {
    let mut tx = super::begin_write(writer).await?;
    delete_session(&mut *tx, token_hash).await?;
    insert_event(&mut *tx, now, "console_logout", user_id, detail).await?;
    tx.commit().await
}
