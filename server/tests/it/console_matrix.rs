//! The console's authorisation matrix, through the real routes: every route of the table ×
//! every role × its own and another constituency. The expected answer comes from the one
//! decision (`authorize`): allowed → the route's success status; refused → 403 (pages and API
//! alike), and then nothing was stored. To cover a new route, add a row to [`routes`].

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

/// What the request sends, given the fixture and the target.
type Request = fn(&Fixture, Target, usize) -> (String, Vec<(String, String)>);

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
            request: |_, _, _| ("/console".into(), vec![]),
            permission: None,
            targets: &[Target::Nothing],
            allowed_status: 200,
        },
        Route {
            name: "session API",
            method: "GET",
            request: |_, _, _| ("/api/v1/console/session".into(), vec![]),
            permission: None,
            targets: &[Target::Nothing],
            allowed_status: 200,
        },
        Route {
            name: "operator page",
            method: "GET",
            request: |_, _, _| ("/console/operators".into(), vec![]),
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
                    vec![
                        ("login".into(), format!("op-matrix-{n}")),
                        ("constituency".into(), format!("{ELECTION}/{code}")),
                    ],
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
                (format!("/console/operators/{id}/disable"), vec![])
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
                let (path, fields) = (route.request)(&f, target, n);
                let before = console_rows(&app).await;
                let status = if route.method == "GET" {
                    b.get(&path).await.status().as_u16()
                } else {
                    let fields: Vec<(&str, &str)> = fields
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    b.post_with_token(&path, &fields).await.status().as_u16()
                };
                let expected = if allowed { route.allowed_status } else { 403 };
                assert_eq!(
                    status, expected,
                    "{} as {role:?} on {target:?}: {path}",
                    route.name
                );
                if !allowed {
                    assert_eq!(
                        console_rows(&app).await,
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
