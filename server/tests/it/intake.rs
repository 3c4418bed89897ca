//! Intake: manifest first, then the image; receipts, idempotency, refusals.

use std::sync::Arc;

use serde_json::Value;
use tallyseal_core::demo;
use tallyseal_core::hash::sha256;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::seal::ChainState;
use tallyseal_server::provenance::{Receipt, ReceiptStatus};

use crate::helpers::*;
use crate::{on_all_backends, on_default_and_production};

async fn full_intake(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let device = demo::device_key();
    let enrolment = app.enrol(&device, 1).await;
    let package_hash = enrolment["package_hash"].as_str().unwrap().parse().unwrap();
    let sealed = seal_capture(
        jpeg(),
        &device,
        1,
        &ChainState::genesis(),
        Some(package_hash),
    );

    // Step one: the manifest. A signed receipt comes back at once.
    let r = app.send_manifest(&sealed).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    let receipt: Receipt = serde_json::from_value(v["receipt"].clone()).unwrap();
    receipt.verify(&[app.commission_key]).unwrap();
    assert_eq!(receipt.body.manifest_hash, sealed.manifest_hash);
    assert_eq!(receipt.body.status, ReceiptStatus::ManifestReceived);
    assert!(
        !app.object_exists(&sealed.manifest_hash).await,
        "the row holds the manifest; the store's copy follows the image"
    );
    assert!(
        !app.object_exists(&sha256(&sealed.image)).await,
        "no image yet"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM submissions").await, 1);

    // Step two: the image over tus, in two PATCHes.
    let url = app.create_upload(&sealed).await;
    assert_eq!(app.head_offset(&url).await, 0);
    let half = sealed.image.len() / 2;
    let r = app.patch(&url, 0, sealed.image[..half].to_vec()).await;
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["Upload-Offset"], half.to_string().as_str());
    let r = app.patch(&url, half, sealed.image[half..].to_vec()).await;
    assert_eq!(r.status(), 204);
    assert_eq!(app.head_offset(&url).await, sealed.image.len() as u64);

    // Stored: the image object (bytes intact), the report, a verified receipt, the events.
    let image_key = tallyseal_server::store::ObjectKey::for_digest(&sha256(&sealed.image));
    assert_eq!(
        app.store.get(&image_key).await.unwrap().unwrap().as_ref(),
        &sealed.image[..]
    );
    let status = app.capture_status(&sealed).await;
    assert_eq!(status["status"], "verified");
    let receipt: Receipt = serde_json::from_value(status["receipt"].clone()).unwrap();
    receipt.verify(&[app.commission_key]).unwrap();
    assert_eq!(receipt.body.status, ReceiptStatus::Verified);
    assert_eq!(receipt.body.image_sha256, Some(sha256(&sealed.image)));
    assert_eq!(
        receipt.body.received_at_ms,
        status["received_at_ms"].as_i64().unwrap()
    );
    let report = &status["report"];
    assert_eq!(report["manifest_hash"], sealed.manifest_hash.to_hex());
    let check = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .cloned()
    };
    assert_eq!(check("signature").unwrap()["outcome"], "pass");
    assert_eq!(check("device_enrolled").unwrap()["outcome"], "pass");
    assert_eq!(check("image_hash").unwrap()["outcome"], "pass");
    assert_eq!(check("duplicate_image").unwrap()["outcome"], "pass");
    assert_eq!(receipt.body.verdict.as_deref(), report["verdict"].as_str());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM verification_reports").await,
        1
    );
    // The near-duplicate check follows the receipt: pending, then done, with its event.
    let analysed = app.analysed_status(&sealed).await;
    let near = analysed["report"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "near_duplicate_image")
        .cloned()
        .unwrap();
    assert_eq!(near["outcome"], "pass", "{near}");
    let manifest_key = tallyseal_server::store::ObjectKey::for_digest(&sealed.manifest_hash);
    assert_eq!(
        app.store
            .get(&manifest_key)
            .await
            .unwrap()
            .unwrap()
            .as_ref(),
        &sealed.manifest_bytes[..],
        "the analysis pass archives the manifest in the object store"
    );
    assert_eq!(
        analysed["report"]["image_phash"], near["measured"]["phash"],
        "the perceptual hash is recorded"
    );
    assert_eq!(
        app.event_kinds(&sealed.manifest_hash.to_hex()).await,
        [
            "manifest_received",
            "image_received",
            "verified",
            "near_duplicates_analysed"
        ]
    );
    // The part file is gone once the object is stored.
    let parts = std::fs::read_dir(app.config.data_dir.join("uploads"))
        .unwrap()
        .count();
    assert_eq!(parts, 0);

    // Re-uploading: creation returns the finished upload; nothing is stored twice.
    let again = app.create_upload(&sealed).await;
    assert_eq!(again, url);
    assert_eq!(app.head_offset(&again).await, sealed.image.len() as u64);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM verification_reports").await,
        1
    );
}
on_all_backends!(full_intake_is_verified_and_stored, full_intake);

