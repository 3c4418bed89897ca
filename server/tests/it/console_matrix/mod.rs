//! The console's authorisation matrix, through real sessions: every route of the table
//! ([`routes::routes`]: pages, the review and figures domains' JSON API) × every role × its own
//! and another constituency. The expected answer comes from the one decision (`authorize`):
//! allowed → the route's status; refused → 403 (pages and API alike; the API's with the
//! `forbidden` problem), and then nothing was stored in any table of [`STATE_TABLES`]. Each
//! state-changing request an allowed user makes is first sent without its anti-forgery token: 403
//! `csrf-rejected`, nothing stored. Signed out, a page read sends to the sign-in form and
//! every other request is 401.
//!
//! To cover a new route, add a row to [`routes::routes`] (JSON requests carry the token in
//! `X-CSRF-Token`, forms in the `csrf` field) and any new table to [`STATE_TABLES`].

mod fixture;
mod routes;

use serde_json::Value;
use tallyseal_server::accounts::{ConstituencyRef, Permission, authorize};

use crate::console_support::*;
use crate::helpers::*;
use crate::on_backends;
use fixture::Fixture;

/// Which constituency a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// None: the role alone decides.
    Nothing,
    Own,
    Other,
}

/// The tables a refused request must leave as they were (row counts).
const STATE_TABLES: &[&str] = &[
    "accounts",
    "account_scopes",
    "account_changes",
    "review_decisions",
    "figure_entries",
    "figure_confirmations",
    "quarantine_releases",
    "postal_ballots",
    "signed_forms",
    "events",
];

/// The positions in [`STATE_TABLES`] of the console's records, and of `events`.
const RECORD_TABLES: std::ops::Range<usize> = 3..9;
const EVENTS: usize = 9;

/// What a request sends.
pub enum Body {
    None,
    Form(Vec<(String, String)>),
    Json(Value),
}

/// A request of the table: its method, and its path (and body) from the fixture, the target
/// constituency and a counter that makes ids unique.
pub enum Request {
    Get(fn(&Fixture, Target) -> String),
    Post(fn(&Fixture, Target, usize) -> (String, Body)),
    Put(fn(&Fixture, Target, usize) -> (String, Body)),
}

impl Request {
    fn build(&self, f: &Fixture, t: Target, n: usize) -> (&'static str, String, Body) {
        match self {
            Request::Get(path) => ("GET", path(f, t), Body::None),
            Request::Post(make) => {
                let (path, body) = make(f, t, n);
                ("POST", path, body)
            }
            Request::Put(make) => {
                let (path, body) = make(f, t, n);
                ("PUT", path, body)
            }
        }
    }
}

/// One row: a route, what it needs, and what it answers when allowed.
pub struct Route {
    name: &'static str,
    request: Request,
    /// `None`: any signed-in user.
    permission: Option<Permission>,
    targets: &'static [Target],
    allowed_status: u16,
}

async fn state_rows(app: &TestApp) -> Vec<i64> {
    let mut rows = Vec::new();
    for table in STATE_TABLES {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&app.db)
                .await
                .unwrap();
        rows.push(n);
    }
    rows
}

