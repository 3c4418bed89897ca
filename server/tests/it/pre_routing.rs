//! Answers given before the application sees a request, over raw TCP. The HTTP/1 layer
//! (actix-http) answers a request it cannot parse itself, with an empty body and no content type,
//! and closes the connection: these are the only answers that are not problem+json, and
//! `docs/server-api.md` lists them. A request that parses reaches the application, and every
//! error from there on (a corrupt chunked body, an unknown method, a bad path) is problem+json.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;
use crate::on_backends;

/// Send `request` on a new connection; read until the server closes it (within `wait`).
async fn exchange(app: &TestApp, request: &[u8], wait: Duration) -> String {
    let addr = app.base.strip_prefix("http://").unwrap();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(wait, s.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes the connection")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// The answer's status, its headers (lower case) and its body.
fn parse(answer: &str) -> (u16, String, String) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

async fn pre_routing(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let quick = Duration::from_secs(10);
    let many_headers: String = (0..100).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases: Vec<(&str, String, u16)> = vec![
        (
            "more than 96 headers",
            format!("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n"),
            431,
        ),
        ("a bad request line", "GARBAGE\r\n\r\n".to_owned(), 400),
        (
            "a bad header name",
            "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n".to_owned(),
            400,
        ),
        (
            "Content-Length with chunked",
            "POST /api/v1/time-anchor HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\
             Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                .to_owned(),
            400,
        ),
        (
            "a transfer coding other than chunked",
            "POST /api/v1/time-anchor HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
                .to_owned(),
            400,
        ),
    ];
    for (what, request, status) in cases {
        let (got, head, body) = parse(&exchange(&app, request.as_bytes(), quick).await);
        assert_eq!(got, status, "{what}: {head}");
        assert!(head.contains("content-length: 0"), "{what}: {head}");
        assert!(!head.contains("content-type"), "{what}: {head}");
        assert!(body.is_empty(), "{what}: {body}");
    }
    // A head that never ends: 408 after actix's 5 s request-head timeout, empty too.
    let (got, head, body) = parse(
        &exchange(
            &app,
            b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n",
            Duration::from_secs(15),
        )
        .await,
    );
    assert_eq!(got, 408, "{head}");
    assert!(!head.contains("content-type") && body.is_empty(), "{head}");

    // Parsed requests reach the application: problem+json from there on.
    let reached: [(&str, &str, u16, &str); 3] = [
        (
            "a corrupt chunked body",
            "POST /api/v1/time-anchor HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
            400,
            "bad-request",
        ),
        (
            "an unknown method",
            "BREW /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            405,
            "method-not-allowed",
        ),
        (
            "a path that is not percent-decodable",
            "GET /api/v1/elections/%ff%fe/package HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            404,
            "unknown-election",
        ),
    ];
    for (what, request, status, slug) in reached {
        let (got, head, body) = parse(&exchange(&app, request.as_bytes(), quick).await);
        assert_eq!(got, status, "{what}: {head}");
        assert!(
            head.contains("content-type: application/problem+json"),
            "{what}: {head}"
        );
        assert!(
            body.contains(&format!("problems/{slug}\"")),
            "{what}: {body}"
        );
    }
}
on_backends!(
    answers_before_the_application_are_as_documented,
    pre_routing,
    [(Sqlite, Local, sqlite_local)]
);
