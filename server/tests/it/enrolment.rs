//! Elections, enrolment codes, devices, time anchors, keys.

use serde_json::{Value, json};
use tallyseal_core::demo;
use tallyseal_core::keys::DeviceKey;
use tallyseal_server::provenance::{SignedPackage, TimeAnchor};

use crate::helpers::*;
use crate::on_default_and_production;

async fn enrolment_codes(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let phone = DeviceKey::from_seed(&[0x11; 32]);
    let code = app.issue_code(2, None).await;
    assert_eq!(code.len(), 14, "XXXX-XXXX-XXXX");
    let enrol = |code: &str, key: &DeviceKey| {
        app.client
            .post(app.url("/api/v1/enrol"))
            .json(&json!({"code": code, "device_key": key.public_key().to_hex(), "officer_name": "A. Officer"}))
            .send()
    };
    // Codes are case- and dash-insensitive.
    let r = enrol(&code.to_lowercase().replace('-', ""), &phone)
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["constituency"].as_str(), v["station"].as_u64()),
        (Some("NA-128"), Some(2))
    );
    // The package returned is the signed one, and opens with the demo Commission key.
    let (package, signed) = SignedPackage::open(
        v["package_note"].as_str().unwrap().as_bytes(),
        &[demo::commission_verifier().unwrap()],
    )
    .unwrap();
    assert_eq!(package.election.id, "pk-ge-2024-demo");
    assert_eq!(signed.hash().to_hex(), v["package_hash"].as_str().unwrap());
    let row = tallyseal_server::db::get_device(&app.db, &phone.public_key().to_hex())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.station, row.officer_name.as_str(), row.revoked_at_ms),
        (2, "A. Officer", None)
    );

    // The same phone retrying gets its enrolment back; another phone cannot reuse the code.
    assert_eq!(enrol(&code, &phone).await.unwrap().status(), 200);
    let other = DeviceKey::from_seed(&[0x12; 32]);
    assert_eq!(
        problem(enrol(&code, &other).await.unwrap()).await,
        (409, "code-used".into())
    );
    assert!(
        tallyseal_server::db::get_device(&app.db, &other.public_key().to_hex())
            .await
            .unwrap()
            .is_none()
    );
    // The same phone retrying many times at once: every answer is its enrolment.
    let fourth = DeviceKey::from_seed(&[0x14; 32]);
    let code_of_fourth = app.issue_code(2, None).await;
    let answers =
        futures_util::future::join_all((0..10).map(|_| enrol(&code_of_fourth, &fourth))).await;
    let mut statuses: Vec<u16> = answers
        .iter()
        .map(|r| r.as_ref().unwrap().status().as_u16())
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    // A code valid for ever is not a code.
    let r = app
        .admin_post(
            "/api/v1/elections/pk-ge-2024-demo/enrolment-codes",
            json!({"constituency": "NA-128", "station": 2, "ttl_secs": u64::MAX}),
        )
        .await;
    assert_eq!(problem(r).await, (400, "bad-request".into()));
    // Nor can a phone enrolled at the same station with a code of its own.
    let third = DeviceKey::from_seed(&[0x13; 32]);
    let code_of_third = app.issue_code(2, None).await;
    assert_eq!(enrol(&code_of_third, &third).await.unwrap().status(), 201);
    assert_eq!(
        problem(enrol(&code, &third).await.unwrap()).await,
        (409, "code-used".into())
    );

    // Expired and unknown codes.
    let expired = app.issue_code(3, Some(0)).await;
    assert_eq!(
        problem(enrol(&expired, &other).await.unwrap()).await,
        (403, "expired-code".into())
    );
    assert_eq!(
        problem(enrol("AAAA-BBBB-CCCC", &other).await.unwrap()).await,
        (403, "unknown-code".into())
    );
    // A key already bound cannot take a second station.
    let code6 = app.issue_code(1, None).await;
    assert_eq!(
        problem(enrol(&code6, &phone).await.unwrap()).await,
        (409, "device-already-enrolled".into())
    );
    // No such station in the package.
    let r = app
        .admin_post(
            "/api/v1/elections/pk-ge-2024-demo/enrolment-codes",
            json!({"constituency": "NA-128", "station": 999}),
        )
        .await;
    assert_eq!(problem(r).await, (422, "unknown-station".into()));
    // The QR payload pins the package signer's key and percent-encodes every value.
    let r = app
        .admin_post(
            "/api/v1/elections/pk-ge-2024-demo/enrolment-codes",
            json!({"constituency": "NA-128", "station": 2}),
        )
        .await;
    let qr: serde_json::Value = r.json().await.unwrap();
    let qr = qr["qr_payload"].as_str().unwrap().to_owned();
    let vkey = tallyseal_core::demo::commission_verifier()
        .unwrap()
        .to_vkey();
    let encoded_vkey = tallyseal_core::wire::enrolment_qr::percent_encode(&vkey);
    assert!(
        qr.starts_with("tallyseal:enrol?server=http%3A%2F%2F127.0.0.1%3A"),
        "{qr}"
    );
    assert!(qr.ends_with(&format!("&vkey={encoded_vkey}")), "{qr}");
    // Admin endpoints need the token.
    let r = app
        .client
        .post(app.url("/api/v1/elections/pk-ge-2024-demo/enrolment-codes"))
        .bearer_auth("not-the-token")
        .json(&json!({"constituency": "NA-128", "station": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await, (401, "unauthorized".into()));
    // The token is checked before the body is read.
    let r = app
        .client
        .post(app.url("/api/v1/elections/pk-ge-2024-demo/enrolment-codes"))
        .header("Content-Type", "text/plain")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await, (401, "unauthorized".into()));
    assert_eq!(app.count("SELECT COUNT(*) FROM devices").await, 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM enrolment_codes").await, 6);
}
on_default_and_production!(enrolment_codes_are_one_time_and_expire, enrolment_codes);

async fn packages_and_keys(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let keys = app.get_json("/api/v1/keys").await;
    assert_eq!(keys["commission_key"], app.commission_key.to_hex());
    // The stored package is served verbatim.
    let r = app
        .client
        .get(app.url("/api/v1/elections/pk-ge-2024-demo/package"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, signed) = demo::signed_package().unwrap();
    assert_eq!(
        r.headers()["Tallyseal-Package-Hash"],
        signed.hash().to_hex().as_str()
    );
    assert_eq!(r.text().await.unwrap(), signed.note);
    // Importing the same package again is idempotent; a raw package is signed by the server.
    let r = app
        .admin_post("/api/v1/elections", json!({"signed_note": signed.note}))
        .await;
    assert_eq!(r.status(), 200);
    let mut pkg = demo::package();
    pkg.election.id = "server-signed".into();
    let r = app
        .admin_post("/api/v1/elections", json!({"package": pkg}))
        .await;
    assert_eq!(r.status(), 201);
    let note = app
        .client
        .get(app.url("/api/v1/elections/server-signed/package"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let verifier =
        tallyseal_server::provenance::Verifier::parse(keys["note_verifier"].as_str().unwrap())
            .unwrap();
    SignedPackage::open(note.as_bytes(), &[verifier]).unwrap();
    // A different package under an existing id is refused; a note by an unknown key too.
    pkg.election.name = "changed".into();
    let r = app
        .admin_post("/api/v1/elections", json!({"package": pkg}))
        .await;
    assert_eq!(problem(r).await, (409, "election-exists".into()));
    let stranger =
        tallyseal_core::note::Signer::new("stranger", DeviceKey::from_seed(&[5; 32])).unwrap();
    let mut other = demo::package();
    other.election.id = "forged".into();
    let forged = other.sign(&stranger).unwrap();
    let r = app
        .admin_post("/api/v1/elections", json!({"signed_note": forged.note}))
        .await;
    assert_eq!(problem(r).await, (422, "bad-package".into()));
    // The Commission's own note with a stranger's line appended, and a package whose election id
    // could walk out of a folder: refused, nothing stored.
    let mut appended = demo::package();
    appended.election.id = "appended".into();
    let appended = appended.sign(&demo::commission_signer().unwrap()).unwrap();
    let stranger_line = forged.note.rsplit_once("\n\n").unwrap().1;
    let r = app
        .admin_post(
            "/api/v1/elections",
            json!({"signed_note": format!("{}{stranger_line}", appended.note)}),
        )
        .await;
    assert_eq!(problem(r).await, (422, "bad-package".into()));
    let mut escaping = demo::package();
    escaping.election.id = "../../etc".into();
    let r = app
        .admin_post("/api/v1/elections", json!({"package": escaping}))
        .await;
    assert_eq!(problem(r).await, (422, "bad-package".into()));
    assert_eq!(app.count("SELECT COUNT(*) FROM elections").await, 2);
    let r = app
        .client
        .get(app.url("/api/v1/elections/nope/package"))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await, (404, "unknown-election".into()));
}
on_default_and_production!(packages_are_signed_served_and_immutable, packages_and_keys);

async fn time_anchor(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let before = tallyseal_server::now_ms();
    let r = app
        .client
        .post(app.url("/api/v1/time-anchor"))
        .json(&json!({"nonce": "00ff10"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let anchor: TimeAnchor = r.json().await.unwrap();
    anchor.verify(&[app.commission_key]).unwrap();
    assert_eq!(anchor.body.nonce, "00ff10");
    assert!(
        anchor.body.server_time_ms >= before
            && anchor.body.server_time_ms <= tallyseal_server::now_ms()
    );
    let r = app
        .client
        .post(app.url("/api/v1/time-anchor"))
        .json(&json!({"nonce": "not hex"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await, (400, "bad-request".into()));
}
on_default_and_production!(time_anchor_is_signed, time_anchor);