async fn replayed_manifest(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let device = demo::device_key();
    app.enrol(&device, 1).await;
    let sealed = seal_capture(jpeg(), &device, 1, &ChainState::genesis(), None);
    let first: Value = {
        let r = app.send_manifest(&sealed).await;
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    };
    let r = app.send_manifest(&sealed).await;
    assert_eq!(r.status(), 200, "a replay is not a new submission");
    let second: Value = r.json().await.unwrap();
    assert_eq!(
        first["receipt"], second["receipt"],
        "the same receipt, same received time"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM submissions").await, 1);
    assert_eq!(
        app.event_kinds(&sealed.manifest_hash.to_hex()).await,
        ["manifest_received"]
    );
}
on_default_and_production!(replayed_manifest_is_idempotent, replayed_manifest);

/// Two servers on one database and one store receive the same manifest at once.
async fn two_servers_race(db: Db, store: Store, test: &str) {
    let Some((config, dir)) = test_config(db, store, test).await else {
        return;
    };
    let dir = Arc::new(dir);
    let a = TestApp::start(config.clone(), dir.clone()).await;
    let b = TestApp::start(config, dir).await;
    a.import_demo_package().await;
    let device = demo::device_key();
    a.enrol(&device, 1).await;
    let sealed = seal_capture(jpeg(), &device, 1, &ChainState::genesis(), None);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let server = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let body = manifest_body(&sealed);
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(format!("{server}/api/v1/captures"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let v: Value = r.json().await.unwrap();
            (status, v["receipt"].clone())
        }));
    }
    let mut receipts = Vec::new();
    let mut created = 0;
    for t in tasks {
        let (status, receipt) = t.await.unwrap();
        assert!(status == 200 || status == 201, "status {status}");
        created += usize::from(status == 201);
        receipts.push(receipt);
    }
    assert_eq!(created, 1, "exactly one request created the submission");
    assert!(
        receipts.iter().all(|r| r == &receipts[0]),
        "everyone got the same receipt"
    );
    assert_eq!(a.count("SELECT COUNT(*) FROM submissions").await, 1);
    assert_eq!(
        a.count("SELECT COUNT(*) FROM events WHERE kind = 'manifest_received'")
            .await,
        1
    );

    // The image, whole in creation requests to both servers at once: one upload, one report,
    // one object, and every answer names that upload and carries the one stored receipt.
    let sealed_ref = &sealed;
    let answers = futures_util::future::join_all((0..6).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        let sealed = sealed_ref;
        async move {
            let r = server.create_with(sealed, sealed.image.clone()).await;
            let location = r
                .headers()
                .get("Location")
                .map(|l| l.to_str().unwrap().to_owned());
            (r.status().as_u16(), location, receipt_header(&r))
        }
    }))
    .await;
    let stored = a.capture_status(&sealed).await;
    let mut locations = Vec::new();
    for (status, location, receipt) in answers {
        assert_eq!(status, 201);
        locations.push(location.expect("every answer names the upload"));
        let receipt = receipt.expect("every answer carries the receipt");
        assert_eq!(serde_json::to_value(&receipt).unwrap(), stored["receipt"]);
    }
    assert_eq!(stored["status"], "verified");
    assert!(locations.iter().all(|l| l == &locations[0]));
    assert_eq!(
        a.count("SELECT COUNT(*) FROM uploads WHERE completed_at_ms IS NOT NULL")
            .await,
        1
    );
    assert_eq!(a.count("SELECT COUNT(*) FROM uploads").await, 1);
    assert_eq!(
        a.count("SELECT COUNT(*) FROM verification_reports").await,
        1
    );
    assert_eq!(
        a.count("SELECT COUNT(*) FROM events WHERE kind IN ('image_received', 'verified')")
            .await,
        2
    );
    assert!(a.object_exists(&sha256(&sealed.image)).await);
}
on_default_and_production!(two_servers_racing_end_with_one_record, two_servers_race);

