//! The console's writes as [`Database`] methods: accounts, their changes and login attempts, and
//! sessions (each on the writer pool, in its own transaction; see [`super::accounts`] and
//! [`super::console_sessions`]).

use super::{
    AccountChange, Database, DbResult, LoginAttempt, NewAccount, SessionRow, accounts,
    console_sessions,
};

impl Database {
    /// Create a console account (`accounts::insert_account`); false when the login is taken.
    pub async fn insert_account(&self, new: &NewAccount) -> DbResult<bool> {
        accounts::insert_account(&self.writer, new).await
    }

    /// Append an account change and its event (`accounts::append_change`).
    pub async fn append_account_change(&self, change: &AccountChange) -> DbResult<()> {
        accounts::append_change(&self.writer, change).await
    }

    /// Append a login attempt and its events.
    pub async fn record_login_attempt(&self, attempt: &LoginAttempt) -> DbResult<()> {
        accounts::record_login_attempt(&self.writer, attempt).await
    }

    /// Start a console session (`console_sessions::start_session`).
    pub async fn start_console_session(
        &self,
        row: &SessionRow,
        replaces: Option<&str>,
        expired_before_ms: i64,
        started_before_ms: i64,
    ) -> DbResult<()> {
        console_sessions::start_session(
            &self.writer,
            row,
            replaces,
            expired_before_ms,
            started_before_ms,
        )
        .await
    }

    /// Note a console session's use.
    pub async fn touch_console_session(&self, token_hash: &str, now: i64) -> DbResult<()> {
        console_sessions::touch_session(&self.writer, token_hash, now).await
    }

    /// Drop a console session that timed out (no event: nobody acted).
    pub async fn drop_console_session(&self, token_hash: &str) -> DbResult<()> {
        console_sessions::delete_session(&self.writer, token_hash).await
    }

    /// End a console session with its `console_logout` event.
    pub async fn end_console_session(
        &self,
        token_hash: &str,
        user_id: &str,
        now: i64,
        detail: &serde_json::Value,
    ) -> DbResult<()> {
        console_sessions::end_session(&self.writer, token_hash, user_id, now, detail).await
    }
}
