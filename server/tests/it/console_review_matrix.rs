//! The review domain's routes × every role × own and other constituency: the status each gets,
//! and nothing stored on a refusal.

use serde_json::json;

use crate::console_api::{Console, ELECTION, OWN};
use crate::helpers::{Db, Store, jpeg, spawn_app};

async fn every_route_every_role(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let console = Console::start(&app);
    let (_, sealed) = app.first_capture_sent(&jpeg()).await;
    assert_eq!(
        app.create_with(&sealed, sealed.image.clone())
            .await
            .status(),
        201
    );
    // The analysis writes its own event: let it finish before counting events.
    app.analysed_status(&sealed).await;
    let hash = sealed.manifest_hash.to_hex();
    let capture = format!("/api/v1/console/{ELECTION}/{OWN}/captures/{hash}");
    let reads = [
        format!("/api/v1/console/{ELECTION}/{OWN}/board"),
        format!("/api/v1/console/{ELECTION}/{OWN}/board/events"),
        capture.clone(),
        format!("{capture}/image"),
        format!("{capture}/map.svg"),
    ];
    let roles = ["admin", "ro", "operator", "observer"];
    for role in roles {
        for (scope, own) in [
            (format!("{ELECTION}/{OWN}"), true),
            (format!("{ELECTION}/NA-129"), false),
        ] {
            // The administrator's scope is everything.
            let scope = if role == "admin" {
                "*".to_owned()
            } else {
                scope
            };
            let actor = format!("{role} u-{role} {scope}");
            let may_read = own || role == "admin";
            for path in &reads {
                let r = console.get(&actor, path).send().await.unwrap();
                let expected = if may_read { 200 } else { 403 };
                assert_eq!(r.status(), expected, "{actor} GET {path}");
            }
            let r = console
                .get(&actor, &format!("/api/v1/console/{ELECTION}/national"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{actor} national");

            let before = app.count("SELECT COUNT(*) FROM review_decisions").await;
            let events = app.count("SELECT COUNT(*) FROM events").await;
            let id = format!(
                "00000000-0000-4000-8000-0000000000{:02}",
                roles.iter().position(|r| *r == role).unwrap() * 2 + usize::from(own)
            );
            let r = console
                .decide(
                    &actor,
                    &hash,
                    json!({"decision_id": id, "action": "reject",
                    "reason_code": "illegible", "reason": "unreadable",
                    "supersedes": null}),
                )
                .await;
            let may_decide = role == "ro" && own;
            assert_eq!(
                r.status(),
                if may_decide { 201 } else { 403 },
                "{actor} POST decision"
            );
            let after = app.count("SELECT COUNT(*) FROM review_decisions").await;
            let events_after = app.count("SELECT COUNT(*) FROM events").await;
            if may_decide {
                assert_eq!((after, events_after), (before + 1, events + 1));
            } else {
                assert_eq!(
                    (after, events_after),
                    (before, events),
                    "{actor} stored nothing"
                );
            }
        }
    }
    // No actor: 401 everywhere.
    for path in &reads {
        let r = console
            .client
            .get(format!("{}{path}", console.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "GET {path}");
    }
}

crate::on_backends!(
    every_route_every_role,
    every_route_every_role,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Local, postgres_local)
    ]
);
