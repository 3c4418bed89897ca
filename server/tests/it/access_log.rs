//! The access log: one line per request with the request id the answer carries, and nothing a
//! client keeps secret (query strings, the admin token, the upload authorisation).

use std::sync::{Mutex, OnceLock};

use tallyseal_server::access_log::{REQUEST_ID_HEADER, TARGET};

use crate::helpers::*;
use crate::on_backends;

/// The access lines logged in this process (cargo-nextest runs each test in its own process).
fn access_lines() -> &'static Mutex<Vec<String>> {
    static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(Default::default)
}

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.target() == TARGET
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            access_lines()
                .lock()
                .unwrap()
                .push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

fn capture_access_log() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        log::set_logger(&Capture).expect("no other logger in this test process");
        log::set_max_level(log::LevelFilter::Info);
    });
}

/// The line of the request whose answer carried `id`.
async fn line_of(id: &str) -> String {
    // The line is written as the answer's headers leave; give the server a moment.
    for _ in 0..50 {
        let found = access_lines()
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.starts_with(&format!("id={id} ")))
            .cloned();
        if let Some(l) = found {
            return l;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no access line for request {id}");
}

fn request_id(r: &reqwest::Response) -> String {
    let id = r.headers()[REQUEST_ID_HEADER].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 16, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    id
}

async fn every_request_is_logged_without_secrets(db: Db, store: Store, test: &str) {
    capture_access_log();
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    // A query string and the admin token: neither may reach the log; a client's request id is
    // not taken.
    let r = app
        .client
        .get(app.url("/api/v1/health?access_token=hunter2"))
        .bearer_auth(&app.admin_token)
        .header("X-Request-Id", "chosen-by-the-client")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = request_id(&r);
    assert_ne!(id, "chosen-by-the-client");
    let body_len = r.bytes().await.unwrap().len();
    let line = line_of(&id).await;
    assert!(
        line.contains("method=GET path=/api/v1/health status=200 ms="),
        "{line}"
    );
    assert!(line.contains("peer=127.0.0.1:"), "{line}");
    assert!(line.ends_with(&format!(" in=0 out={body_len}")), "{line}");

    // An image upload: the bytes received are counted, the upload authorisation is not logged.
    let image = jpeg();
    let (_, sealed) = app.first_capture_sent(&image).await;
    let r = app.create_with(&sealed, image.clone()).await;
    assert_eq!(r.status(), 201);
    let line = line_of(&request_id(&r)).await;
    assert!(
        line.contains("method=POST path=/api/v1/uploads status=201 "),
        "{line}"
    );
    assert!(line.contains(&format!(" in={} ", image.len())), "{line}");

    // Problems carry an id too.
    let r = app
        .client
        .get(app.url("/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let line = line_of(&request_id(&r)).await;
    assert!(line.contains("path=/nothing-here status=404 "), "{line}");

    let all = access_lines().lock().unwrap().join("\n");
    for secret in [
        "hunter2",
        "access_token",
        app.admin_token.as_str(),
        &sealed.upload_auth.to_hex(),
        "chosen-by-the-client",
    ] {
        assert!(
            !all.contains(secret),
            "the access log holds {secret:?}:\n{all}"
        );
    }
}

on_backends!(
    every_request_is_logged_without_secrets,
    every_request_is_logged_without_secrets,
    [(Sqlite, Local, sqlite_local)]
);
