//! Console sessions end for real: sign-out, disabling, a password reset, idle and absolute
//! timeouts; on SQLite and PostgreSQL.

use serde_json::Value;
use tallyseal_server::accounts::{self, Role, Scope};

use crate::console_support::*;
use crate::helpers::*;
use crate::on_backends;

async fn sign_out_and_disabling_end_sessions_for_real(db: Db, _store: Store, test: &str) {
    let Some(app) = start(db, test, |_| {}).await else {
        return;
    };
    let accounts_db = database(&app).await;
    let (_, ro_pw) = add_user(
        &accounts_db,
        "ro-out",
        Role::ReturningOfficer,
        Scope::Constituencies(vec![own()]),
    )
    .await;
    let mut ro = Browser::signed_in(&app, "ro-out", &ro_pw).await;
    let old_cookie = ro.session_cookie().unwrap();

    // The RO creates an operator on the operator page; the password is shown once.
    let r = ro
        .post_with_token(
            "/console/operators",
            &[("login", "op-one"), ("constituency", "pk-test/NA-1")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let op_pw = html
        .split("<p class=\"secret\" id=\"new-password\">")
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .unwrap()
        .to_owned();
    assert_eq!(op_pw.len(), 16);
    let op = accounts::find_by_login(&accounts_db, "op-one")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(op.role, Role::Operator);
    assert_eq!(op.scope, Scope::Constituencies(vec![own()]));
    assert_eq!(
        op.created_by,
        ro.get("/api/v1/console/session")
            .await
            .json::<Value>()
            .await
            .unwrap()["user_id"]
            .as_str()
            .unwrap()
    );

    // The operator signs in; the RO disables them; the operator is out at the next request.
    let mut operator = Browser::signed_in(&app, "op-one", &op_pw).await;
    assert_eq!(operator.get("/console").await.status(), 200);
    let r = ro
        .post_with_token(&format!("/console/operators/{}/disable", op.user_id), &[])
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("is disabled"));
    let r = operator.get("/console").await;
    assert_eq!(r.status(), 303);
    assert_eq!(operator.get("/api/v1/console/session").await.status(), 401);
    // …and cannot sign in again (one answer for a wrong password and a disabled account).
    assert_eq!(
        Browser::new(&app).login("op-one", &op_pw).await.status(),
        401
    );
    // Enabled again (by the administrator's door), the operator can.
    let op = accounts::find_by_login(&accounts_db, "op-one")
        .await
        .unwrap()
        .unwrap();
    accounts::set_enabled(&accounts_db, accounts::CLI_ACTOR, &op, true)
        .await
        .unwrap();
    assert_eq!(
        Browser::new(&app).login("op-one", &op_pw).await.status(),
        303
    );
    // Nothing was changed in place: three changes (password, disabled, enabled).
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM account_changes WHERE user_id = $1 ORDER BY id")
            .bind(op.user_id.clone())
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(kinds, ["password", "disabled", "enabled"]);
    let refused = sqlx::query("UPDATE account_changes SET kind = 'enabled'")
        .execute(&app.db)
        .await;
    assert!(refused.is_err(), "account changes are append-only");

    // Sign out: the session row is gone and the old cookie is refused.
    let r = ro.post_with_token("/console/logout", &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/console/login?signed_out=1");
    assert_eq!(ro.session_cookie(), None);
    let mut replay = Browser::new(&app);
    replay
        .cookies
        .insert("tallyseal_session".into(), old_cookie);
    assert_eq!(replay.get("/console").await.status(), 303);
    assert_eq!(replay.get("/api/v1/console/session").await.status(), 401);
    assert!(
        event_kinds(&app)
            .await
            .contains(&"console_logout".to_owned())
    );
}

on_backends!(
    sign_out_and_disabling_end_sessions_for_real,
    sign_out_and_disabling_end_sessions_for_real,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres)]
);

