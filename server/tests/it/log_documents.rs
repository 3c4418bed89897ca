//! The documents behind the console's log leaves: every `ro_decision`, `figures_confirmed` and
//! `form_version` leaf's document is served byte for byte at `/api/v1/log-documents/{sha256}`,
//! and the auditor's monitor, reading only the served log, its keys and those documents, finds a
//! real constituency's Form-47 consistent — and finds a Form-47 whose figures are not the sums of
//! the station figures it cites (a version written straight into the database, as a server that
//! lies would).

use std::time::Duration;

use serde_json::json;
use sqlx::Row;
use tallyseal_core::canonical::to_canonical_bytes;
use tallyseal_core::hash::sha256;
use tallyseal_core::log::leaf::{LeafBody, LogEvent};
use tallyseal_monitor::{FindingKind, HttpLogSource, MonitorOptions, MonitorReport};
use tallyseal_server::accounts::Role;
use tallyseal_server::db;

use crate::console_figures::{
    Console, actor, ballot, consistent, constituency, election_ahead, rid, station, typed,
};
use crate::helpers::{Db, Store};

/// The hash every console leaf carries, in log order.
async fn console_document_hashes(console: &Console) -> Vec<String> {
    let rows = sqlx::query("SELECT leaf FROM log_leaves ORDER BY leaf_index")
        .fetch_all(console.pool())
        .await
        .unwrap();
    rows.iter()
        .filter_map(|r| {
            let leaf: String = r.get("leaf");
            match LeafBody::from_leaf_bytes(leaf.as_bytes()).unwrap().event {
                LogEvent::RoDecision {
                    decision_hash: h, ..
                }
                | LogEvent::FiguresConfirmed {
                    figures_hash: h, ..
                }
                | LogEvent::ResultsReleased {
                    document_hash: h, ..
                }
                | LogEvent::FormVersion {
                    document_hash: h, ..
                } => Some(h.to_hex()),
                _ => None,
            }
        })
        .collect()
}

/// Run the monitor against the served log until its checkpoint covers every leaf.
async fn monitor(console: &Console, state: &std::path::Path) -> MonitorReport {
    let leaves: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_leaves")
        .fetch_one(console.pool())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", console.port);
    for _ in 0..100 {
        let (base, state) = (base.clone(), state.to_path_buf());
        let report = tokio::task::spawn_blocking(move || {
            let source = HttpLogSource::new(&base).unwrap();
            tallyseal_monitor::run(&source, &MonitorOptions::default(), &state)
        })
        .await
        .unwrap();
        if let Ok(r) = report
            && r.size >= leaves as u64
        {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no checkpoint of {leaves} leaves within 20 s");
}

async fn form_47_is_checked_against_its_documents(db_kind: Db, _s: Store, test: &str) {
    let c = constituency(
        "NA-9",
        ballot(2),
        (1..=3).map(|n| station(n, None)).collect(),
    );
    let Some(console) = Console::start(db_kind, test, election_ahead(), c).await else {
        return;
    };
    let ro = actor("u-ro-9", Role::ReturningOfficer, &console.c);
    for (n, votes) in [(1, [300, 200]), (2, [150, 250])] {
        let f = consistent(&votes, 10);
        let h = console.add_capture(n, Some(typed(&f, 2)), None).await;
        // The capture is seeded without the intake: log its receipt as the intake would.
        let mut conn = console.pool().acquire().await.unwrap();
        tallyseal_server::log::append(
            &mut conn,
            LogEvent::ManifestReceived {
                manifest_hash: h.parse().unwrap(),
                received_at_ms: 1_000,
            },
            &h,
            1_000,
        )
        .await
        .unwrap();
        drop(conn);
        let (s, v) = console
            .call(
                &ro,
                "POST",
                &format!("/captures/{h}/decisions"),
                Some(json!({"decision_id": uuid_like(n), "action": "accept"})),
            )
            .await;
        assert!(s == 200 || s == 201, "{s} {v}");
        console.double_entry(&h, &f, &f).await;
    }
    let v1 = rid();
    let (s, v) = console
        .call(
            &ro,
            "POST",
            "/forms/form47/sign",
            Some(json!({"id": v1, "origin": "ro"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // Every console leaf's document is served, and hashes to the leaf's hash.
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{}{path}", console.port);
    let hashes = console_document_hashes(&console).await;
    assert_eq!(hashes.len(), 5, "2 decisions, 2 confirmations, 1 form");
    for h in &hashes {
        let r = http
            .get(url(&format!("/api/v1/log-documents/{h}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert_eq!(sha256(&r.bytes().await.unwrap()).to_hex(), *h);
    }
    for (path, status) in [
        ("/api/v1/log-documents/not-a-hash", 400),
        (&format!("/api/v1/log-documents/{}", "0".repeat(64)), 404),
    ] {
        let r = http.get(url(path)).send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
    }

    // The monitor, from the served log alone, finds the constituency consistent.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("monitor.json");
    let r = monitor(&console, &state).await;
    assert!(r.is_clean(), "{:?}", r.findings);

    // A version 2 that adds a vote to candidate 1, written as a lying server would.
    let forms = db::signed_forms_of(
        console.pool(),
        &console.c.election,
        &console.c.code,
        "form47",
    )
    .await
    .unwrap();
    let mut forged = forms.last().unwrap().clone();
    let mut statement: serde_json::Value = serde_json::from_str(&forged.body).unwrap();
    let votes = statement["content"]["candidates"][0]["votes"]
        .as_u64()
        .unwrap();
    assert_eq!(votes, 450, "{statement}");
    statement["content"]["candidates"][0]["votes"] = json!(votes + 1);
    forged.body = String::from_utf8(to_canonical_bytes(&statement).unwrap()).unwrap();
    forged.body_sha256 = sha256(forged.body.as_bytes()).to_hex();
    forged.supersedes = Some(forged.id.clone());
    forged.id = rid();
    forged.version = 2;
    assert!(console.state.db.insert_signed_form(&forged).await.unwrap());
    let r = monitor(&console, &state).await;
    let messages: Vec<&str> = r.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        r.findings.iter().map(|f| f.kind).collect::<Vec<_>>(),
        vec![FindingKind::Invariant],
        "{messages:?}"
    );
    assert!(
        messages[0].contains(
            "candidate 1's votes: the form states 451, the 2 stations it cites add up to 450"
        ),
        "{messages:?}"
    );
}

/// A decision id of the form the console takes (a UUID), one per station.
fn uuid_like(n: u32) -> String {
    format!("5f0c8a52-2d0a-4b7e-9d43-2f8c1e6b7a{n:02}")
}

crate::on_backends!(
    form_47_is_checked_against_its_documents,
    form_47_is_checked_against_its_documents,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Local, postgres_local)
    ]
);
