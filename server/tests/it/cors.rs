//! CORS: by default any page may read the public API and none may write; `[cors] write_origins`
//! lets a listed page run a tus upload from a browser. Real preflight requests, and the headers
//! a browser tus client needs on every answer.

use std::sync::Arc;

use serde_json::json;
use tallyseal_core::keys::DeviceKey;

use crate::helpers::*;
use crate::on_backends;

const PORTAL: &str = "https://portal.example";
const OTHER: &str = "https://elsewhere.example";

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn lists(value: Option<String>, item: &str) -> bool {
    value.is_some_and(|v| v.split(',').any(|x| x.trim().eq_ignore_ascii_case(item)))
}

async fn preflight(
    app: &TestApp,
    path: &str,
    origin: &str,
    method: &str,
    headers: &str,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method);
    if !headers.is_empty() {
        req = req.header("Access-Control-Request-Headers", headers);
    }
    req.send().await.unwrap()
}

async fn defaults(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let package = "/api/v1/elections/pk-ge-2024-demo/package";
    // A public read: preflight and answer allow any origin, and expose the package hash.
    let r = preflight(&app, package, OTHER, "GET", "").await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        header(&r, "Access-Control-Allow-Origin").as_deref(),
        Some("*")
    );
    assert!(lists(header(&r, "Access-Control-Allow-Methods"), "GET"));
    assert!(!lists(header(&r, "Access-Control-Allow-Methods"), "POST"));
    assert_eq!(header(&r, "Access-Control-Max-Age").as_deref(), Some("600"));
    let r = app
        .client
        .get(app.url(package))
        .header("Origin", OTHER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "Access-Control-Allow-Origin").as_deref(),
        Some("*")
    );
    assert!(lists(
        header(&r, "Access-Control-Expose-Headers"),
        "Tallyseal-Package-Hash"
    ));
    // The answer depends on Origin even when it is `*` (another origin may be refused).
    assert!(lists(header(&r, "Vary"), "Origin"));
    // Errors to a read carry the headers too, so a page can read the problem.
    let r = app
        .client
        .get(app.url("/api/v1/captures/00"))
        .header("Origin", OTHER)
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&r, "Access-Control-Allow-Origin").as_deref(),
        Some("*")
    );

    // Writes: the preflight is refused, and so is a write that needs none (a "simple" POST).
    let r = preflight(&app, "/api/v1/uploads", PORTAL, "POST", "tus-resumable").await;
    assert!(header(&r, "Access-Control-Allow-Origin").is_none());
    assert!(lists(header(&r, "Vary"), "Origin"));
    assert_eq!(problem(r).await, (403, "origin-not-allowed".into()));
    let code = app.issue_code(1, None).await;
    let key = DeviceKey::from_seed(&[0x41; 32]).public_key().to_hex();
    let r = app
        .client
        .post(app.url("/api/v1/enrol"))
        .header("Origin", PORTAL)
        .header("Content-Type", "text/plain")
        .body(json!({"code": code, "device_key": key, "officer_name": "PO"}).to_string())
        .send()
        .await
        .unwrap();
    assert!(lists(header(&r, "Vary"), "Origin"));
    assert_eq!(problem(r).await, (403, "origin-not-allowed".into()));
    assert_eq!(app.count("SELECT COUNT(*) FROM devices").await, 0);

    // A page served by this server itself is same-origin and may write.
    let own = app.base.clone();
    let r = preflight(&app, "/api/v1/enrol", &own, "POST", "content-type").await;
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "Access-Control-Allow-Origin"), Some(own));

    // /metrics is for operators' scrapers: no CORS header, whatever the Origin.
    let r = preflight(&app, "/metrics", OTHER, "GET", "").await;
    assert_ne!(r.status(), 204);
    assert!(header(&r, "Access-Control-Allow-Origin").is_none());
    assert!(header(&r, "Access-Control-Allow-Methods").is_none());
    let r = app
        .client
        .get(app.url("/metrics"))
        .header("Origin", OTHER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(header(&r, "Access-Control-Allow-Origin").is_none());
    assert!(header(&r, "Access-Control-Expose-Headers").is_none());

    // Phones and the CLI send no Origin: no CORS header, nothing refused.
    let r = app.client.get(app.url(package)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(header(&r, "Access-Control-Allow-Origin").is_none());
    app.enrol(&DeviceKey::from_seed(&[0x42; 32]), 1).await;
}
on_backends!(
    cors_defaults_public_reads_only,
    defaults,
    [(Sqlite, Local, sqlite_local)]
);

/// With `public_url` on https, a page on `http://` + the server's own host and port is another
/// origin: its writes are refused; a page on the public scheme may write.
async fn same_origin_scheme(db: Db, store: Store, test: &str) {
    let Some((mut config, dir)) = test_config(db, store, test).await else {
        return;
    };
    config.public_url = Some("https://results.example".to_owned());
    let app = TestApp::start(config, Arc::new(dir)).await;
    let host = app.base.split_once("://").unwrap().1.to_owned();
    let r = preflight(&app, "/api/v1/enrol", &format!("http://{host}"), "POST", "").await;
    assert!(header(&r, "Access-Control-Allow-Origin").is_none());
    assert!(lists(header(&r, "Vary"), "Origin"));
    assert_eq!(problem(r).await, (403, "origin-not-allowed".into()));
    let own = format!("https://{host}");
    let r = preflight(&app, "/api/v1/enrol", &own, "POST", "content-type").await;
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "Access-Control-Allow-Origin"), Some(own));
}
on_backends!(
    cors_same_origin_needs_the_public_scheme,
    same_origin_scheme,
    [(Sqlite, Local, sqlite_local)]
);

