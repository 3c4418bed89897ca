//! The console's authorisation matrix, through the real routes: every route of the table ×
//! every role × its own and another constituency. The expected answer comes from the one
//! decision (`authorize`): allowed → the route's success status; refused → 403 (pages and API
//! alike), and then nothing was stored in any table of [`STATE_TABLES`]. To cover a new route,
//! add a row to [`routes`] (a form or JSON body; JSON requests carry the token in
//! `X-CSRF-Token`) and its tables to [`STATE_TABLES`].

use serde_json::Value;
use tallyseal_server::accounts::{Actor, ConstituencyRef, Permission, Role, Scope, authorize};

use crate::console_support::*;
use crate::helpers::*;
use crate::on_backends;

/// Which constituency a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// None: the role alone decides.
    Nothing,
    Own,
    Other,
}

/// The tables a refused request must leave as they were (row counts).
const STATE_TABLES: &[&str] = &["accounts", "account_scopes", "account_changes", "events"];

/// What a request sends.
enum Body {
    None,
    Form(Vec<(String, String)>),
    /// For the JSON API's rows (`/api/v1/console/...` of the review and figures routes).
    #[allow(dead_code)]
    Json(Value),
}

/// What the request sends (path and body), given the fixture, the target and a counter that
/// makes names unique.
type Request = fn(&Fixture, Target, usize) -> (String, Body);

/// One row: a route, what it needs, and what it answers when allowed.
struct Route {
    name: &'static str,
    method: &'static str,
    request: Request,
    /// `None`: any signed-in user.
    permission: Option<Permission>,
    targets: &'static [Target],
    allowed_status: u16,
}

/// The table. Other console routes (review, figures) add their rows here.
fn routes() -> Vec<Route> {
    vec![
        Route {
            name: "home page",
            method: "GET",
            request: |_, _, _| ("/console".into(), Body::None),
            permission: None,
            targets: &[Target::Nothing],
            allowed_status: 200,
        },
        Route {
            name: "session API",
            method: "GET",
            request: |_, _, _| ("/api/v1/console/session".into(), Body::None),
            permission: None,
            targets: &[Target::Nothing],
            allowed_status: 200,
        },
        Route {
            name: "operator page",
            method: "GET",
            request: |_, _, _| ("/console/operators".into(), Body::None),
            permission: Some(Permission::ManageOperators),
            targets: &[Target::Nothing],
            allowed_status: 200,
        },
        Route {
            name: "create an operator",
            method: "POST",
            request: |_, target, n| {
                let code = if target == Target::Own { OWN } else { OTHER };
                (
                    "/console/operators".into(),
                    Body::Form(vec![
                        ("login".into(), format!("op-matrix-{n}")),
                        ("constituency".into(), format!("{ELECTION}/{code}")),
                    ]),
                )
            },
            permission: Some(Permission::ManageOperators),
            targets: &[Target::Own, Target::Other],
            allowed_status: 200,
        },
        Route {
            name: "disable an operator",
            method: "POST",
            request: |f, target, _| {
                let id = if target == Target::Own {
                    &f.own_operator
                } else {
                    &f.other_operator
                };
                (format!("/console/operators/{id}/disable"), Body::None)
            },
            permission: Some(Permission::ManageOperators),
            targets: &[Target::Own, Target::Other],
            allowed_status: 200,
        },
    ]
}

/// The accounts every run uses: one signed-in user per role, and operators to act on.
struct Fixture {
    users: Vec<(Role, Actor, String, String)>,
    own_operator: String,
    other_operator: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let db = database(app).await;
    let mut users = Vec::new();
    for (role, login) in [
        (Role::Admin, "m-admin"),
        (Role::ReturningOfficer, "m-ro"),
        (Role::Operator, "m-operator"),
        (Role::Observer, "m-observer"),
    ] {
        let scope = if role == Role::Admin {
            Scope::All
        } else {
            Scope::Constituencies(vec![own()])
        };
        let (id, pw) = add_user(&db, login, role, scope.clone()).await;
        let actor = Actor {
            user_id: id,
            role,
            scope,
        };
        users.push((role, actor, login.to_owned(), pw));
    }
    let (own_operator, _) = add_user(
        &db,
        "m-target-own",
        Role::Operator,
        Scope::Constituencies(vec![own()]),
    )
    .await;
    let (other_operator, _) = add_user(
        &db,
        "m-target-other",
        Role::Operator,
        Scope::Constituencies(vec![other()]),
    )
    .await;
    Fixture {
        users,
        own_operator,
        other_operator,
    }
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

/// Send one request of the table as `b`'s user.
async fn send(b: &mut Browser, method: &str, path: &str, body: Body) -> u16 {
    match (method, body) {
        ("GET", _) => b.get(path).await.status().as_u16(),
        (_, Body::Json(json)) => {
            let token = b.csrf().await;
            let url = format!("{}{path}", b.base);
            b.client
                .request(method.parse().unwrap(), url)
                .header(
                    "cookie",
                    format!("tallyseal_session={}", b.session_cookie().unwrap()),
                )
                .header("origin", b.base.clone())
                .header("x-csrf-token", token)
                .json(&json)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
        (_, Body::Form(fields)) => {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            b.post_with_token(path, &fields).await.status().as_u16()
        }
        (_, Body::None) => b.post_with_token(path, &[]).await.status().as_u16(),
    }
}

fn constituency(t: Target) -> Option<ConstituencyRef> {
    match t {
        Target::Nothing => None,
        Target::Own => Some(own()),
        Target::Other => Some(other()),
    }
}

async fn every_route_every_role_own_and_other(db: Db, store: Store, test: &str) {
    let Some((config, dir)) = test_config(db, store, test).await else {
        return;
    };
    let app = TestApp::start(config, std::sync::Arc::new(dir)).await;
    let f = fixture(&app).await;
    let mut n = 0;
    let mut checked = 0;
    for (role, actor, login, pw) in &f.users {
        let mut b = Browser::signed_in(&app, login, pw).await;
        for route in routes() {
            for &target in route.targets {
                n += 1;
                let allowed = match route.permission {
                    None => true,
                    Some(p) => authorize(actor, p, constituency(target).as_ref()),
                };
                let (path, body) = (route.request)(&f, target, n);
                let before = state_rows(&app).await;
                let status = send(&mut b, route.method, &path, body).await;
                let expected = if allowed { route.allowed_status } else { 403 };
                assert_eq!(
                    status, expected,
                    "{} as {role:?} on {target:?}: {path}",
                    route.name
                );
                if !allowed {
                    assert_eq!(
                        state_rows(&app).await,
                        before,
                        "{} as {role:?} on {target:?} stored something",
                        route.name
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 7);
    // Signed out: pages send to the sign-in form, the API answers 401.
    let mut anon = Browser::new(&app);
    assert_eq!(anon.get("/console/operators").await.status(), 303);
    assert_eq!(anon.get("/api/v1/console/session").await.status(), 401);
}

on_backends!(
    every_route_every_role_own_and_other,
    every_route_every_role_own_and_other,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres)]
);