async fn sessions_time_out_and_a_password_reset_ends_them(db: Db, _store: Store, test: &str) {
    // Idle timeout: 3 s (long enough for a request right after signing in to come back in time
    // on a busy machine, where argon2 alone takes a while).
    let Some(app) = start(db, test, |c| c.console.session_idle_secs = 3).await else {
        return;
    };
    let accounts_db = database(&app).await;
    let (_, pw) = add_user(&accounts_db, "ro-idle", Role::ReturningOfficer, Scope::All).await;
    let mut b = Browser::signed_in(&app, "ro-idle", &pw).await;
    assert_eq!(b.get("/api/v1/console/session").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    assert_eq!(b.get("/api/v1/console/session").await.status(), 401);
    assert_eq!(app.count("SELECT COUNT(*) FROM console_sessions").await, 0);

    // A password reset ends the account's sessions at once; the new password works.
    let mut b = Browser::signed_in(&app, "ro-idle", &pw).await;
    let account = accounts::find_by_login(&accounts_db, "ro-idle")
        .await
        .unwrap()
        .unwrap();
    let new_pw = accounts::reset_password(&accounts_db, accounts::CLI_ACTOR, &account, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.get("/api/v1/console/session").await.status(), 401);
    assert_eq!(Browser::new(&app).login("ro-idle", &pw).await.status(), 401);
    assert_eq!(
        Browser::new(&app).login("ro-idle", &new_pw).await.status(),
        303
    );
    assert!(
        event_kinds(&app)
            .await
            .contains(&"account_password_reset".to_owned())
    );
}

on_backends!(
    sessions_time_out_and_a_password_reset_ends_them,
    sessions_time_out_and_a_password_reset_ends_them,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres)]
);

async fn sessions_end_at_the_absolute_timeout_however_busy(db: Db, _store: Store, test: &str) {
    // Absolute timeout: 4 s; the session is used every half second until then, and still ends.
    let Some(app) = start(db, test, |c| c.console.session_absolute_secs = 4).await else {
        return;
    };
    let accounts_db = database(&app).await;
    let (_, pw) = add_user(&accounts_db, "ro-busy", Role::Observer, Scope::All).await;
    let mut b = Browser::signed_in(&app, "ro-busy", &pw).await;
    let signed_in = std::time::Instant::now();
    for _ in 0..4 {
        assert_eq!(b.get("/api/v1/console/session").await.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let end = std::time::Duration::from_millis(4300);
    tokio::time::sleep(end.saturating_sub(signed_in.elapsed())).await;
    assert_eq!(b.get("/api/v1/console/session").await.status(), 401);
}

on_backends!(
    sessions_end_at_the_absolute_timeout_however_busy,
    sessions_end_at_the_absolute_timeout_however_busy,
    [(Sqlite, Local, sqlite)]
);

/// The public pages never see the console's cookie: they neither set one nor keep a session
/// alive (its last use moves only with console requests).
async fn public_requests_leave_the_session_alone(db: Db, _store: Store, test: &str) {
    let Some(app) = start(db, test, |_| {}).await else {
        return;
    };
    let accounts_db = database(&app).await;
    let (_, pw) = add_user(&accounts_db, "ro-public", Role::Observer, Scope::All).await;
    let mut b = Browser::signed_in(&app, "ro-public", &pw).await;
    sqlx::query("UPDATE console_sessions SET seen_at_ms = seen_at_ms - 120000")
        .execute(&app.db)
        .await
        .unwrap();
    let seen = || async {
        sqlx::query_scalar::<_, i64>("SELECT seen_at_ms FROM console_sessions")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    let before = seen().await;
    for path in ["/api/v1/health", "/api/v1/elections", "/"] {
        let r = b.get(path).await;
        assert!(r.status().is_success(), "{path}: {}", r.status());
        assert!(r.headers().get("set-cookie").is_none(), "{path}");
    }
    assert_eq!(seen().await, before);
    assert_eq!(b.get("/api/v1/console/session").await.status(), 200);
    assert!(seen().await >= before + 120_000);
}

on_backends!(
    public_requests_leave_the_session_alone,
    public_requests_leave_the_session_alone,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres)]
);
