//! actix-session's `SessionStore` over the `console_sessions` table (SQLite or PostgreSQL), so
//! console sessions stay on the server and every server on the database shares them.
//!
//! The session key (the part of the cookie actix-session encrypts) is 15 random bytes
//! (120 bits, base64url); the table holds only its SHA-256, so a copy of the database signs
//! nobody in. A session holds exactly two values, the account's id and its anti-forgery token,
//! kept in their own columns (the account's id indexed, so disabling an account or resetting its
//! password deletes its sessions on every server). The store enforces the timeouts itself: a
//! session unused for `session_idle_secs`, or older than `session_absolute_secs`, is deleted
//! when next presented and loads as none; its last use is written at most once a minute.
//!
//! It never decides who is signed in: the session layer re-reads the account on every request.

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

use crate::config::ConsoleConfig;
use crate::db::{self, Database, SessionRow};

/// The session value naming the account.
pub const USER_ID: &str = "user_id";
/// The session value holding the anti-forgery token.
pub const CSRF: &str = "csrf";
/// The value the store adds when loading: the hash of the session key (which row to end at
/// sign-out). Never written by handlers; ignored when saving.
pub const KEY_HASH: &str = "key_hash";

/// A session's use is written back at most this often (its idle timeout is this coarse).
const TOUCH_EVERY_MS: i64 = 60_000;

/// The console's session store.
#[derive(Debug, Clone)]
pub struct ConsoleSessionStore {
    db: Database,
    idle_ms: i64,
    absolute_ms: i64,
}

fn ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// SHA-256 (hex) of a session key: the row's `token_hash`.
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn new_key() -> anyhow::Result<SessionKey> {
    let mut bytes = [0u8; 15];
    getrandom::getrandom(&mut bytes)?;
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    SessionKey::try_from(key).map_err(anyhow::Error::from)
}

/// A session value as actix-session stores it (JSON) decoded to a string.
fn value(state: &HashMap<String, String>, name: &str) -> anyhow::Result<String> {
    let raw = state
        .get(name)
        .ok_or_else(|| anyhow::anyhow!("a console session needs `{name}`"))?;
    Ok(serde_json::from_str::<String>(raw)?)
}

fn encoded(v: &str) -> String {
    serde_json::Value::String(v.to_owned()).to_string()
}

impl ConsoleSessionStore {
    pub fn new(db: Database, cfg: &ConsoleConfig) -> Self {
        Self {
            db,
            idle_ms: ms(cfg.session_idle_secs),
            absolute_ms: ms(cfg.session_absolute_secs),
        }
    }

    /// Insert a new row for `state` (sessions past their timeouts go in the same transaction).
    async fn insert(&self, state: &HashMap<String, String>) -> anyhow::Result<SessionKey> {
        let user_id = value(state, USER_ID)?;
        let csrf_token = value(state, CSRF)?;
        let key = new_key()?;
        let now = crate::now_ms();
        let row = SessionRow {
            token_hash: key_hash(key.as_ref()),
            user_id,
            csrf_token,
            created_at_ms: now,
            seen_at_ms: now,
        };
        self.db
            .start_console_session(
                &row,
                None,
                now.saturating_sub(self.idle_ms),
                now.saturating_sub(self.absolute_ms),
            )
            .await?;
        Ok(key)
    }
}

impl SessionStore for ConsoleSessionStore {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        let hash = key_hash(session_key.as_ref());
        let other = |e: sqlx::Error| LoadError::Other(e.into());
        let Some(row) = db::get_session(&self.db.pool, &hash).await.map_err(other)? else {
            return Ok(None);
        };
        let now = crate::now_ms();
        let idle = now.saturating_sub(row.seen_at_ms) >= self.idle_ms;
        let too_old = now.saturating_sub(row.created_at_ms) >= self.absolute_ms;
        if idle || too_old {
            self.db.drop_console_session(&hash).await.map_err(other)?;
            return Ok(None);
        }
        if now.saturating_sub(row.seen_at_ms) >= TOUCH_EVERY_MS {
            self.db
                .touch_console_session(&hash, now)
                .await
                .map_err(other)?;
        }
        Ok(Some(HashMap::from([
            (USER_ID.to_owned(), encoded(&row.user_id)),
            (CSRF.to_owned(), encoded(&row.csrf_token)),
            (KEY_HASH.to_owned(), encoded(&hash)),
        ])))
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        _ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        self.insert(&session_state).await.map_err(SaveError::Other)
    }

    /// A session's values never change in place: a change is a new session (new key), and the
    /// old one ends.
    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        _ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let key = self
            .insert(&session_state)
            .await
            .map_err(UpdateError::Other)?;
        self.delete(&session_key)
            .await
            .map_err(UpdateError::Other)?;
        Ok(key)
    }

    async fn update_ttl(&self, session_key: &SessionKey, _ttl: &Duration) -> anyhow::Result<()> {
        let hash = key_hash(session_key.as_ref());
        Ok(self
            .db
            .touch_console_session(&hash, crate::now_ms())
            .await?)
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let hash = key_hash(session_key.as_ref());
        Ok(self.db.drop_console_session(&hash).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_only_their_hash_is_kept() {
        let a = new_key().unwrap();
        let b = new_key().unwrap();
        assert_ne!(a.as_ref(), b.as_ref());
        assert_eq!(a.as_ref().len(), 20);
        let h = key_hash(a.as_ref());
        assert_eq!(h.len(), 64);
        assert_ne!(h, a.as_ref());
        let state = HashMap::from([(USER_ID.to_owned(), encoded("u-1"))]);
        assert_eq!(value(&state, USER_ID).unwrap(), "u-1");
        assert!(value(&state, CSRF).is_err());
    }
}
