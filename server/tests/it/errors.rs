//! Bad input always gets a 4xx problem+json, never a 500; the audit log is append-only.

use serde_json::json;
use tallyseal_core::demo;
use tallyseal_core::seal::ChainState;

use crate::helpers::*;
use crate::on_default_and_production;

async fn bad_input(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let post = |body: Vec<u8>, ct: &str| {
        app.client
            .post(app.url("/api/v1/captures"))
            .header("Content-Type", ct)
            .body(body)
            .send()
    };
    // Malformed JSON, wrong shape, wrong content type.
    assert_eq!(
        problem(
            post(b"{\"manifest\":".to_vec(), "application/json")
                .await
                .unwrap()
        )
        .await,
        (400, "malformed-json".into())
    );
    assert_eq!(
        problem(
            post(b"{\"x\":1}".to_vec(), "application/json")
                .await
                .unwrap()
        )
        .await,
        (400, "malformed-json".into())
    );
    assert_eq!(
        problem(post(b"{}".to_vec(), "text/plain").await.unwrap()).await,
        (415, "unsupported-media-type".into())
    );
    // Oversized body (default JSON limit 64 KiB).
    let big =
        serde_json::to_vec(&json!({"manifest": "A".repeat(200_000), "signature": "00"})).unwrap();
    assert_eq!(
        problem(post(big, "application/json").await.unwrap()).await,
        (413, "body-too-large".into())
    );
    // Not base64, not a signature, not a manifest.
    let r = app
        .client
        .post(app.url("/api/v1/captures"))
        .json(&json!({"manifest": "%%%", "signature": "00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await, (400, "malformed-manifest".into()));
    let r = app
        .client
        .post(app.url("/api/v1/captures"))
        .json(&json!({"manifest": "e30=", "signature": "zz"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await, (422, "bad-signature".into()));
    let r = app
        .client
        .post(app.url("/api/v1/captures"))
        .json(&json!({"manifest": "e30=", "signature": "00".repeat(64)}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await, (400, "malformed-manifest".into()));
    // Unknown path, wrong method, bad hash in a path.
    assert_eq!(
        problem(app.client.get(app.url("/nope")).send().await.unwrap()).await,
        (404, "not-found".into())
    );
    assert_eq!(
        problem(
            app.client
                .delete(app.url("/api/v1/captures"))
                .send()
                .await
                .unwrap()
        )
        .await,
        (405, "method-not-allowed".into())
    );
    assert_eq!(
        problem(
            app.client
                .get(app.url("/api/v1/captures/xyz"))
                .send()
                .await
                .unwrap()
        )
        .await,
        (404, "not-found".into())
    );
    let r = app
        .client
        .patch(app.url("/api/v1/uploads/../../etc"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    assert_eq!(app.count("SELECT COUNT(*) FROM submissions").await, 0);
}
on_default_and_production!(bad_input_gets_problem_json, bad_input);

async fn oversized_image_manifest(db: Db, store: Store, test: &str) {
    let Some((mut config, dir)) = test_config(db, store, test).await else {
        return;
    };
    config.limits.max_image_bytes = 1000;
    let app = TestApp::start(config, std::sync::Arc::new(dir)).await;
    app.import_demo_package().await;
    let device = demo::device_key();
    app.enrol(&device, 1).await;
    let sealed = seal_capture(noise(5000, 1), &device, 1, &ChainState::genesis(), None);
    assert_eq!(
        problem(app.send_manifest(&sealed).await).await,
        (413, "body-too-large".into())
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM submissions").await, 0);
    assert!(!app.object_exists(&sealed.manifest_hash).await);
}
on_default_and_production!(
    oversized_image_is_refused_up_front,
    oversized_image_manifest
);

async fn events_append_only(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let n = app.count("SELECT COUNT(*) FROM events").await;
    assert!(n >= 1, "the package import is an event");
    assert!(
        sqlx::query("UPDATE events SET kind = 'x'")
            .execute(&app.db)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM events")
            .execute(&app.db)
            .await
            .is_err()
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, n);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM events WHERE kind = 'x'")
            .await,
        0
    );
}
on_default_and_production!(events_are_append_only, events_append_only);
