//! Every figures and forms route × every role × own or other constituency: refused calls are 403
//! and store nothing; allowed calls are not refused.

use serde_json::{Value, json};
use tallyseal_server::accounts::{Actor, ConstituencyRef, Permission, Role, Scope, authorize};

use super::{Console, ballot, consistent, constituency, election_ahead, rid, station, typed};
use crate::helpers::{Db, Store};

async fn stored(console: &Console) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "figure_entries",
        "figure_confirmations",
        "quarantine_releases",
        "postal_ballots",
        "signed_forms",
        "events",
    ] {
        out.push(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table}"
            )))
            .fetch_one(console.pool())
            .await
            .unwrap(),
        );
    }
    out
}

async fn matrix(db: Db, _s: Store, test: &str) {
    let c = constituency("NA-1", ballot(2), vec![station(1, None), station(2, None)]);
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    let f = consistent(&[10, 20], 1);
    let h = console.add_accepted_capture(1, Some(typed(&f, 2)), None).await;
    let other = ConstituencyRef::new(&console.c.election, "NA-2");
    let calls: Vec<(Permission, &str, String, Option<Value>)> = vec![
        (
            Permission::EnterFigures,
            "POST",
            format!("/figures/entries/{h}/1/claim"),
            Some(json!({"id": "X", "origin": "ws"})),
        ),
        (
            Permission::EnterFigures,
            "GET",
            format!("/figures/entries/{h}/1"),
            None,
        ),
        (
            Permission::EnterFigures,
            "PUT",
            format!("/figures/entries/{h}/1"),
            Some(json!({"id": "X", "origin": "ws", "version": 1, "figures": {}})),
        ),
        (
            Permission::EnterFigures,
            "POST",
            format!("/figures/entries/{h}/1/submit"),
            Some(json!({"id": "X", "origin": "ws", "version": 2, "figures": f})),
        ),
        (
            Permission::EnterFigures,
            "POST",
            "/figures/validate".into(),
            Some(json!({"manifest_hash": h, "figures": {}})),
        ),
        (
            Permission::SettleCorrections,
            "GET",
            format!("/figures/corrections/{h}"),
            None,
        ),
        (
            Permission::SettleCorrections,
            "POST",
            format!("/figures/corrections/{h}"),
            Some(
                json!({"id": "X", "origin": "ro", "settlements": [{"field": "rejected", "value": 1, "reason": "r"}]}),
            ),
        ),
        (
            Permission::ViewResults,
            "GET",
            "/figures/quarantine".into(),
            None,
        ),
        (
            Permission::ReleaseQuarantine,
            "POST",
            format!("/figures/quarantine/{h}/release"),
            Some(json!({"id": "X", "origin": "ro", "reason": "r"})),
        ),
        (Permission::ViewResults, "GET", "/forms/form47".into(), None),
        (
            Permission::SignForms,
            "POST",
            "/forms/form47/sign".into(),
            Some(json!({"id": "X", "origin": "ro"})),
        ),
        (
            Permission::ViewResults,
            "GET",
            "/forms/form47/versions".into(),
            None,
        ),
        (
            Permission::ViewResults,
            "GET",
            "/forms/form47/versions/1/export.csv".into(),
            None,
        ),
        (
            Permission::SignForms,
            "POST",
            "/postal-ballots".into(),
            Some(
                json!({"id": "X", "origin": "ro", "votes": {"candidate_1": 1, "candidate_2": 0}, "rejected": 0, "reason": "r"}),
            ),
        ),
    ];
    for role in Role::ALL {
        for own in [true, false] {
            let scope = match (role, own) {
                (Role::Admin, true) => Scope::All,
                (_, true) => Scope::Constituencies(vec![console.c.clone()]),
                (_, false) => Scope::Constituencies(vec![other.clone()]),
            };
            let actor = Actor {
                user_id: format!("u-{}", role.as_str()),
                role,
                scope,
            };
            for (permission, method, path, body) in &calls {
                let body = body.clone().map(|mut b| {
                    if b.get("id").is_some() {
                        b["id"] = json!(rid());
                    }
                    b
                });
                let before = stored(&console).await;
                let (status, v) = console.call(&actor, method, path, body).await;
                if authorize(&actor, *permission, Some(&console.c)) {
                    assert!(
                        status != 403 && status != 401,
                        "{role} own={own} {method} {path}: {status} {v}"
                    );
                } else {
                    assert_eq!(status, 403, "{role} own={own} {method} {path}: {v}");
                    assert_eq!(v["type"], "https://tallyseal.org/problems/forbidden");
                    assert_eq!(
                        stored(&console).await,
                        before,
                        "{role} {method} {path} stored something"
                    );
                }
            }
        }
    }
}

crate::on_backends!(
    figures_routes_authorised_by_role_and_constituency,
    matrix,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);
