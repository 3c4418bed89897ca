//! The landing page: plain HTML saying what the server is, with the API's endpoints.

use crate::helpers::*;
use crate::on_backends;

async fn the_landing_page_says_what_this_server_is(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let election = tallyseal_core::demo::package().election.id;
    let r = app
        .client
        .get(app.url("/"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/html; charset=utf-8"
    );
    let html = r.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    for expected in [
        "<h1>tallyseal</h1>",
        &app.config.commission_name,
        &format!("server version {}", env!("CARGO_PKG_VERSION")),
        &format!("/api/v1/elections/{election}/package"),
        "POST /api/v1/captures",
        "HEAD/PATCH /api/v1/uploads/{id}",
        "GET /metrics",
    ] {
        assert!(
            html.contains(expected),
            "{expected:?} missing from:\n{html}"
        );
    }
    // Readable without script, nothing fetched from elsewhere.
    assert!(!html.contains("<script"));
    assert!(!html.contains("src="));
    assert!(!html.contains("<link"));

    let head = app.client.head(app.url("/")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let post = app.client.post(app.url("/")).send().await.unwrap();
    assert_eq!(problem(post).await, (405, "method-not-allowed".into()));
}

on_backends!(
    the_landing_page_says_what_this_server_is,
    the_landing_page_says_what_this_server_is,
    [(Sqlite, Local, sqlite_local)]
);
