//! The console's accounts, sign-in, lock-out, sessions, anti-forgery checks and languages,
//! through the real pages, on SQLite and PostgreSQL.

use serde_json::Value;
use tallyseal_server::accounts::{self, Role, Scope};

use crate::console_support::*;
use crate::helpers::*;
use crate::on_backends;

async fn start(
    db: Db,
    test: &str,
    adjust: impl FnOnce(&mut tallyseal_server::ServerConfig),
) -> Option<TestApp> {
    let (mut config, dir) = test_config(db, Store::Local, test).await?;
    adjust(&mut config);
    Some(TestApp::start(config, std::sync::Arc::new(dir)).await)
}

async fn event_kinds(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM events WHERE kind LIKE 'console_%' OR kind LIKE 'account_%' ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn sign_in_renews_the_session_and_records_events(db: Db, _store: Store, test: &str) {
    let Some(app) = start(db, test, |_| {}).await else {
        return;
    };
    let accounts_db = database(&app).await;
    let (ro_id, password) = add_user(
        &accounts_db,
        "ro-na1",
        Role::ReturningOfficer,
        Scope::Constituencies(vec![own()]),
    )
    .await;

    // Signed out: the home page sends to the sign-in form.
    let mut b = Browser::new(&app);
    let r = b.get("/console").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/console/login");

    // A wrong password: 401, the form again with the name kept, an event, no session.
    let r = b.login("ro-na1", "wrong password!").await;
    assert_eq!(r.status(), 401);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Wrong login name or password.")
    );
    assert_eq!(b.session_cookie(), None);

    // Fixation: a session id planted before sign-in is not the one after, and is worth nothing.
    b.cookies
        .insert("tallyseal_session".into(), "planted0123".into());
    let r = b.login("ro-na1", &password).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/console");
    let set_cookie: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session_line = set_cookie
        .iter()
        .find(|l| l.starts_with("tallyseal_session="))
        .unwrap();
    assert!(session_line.contains("HttpOnly") && session_line.contains("SameSite=Strict"));
    assert!(
        !session_line.contains("Secure"),
        "no TLS here: {session_line}"
    );
    let session = b.session_cookie().unwrap();
    assert_ne!(session, "planted0123");
    assert_eq!(session.len(), 64);
    // The database holds only the cookie's hash.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM console_sessions")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], session);

    // Signing in again (the form is fetched without the cookie: signed in, it sends home)
    // replaces the session the browser came with.
    let first = session.clone();
    b.cookies.remove("tallyseal_session");
    assert_eq!(b.get("/console/login").await.status(), 200);
    let nonce = b.cookies["tallyseal_login"].clone();
    b.cookies.insert("tallyseal_session".into(), first.clone());
    assert_eq!(
        b.get("/console/login").await.status(),
        303,
        "signed in: home"
    );
    let r = b
        .post_form(
            "/console/login",
            &[
                ("csrf", &nonce),
                ("login", "ro-na1"),
                ("password", &password),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let second = b.session_cookie().unwrap();
    assert_ne!(first, second);
    assert_eq!(app.count("SELECT COUNT(*) FROM console_sessions").await, 1);

    // A capitalised name (a tablet's keyboard) is the same account.
    assert_eq!(
        Browser::new(&app)
            .login(" Ro-NA1", &password)
            .await
            .status(),
        303
    );

    // Home: the constituency and its board, the user and role in the header, no-store.
    let r = b.get("/console").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("href=\"/console/pk-test/NA-1/board\""),
        "{html}"
    );
    assert!(html.contains("Returning Officer"));
    assert!(html.contains("ro-na1"));
    assert!(html.contains("<html lang=\"en\" dir=\"ltr\">"));

    // The session API names the actor.
    let r = b.get("/api/v1/console/session").await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["user_id"], ro_id.as_str());
    assert_eq!(v["role"], "ro");
    assert_eq!(v["scope"][0]["constituency"], "NA-1");

    // Every sign-in is an event; no event holds the password.
    let kinds = event_kinds(&app).await;
    assert_eq!(
        kinds,
        [
            "account_created",
            "console_login_failed",
            "console_login",
            "console_login",
            "console_login"
        ]
    );
    let details: Vec<String> = sqlx::query_scalar("SELECT detail FROM events")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(
        details
            .iter()
            .all(|d| !d.contains(&password) && !d.contains("wrong password!"))
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM login_attempts WHERE outcome = 'failed'")
            .await,
        1
    );
}

