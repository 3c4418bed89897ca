//! The log and its witnesses: two real `tallyseal witness` instances (in process, over HTTP)
//! cosign each checkpoint and the capture status carries a tlog-proof that verifies under a
//! 2-of-2 policy; a witness down stops nothing and the checkpoint is marked not witnessed; a
//! second checkpoint of one size (a split view) is refused by every witness.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tallyseal_core::demo;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::cosignature::{Cosigner, open_cosigned_checkpoint};
use tallyseal_core::log::leaf::{LeafBody, LogEvent};
use tallyseal_core::log::merkle::leaf_hash;
use tallyseal_core::log::proof::{LogPolicy, TlogProof};
use tallyseal_core::note::{Signer, Verifier};
use tallyseal_server::config::WitnessConfig;
use tallyseal_testkit::scenario::seal_demo;
use tallyseal_witness::{KnownLog, Witness};

use crate::helpers::{Db, Store, TestApp, test_config};
use crate::{on_backends, on_default_and_production};

const LOG_ORIGIN: &str = "log.tallyseal.test/witnessed";
const LOG_SEED: [u8; 32] = [0x52; 32];

fn log_verifier() -> Verifier {
    Signer::new(LOG_ORIGIN, DeviceKey::from_seed(&LOG_SEED))
        .unwrap()
        .verifier()
}

/// A witness of the test log, over HTTP on port 0; its config entry.
fn start_witness(name: &str, seed: u8, dir: &Path) -> WitnessConfig {
    let cosigner = Cosigner::new(name, DeviceKey::from_seed(&[seed; 32])).unwrap();
    let vkey = cosigner.verifier().to_vkey();
    let log = KnownLog {
        origin: LOG_ORIGIN.into(),
        keys: vec![log_verifier()],
    };
    let witness = Witness::open(cosigner, vec![log], &dir.join(format!("{seed}.json"))).unwrap();
    let (server, port) = tallyseal_witness::http::serve(Arc::new(witness), "127.0.0.1:0").unwrap();
    tokio::spawn(server);
    WitnessConfig {
        url: format!("http://127.0.0.1:{port}"),
        vkey,
    }
}

/// A URL where nothing listens.
fn dead_witness() -> WitnessConfig {
    dead_witness_named("witness.test/down", 0x99)
}

fn dead_witness_named(name: &str, seed: u8) -> WitnessConfig {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cosigner = Cosigner::new(name, DeviceKey::from_seed(&[seed; 32])).unwrap();
    WitnessConfig {
        url: format!("http://127.0.0.1:{port}"),
        vkey: cosigner.verifier().to_vkey(),
    }
}

async fn witnessed_app(
    db: Db,
    store: Store,
    test: &str,
    witnesses: impl FnOnce(&Path) -> Vec<WitnessConfig>,
    policy: usize,
) -> Option<(
    TestApp,
    actix_web::web::Data<tallyseal_server::state::AppState>,
)> {
    let (mut config, dir) = test_config(db, store, test).await?;
    config.log_sequence_interval_ms = 50;
    config.log_witness_timeout_ms = 2000;
    config.log_origin = Some(LOG_ORIGIN.into());
    config.log_key_seed = Some(hex::encode(LOG_SEED));
    config.log_witnesses = witnesses(dir.path());
    config.log_witness_policy = policy;
    let (app, state) = TestApp::start_with_state(config, Arc::new(dir)).await;
    app.import_demo_package().await;
    Some((app, state))
}

