//! `GET /metrics` while captures flow, read with the reference parser of the Prometheus text
//! format (the Python `prometheus_client`): the intake's counters, the upload bytes and the
//! request counts move by exactly what the test sent.
//!
//! The counters belong to the process; cargo-nextest runs each test in a process of its own, and
//! the test compares two scrapes of the same server, so only its own requests move them.

use std::collections::HashMap;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::helpers::*;
use crate::{on_backends, on_default_and_production};

/// `python3` with `prometheus_client` importable, or `None` (skip; a failure under `CI=true`).
fn python_with_prometheus_client(test: &str) -> Option<String> {
    let python = std::env::var("TALLYSEAL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import prometheus_client.parser"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(python);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("prometheus_client is not installed under CI=true (scripts/test.sh installs it)");
    }
    skipped(&format!(
        "SKIPPED (no prometheus_client): {test} — pip install prometheus-client (scripts/test.sh does)"
    ));
    None
}

/// One scrape, parsed: value by sample name and sorted `k=v` labels.
#[derive(Debug)]
struct Scrape {
    types: HashMap<String, String>,
    samples: HashMap<(String, String), f64>,
}

impl Scrape {
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .get(&(name.to_owned(), label_key(labels)))
            .copied()
            .unwrap_or(0.0)
    }

    /// The sum of `name` over every sample whose labels include `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|((n, l), _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.split(',').any(|kv| kv == format!("{k}={v}")))
            })
            .map(|(_, v)| v)
            .sum()
    }
}

fn label_key(labels: &[(&str, &str)]) -> String {
    let mut l: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    l.sort();
    l.join(",")
}

async fn scrape(app: &TestApp, python: &str) -> Scrape {
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        r.headers()["content-type"]
    );
    let text = r.text().await.unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/prometheus/parse_exposition.py"
    );
    let python = python.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = Command::new(python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refused /metrics: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let types = parsed["families"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let samples = parsed["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let labels: Vec<(&str, &str)> = s[1]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
                .collect();
            (
                (s[0].as_str().unwrap().to_owned(), label_key(&labels)),
                s[2].as_f64().unwrap(),
            )
        })
        .collect();
    Scrape { types, samples }
}

/// The verdict of the receipt an answer carries.
fn receipt_verdict(r: &reqwest::Response) -> String {
    receipt_header(r)
        .expect("a verified receipt")
        .body
        .verdict
        .expect("a verdict")
}