on_backends!(
    sign_in_renews_the_session_and_records_events,
    sign_in_renews_the_session_and_records_events,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres)]
);

async fn five_failures_lock_the_account_and_twenty_the_address(db: Db, _store: Store, test: &str) {
    let Some(app) = start(db, test, |c| c.console.max_failures_per_client = 8).await else {
        return;
    };
    let accounts_db = database(&app).await;
    let (_, password) = add_user(&accounts_db, "ro-lock", Role::ReturningOfficer, Scope::All).await;
    let mut b = Browser::new(&app);
    for i in 0..5 {
        let r = b.login("ro-lock", "not the password").await;
        assert_eq!(r.status(), 401, "failure {i}");
    }
    // Locked: even the right password is refused, without being checked.
    let r = b.login("ro-lock", &password).await;
    assert_eq!(r.status(), 429);
    let html = r.text().await.unwrap();
    assert!(html.contains("Try again in"), "{html}");
    assert_eq!(b.session_cookie(), None);
    let kinds = event_kinds(&app).await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "console_login_failed")
            .count(),
        5
    );
    assert_eq!(kinds.iter().filter(|k| *k == "console_lockout").count(), 1);
    assert_eq!(kinds.last().unwrap(), "console_login_refused");

    // The address: 8 failures in all (here) lock every name from it, even unknown ones.
    for i in 0..3 {
        let r = b.login("someone-else", "guess").await;
        assert_eq!(r.status(), 401, "failure {i}");
    }
    let r = b.login("a-third-name", "guess").await;
    assert_eq!(r.status(), 429);
    assert_eq!(app.count("SELECT COUNT(*) FROM login_attempts").await, 10);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM login_attempts WHERE outcome = 'refused'")
            .await,
        2
    );
}

on_backends!(
    five_failures_lock_the_account_and_twenty_the_address,
    five_failures_lock_the_account_and_twenty_the_address,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres)]
);

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

async fn forged_requests_are_refused_and_store_nothing(db: Db, _store: Store, test: &str) {
    let Some(app) = start(db, test, |_| {}).await else {
        return;
    };
    let accounts_db = database(&app).await;
    let (_, pw) = add_user(
        &accounts_db,
        "ro-csrf",
        Role::ReturningOfficer,
        Scope::Constituencies(vec![own()]),
    )
    .await;
    let mut b = Browser::signed_in(&app, "ro-csrf", &pw).await;
    let before = console_rows(&app).await;
    let fields = [("login", "op-forged"), ("constituency", "pk-test/NA-1")];

    // No token: the HTML refusal page.
    let r = b.post_form("/console/operators", &fields).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("did not come from this site")
    );
    // A wrong token.
    let mut wrong = vec![("csrf", "00".repeat(32))];
    wrong.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        b.post_form("/console/operators", &wrong).await.status(),
        403
    );
    // The right token from another site's page.
    let token = b.csrf().await;
    let mut forged = vec![("csrf", token.as_str())];
    forged.extend_from_slice(&fields);
    let r = b
        .post_form_from("/console/operators", &forged, "http://evil.example")
        .await;
    assert_eq!(r.status(), 403);
    // The API: problem+json `csrf-rejected` (a header token that is wrong).
    let r = b
        .client
        .post(format!("{}/api/v1/console/session", app.base))
        .header(
            "cookie",
            format!("tallyseal_session={}", b.session_cookie().unwrap()),
        )
        .header("origin", app.base.clone())
        .header("x-csrf-token", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await, (403, "csrf-rejected".into()));
    // Without a session: 401, nothing reaches a handler.
    let r = Browser::new(&app)
        .post_form("/console/operators", &forged)
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        console_rows(&app).await,
        before,
        "nothing stored on refusal"
    );

    // Login forgery: a sign-in POST without the form's nonce is refused.
    let mut stranger = Browser::new(&app);
    let r = stranger
        .post_form(
            "/console/login",
            &[("login", "ro-csrf"), ("password", pw.as_str())],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(stranger.session_cookie(), None);

    // With the token in the header (htmx), it goes through.
    let token = b.csrf().await;
    let r = b
        .client
        .post(format!("{}/console/operators", app.base))
        .header(
            "cookie",
            format!("tallyseal_session={}", b.session_cookie().unwrap()),
        )
        .header("origin", app.base.clone())
        .header("x-csrf-token", token)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        accounts::find_by_login(&accounts_db, "op-forged")
            .await
            .unwrap()
            .is_some()
    );
}

