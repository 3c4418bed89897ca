//! The review of a capture and the RO's decisions: append-only records with client ids
//! (idempotent; another body under the same id is refused), `supersedes` naming the latest
//! decision (stale → 409 with the current one), reason codes and text checked, role and
//! constituency enforced with nothing stored on refusal; the recapture request in the capture's
//! status, the new capture superseding the old one on the board; the map and the image.

use serde_json::{Value, json};
use tallyseal_core::demo;
use tallyseal_core::manifest::Supersedes;
use tallyseal_core::seal::seal;

use crate::console_api::{Console, ELECTION, OWN, form_state, other_ro, ro};
use crate::helpers::{Db, Store, TestApp, jpeg, problem, spawn_app};

const FIRST: &str = "3f2b8c1a-9d4e-4b7a-8c6f-1a2b3c4d5e6f";
const SECOND: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const THIRD: &str = "a8098c1a-f86e-11da-bd1a-00112444be1e";

async fn decisions_stored(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM review_decisions").await
}

/// The demo device's first capture at station 1, image uploaded and verified.
async fn verified_capture(app: &TestApp) -> tallyseal_core::seal::SealedCapture {
    let (_, sealed) = app.first_capture_sent(&jpeg()).await;
    assert_eq!(
        app.create_with(&sealed, sealed.image.clone())
            .await
            .status(),
        201
    );
    sealed
}

async fn decisions_follow_the_rules(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let console = Console::start(&app);
    let sealed = verified_capture(&app).await;
    let hash = sealed.manifest_hash.to_hex();
    let recapture = json!({"decision_id": FIRST, "action": "recapture",
        "reason_code": "illegible", "reason": "the totals row is cut off <script>x</script>"});

    // Refused before anything is stored: another constituency's RO, an operator, an observer.
    for actor in [
        other_ro(),
        format!("operator u-op {ELECTION}/{OWN}"),
        format!("observer u-obs {ELECTION}/{OWN}"),
        "admin u-admin *".to_owned(),
    ] {
        let r = console.decide(&actor, &hash, recapture.clone()).await;
        assert_eq!(problem(r).await, (403, "forbidden".into()), "{actor}");
    }
    // Bad reason code, missing code, unsafe text, bad id, accept with a code.
    let bad = [
        (
            json!({"decision_id": FIRST, "action": "reject", "reason_code": "looks-odd", "reason": "x"}),
            "invalid-field",
        ),
        (
            json!({"decision_id": FIRST, "action": "reject", "reason": "x"}),
            "invalid-field",
        ),
        (
            json!({"decision_id": FIRST, "action": "reject", "reason_code": "other", "reason": "see \u{202E}txet"}),
            "unsafe-text",
        ),
        (
            json!({"decision_id": "not-a-uuid", "action": "accept"}),
            "invalid-field",
        ),
        (
            json!({"decision_id": FIRST, "action": "accept", "reason_code": "other"}),
            "invalid-field",
        ),
        (
            json!({"decision_id": FIRST, "action": "approve"}),
            "invalid-field",
        ),
    ];
    for (body, slug) in bad {
        let r = console.decide(&ro(), &hash, body.clone()).await;
        assert_eq!(problem(r).await, (422, slug.into()), "{body}");
    }
    assert_eq!(decisions_stored(&app).await, 0);
    assert!(
        !app.event_kinds(&hash)
            .await
            .contains(&"review_decision".to_owned())
    );

    // The first decision, and the same again: one record, the same answer.
    let r = console.decide(&ro(), &hash, recapture.clone()).await;
    assert_eq!(r.status(), 201);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["origin"], "centre");
    assert_eq!(first["actor_id"], "u-ro-128");
    assert_eq!(
        first["reason_text"],
        "the totals row is cut off <script>x</script>"
    );
    let r = console.decide(&ro(), &hash, recapture.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), first);
    assert_eq!(decisions_stored(&app).await, 1);

    // The same id with another body: refused, with the stored one.
    let mut other = recapture.clone();
    other["reason"] = json!("another reason");
    let r = console.decide(&ro(), &hash, other).await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["type"],
        "https://tallyseal.org/problems/decision-id-reused"
    );
    assert_eq!(body["current"]["decision_id"], FIRST);

    // A second decision that does not name the first is stale: 409 with the current one.
    let accept = json!({"decision_id": SECOND, "action": "accept"});
    let r = console.decide(&ro(), &hash, accept.clone()).await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], "https://tallyseal.org/problems/stale-version");
    assert_eq!(body["current"]["decision_id"], FIRST);
    assert_eq!(body["current"]["action"], "recapture");
    let mut named_wrong = accept.clone();
    named_wrong["supersedes"] = json!(THIRD);
    assert_eq!(
        console.decide(&ro(), &hash, named_wrong).await.status(),
        409
    );
    assert_eq!(decisions_stored(&app).await, 1);

    // Naming it: recorded, and the board follows the latest.
    let mut accept = accept;
    accept["supersedes"] = json!(FIRST);
    let r = console.decide(&ro(), &hash, accept).await;
    assert_eq!(r.status(), 201);
    let board = console.board(&ro(), "").await;
    assert_eq!(form_state(&board, 1, "form45")["state"], "accepted");
    // The review lists both, and what a next decision must name.
    let review = console
        .get_json(
            &ro(),
            &format!("/api/v1/console/{ELECTION}/{OWN}/captures/{hash}"),
        )
        .await;
    assert_eq!(review["decisions"].as_array().unwrap().len(), 2);
    assert_eq!(review["latest_decision_id"], SECOND);
    let kinds = app.event_kinds(&hash).await;
    assert_eq!(kinds.iter().filter(|k| *k == "review_decision").count(), 2);

    // Append-only: the database refuses to change or remove a decision.
    let update = sqlx::query("UPDATE review_decisions SET action = 'reject'")
        .execute(&app.db)
        .await;
    assert!(update.is_err());
    let delete = sqlx::query("DELETE FROM review_decisions")
        .execute(&app.db)
        .await;
    assert!(delete.is_err());
    assert_eq!(decisions_stored(&app).await, 2);

    // Another constituency's RO cannot read the capture either; an unknown hash is 404.
    let r = console
        .get(
            &other_ro(),
            &format!("/api/v1/console/{ELECTION}/{OWN}/captures/{hash}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = console
        .get(
            &ro(),
            &format!(
                "/api/v1/console/{ELECTION}/{OWN}/captures/{}",
                "ab".repeat(32)
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await, (404, "unknown-submission".into()));
}

crate::on_backends!(
    decisions_follow_the_rules,
    decisions_follow_the_rules,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Local, postgres_local)
    ]
);