async fn counters_follow_the_intake(db: Db, store: Store, test: &str) {
    let Some(python) = python_with_prometheus_client(test) else {
        return;
    };
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let before = scrape(&app, &python).await;
    for (family, kind) in [
        ("tallyseal_http_requests", "counter"),
        ("tallyseal_http_request_duration_seconds", "histogram"),
        ("tallyseal_upload_bytes_received", "counter"),
        ("tallyseal_intake_manifests_accepted", "counter"),
        ("tallyseal_analysis_backlog_captures", "gauge"),
    ] {
        assert_eq!(
            before.types.get(family).map(String::as_str),
            Some(kind),
            "{family}"
        );
    }

    // Capture one: the manifest, then the whole image in the creation request.
    let image_a = jpeg();
    let (device, a) = app.first_capture_sent(&image_a).await;
    let r = app.create_with(&a, image_a.clone()).await;
    assert_eq!(r.status(), 201);
    let completed_a = receipt_verdict(&r);
    let between = scrape(&app, &python).await;
    assert_eq!(
        between.get("tallyseal_intake_images_completed_total", &[])
            - before.get("tallyseal_intake_images_completed_total", &[]),
        1.0
    );

    // Capture two: an upload whose first bytes are not the signed image (reset), then the image.
    let mut image_b = jpeg();
    image_b.extend_from_slice(b"retake");
    let b = seal_capture(image_b.clone(), &device, 1, &a.next_chain(), None);
    assert_eq!(app.send_manifest(&b).await.status(), 201);
    let url = app.create_upload(&b).await;
    let wrong = noise(image_b.len(), 7);
    let r = app.patch(&url, 0, wrong).await;
    assert_eq!(problem(r).await, (422, "image-hash-mismatch".into()));
    let r = app.patch(&url, 0, image_b.clone()).await;
    assert_eq!(r.status(), 204);
    let completed_b = receipt_verdict(&r);
    let r = app
        .client
        .get(app.url("/no/such/page?token=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The analysis may re-sign a receipt whose verdict it changes: count those too.
    let final_a = app.analysed_status(&a).await["verdict"]
        .as_str()
        .unwrap()
        .to_owned();
    let final_b = app.analysed_status(&b).await["verdict"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut verified_receipts: HashMap<String, f64> = HashMap::new();
    for (completed, last) in [(&completed_a, &final_a), (&completed_b, &final_b)] {
        *verified_receipts.entry(completed.clone()).or_default() += 1.0;
        if completed != last {
            *verified_receipts.entry(last.clone()).or_default() += 1.0;
        }
    }

    let after = scrape(&app, &python).await;
    let moved =
        |name: &str, labels: &[(&str, &str)]| after.get(name, labels) - before.get(name, labels);
    assert_eq!(moved("tallyseal_intake_manifests_accepted_total", &[]), 2.0);
    assert_eq!(moved("tallyseal_intake_images_completed_total", &[]), 2.0);
    assert_eq!(
        moved(
            "tallyseal_intake_receipts_issued_total",
            &[("status", "manifest_received"), ("verdict", "none")]
        ),
        2.0
    );
    for (verdict, n) in &verified_receipts {
        assert_eq!(
            moved(
                "tallyseal_intake_receipts_issued_total",
                &[("status", "verified"), ("verdict", verdict)]
            ),
            *n,
            "verified receipts with verdict {verdict}"
        );
    }
    assert_eq!(
        after.sum(
            "tallyseal_intake_receipts_issued_total",
            &[("status", "verified")]
        ) - before.sum(
            "tallyseal_intake_receipts_issued_total",
            &[("status", "verified")]
        ),
        verified_receipts.values().sum::<f64>()
    );
    assert_eq!(
        moved(
            "tallyseal_intake_uploads_reset_total",
            &[("reason", "image_hash_mismatch")]
        ),
        1.0
    );
    // Every body byte of the two creation requests and the two PATCHes.
    assert_eq!(
        moved("tallyseal_upload_bytes_received_total", &[]),
        (image_a.len() + 2 * image_b.len()) as f64
    );
    let requests = |route: &str, method: &str, status: &str| {
        moved(
            "tallyseal_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(requests("/api/v1/captures", "POST", "2xx"), 2.0);
    assert_eq!(requests("/api/v1/uploads", "POST", "2xx"), 2.0);
    assert_eq!(requests("/api/v1/uploads/{id}", "PATCH", "4xx"), 1.0);
    assert_eq!(requests("/api/v1/uploads/{id}", "PATCH", "2xx"), 1.0);
    assert_eq!(requests("unmatched", "GET", "4xx"), 1.0);
    assert_eq!(
        moved(
            "tallyseal_http_request_duration_seconds_count",
            &[("route", "/api/v1/captures")]
        ),
        2.0
    );
    assert_eq!(
        after.sum("tallyseal_server_errors_total", &[])
            - before.sum("tallyseal_server_errors_total", &[]),
        0.0,
        "no 5xx answers"
    );
    // Both analysed: nothing waits.
    assert_eq!(after.get("tallyseal_analysis_backlog_captures", &[]), 0.0);
    // No label carries a path, an id or a query.
    assert!(
        after
            .samples
            .keys()
            .all(|(_, labels)| !labels.contains("token") && !labels.contains("/no/such")),
        "a label holds a client's path"
    );
}

on_default_and_production!(counters_follow_the_intake, counters_follow_the_intake);

/// A store that fails is counted by cause: the image's shard folder is blocked by a file, so the
/// local store cannot write the object and the upload answers 503.
async fn store_failures_are_counted(db: Db, store: Store, test: &str) {
    let Some(python) = python_with_prometheus_client(test) else {
        return;
    };
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let image = jpeg();
    let digest = tallyseal_core::hash::sha256(&image).to_hex();
    let shard = app
        .config
        .data_dir
        .join("objects/sha256")
        .join(&digest[..2]);
    std::fs::create_dir_all(shard.parent().unwrap()).unwrap();
    std::fs::write(&shard, b"not a folder").unwrap();

    let before = scrape(&app, &python).await;
    let (_, sealed) = app.first_capture_sent(&image).await;
    let r = app.create_with(&sealed, image.clone()).await;
    assert_eq!(problem(r).await, (503, "service-unavailable".into()));
    let after = scrape(&app, &python).await;
    let errors = |s: &Scrape| {
        s.get(
            "tallyseal_server_errors_total",
            &[
                ("problem", "service-unavailable"),
                ("cause", "object_store"),
            ],
        )
    };
    assert_eq!(errors(&after) - errors(&before), 1.0);
    let failed_uploads = |s: &Scrape| {
        s.get(
            "tallyseal_http_requests_total",
            &[
                ("route", "/api/v1/uploads"),
                ("method", "POST"),
                ("status", "5xx"),
            ],
        )
    };
    assert_eq!(failed_uploads(&after) - failed_uploads(&before), 1.0);
    assert_eq!(
        after.get("tallyseal_intake_images_completed_total", &[])
            - before.get("tallyseal_intake_images_completed_total", &[]),
        0.0
    );
}

on_backends!(
    store_failures_are_counted,
    store_failures_are_counted,
    [(Sqlite, Local, sqlite_local)]
);
