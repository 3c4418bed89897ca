//! Free text shown to people later is refused when it holds a control or bidirectional-formatting
//! character (`tallyseal_core::text`): an officer's name at enrolment and a revocation reason get
//! a 422 `unsafe-text` naming the field, a package with such a name a 422 `bad-package`; nothing
//! is stored.

use serde_json::json;
use tallyseal_core::demo;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::note::sign_note;

use crate::helpers::*;
use crate::on_backends;

const EVIL: &str = "PO\u{0000}\u{202E}evil";

async fn unsafe_text(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let enrol = |code: String, key: String, name: &'static str| {
        app.client
            .post(app.url("/api/v1/enrol"))
            .json(&json!({"code": code, "device_key": key, "officer_name": name}))
            .send()
    };

    // Enrolment: refused, stored nowhere, the code still unused.
    let phone = DeviceKey::from_seed(&[0x31; 32]).public_key().to_hex();
    let code = app.issue_code(2, None).await;
    for name in [
        EVIL,
        "A. Officer\u{2067}",
        "Officer\u{200F} 1",
        "line\nbreak",
    ] {
        let r = enrol(code.clone(), phone.clone(), name).await.unwrap();
        let text = r.text().await.unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["status"], 422, "{name:?}: {text}");
        assert_eq!(v["type"], "https://tallyseal.org/problems/unsafe-text");
        let detail = v["detail"].as_str().unwrap();
        assert!(detail.starts_with("officer_name holds U+"), "{detail}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM devices").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM enrolment_codes WHERE used_at_ms IS NOT NULL")
            .await,
        0
    );
    // An Urdu name, with the zero-width non-joiner its spelling may need, is a name.
    let r = enrol(code, phone.clone(), "محمد\u{200C}علی خان")
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    // Revocation: refused, the device still enrolled, no event.
    let key = phone;
    let events_before = app.event_kinds(&key).await;
    let r = app
        .admin_post(
            &format!("/api/v1/devices/{key}/revoke"),
            json!({"reason": "lost\u{202E}"}),
        )
        .await;
    let (status, slug) = problem(r).await;
    assert_eq!((status, slug.as_str()), (422, "unsafe-text"));
    let row = tallyseal_server::db::get_device(&app.db, &key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.revoked_at_ms, None);
    assert_eq!(app.event_kinds(&key).await, events_before);

    // A package whose station name holds an override: refused when the server would sign it.
    let mut package = demo::package();
    package.election.id = "pk-unsafe-text".into();
    package.constituencies[0].stations[0].name = "School\u{202E}loohcS".into();
    let r = app
        .admin_post("/api/v1/elections", json!({"package": package}))
        .await;
    let status = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["type"], "https://tallyseal.org/problems/bad-package");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("station name holds U+202E"),
        "{v}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM elections WHERE id = 'pk-unsafe-text'")
            .await,
        0
    );

    // The same package signed elsewhere by a trusted key: refused at import just the same.
    let signer = demo::commission_signer().unwrap();
    let note = sign_note(&package.to_note_text(), std::slice::from_ref(&signer)).unwrap();
    let r = app
        .admin_post("/api/v1/elections", json!({"signed_note": note}))
        .await;
    let status = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["type"], "https://tallyseal.org/problems/bad-package");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("station name holds U+202E"),
        "{v}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM elections WHERE id = 'pk-unsafe-text'")
            .await,
        0
    );

    // Stored before the rule existed (written straight to the database): it still loads.
    let hash = tallyseal_core::hash::sha256(note.as_bytes()).to_hex();
    sqlx::query(
        "INSERT INTO elections (id, package_note, package_hash, created_at_ms) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind("pk-unsafe-text")
    .bind(note.clone())
    .bind(hash)
    .bind(1_i64)
    .execute(&app.db)
    .await
    .unwrap();
    let r = app
        .client
        .get(app.url("/api/v1/elections/pk-unsafe-text/package"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), note);
}
on_backends!(
    unsafe_text_is_refused,
    unsafe_text,
    [(Sqlite, Local, sqlite_local)]
);