/// Nothing is stored for a refused manifest.
async fn assert_nothing_stored(app: &TestApp, sealed: &tallyseal_core::seal::SealedCapture) {
    assert_eq!(app.count("SELECT COUNT(*) FROM submissions").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM events WHERE kind = 'manifest_received'")
            .await,
        0
    );
    assert!(
        !app.object_exists(&sealed.manifest_hash).await,
        "no manifest object"
    );
}

async fn forged_signature(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let device = demo::device_key();
    app.enrol(&device, 1).await;
    let mut sealed = seal_capture(jpeg(), &device, 1, &ChainState::genesis(), None);
    // Signed by someone else's key over the same bytes.
    let forger = DeviceKey::from_seed(&[0x66; 32]);
    sealed.signature = forger.sign(
        tallyseal_core::manifest::MANIFEST_DOMAIN,
        &sealed.manifest_bytes,
    );
    let (status, kind) = problem(app.send_manifest(&sealed).await).await;
    assert_eq!((status, kind.as_str()), (422, "bad-signature"));
    assert_nothing_stored(&app, &sealed).await;

    // A manifest altered after signing.
    let mut altered = seal_capture(jpeg(), &device, 1, &ChainState::genesis(), None);
    let text = String::from_utf8(altered.manifest_bytes.clone()).unwrap();
    altered.manifest_bytes = text
        .replacen("\"station\":1", "\"station\":2", 1)
        .into_bytes();
    let (status, kind) = problem(app.send_manifest(&altered).await).await;
    assert_eq!((status, kind.as_str()), (422, "bad-signature"));
    assert_eq!(app.count("SELECT COUNT(*) FROM submissions").await, 0);
}
on_default_and_production!(forged_signature_is_refused, forged_signature);

async fn wrong_station(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let device = demo::device_key();
    app.enrol(&device, 2).await;
    let sealed = seal_capture(jpeg(), &device, 1, &ChainState::genesis(), None);
    let (status, kind) = problem(app.send_manifest(&sealed).await).await;
    assert_eq!((status, kind.as_str()), (403, "wrong-station"));
    assert_nothing_stored(&app, &sealed).await;
}
on_default_and_production!(wrong_station_is_refused, wrong_station);

