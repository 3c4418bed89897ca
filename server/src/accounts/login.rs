//! Signing in: the password check with lock-out per account and per client address.
//!
//! The rule (docs/console.md): when the latest `max` failed attempts of a login name (since its
//! last success) all fall within `lockout_secs`, the name is locked until `lockout_secs` after
//! the last of them; the same for a client address with its own `max` (a success from the
//! address does not reset it). A locked attempt checks no password and counts as `refused`, not
//! as a failure, so it does not extend the lock; a guesser gets at most `max` guesses per
//! `lockout_secs` per account. Names are locked whether or not an account has them, so the
//! lock-out tells nothing about which accounts exist. Every attempt is a `login_attempts` row
//! and an event (`console_login`, `console_login_failed`, `console_login_refused`,
//! `console_lockout`); events never hold a password.

use serde_json::json;

use super::manage::{Account, find_by_login};
use super::password;
use crate::config::ConsoleConfig;
use crate::db::{self, AttemptOutcome, Database, LoginAttempt};

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown login name, wrong password or a disabled account (one answer for all three).
    #[error("wrong login name or password")]
    WrongCredentials,
    /// Too many failures for this name or from this address.
    #[error("too many failed sign-ins; try again later")]
    Locked,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Account(#[from] super::AccountError),
}

/// Subject of the events about a login name no account has.
const UNKNOWN_SUBJECT: &str = "console-login";

/// Check `login` and `password` from `client`; the account on success.
pub async fn sign_in(
    db: &Database,
    cfg: &ConsoleConfig,
    login: &str,
    password: &str,
    client: &str,
) -> Result<Account, LoginError> {
    let now = crate::now_ms();
    // Login names are lowercase (a tablet's keyboard capitalises the first letter); names
    // longer than any valid login are cut so a row stays small.
    let login: String = login.trim().to_lowercase().chars().take(64).collect();
    let account = find_by_login(db, &login).await?;
    let subject = account
        .as_ref()
        .map_or(UNKNOWN_SUBJECT.to_owned(), |a| a.user_id.clone());
    let window = i64::try_from(cfg.lockout_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let login_fails =
        db::recent_failures_of_login(&db.pool, &login, cfg.max_failures_per_account.into()).await?;
    let client_fails =
        db::recent_failures_of_client(&db.pool, client, cfg.max_failures_per_client.into()).await?;
    let login_locked = locked(&login_fails, cfg.max_failures_per_account, window, now);
    let client_locked = locked(&client_fails, cfg.max_failures_per_client, window, now);
    if login_locked || client_locked {
        let reason = if login_locked { "account" } else { "client" };
        record(
            db,
            now,
            &login,
            client,
            AttemptOutcome::Refused,
            vec![(
                subject,
                "console_login_refused",
                json!({ "login": login, "client": client, "reason": format!("{reason} locked") }),
            )],
        )
        .await?;
        return Err(LoginError::Locked);
    }

    let hash = match &account {
        Some(a) => db::current_password_hash(&db.pool, &a.user_id).await?,
        None => None,
    };
    let matches = password::verify_password_off_thread(password.to_owned(), hash).await;
    match account {
        Some(a) if matches && !a.disabled => {
            record(
                db,
                now,
                &login,
                client,
                AttemptOutcome::Ok,
                vec![(
                    a.user_id.clone(),
                    "console_login",
                    json!({ "client": client }),
                )],
            )
            .await?;
            Ok(a)
        }
        Some(a) if matches => {
            record(
                db,
                now,
                &login,
                client,
                AttemptOutcome::Refused,
                vec![(
                    a.user_id.clone(),
                    "console_login_refused",
                    json!({ "login": login, "client": client, "reason": "disabled" }),
                )],
            )
            .await?;
            Err(LoginError::WrongCredentials)
        }
        _ => {
            let mut events = vec![(
                subject.clone(),
                "console_login_failed",
                json!({ "login": login, "client": client }),
            )];
            let mut with_this = login_fails.clone();
            with_this.insert(0, now);
            with_this.truncate(cfg.max_failures_per_account as usize);
            if locked(&with_this, cfg.max_failures_per_account, window, now) {
                events.push((
                    subject.clone(),
                    "console_lockout",
                    json!({ "login": login, "client": client, "until_ms": now + window }),
                ));
            }
            let mut from_client = client_fails.clone();
            from_client.insert(0, now);
            from_client.truncate(cfg.max_failures_per_client as usize);
            if locked(&from_client, cfg.max_failures_per_client, window, now) {
                events.push((
                    format!("client:{client}"),
                    "console_lockout",
                    json!({ "client": client, "until_ms": now + window }),
                ));
            }
            record(db, now, &login, client, AttemptOutcome::Failed, events).await?;
            Err(LoginError::WrongCredentials)
        }
    }
}

/// Whether the failures (newest first, at most `max`) lock: `max` of them within `window`, and
/// the newest less than `window` ago.
fn locked(failures_newest_first: &[i64], max: u32, window: i64, now: i64) -> bool {
    let max = max as usize;
    if max == 0 || failures_newest_first.len() < max {
        return false;
    }
    let newest = failures_newest_first[0];
    let oldest = failures_newest_first[max - 1];
    newest - oldest <= window && now < newest.saturating_add(window)
}

async fn record(
    db: &Database,
    at_ms: i64,
    login: &str,
    client: &str,
    outcome: AttemptOutcome,
    events: Vec<(String, &'static str, serde_json::Value)>,
) -> Result<(), sqlx::Error> {
    db.record_login_attempt(&LoginAttempt {
        at_ms,
        login: login.to_owned(),
        client: client.to_owned(),
        outcome,
        events,
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::locked;

    #[test]
    fn five_failures_within_the_window_lock_until_the_window_after_the_last() {
        let w = 900_000;
        let fails = [5_000, 4_000, 3_000, 2_000, 1_000];
        assert!(locked(&fails, 5, w, 6_000));
        assert!(locked(&fails, 5, w, 5_000 + w - 1));
        assert!(!locked(&fails, 5, w, 5_000 + w));
        assert!(!locked(&fails[..4], 5, w, 6_000));
        // Spread wider than the window: no lock.
        assert!(!locked(
            &[w + 2_000, 4_000, 3_000, 2_000, 1_000],
            5,
            w,
            w + 3_000
        ));
        assert!(!locked(&fails, 0, w, 6_000));
    }
}