async fn recapture_reaches_the_phone_and_the_new_capture_supersedes(
    db: Db,
    store: Store,
    test: &str,
) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let console = Console::start(&app);
    let old = verified_capture(&app).await;
    let old_hash = old.manifest_hash.to_hex();
    assert!(app.capture_status(&old).await.get("recapture").is_none());
    let r = console
        .decide(
            &ro(),
            &old_hash,
            json!({"decision_id": FIRST, "action": "recapture", "reason_code": "illegible",
                   "reason": "glare over the candidates' votes"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let status = app.capture_status(&old).await;
    assert_eq!(status["recapture"]["request_id"], FIRST);
    assert_eq!(status["recapture"]["reason_code"], "illegible");
    assert_eq!(
        status["recapture"]["reason"],
        "glare over the candidates' votes"
    );
    assert_eq!(status["recapture"]["requested_by"], "u-ro-128");

    // The phone's new capture names the old one.
    let mut input = demo::capture_input(jpeg(), None, demo::STATION_1).unwrap();
    input.supersedes = Some(Supersedes {
        manifest: old.manifest_hash,
        reason: "retaken without glare".into(),
    });
    let new = seal(input, &demo::device_key(), &old.next_chain()).unwrap();
    let new_hash = new.manifest_hash.to_hex();
    assert_eq!(app.send_manifest(&new).await.status(), 201);
    let board = console.board(&ro(), "").await;
    let f = form_state(&board, 1, "form45");
    assert_eq!(f["state"], "manifest_received");
    assert_eq!(f["pages"][0]["manifest_hash"], new_hash.as_str());
    assert_eq!(f["pages"][0]["supersedes"], old_hash.as_str());
    assert_eq!(f["earlier"][0]["manifest_hash"], old_hash.as_str());
    assert_eq!(f["earlier"][0]["superseded_by"], new_hash.as_str());
    assert_eq!(f["earlier"][0]["state"], "recapture_requested");

    // Both reviews show the link; nothing of the old capture was changed.
    let path = |h: &str| format!("/api/v1/console/{ELECTION}/{OWN}/captures/{h}");
    let review = console.get_json(&ro(), &path(&new_hash)).await;
    assert_eq!(review["others"][0]["relation"], "superseded_by_this");
    assert_eq!(
        review["manifest"]["supersedes"]["manifest"],
        old_hash.as_str()
    );
    let review = console.get_json(&ro(), &path(&old_hash)).await;
    assert_eq!(review["others"][0]["relation"], "supersedes_this");
    assert_eq!(review["capture"]["state"], "recapture_requested");
    assert_eq!(app.capture_status(&old).await["status"], "verified");
}

crate::on_backends!(
    recapture_reaches_the_phone_and_the_new_capture_supersedes,
    recapture_reaches_the_phone_and_the_new_capture_supersedes,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Local, postgres_local)
    ]
);