async fn revoked_device(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let device = demo::device_key();
    app.enrol(&device, 1).await;
    let revoke_url = app.url(&format!("/api/v1/devices/{}/revoke", device.public_key()));
    // A body that is there must be right: a revocation is for good, and so is its reason.
    let bad_bodies: [(&str, &str, (u16, &str)); 4] = [
        (
            "text/plain",
            r#"{"reason": "phone lost"}"#,
            (415, "unsupported-media-type"),
        ),
        (
            "application/json",
            r#"{"reasn": "phone lost"}"#,
            (400, "malformed-json"),
        ),
        (
            "application/json",
            r#"{"reason": 5}"#,
            (400, "malformed-json"),
        ),
        ("application/json", "{", (400, "malformed-json")),
    ];
    for (content_type, body, want) in bad_bodies {
        let r = app
            .client
            .post(&revoke_url)
            .bearer_auth(&app.admin_token)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(problem(r).await, (want.0, want.1.to_owned()), "{body}");
    }
    // Not without the token, whatever the body; the scheme name is case-insensitive.
    let r = app.client.post(&revoke_url).body("{").send().await.unwrap();
    assert_eq!(problem(r).await, (401, "unauthorized".into()));
    assert_eq!(
        app.event_kinds(&device.public_key().to_hex()).await,
        ["device_enrolled"],
        "nothing was revoked"
    );
    let r = app
        .client
        .post(&revoke_url)
        .header("Authorization", format!("bearer {}", app.admin_token))
        .json(&serde_json::json!({"reason": "phone lost"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let revoked_at = v["revoked_at_ms"].as_i64().unwrap();
    // Revoking again keeps the first time.
    let r = app
        .admin_post(
            &format!("/api/v1/devices/{}/revoke", device.public_key()),
            serde_json::json!({}),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["revoked_at_ms"].as_i64().unwrap(), revoked_at);
    assert_eq!(
        app.event_kinds(&device.public_key().to_hex()).await,
        ["device_enrolled", "device_revoked"]
    );
    let reason: String =
        sqlx::query_scalar("SELECT detail FROM events WHERE kind = 'device_revoked'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(reason.contains("phone lost"), "{reason}");

    let sealed = seal_capture(jpeg(), &device, 1, &ChainState::genesis(), None);
    let (status, kind) = problem(app.send_manifest(&sealed).await).await;
    assert_eq!((status, kind.as_str()), (403, "revoked-device"));
    assert_nothing_stored(&app, &sealed).await;
}
on_default_and_production!(revoked_device_is_refused, revoked_device);

async fn unknown_device(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let stranger = DeviceKey::from_seed(&[0x77; 32]);
    let sealed = seal_capture(jpeg(), &stranger, 1, &ChainState::genesis(), None);
    let (status, kind) = problem(app.send_manifest(&sealed).await).await;
    assert_eq!((status, kind.as_str()), (403, "unknown-device"));
    assert_nothing_stored(&app, &sealed).await;
}
on_default_and_production!(unknown_device_is_refused, unknown_device);

/// Upload an image completely for `sealed` (manifest first).
pub async fn submit_fully(app: &TestApp, sealed: &tallyseal_core::seal::SealedCapture) -> Value {
    let r = app.send_manifest(sealed).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let url = app.create_upload(sealed).await;
    let r = app.patch(&url, 0, sealed.image.clone()).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    app.capture_status(sealed).await
}

fn outcome(status: &Value, check: &str) -> String {
    check_of(status, check)["outcome"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// One check of a capture's report.
fn check_of<'a>(status: &'a Value, check: &str) -> &'a Value {
    status["report"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == check)
        .unwrap_or_else(|| panic!("no {check} check in {status}"))
}

async fn duplicates_across_stations(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let phone1 = demo::device_key();
    let phone2 = DeviceKey::from_seed(&[0x02; 32]);
    let phone3 = DeviceKey::from_seed(&[0x03; 32]);
    app.enrol(&phone1, 1).await;
    app.enrol(&phone2, 2).await;
    app.enrol(&phone3, 3).await;
    let image = jpeg();
    let first = submit_fully(
        &app,
        &seal_capture(image.clone(), &phone1, 1, &ChainState::genesis(), None),
    )
    .await;
    assert_eq!(outcome(&first, "duplicate_image"), "pass");

    // The same bytes for another station: the named check fails.
    let second = submit_fully(
        &app,
        &seal_capture(image.clone(), &phone2, 2, &ChainState::genesis(), None),
    )
    .await;
    assert_eq!(outcome(&second, "duplicate_image"), "fail");
    assert_eq!(second["verdict"], "failed");
    // One image object for both: content-addressed.
    assert!(app.object_exists(&sha256(&image)).await);

    // The same picture with different bytes (trailing data after the JPEG end): perceptual match.
    let mut copy = image.clone();
    copy.extend_from_slice(b"re-saved by another tool");
    let third = submit_fully(
        &app,
        &seal_capture(copy, &phone3, 3, &ChainState::genesis(), None),
    )
    .await;
    assert_eq!(outcome(&third, "duplicate_image"), "pass");
    // The near-duplicate check runs after the receipt; the core flags a perceptual match as a
    // warning (the same picture may be re-sent legitimately), and the receipt is signed anew
    // with the changed verdict.
    let sealed_third_hash = third["manifest_hash"].as_str().unwrap().to_owned();
    let third = app.analysed_status_of(&sealed_third_hash).await;
    assert_eq!(
        outcome(&third, "near_duplicate_image"),
        "warn",
        "{}",
        third["report"]
    );
    assert_ne!(third["verdict"], "verified");
    assert_eq!(third["verdict"], third["report"]["verdict"]);
    let receipt: tallyseal_core::receipt::Receipt =
        serde_json::from_value(third["receipt"].clone()).unwrap();
    receipt.verify(&[app.commission_key]).unwrap();
    assert_eq!(receipt.body.verdict.as_deref(), third["verdict"].as_str());
}

/// The device's hash chain is checked against the captures the server holds: the next capture
/// passes, a second capture with the same sequence number (a fork) fails, and a capture whose
/// predecessor never arrived is a gap (a warning).
async fn hash_chain(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let phone = demo::device_key();
    app.enrol(&phone, 1).await;
    let first = seal_capture(noise(5000, 1), &phone, 1, &ChainState::genesis(), None);
    let status = submit_fully(&app, &first).await;
    assert_eq!(outcome(&status, "capture_sequence"), "pass", "{status}");
    let second = seal_capture(noise(5000, 2), &phone, 1, &first.next_chain(), None);
    let status = submit_fully(&app, &second).await;
    assert_eq!(outcome(&status, "capture_sequence"), "pass", "{status}");
    // Another capture 2, also chained to capture 1.
    let fork = seal_capture(noise(5000, 3), &phone, 1, &first.next_chain(), None);
    let status = submit_fully(&app, &fork).await;
    assert_eq!(outcome(&status, "capture_sequence"), "fail", "{status}");
    // Capture 4 after an unsent capture 3.
    let unsent = seal_capture(noise(5000, 4), &phone, 1, &second.next_chain(), None);
    let fourth = seal_capture(noise(5000, 5), &phone, 1, &unsent.next_chain(), None);
    let status = submit_fully(&app, &fourth).await;
    let gap = check_of(&status, "capture_sequence");
    assert_eq!(gap["outcome"], "warn", "{status}");
    // Only capture 3 is missing: captures 1 and 2 are on the server.
    assert_eq!(
        (
            &gap["measured"]["missing_from"],
            &gap["measured"]["missing_to"]
        ),
        (&serde_json::json!(3), &serde_json::json!(3)),
        "{gap}"
    );
    assert!(
        gap["reason"]
            .as_str()
            .unwrap()
            .contains("capture 3 not received"),
        "{gap}"
    );
    // A capture chained to the fork's capture 2 follows it: of the two captures 2, the one it
    // names, whichever the database lists first.
    let after_fork = seal_capture(noise(5000, 6), &phone, 1, &fork.next_chain(), None);
    let status = submit_fully(&app, &after_fork).await;
    assert_eq!(outcome(&status, "capture_sequence"), "pass", "{status}");
}

on_default_and_production!(hash_chain_is_checked_against_stored_captures, hash_chain);

/// Near-copies completed at the same moment for two stations: the analysis compares one capture
/// at a time after recording its hash, so they cannot both pass unseen by each other.
async fn simultaneous_near_copies(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let phone1 = DeviceKey::from_seed(&[0x11; 32]);
    let phone2 = DeviceKey::from_seed(&[0x12; 32]);
    app.enrol(&phone1, 1).await;
    app.enrol(&phone2, 2).await;
    let image = jpeg();
    let mut copy = image.clone();
    copy.extend_from_slice(b"re-saved");
    let a = seal_capture(image, &phone1, 1, &ChainState::genesis(), None);
    let b = seal_capture(copy, &phone2, 2, &ChainState::genesis(), None);
    let (sa, sb) = tokio::join!(submit_fully(&app, &a), submit_fully(&app, &b));
    assert_eq!(sa["status"], "verified");
    assert_eq!(sb["status"], "verified");
    let (sa, sb) = (app.analysed_status(&a).await, app.analysed_status(&b).await);
    let flagged = [&sa, &sb]
        .iter()
        .filter(|s| outcome(s, "near_duplicate_image") == "warn")
        .count();
    assert!(flagged >= 1, "{sa}\n{sb}");
    for s in [&sa, &sb] {
        // The signed receipt carries the verdict after the analysis.
        let receipt: tallyseal_core::receipt::Receipt =
            serde_json::from_value(s["receipt"].clone()).unwrap();
        receipt.verify(&[app.commission_key]).unwrap();
        assert_eq!(receipt.body.verdict.as_deref(), s["verdict"].as_str());
        assert_eq!(s["verdict"], s["report"]["verdict"]);
        if outcome(s, "near_duplicate_image") == "warn" {
            assert_ne!(s["verdict"], "verified");
        }
    }
    // Both hashes are recorded; the analysis left its events and an empty backlog.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM submissions WHERE image_phash IS NOT NULL")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM events WHERE kind = 'near_duplicates_analysed'")
            .await,
        2
    );
    let health = app.get_json("/api/v1/health").await;
    assert_eq!(health["analysis"]["waiting"], 0, "{health}");
}
on_default_and_production!(
    simultaneous_near_copies_cannot_both_pass,
    simultaneous_near_copies
);
on_default_and_production!(
    duplicate_images_across_stations_fail_named_checks,
    duplicates_across_stations
);
