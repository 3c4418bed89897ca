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

/// A body that stops arriving is cut after `limits.body_idle_secs`: a JSON request gets its 400,
/// and a stalled upload PATCH (a phone whose link died without a reset, or someone holding the
/// socket) keeps what arrived and releases the upload, so the phone resumes from there instead
/// of being told `upload-busy` for as long as the dead socket stays open.
async fn stalled_bodies(db: Db, store: Store, test: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some((mut config, dir)) = test_config(db, store, test).await else {
        return;
    };
    config.limits.body_idle_secs = 1;
    let app = TestApp::start(config, std::sync::Arc::new(dir)).await;
    app.import_demo_package().await;
    let addr = app.base.strip_prefix("http://").unwrap().to_owned();

    // A manifest POST that sends one byte of a 60000-byte body, then nothing.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        format!(
            "POST /api/v1/captures HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: 60000\r\n\r\n{{"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(20), s.read(&mut answer))
        .await
        .expect("the stalled request is answered")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");

    // An upload PATCH that sends 2000 of its 6552 bytes and holds the socket open.
    let image = noise(6552, 41);
    let (_, sealed) = app.first_capture_sent(&image).await;
    let url = app.create_upload(&sealed).await;
    let path = url.strip_prefix(&app.base).unwrap().to_owned();
    let auth = app.auth_for(&url).unwrap();
    let mut held = tokio::net::TcpStream::connect(&addr).await.unwrap();
    held.write_all(
        format!(
            "PATCH {path} HTTP/1.1\r\nHost: {addr}\r\nTus-Resumable: 1.0.0\r\n\
             Tallyseal-Upload-Auth: {auth}\r\nUpload-Offset: 0\r\n\
             Content-Type: application/offset+octet-stream\r\nContent-Length: 6552\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    held.write_all(&image[..2000]).await.unwrap();
    held.flush().await.unwrap();
    // While that socket stays open, the upload is released with the 2000 bytes it holds.
    let mut offset = 0;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        offset = app.head_offset(&url).await;
        if offset == 2000 {
            break;
        }
    }
    assert_eq!(offset, 2000);
    let r = app.patch(&url, 2000, image[2000..].to_vec()).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    assert_eq!(app.capture_status(&sealed).await["status"], "verified");
    drop(held);
}
on_default_and_production!(stalled_bodies_are_cut, stalled_bodies);
