//! Changing the log's key: a server started with a new key and the old one as its previous key
//! logs a `log_key_changed` leaf, has the old key sign a checkpoint covering it (the boundary),
//! and from then on only the new key's checkpoints are recorded — even while a server with the
//! old key still runs on the same database. The monitor, trusting only the old key, follows the
//! change and stays clean; a server with the old key alone, or with an unrelated key claiming the
//! old one as previous, refuses to start.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sqlx::Row;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::checkpoint::open_checkpoint;
use tallyseal_core::log::leaf::{LeafBody, LogEvent};
use tallyseal_core::note::{Signer, Verifier};
use tallyseal_monitor::{HttpLogSource, MonitorOptions, MonitorReport};
use tallyseal_server::Application;

use crate::helpers::{Db, Store, TestApp};
use crate::log::{LOG_ORIGIN, LOG_SEED, checkpoint_of_size, log_config};
use crate::on_default_and_production;

const NEW_SEED: [u8; 32] = [0x52; 32];

fn verifier(seed: &[u8; 32]) -> Verifier {
    Signer::new(LOG_ORIGIN, DeviceKey::from_seed(seed))
        .unwrap()
        .verifier()
}

/// Poll `/log/checkpoint` until it covers `size` leaves; its note.
async fn checkpoint_at_least(app: &TestApp, size: u64, key: &Verifier) -> String {
    for _ in 0..200 {
        let r = reqwest::get(app.url("/log/checkpoint")).await.unwrap();
        if r.status() == 200 {
            let note = r.text().await.unwrap();
            if let Ok(cp) = open_checkpoint(note.as_bytes(), std::slice::from_ref(key))
                && cp.checkpoint.size >= size
            {
                return note;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no checkpoint of size {size} signed by the expected key within 10 s");
}

async fn monitor(app: &TestApp, opts: MonitorOptions, state: &std::path::Path) -> MonitorReport {
    let (base, state) = (app.url(""), state.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let source = HttpLogSource::new(&base).unwrap();
        tallyseal_monitor::run(&source, &opts, &state).unwrap()
    })
    .await
    .unwrap()
}

async fn the_log_key_changes_through_a_logged_boundary(db: Db, store: Store, test: &str) {
    let Some((config, dir)) = log_config(db, store, test).await else {
        return;
    };
    let dir = Arc::new(dir);
    let (old, new) = (verifier(&LOG_SEED), verifier(&NEW_SEED));
    let first = TestApp::start(config.clone(), dir.clone()).await;
    first.import_demo_package().await;
    first.enrol(&DeviceKey::from_seed(&[0x31; 32]), 1).await;
    checkpoint_of_size(&first, 2).await;
    let state_dir = tempfile::tempdir().unwrap();
    let state = state_dir.path().join("monitor.json");
    let trusting_old = MonitorOptions {
        log_key: Some(old.clone()),
        ..MonitorOptions::default()
    };
    let r = monitor(&first, trusting_old.clone(), &state).await;
    assert!(r.is_clean() && r.size == 2, "{r:?}");

    // A second server with the new key and the old one as previous; the first keeps running.
    let mut changed = config.clone();
    changed.log_key_seed = Some(hex::encode(NEW_SEED));
    changed.log_previous_key_seed = Some(hex::encode(LOG_SEED));
    let second = TestApp::start(changed.clone(), dir.clone()).await;
    let leaves: Vec<String> = sqlx::query_scalar("SELECT leaf FROM log_leaves ORDER BY leaf_index")
        .fetch_all(&second.db)
        .await
        .unwrap();
    assert_eq!(leaves.len(), 3);
    assert_eq!(
        LeafBody::from_leaf_bytes(leaves[2].as_bytes())
            .unwrap()
            .event,
        LogEvent::LogKeyChanged {
            old_vkey: old.to_vkey(),
            new_vkey: new.to_vkey()
        }
    );
    let keys: Value = reqwest::get(second.url("/api/v1/keys"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["log_vkey"], new.to_vkey());
    let change = &keys["log_key_changes"][0];
    assert_eq!(change["old_vkey"], old.to_vkey());
    assert_eq!(change["leaf_index"], 2);
    let from_size = change["from_size"].as_u64().unwrap();
    let boundary = open_checkpoint(
        change["boundary"].as_str().unwrap().as_bytes(),
        std::slice::from_ref(&old),
    )
    .expect("the boundary is signed by the old key");
    assert_eq!(boundary.checkpoint.size, from_size);
    assert!(from_size >= 3, "the boundary covers the change's leaf");

    // New leaves: only the new key's checkpoints are recorded, whichever server sequences.
    second.enrol(&DeviceKey::from_seed(&[0x32; 32]), 2).await;
    first.enrol(&DeviceKey::from_seed(&[0x33; 32]), 3).await;
    checkpoint_at_least(&second, 5, &new).await;
    let rows = sqlx::query("SELECT tree_size, note FROM log_checkpoints ORDER BY tree_size")
        .fetch_all(&second.db)
        .await
        .unwrap();
    for row in rows {
        let (size, note): (i64, String) = (row.get("tree_size"), row.get("note"));
        let expected = if (size as u64) <= from_size {
            &old
        } else {
            &new
        };
        let other = if (size as u64) <= from_size {
            &new
        } else {
            &old
        };
        assert!(
            open_checkpoint(note.as_bytes(), std::slice::from_ref(expected)).is_ok(),
            "checkpoint {size}"
        );
        assert!(
            open_checkpoint(note.as_bytes(), std::slice::from_ref(other)).is_err(),
            "checkpoint {size}"
        );
    }

    // The monitor, trusting the old key, follows the change; its state now trusts the new one.
    let r = monitor(&second, trusting_old.clone(), &state).await;
    assert!(r.is_clean(), "{:?}", r.findings);
    assert!(r.state_advanced && r.size >= 5, "{r:?}");
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["log_vkey"], new.to_vkey());
    // A monitor starting fresh with only the old key gets there too.
    let fresh = state_dir.path().join("fresh.json");
    assert!(monitor(&second, trusting_old, &fresh).await.is_clean());

    // The old key alone no longer starts a server; nor does a third key claiming the old one.
    assert!(Application::build(config.clone()).await.is_err());
    let mut third = changed;
    third.log_key_seed = Some(hex::encode([0x53u8; 32]));
    assert!(Application::build(third).await.is_err());
    // The change is made once: restarting with the same keys adds nothing.
    let mut again = config;
    again.log_key_seed = Some(hex::encode(NEW_SEED));
    again.log_previous_key_seed = Some(hex::encode(LOG_SEED));
    let _restarted = TestApp::start(again, dir).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_key_changes")
        .fetch_one(&second.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
}
on_default_and_production!(
    the_log_key_changes_through_a_logged_boundary,
    the_log_key_changes_through_a_logged_boundary
);
