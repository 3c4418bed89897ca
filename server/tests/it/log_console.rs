//! The console's public events in the transparency log: a review decision, a confirmation of
//! figures, a release from quarantine and each signed version of Form-47 (a correction naming
//! the version it corrects) become leaves in the transaction of their record, each carrying the
//! hash of its record and the operator's opaque id, never a login name.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::Row;
use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::log::leaf::{LeafBody, LogEvent, ResultForm};
use tallyseal_server::accounts::Role;
use tallyseal_server::db;
use tallyseal_server::provenance::CheckId;

use crate::console_figures::{
    Console, actor, ballot, consistent, constituency, election_ahead, rid, station, typed,
};
use crate::helpers::{Db, Store};

/// The console's leaves: (index, event, subject), in order.
async fn console_leaves(console: &Console) -> Vec<(i64, LogEvent, String)> {
    sqlx::query(
        "SELECT leaf_index, leaf, subject FROM log_leaves \
         WHERE kind IN ('ro_decision', 'figures_confirmed', 'results_released', 'form_version') \
         ORDER BY leaf_index",
    )
    .fetch_all(console.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        let leaf: String = r.get("leaf");
        let body = LeafBody::from_leaf_bytes(leaf.as_bytes()).expect("a v1 leaf");
        (r.get("leaf_index"), body.event, r.get("subject"))
    })
    .collect()
}

fn hash_of(record: &serde_json::Value) -> Sha256Digest {
    db::record_hash(record).unwrap()
}

