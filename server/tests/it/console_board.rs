//! The arrival board through the real intake: every station of the polling scheme with its
//! state as manifests, images, the analysis and decisions arrive; filters, counts, the stations
//! awaited, the national summary, and the live events.

use std::time::Duration;

use serde_json::{Value, json};
use tallyseal_core::demo;
use tallyseal_core::seal::ChainState;

use crate::console_api::{Console, ELECTION, OWN, form_state, other_ro, ro};
use crate::helpers::{Db, Store, jpeg, seal_capture, spawn_app};

async fn board_follows_intake_and_decisions(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let console = Console::start(&app);
    let board = console.board(&ro(), "").await;
    assert_eq!(board["stations_total"], 3);
    assert_eq!(board["awaited"]["form45"], json!([1, 2, 3]));
    assert_eq!(board["counts"]["form45"]["awaited"], 3);
    assert_eq!(form_state(&board, 1, "form45")["state"], "awaited");

    // The manifest: hash committed, with the best capture time and the time received.
    let device = demo::device_key();
    app.enrol(&device, 1).await;
    let sealed = seal_capture(jpeg(), &device, 1, &ChainState::genesis(), None);
    assert_eq!(app.send_manifest(&sealed).await.status(), 201);
    let hash = sealed.manifest_hash.to_hex();
    let board = console.board(&ro(), "").await;
    let f = form_state(&board, 1, "form45");
    assert_eq!(f["state"], "manifest_received");
    assert_eq!(f["pages"][0]["manifest_hash"], hash.as_str());
    assert!(f["captured_at_ms"].as_i64().unwrap() > demo::POLL_CLOSE_MS);
    assert!(f["received_at_ms"].as_i64().is_some());
    assert_eq!(board["awaited"]["form45"], json!([2, 3]));
    assert_eq!(form_state(&board, 1, "form46")["state"], "awaited");

    // The image, then the analysis: verified or flagged as the stored verdict says.
    let r = app.create_with(&sealed, sealed.image.clone()).await;
    assert_eq!(r.status(), 201);
    let status = app.analysed_status(&sealed).await;
    let expected = if status["verdict"] == "verified" {
        "verified"
    } else {
        "flagged"
    };
    let board = console.board(&ro(), "").await;
    let f = form_state(&board, 1, "form45");
    assert_eq!(f["state"], expected, "verdict {}", status["verdict"]);
    assert!(f["image_received_at_ms"].as_i64().is_some());

    // Accepted by the RO.
    let r = console
        .decide(
            &ro(),
            &hash,
            json!({"decision_id": "5b1a0c1e-6d2f-4c39-9a51-0d7f2f0b9a01", "action": "accept"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let board = console.board(&ro(), "").await;
    let f = form_state(&board, 1, "form45");
    assert_eq!(f["state"], "accepted");
    assert_eq!(f["pages"][0]["decision"]["actor_id"], "u-ro-128");
    assert!(f["decided_at_ms"].as_i64().is_some());
    assert_eq!(board["counts"]["form45"]["accepted"], 1);
    assert_eq!(board["counts"]["form45"]["awaited"], 2);

    // Filters: awaited Form-45 only lists stations 2 and 3, with that form only.
    let awaited = console.board(&ro(), "?state=awaited&form=form45").await;
    let listed: Vec<u64> = awaited["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["station"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, vec![2, 3]);
    assert!(awaited["stations"][0]["forms"].as_array().unwrap().len() == 1);
    let r = console
        .get(
            &ro(),
            &format!("/api/v1/console/{ELECTION}/{OWN}/board?state=done"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // The Commission's national view, and the constituency's own scope.
    let admin = "admin u-admin *";
    let national = console
        .get_json(admin, &format!("/api/v1/console/{ELECTION}/national"))
        .await;
    assert_eq!(national["stations_total"], 3);
    assert_eq!(national["totals"]["form45"]["accepted"], 1);
    assert_eq!(national["constituencies"][0]["code"], OWN);
    let national = console
        .get_json(&other_ro(), &format!("/api/v1/console/{ELECTION}/national"))
        .await;
    assert_eq!(national["constituencies"], json!([]));

    // Another constituency's RO, an unknown constituency, no actor.
    let r = console
        .get(
            &other_ro(),
            &format!("/api/v1/console/{ELECTION}/{OWN}/board"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = console
        .get(
            "admin u-admin *",
            &format!("/api/v1/console/{ELECTION}/NA-999/board"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = console
        .client
        .get(format!(
            "{}/api/v1/console/{ELECTION}/{OWN}/board",
            console.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

crate::on_backends!(
    board_follows_intake_and_decisions,
    board_follows_intake_and_decisions,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Local, postgres_local)
    ]
);

/// Read the event stream until an event mentioning `needle` arrives (or fail after 20 s).
async fn until_event(r: &mut reqwest::Response, seen: &mut String, needle: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(event) = seen
            .split("\n\n")
            .filter(|e| e.starts_with("event: station"))
            .find(|e| e.contains(needle))
        {
            let data = event
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap();
            let value: Value = serde_json::from_str(data).unwrap();
            *seen = String::new();
            return value;
        }
        let chunk = tokio::time::timeout_at(deadline, r.chunk())
            .await
            .unwrap_or_else(|_| panic!("no event with {needle}; saw {seen:?}"))
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

async fn events_on_capture_and_decision(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let console = Console::start(&app);
    let mut stream = console
        .get(
            &ro(),
            &format!("/api/v1/console/{ELECTION}/{OWN}/board/events"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(
        stream.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut seen = String::new();
    let (_, sealed) = app.first_capture_sent(&jpeg()).await;
    let hash = sealed.manifest_hash.to_hex();
    let event = until_event(&mut stream, &mut seen, "manifest_received").await;
    assert_eq!(event["manifest_hash"], hash.as_str());
    assert_eq!(event["station"], 1);
    assert_eq!(event["form"], "form45");
    assert_eq!(
        app.create_with(&sealed, sealed.image.clone())
            .await
            .status(),
        201
    );
    until_event(&mut stream, &mut seen, "image_received").await;
    let r = console
        .decide(
            &ro(),
            &hash,
            json!({"decision_id": "0e1d6a43-2b7c-4f0e-8d5a-3c9b1f2e4a77", "action": "recapture",
                   "reason_code": "illegible", "reason": "glare over the totals"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let event = until_event(&mut stream, &mut seen, "\"decision\"").await;
    assert_eq!(event["manifest_hash"], hash.as_str());
    // Another constituency's stream is refused.
    let r = console
        .get(
            &other_ro(),
            &format!("/api/v1/console/{ELECTION}/{OWN}/board/events"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    drop(app);
}

crate::on_backends!(
    events_on_capture_and_decision,
    events_on_capture_and_decision,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Local, postgres_local)
    ]
);