/// Send one request as `b`'s user, with (or without) the session's anti-forgery token; the
/// status and the body.
async fn send(
    b: &mut Browser,
    method: &str,
    path: &str,
    body: &Body,
    with_token: bool,
) -> (u16, String) {
    if method == "GET" {
        let r = b.get(path).await;
        let status = r.status().as_u16();
        // The board's events never end: read no body from a stream.
        let text = if status == 200 && path.ends_with("/board/events") {
            String::new()
        } else {
            r.text().await.unwrap()
        };
        return (status, text);
    }
    let token = if with_token {
        b.csrf().await
    } else {
        String::new()
    };
    let mut req = b
        .client
        .request(method.parse().unwrap(), format!("{}{path}", b.base))
        .header(
            "cookie",
            format!("tallyseal_session={}", b.session_cookie().unwrap()),
        )
        .header("origin", b.base.clone());
    req = match body {
        Body::Json(json) => req.header("x-csrf-token", token).json(json),
        Body::Form(fields) => {
            let mut all = vec![("csrf".to_owned(), token)];
            all.extend(fields.iter().cloned());
            req.form(&all)
        }
        Body::None => req.form(&[("csrf", token)]),
    };
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

fn constituency(t: Target) -> Option<ConstituencyRef> {
    match t {
        Target::Nothing => None,
        Target::Own => Some(fixture::own()),
        Target::Other => Some(fixture::other()),
    }
}

async fn every_route_every_role_own_and_other(db: Db, store: Store, test: &str) {
    let Some((config, dir)) = test_config(db, store, test).await else {
        return;
    };
    let app = TestApp::start(config, std::sync::Arc::new(dir)).await;
    let f = fixture::fixture(&app).await;
    let table = routes::routes();
    let mut n = 0;
    let mut checked = 0;
    for (role, actor, login, pw) in &f.users {
        let mut b = Browser::signed_in(&app, login, pw).await;
        for route in &table {
            for &target in route.targets {
                n += 1;
                let allowed = match route.permission {
                    None => true,
                    Some(p) => authorize(actor, p, constituency(target).as_ref()),
                };
                let (method, path, body) = route.request.build(&f, target, n);
                let what = format!("{} as {role:?} on {target:?}: {method} {path}", route.name);
                let before = state_rows(&app).await;
                if allowed && method != "GET" {
                    let (status, text) = send(&mut b, method, &path, &body, false).await;
                    assert_eq!(status, 403, "{what} without its token: {text}");
                    if path.starts_with("/api/") {
                        assert!(text.contains("csrf-rejected"), "{what}: {text}");
                    }
                    assert_eq!(state_rows(&app).await, before, "{what} without its token");
                }
                let (status, text) = send(&mut b, method, &path, &body, true).await;
                let expected = if allowed { route.allowed_status } else { 403 };
                assert_eq!(status, expected, "{what}: {text}");
                if allowed && method != "GET" && path.starts_with("/api/") && status < 300 {
                    // Every decision, entry, settlement, release, form signature and postal
                    // entry is appended with its event.
                    let after = state_rows(&app).await;
                    let grew = |i: usize| after[i] - before[i];
                    let records: i64 = RECORD_TABLES.map(grew).sum();
                    // Validation only runs core's rules on what is typed.
                    let stores = !path.ends_with("/figures/validate");
                    assert_eq!(records >= 1, stores, "{what}: {records} records");
                    assert_eq!(grew(EVENTS), records, "{what}: one event per record");
                }
                if !allowed {
                    assert_eq!(state_rows(&app).await, before, "{what} stored something");
                    if path.starts_with("/api/") {
                        let problem: Value = serde_json::from_str(&text).unwrap();
                        assert_eq!(problem["type"], "https://tallyseal.org/problems/forbidden");
                    }
                }
                checked += 1;
            }
        }
    }
    let rows: usize = table.iter().map(|r| r.targets.len()).sum();
    assert_eq!(checked, f.users.len() * rows);
    // Signed out: nothing is allowed and nothing is stored.
    let mut anon = Browser::new(&app);
    let before = state_rows(&app).await;
    for route in &table {
        for &target in route.targets {
            n += 1;
            let (method, path, body) = route.request.build(&f, target, n);
            let r = match (method, body) {
                ("GET", _) => anon.get(&path).await,
                (_, Body::Json(json)) => anon
                    .client
                    .request(method.parse().unwrap(), format!("{}{path}", anon.base))
                    .header("origin", anon.base.clone())
                    .json(&json)
                    .send()
                    .await
                    .unwrap(),
                _ => anon.post_form(&path, &[]).await,
            };
            // A page read goes to the sign-in form; anything else is 401.
            let expected = if method == "GET" && !path.starts_with("/api/") {
                303
            } else {
                401
            };
            assert_eq!(
                r.status(),
                expected,
                "signed out: {} {method} {path}",
                route.name
            );
        }
    }
    assert_eq!(
        state_rows(&app).await,
        before,
        "signed-out requests stored something"
    );
}

on_backends!(
    every_route_every_role_own_and_other,
    every_route_every_role_own_and_other,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres)]
);