/// Tags open and close in order (the tokenizer checks the syntax of each token).
fn assert_well_formed(svg: &str) {
    let mut open: Vec<String> = Vec::new();
    let mut roots = 0;
    for token in xmlparser::Tokenizer::from(svg) {
        match token.expect("well-formed XML") {
            xmlparser::Token::ElementStart { local, .. } => {
                if open.is_empty() {
                    roots += 1;
                }
                open.push(local.as_str().to_owned());
            }
            xmlparser::Token::ElementEnd { end, .. } => match end {
                xmlparser::ElementEnd::Open => {}
                xmlparser::ElementEnd::Close(_, local) => {
                    assert_eq!(open.pop().as_deref(), Some(local.as_str()));
                }
                xmlparser::ElementEnd::Empty => {
                    open.pop();
                }
            },
            _ => {}
        }
    }
    assert!(open.is_empty(), "unclosed {open:?}");
    assert_eq!(roots, 1);
}

async fn review_shows_the_capture_the_map_and_the_image(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let console = Console::start(&app);
    let sealed = verified_capture(&app).await;
    let hash = sealed.manifest_hash.to_hex();
    let base = format!("/api/v1/console/{ELECTION}/{OWN}/captures/{hash}");
    app.analysed_status(&sealed).await;
    let review = console.get_json(&ro(), &base).await;
    assert_eq!(review["station"]["number"], 1);
    assert_eq!(review["form"], "form45");
    assert_eq!(review["device"]["seq"], 1);
    assert_eq!(review["device"]["officer_name"], "PO Test");
    assert!(review["times"]["received_at_ms"].as_i64().is_some());
    assert!(review["times"]["anchored_at_ms"].as_i64().is_some());
    assert!(review["times"]["captured_at_ms"].as_i64().is_some());
    let checks = review["report"]["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c["check"] == "geofence" && c["measured"].is_object())
    );
    assert_eq!(review["manifest"]["station"], 1);

    // The map: SVG, well-formed, with the fence and the fix where the manifest has it.
    let r = console
        .get(&ro(), &format!("{base}/map.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let svg = r.text().await.unwrap();
    assert_well_formed(&svg);
    let fix = sealed.manifest.fix.as_ref().unwrap();
    assert!(svg.contains("id=\"geofence\""), "{svg}");
    assert!(svg.contains("id=\"position\" cx=\""));
    assert!(
        svg.contains(&format!("data-lat=\"{:.7}\"", fix.lat_e7 as f64 / 1e7)),
        "{svg}"
    );
    assert!(
        svg.contains(&format!("data-lon=\"{:.7}\"", fix.lon_e7 as f64 / 1e7)),
        "{svg}"
    );

    // The image: the bytes stored, with their type.
    let r = console
        .get(&ro(), &format!("{base}/image"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().to_vec(), sealed.image);
    let r = console
        .get(&other_ro(), &format!("{base}/image"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

crate::on_backends!(
    review_shows_the_capture_the_map_and_the_image,
    review_shows_the_capture_the_map_and_the_image,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Garage, postgres_garage)
    ]
);