on_backends!(
    forged_requests_are_refused_and_store_nothing,
    forged_requests_are_refused_and_store_nothing,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres)]
);

async fn script_is_shown_as_text_and_urdu_is_right_to_left(db: Db, _store: Store, test: &str) {
    let Some(app) = start(db, test, |_| {}).await else {
        return;
    };
    let accounts_db = database(&app).await;
    let (_, pw) = add_user(
        &accounts_db,
        "ro-text",
        Role::ReturningOfficer,
        Scope::Constituencies(vec![own()]),
    )
    .await;
    // A login name with script, echoed by the sign-in form: escaped.
    let mut b = Browser::new(&app);
    let r = b
        .login("<script>alert(1)</script>", "whatever-password")
        .await;
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)"));

    // An operator named with script: refused (422), the name shown as text.
    let mut ro = Browser::signed_in(&app, "ro-text", &pw).await;
    let r = ro
        .post_with_token(
            "/console/operators",
            &[
                ("login", "<script>x</script>"),
                ("constituency", "pk-test/NA-1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>x"), "{html}");

    // Urdu: `?lang=ur` switches and is remembered; `dir="rtl"`.
    let r = ro.get("/console?lang=ur").await;
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"ur\" dir=\"rtl\">"), "{html}");
    assert!(html.contains("باہر نکلیں"));
    assert_eq!(ro.cookies.get("lang").map(String::as_str), Some("ur"));
    let html = ro.get("/console").await.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""));
    // Text isolates the inserted login name; the attribute carrying the same message does not.
    let who = html.split("<p class=\"who\" title=\"").nth(1).unwrap();
    let (title, text) = who.split_once("\">").unwrap();
    assert!(
        title.contains("ro-text") && !title.contains('\u{2068}') && !title.contains('\u{2069}'),
        "{title:?}"
    );
    assert!(text.contains("\u{2068}ro-text\u{2069}"), "{text:?}");
    // Accept-Language alone.
    let r = reqwest::Client::new()
        .get(app.url("/console/login"))
        .header("accept-language", "ur-PK, en;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("dir=\"rtl\""));

    // The stylesheet: hashed URL, long cache; another hash is unknown.
    let css_url = html
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = reqwest::get(app.url(&css_url)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        reqwest::get(app.url("/static/console.0000000000000000.css"))
            .await
            .unwrap()
            .status(),
        404
    );
    // Unknown console pages: the HTML 404 page.
    let r = ro.get("/console/no/such/page/here").await;
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

on_backends!(
    script_is_shown_as_text_and_urdu_is_right_to_left,
    script_is_shown_as_text_and_urdu_is_right_to_left,
    [(Sqlite, Local, sqlite)]
);

async fn sessions_time_out_and_a_password_reset_ends_them(db: Db, _store: Store, test: &str) {
    // Idle timeout: 1 s.
    let Some(app) = start(db, test, |c| c.console.session_idle_secs = 1).await else {
        return;
    };
    let accounts_db = database(&app).await;
    let (_, pw) = add_user(&accounts_db, "ro-idle", Role::ReturningOfficer, Scope::All).await;
    let mut b = Browser::signed_in(&app, "ro-idle", &pw).await;
    assert_eq!(b.get("/api/v1/console/session").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
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
    let Some(app) = start(db, test, |c| c.console.session_absolute_secs = 1).await else {
        return;
    };
    let accounts_db = database(&app).await;
    let (_, pw) = add_user(&accounts_db, "ro-busy", Role::Observer, Scope::All).await;
    let mut b = Browser::signed_in(&app, "ro-busy", &pw).await;
    for _ in 0..4 {
        assert_eq!(b.get("/api/v1/console/session").await.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(b.get("/api/v1/console/session").await.status(), 401);
}

on_backends!(
    sessions_end_at_the_absolute_timeout_however_busy,
    sessions_end_at_the_absolute_timeout_however_busy,
    [(Sqlite, Local, sqlite)]
);
