//! Signing in to the console (fixation, events, lock-out) and forged requests, through the real
//! pages, on SQLite and PostgreSQL.

use serde_json::Value;
use tallyseal_server::accounts::{self, Role, Scope};

use crate::console_support::*;
use crate::helpers::*;
use crate::on_backends;

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
    // The cookie is the session key sealed by actix-session: 48 bytes in base64, percent-encoded
    // in the `Set-Cookie` line.
    assert_eq!(percent_decoded(&session).len(), 64);
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

async fn five_failures_lock_the_account_and_more_the_address(db: Db, _store: Store, test: &str) {
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

    // The address (20 by default, 8 here): failures in all lock every name from it, even unknown
    // ones.
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
    five_failures_lock_the_account_and_more_the_address,
    five_failures_lock_the_account_and_more_the_address,
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

/// A cookie value with its `%XX` escapes decoded.
fn percent_decoded(v: &str) -> String {
    let mut out = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 3 <= b.len()
            && let Ok(x) = u8::from_str_radix(&v[i + 1..i + 3], 16)
        {
            out.push(x);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}