async fn console_events_become_leaves(db_kind: Db, _s: Store, test: &str) {
    let c = constituency(
        "NA-9",
        ballot(2),
        (1..=3).map(|n| station(n, None)).collect(),
    );
    let Some(console) = Console::start(db_kind, test, election_ahead(), c).await else {
        return;
    };
    let ro = actor("u-ro-9", Role::ReturningOfficer, &console.c);
    let subject = format!("{}/{}", console.c.election, console.c.code);

    // The RO accepts a capture: a decision naming the capture.
    let f1 = consistent(&[300, 200], 10);
    let h1 = console.add_capture(1, Some(typed(&f1, 2)), None).await;
    let decision_id = "5f0c8a52-2d0a-4b7e-9d43-2f8c1e6b7a10";
    let decisions = format!("/captures/{h1}/decisions");
    let decide = || {
        console.call(
            &ro,
            "POST",
            &decisions,
            Some(json!({"decision_id": decision_id, "action": "accept"})),
        )
    };
    let (s, v) = decide().await;
    assert!(s == 200 || s == 201, "{s} {v}");
    let decision = db::get_decision(console.pool(), decision_id)
        .await
        .unwrap()
        .unwrap();
    let leaves = console_leaves(&console).await;
    assert_eq!(leaves.len(), 1, "{leaves:?}");
    match &leaves[0].1 {
        LogEvent::RoDecision {
            election_id,
            constituency_id,
            manifest_hash,
            decision_hash,
            operator,
        } => {
            assert_eq!(
                (election_id, constituency_id),
                (&console.c.election, &console.c.code)
            );
            assert_eq!(manifest_hash.to_hex(), h1);
            assert_eq!(*decision_hash, hash_of(&db::decision_record(&decision)));
            assert_eq!(operator.as_str(), "u-ro-9");
        }
        other => panic!("not ro_decision: {other:?}"),
    }
    assert_eq!(leaves[0].2, subject);
    // The same decision again stores nothing and logs nothing.
    let (s, _) = decide().await;
    assert!(s == 200 || s == 201, "{s}");
    assert_eq!(console_leaves(&console).await.len(), 1);

    // Two blind entries agree: a confirmation, and its leaf.
    console.double_entry(&h1, &f1, &f1).await;
    let leaves = console_leaves(&console).await;
    assert_eq!(leaves.len(), 2, "{leaves:?}");
    let confirmation_id: String =
        sqlx::query_scalar("SELECT id FROM figure_confirmations WHERE manifest_hash = $1")
            .bind(h1.clone())
            .fetch_one(console.pool())
            .await
            .unwrap();
    let row = db::confirmation_by_id(console.pool(), &confirmation_id)
        .await
        .unwrap()
        .unwrap();
    match &leaves[1].1 {
        LogEvent::FiguresConfirmed {
            figures_hash,
            operator,
            ..
        } => {
            assert_eq!(*figures_hash, hash_of(&db::confirmation_record(&row)));
            assert_eq!(operator.as_str(), row.actor);
        }
        other => panic!("not figures_confirmed: {other:?}"),
    }

    // A capture with a failed check, accepted and confirmed, is quarantined; its release is a
    // leaf.
    let f2 = consistent(&[150, 250], 5);
    let h2 = console
        .add_capture(2, Some(typed(&f2, 2)), Some(CheckId::Geofence))
        .await;
    let (s, v) = console
        .call(
            &ro,
            "POST",
            &format!("/captures/{h2}/decisions"),
            Some(
                json!({"decision_id": "0b6f2c1e-7d4a-4c55-8e21-9a3b5c7d1e02", "action": "accept"}),
            ),
        )
        .await;
    assert!(s == 200 || s == 201, "{s} {v}");
    console.double_entry(&h2, &f2, &f2).await;
    let release_id = rid();
    let (s, v) = console
        .call(
            &ro,
            "POST",
            &format!("/figures/quarantine/{h2}/release"),
            Some(json!({"id": release_id, "origin": "ro", "reason": "checked against the paper Form-45 at the station"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let release = db::release_by_id(console.pool(), &release_id)
        .await
        .unwrap()
        .unwrap();
    let leaves = console_leaves(&console).await;
    assert_eq!(leaves.len(), 5, "{leaves:?}");
    assert!(matches!(leaves[2].1, LogEvent::RoDecision { .. }));
    assert!(matches!(leaves[3].1, LogEvent::FiguresConfirmed { .. }));
    match &leaves[4].1 {
        LogEvent::ResultsReleased {
            document_hash,
            operator,
            ..
        } => {
            assert_eq!(*document_hash, hash_of(&db::release_record(&release)));
            assert_eq!(operator.as_str(), "u-ro-9");
        }
        other => panic!("not results_released: {other:?}"),
    }

    // Form-47, version 1 then a correction: version 2 corrects version 1's statement.
    let mut bodies = BTreeMap::new();
    let v1_id = rid();
    for body in [
        json!({"id": v1_id, "origin": "ro"}),
        json!({"id": rid(), "origin": "ro", "supersedes": v1_id, "reason": "station 3 arrived"}),
    ] {
        let (s, v) = console
            .call(&ro, "POST", "/forms/form47/sign", Some(body))
            .await;
        assert_eq!(s, 200, "{v}");
        bodies.insert(
            v["version"].as_u64().unwrap(),
            v["body_sha256"].as_str().unwrap().to_owned(),
        );
    }
    let leaves = console_leaves(&console).await;
    assert_eq!(leaves.len(), 7, "{leaves:?}");
    let versions: Vec<_> = leaves[5..]
        .iter()
        .map(|(_, e, s)| match e {
            LogEvent::FormVersion {
                form,
                version,
                document_hash,
                corrects,
                operator,
                ..
            } => {
                assert_eq!(*form, ResultForm::Form47);
                assert_eq!(operator.as_str(), "u-ro-9");
                assert_eq!(s, &subject);
                (
                    *version,
                    document_hash.to_hex(),
                    corrects.map(|c| c.to_hex()),
                )
            }
            other => panic!("not form_version: {other:?}"),
        })
        .collect();
    assert_eq!(
        versions,
        vec![
            (1, bodies[&1].clone(), None),
            (2, bodies[&2].clone(), Some(bodies[&1].clone())),
        ]
    );

    // Each leaf was written with its record: as many leaves as records, indexes gapless.
    let all: Vec<i64> = sqlx::query_scalar("SELECT leaf_index FROM log_leaves ORDER BY leaf_index")
        .fetch_all(console.pool())
        .await
        .unwrap();
    assert_eq!(all, (0..all.len() as i64).collect::<Vec<_>>());
    let records = console
        .count(
            "SELECT (SELECT COUNT(*) FROM figure_confirmations) + \
               (SELECT COUNT(*) FROM quarantine_releases) + \
               (SELECT COUNT(*) FROM review_decisions) + \
               (SELECT COUNT(*) FROM signed_forms WHERE form = $1)",
            "form47",
        )
        .await;
    assert_eq!(records, 7);
    // Nothing personal: no login name or e-mail in any leaf.
    let text: Vec<String> = sqlx::query_scalar("SELECT leaf FROM log_leaves")
        .fetch_all(console.pool())
        .await
        .unwrap();
    assert!(text.iter().all(|l| !l.contains('@')));
}

crate::on_backends!(
    console_events_become_leaves,
    console_events_become_leaves,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Local, postgres_local)
    ]
);
