//! Console sessions on actix-session: what a session holds (the account's id and its own
//! anti-forgery token), starting one at sign-in and ending one at sign-out. The sessions live in
//! the database (`console_sessions`, through [`super::session_store`]) so that signing out,
//! disabling an account or resetting its password ends them for real, on every server.
//!
//! A new sign-in always renews the session (the old key's session ends: no fixation). Every
//! request re-reads the account, so a disabled account is out at its next request.

use actix_session::Session;

use super::manage::{Account, actor_of};
use super::session_store::{CSRF, KEY_HASH, USER_ID};
use crate::db::Database;

/// A signed-in request: the account and its session's anti-forgery token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account: Account,
    pub csrf_token: String,
    /// SHA-256 (hex) of the session key: which session to end at sign-out.
    pub token_hash: String,
}

/// Why a session could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the operating system's random number generator failed")]
    Randomness,
    #[error("session value: {0}")]
    Insert(#[from] actix_session::SessionInsertError),
}

/// Start a session for `account` on a successful sign-in: the session the browser came with
/// (if any) is emptied and gets a new key (`renew`: the id before and after differ), then holds
/// the account's id and a new anti-forgery token. The store writes it once the answer is made.
pub fn begin(session: &Session, account: &Account) -> Result<(), StartError> {
    let csrf_token = crate::random_hex(32).map_err(|_| StartError::Randomness)?;
    session.clear();
    session.renew();
    session.insert(USER_ID, &account.user_id)?;
    session.insert(CSRF, &csrf_token)?;
    Ok(())
}

/// The signed-in account of a session the store loaded (it has already refused unknown and
/// timed-out ones); `None` without a session or for a disabled or deleted account (its session
/// is purged).
pub async fn resolve(db: &Database, session: &Session) -> Result<Option<SignedIn>, sqlx::Error> {
    let read = |name| session.get::<String>(name).ok().flatten();
    let (Some(user_id), Some(csrf_token), Some(token_hash)) =
        (read(USER_ID), read(CSRF), read(KEY_HASH))
    else {
        return Ok(None);
    };
    let account = match actor_of(db, &user_id).await {
        Ok(Some(a)) => a,
        Ok(None) => {
            session.purge();
            return Ok(None);
        }
        Err(super::AccountError::Database(e)) => return Err(e),
        Err(e) => return Err(sqlx::Error::Protocol(e.to_string())),
    };
    Ok(Some(SignedIn {
        account,
        csrf_token,
        token_hash,
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