/// GET /log/checkpoint until it covers `size` leaves with `cosignatures` lines.
async fn checkpoint_with(app: &TestApp, size: u64, cosignatures: usize) -> (String, String) {
    let witnesses: Vec<_> = app
        .config
        .log_witnesses
        .iter()
        .map(|w| w.vkey.parse().unwrap())
        .collect();
    for _ in 0..300 {
        let r = app
            .client
            .get(app.url("/log/checkpoint"))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            let witnessed = r.headers()["tallyseal-log-witnessed"]
                .to_str()
                .unwrap()
                .to_owned();
            let note = r.text().await.unwrap();
            let opened =
                open_cosigned_checkpoint(note.as_bytes(), &[log_verifier()], &witnesses).unwrap();
            if opened.signed.checkpoint.size >= size && opened.cosignatures.len() >= cosignatures {
                return (note, witnessed);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no checkpoint of size {size} with {cosignatures} cosignatures within 15 s");
}

/// Two witnesses cosign; the capture's status carries its latest leaf and a tlog-proof that
/// verifies under the 2-of-2 policy published at /api/v1/keys; then a split view is refused.
async fn two_witnesses_cosign(db: Db, store: Store, test: &str) {
    let Some((app, state)) = witnessed_app(
        db,
        store,
        test,
        |dir| {
            vec![
                start_witness("witness.test/a", 0x61, dir),
                start_witness("witness.test/b", 0x62, dir),
            ]
        },
        2,
    )
    .await
    else {
        return;
    };
    let keys = app.get_json("/api/v1/keys").await;
    assert_eq!(keys["log_vkey"], log_verifier().to_vkey());
    assert_eq!(keys["witness_policy"], 2);
    let witness_vkeys: Vec<String> = serde_json::from_value(keys["witness_vkeys"].clone()).unwrap();
    assert_eq!(witness_vkeys.len(), 2);
    app.enrol(&demo::device_key(), 1).await;
    let sealed = seal_demo(demo::STATION_1, 3).unwrap();
    assert_eq!(app.send_manifest(&sealed).await.status(), 201);
    let r = app.create_with(&sealed, sealed.image.clone()).await;
    assert_eq!(r.status(), 201);
    let receipt = crate::helpers::receipt_header(&r).unwrap();
    let index = receipt.body.log_index.unwrap();
    let (_, witnessed) = checkpoint_with(&app, index + 1, 2).await;
    assert_eq!(witnessed, "true");

    let status: Value = app.capture_status(&sealed).await;
    let log = &status["log"];
    assert_eq!(log["leaf_index"], index, "{status}");
    let leaf = log["leaf"].as_str().unwrap();
    let proof = TlogProof::parse(log["proof"].as_str().unwrap().as_bytes()).unwrap();
    let policy = LogPolicy::for_log_key(
        Verifier::parse(keys["log_vkey"].as_str().unwrap()).unwrap(),
        witness_vkeys.iter().map(|v| v.parse().unwrap()).collect(),
        2,
    )
    .unwrap();
    let verified = proof.verify(leaf_hash(leaf.as_bytes()), &policy).unwrap();
    assert_eq!(verified.index, index);
    assert_eq!(verified.cosignatures.len(), 2);
    // Another leaf's hash is not at that index.
    assert!(proof.verify(leaf_hash(b"another leaf"), &policy).is_err());

    // Split view: the log signs another root for the size the witnesses hold; both refuse it.
    let statuses = tallyseal_server::log::witnesses::present_split_view(&state)
        .await
        .unwrap();
    assert_eq!(statuses, [422, 422]);
    // The witnesses still cosign the honest log afterwards.
    let r = app
        .admin_post(
            &format!("/api/v1/devices/{}/revoke", demo::device_key().public_key()),
            serde_json::json!({"reason": "lost"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    checkpoint_with(&app, index + 2, 2).await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("tallyseal_log_leaves_sequenced_total"));
    assert!(metrics.contains("tallyseal_log_checkpoint_delay_seconds_bucket"));
    assert!(metrics.contains("tallyseal_log_witness_answers_total{outcome=\"cosigned\"}"));
}
on_default_and_production!(two_witnesses_cosign, two_witnesses_cosign);

/// One witness of two down, policy 2: intake goes on, checkpoints are published with the one
/// cosignature they have and marked not witnessed.
async fn witness_down_intake_goes_on(db: Db, store: Store, test: &str) {
    let Some((app, _)) = witnessed_app(
        db,
        store,
        test,
        |dir| vec![start_witness("witness.test/up", 0x63, dir), dead_witness()],
        2,
    )
    .await
    else {
        return;
    };
    app.enrol(&demo::device_key(), 1).await;
    let sealed = seal_demo(demo::STATION_1, 4).unwrap();
    let r = app.send_manifest(&sealed).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    let index = v["receipt"]["body"]["log_index"].as_u64().unwrap();
    let (note, witnessed) = checkpoint_with(&app, index + 1, 1).await;
    assert_eq!(witnessed, "false");
    assert_eq!(note.matches("\n— witness.test/up ").count(), 1, "{note}");
    assert!(app.capture_status(&sealed).await["log"]["proof"].is_string());
}
on_backends!(
    witness_down_intake_goes_on,
    witness_down_intake_goes_on,
    [(Sqlite, Local, sqlite_local)]
);

/// A witness that holds a checkpoint this database never recorded it cosigning (cosigned through
/// another server, or before a restore) answers 409 with its size; the server sends the
/// checkpoint again from that size, with the consistency proof, and the witness cosigns.
async fn a_conflicting_old_size_is_resent(db: Db, store: Store, test: &str) {
    let Some((mut config, dir)) = test_config(db, store, test).await else {
        return;
    };
    config.log_sequence_interval_ms = 50;
    config.log_origin = Some(LOG_ORIGIN.into());
    config.log_key_seed = Some(hex::encode(LOG_SEED));
    let witness = start_witness("witness.test/ahead", 0x64, dir.path());
    let dir = Arc::new(dir);
    // A first server without witnesses publishes a checkpoint of size 1 (the package)...
    let first = TestApp::start(config.clone(), dir.clone()).await;
    first.import_demo_package().await;
    let note = loop {
        let r = first
            .client
            .get(first.url("/log/checkpoint"))
            .send()
            .await
            .unwrap();
        let note = r.text().await.unwrap();
        if note.contains("\n1\n") {
            break note;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // ...which the witness cosigns when someone else shows it.
    let r = first
        .client
        .post(format!("{}/add-checkpoint", witness.url))
        .body(format!("old 0\n\n{note}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A server on the same database asks that witness from size 0 (it recorded nothing): 409,
    // then again from 1.
    config.log_witnesses = vec![witness];
    config.log_witness_policy = 1;
    let second = TestApp::start(config, dir).await;
    second.enrol(&demo::device_key(), 1).await;
    let (_, witnessed) = checkpoint_with(&second, 2, 1).await;
    assert_eq!(witnessed, "true");
    let metrics = second
        .client
        .get(second.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tallyseal_log_witness_answers_total{outcome=\"conflict\"}"),
        "{metrics}"
    );
}
on_backends!(
    a_conflicting_old_size_is_resent,
    a_conflicting_old_size_is_resent,
    [(Sqlite, Local, sqlite_local)]
);

/// Each change of the configured witnesses is a leaf, once, whichever server starts with it:
/// two added, then one removed; a server with the same set adds nothing.
async fn witness_changes_are_leaves(db: Db, store: Store, test: &str) {
    let Some((mut config, dir)) = test_config(db, store, test).await else {
        return;
    };
    config.log_origin = Some(LOG_ORIGIN.into());
    config.log_key_seed = Some(hex::encode(LOG_SEED));
    let a = dead_witness_named("witness.test/a", 0x65);
    let b = dead_witness_named("witness.test/b", 0x66);
    config.log_witnesses = vec![a.clone(), b.clone()];
    let dir = Arc::new(dir);
    let first = TestApp::start(config.clone(), dir.clone()).await;
    let changes = || async {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT leaf FROM log_leaves WHERE subject = 'log-witnesses' ORDER BY leaf_index",
        )
        .fetch_all(&first.db)
        .await
        .unwrap();
        rows.iter()
            .map(
                |l| match LeafBody::from_leaf_bytes(l.as_bytes()).unwrap().event {
                    LogEvent::WitnessChanged {
                        witness_vkey,
                        added,
                    } => (witness_vkey, added),
                    other => panic!("{other:?}"),
                },
            )
            .collect::<Vec<_>>()
    };
    let mut added = changes().await;
    added.sort();
    let mut expected = vec![(a.vkey.clone(), true), (b.vkey.clone(), true)];
    expected.sort();
    assert_eq!(added, expected);
    config.log_witnesses = vec![a.clone()];
    let _second = TestApp::start(config.clone(), dir.clone()).await;
    assert_eq!(changes().await.last().unwrap(), &(b.vkey.clone(), false));
    let _third = TestApp::start(config, dir).await;
    assert_eq!(changes().await.len(), 3);
}
on_default_and_production!(witness_changes_are_leaves, witness_changes_are_leaves);