/// With `write_origins = [PORTAL]`, a browser tus client on that page: its preflights pass with
/// every tus and upload header, and each answer exposes what the client reads (`Location`,
/// `Upload-Offset`, `Tus-Resumable`, the receipt).
async fn browser_tus(db: Db, store: Store, test: &str) {
    let Some((mut config, dir)) = test_config(db, store, test).await else {
        return;
    };
    config.cors.write_origins = vec![PORTAL.to_owned()];
    let app = TestApp::start(config, Arc::new(dir)).await;
    app.import_demo_package().await;
    let image = noise(3000, 5);
    let (_, sealed) = app.first_capture_sent(&image).await;

    let tus_headers = "content-type,tus-resumable,upload-length,upload-metadata,upload-offset,\
                       upload-checksum,tallyseal-upload-auth,x-requested-with";
    for (path, method) in [("/api/v1/uploads", "POST"), ("/api/v1/uploads/x", "PATCH")] {
        let r = preflight(&app, path, PORTAL, method, tus_headers).await;
        assert_eq!(r.status(), 204, "{method} {path}");
        assert_eq!(
            header(&r, "Access-Control-Allow-Origin").as_deref(),
            Some(PORTAL)
        );
        assert!(lists(header(&r, "Vary"), "Origin"));
        assert!(lists(header(&r, "Access-Control-Allow-Methods"), method));
        let allowed = header(&r, "Access-Control-Allow-Headers");
        for h in tus_headers.split(',') {
            assert!(lists(allowed.clone(), h), "{h} not in {allowed:?}");
        }
        assert!(header(&r, "Access-Control-Allow-Credentials").is_none());
    }
    // Another page still may not write.
    let r = preflight(&app, "/api/v1/uploads", OTHER, "POST", "tus-resumable").await;
    assert_eq!(r.status(), 403);

    // The upload itself, as the browser sends it (with Origin).
    let r = app
        .client
        .post(app.url("/api/v1/uploads"))
        .header("Origin", PORTAL)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", image.len().to_string())
        .header("Upload-Metadata", upload_metadata(&sealed.manifest_hash))
        .header(
            tallyseal_core::seal::UPLOAD_AUTH_HEADER,
            sealed.upload_auth.to_hex(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        header(&r, "Access-Control-Allow-Origin").as_deref(),
        Some(PORTAL)
    );
    let exposed = header(&r, "Access-Control-Expose-Headers");
    for h in [
        "Location",
        "Upload-Offset",
        "Tus-Resumable",
        "Tallyseal-Receipt",
    ] {
        assert!(lists(exposed.clone(), h), "{h} not in {exposed:?}");
    }
    let url = app.url(header(&r, "Location").unwrap().as_str());
    let r = app
        .client
        .patch(&url)
        .header("Origin", PORTAL)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .header(
            tallyseal_core::seal::UPLOAD_AUTH_HEADER,
            sealed.upload_auth.to_hex(),
        )
        .body(image)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        header(&r, "Access-Control-Allow-Origin").as_deref(),
        Some(PORTAL)
    );
    assert!(receipt_header(&r).is_some());
    assert!(lists(
        header(&r, "Access-Control-Expose-Headers"),
        "Tallyseal-Receipt"
    ));
    assert_eq!(app.capture_status(&sealed).await["status"], "verified");
}
on_backends!(
    cors_lets_a_listed_page_upload_with_tus,
    browser_tus,
    [(Sqlite, Local, sqlite_local)]
);
