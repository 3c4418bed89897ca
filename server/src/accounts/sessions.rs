//! Console sessions, kept in the database (`console_sessions`) so that signing out, disabling
//! an account or resetting its password ends them for real, on every server.
//!
//! The cookie holds 32 random bytes (hex); the database holds only their SHA-256, so a copy of
//! the database signs nobody in. Each session has its own anti-forgery token. A session ends
//! after `session_idle_secs` without use or `session_absolute_secs` after its sign-in; a new
//! sign-in always starts a new session (the old cookie's session, if any, ends: no fixation).
//! Every request re-reads the account, so a disabled account is out at its next request.

use sha2::{Digest, Sha256};

use super::manage::{Account, actor_of};
use crate::config::ConsoleConfig;
use crate::db::{self, Database, SessionRow};

/// A session's use is written back at most this often (its idle timeout is this coarse).
const TOUCH_EVERY_MS: i64 = 60_000;

/// A signed-in request: the account and its session's anti-forgery token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account: Account,
    pub csrf_token: String,
    /// SHA-256 (hex) of the cookie: which session to end at sign-out.
    pub token_hash: String,
}

/// A started session: the cookie's value and the anti-forgery token.
#[derive(Debug, Clone)]
pub struct StartedSession {
    pub cookie_value: String,
    pub csrf_token: String,
}

fn token_hash(cookie_value: &str) -> String {
    hex::encode(Sha256::digest(cookie_value.as_bytes()))
}

fn ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Start a session for `account`, ending the one `previous_cookie` names (if any).
pub async fn start(
    db: &Database,
    cfg: &ConsoleConfig,
    account: &Account,
    previous_cookie: Option<&str>,
) -> Result<StartedSession, sqlx::Error> {
    let random = |n| crate::random_hex(n).map_err(|e| sqlx::Error::Protocol(e.to_string()));
    let cookie_value = random(32)?;
    let csrf_token = random(32)?;
    let now = crate::now_ms();
    let row = SessionRow {
        token_hash: token_hash(&cookie_value),
        user_id: account.user_id.clone(),
        csrf_token: csrf_token.clone(),
        created_at_ms: now,
        seen_at_ms: now,
    };
    let previous = previous_cookie.map(token_hash);
    db.start_console_session(
        &row,
        previous.as_deref(),
        now.saturating_sub(ms(cfg.session_idle_secs)),
        now.saturating_sub(ms(cfg.session_absolute_secs)),
    )
    .await?;
    Ok(StartedSession {
        cookie_value,
        csrf_token,
    })
}

/// The signed-in account of a session cookie; `None` for an unknown, timed-out or disabled one
/// (a timed-out session is removed).
pub async fn resolve(
    db: &Database,
    cfg: &ConsoleConfig,
    cookie_value: &str,
) -> Result<Option<SignedIn>, sqlx::Error> {
    let hash = token_hash(cookie_value);
    let Some(row) = db::get_session(&db.pool, &hash).await? else {
        return Ok(None);
    };
    let now = crate::now_ms();
    let idle = now.saturating_sub(row.seen_at_ms) >= ms(cfg.session_idle_secs);
    let too_old = now.saturating_sub(row.created_at_ms) >= ms(cfg.session_absolute_secs);
    if idle || too_old {
        db.drop_console_session(&hash).await?;
        return Ok(None);
    }
    let account = match actor_of(db, &row.user_id).await {
        Ok(Some(a)) => a,
        Ok(None) => {
            db.drop_console_session(&hash).await?;
            return Ok(None);
        }
        Err(super::AccountError::Database(e)) => return Err(e),
        Err(e) => return Err(sqlx::Error::Protocol(e.to_string())),
    };
    if now.saturating_sub(row.seen_at_ms) >= TOUCH_EVERY_MS {
        db.touch_console_session(&hash, now).await?;
    }
    Ok(Some(SignedIn {
        account,
        csrf_token: row.csrf_token,
        token_hash: hash,
    }))
}

/// Sign out: the session ends, with its `console_logout` event.
pub async fn end(db: &Database, signed_in: &SignedIn, client: &str) -> Result<(), sqlx::Error> {
    db.end_console_session(
        &signed_in.token_hash,
        &signed_in.account.user_id,
        crate::now_ms(),
        &serde_json::json!({ "client": client }),
    )
    .await
}
