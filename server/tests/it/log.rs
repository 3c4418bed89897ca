//! The transparency log, server side: a leaf for each public event in its event's transaction,
//! receipts carrying the leaf index, gapless indexes under concurrent intake (two servers on one
//! PostgreSQL), published tiles and checkpoints that match core's in-memory tree, the RFC 6962
//! reference vectors through the sequencer and the tile routes, witnesses cosigning (or down),
//! and a split view the witnesses refuse.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sqlx::Row;
use tallyseal_core::demo;
use tallyseal_core::hash::sha256;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::checkpoint::open_checkpoint;
use tallyseal_core::log::leaf::{LeafBody, LogEvent};
use tallyseal_core::log::merkle::{Hash, MemoryHashStore, leaf_hash};
use tallyseal_core::log::tiles::decode_entry_bundle;
use tallyseal_core::note::{Signer, Verifier};
use tallyseal_core::receipt::Receipt;
use tallyseal_core::seal::ChainState;
use tallyseal_core::wire::KeysResponse;

use tallyseal_testkit::scenario::{demo_photo, seal_demo_image};

use crate::helpers::{Db, Store, TestApp, noise, receipt_header, seal_capture, test_config};
use crate::{on_backends, on_default_and_production};

pub(crate) const LOG_ORIGIN: &str = "log.tallyseal.test/it";
pub(crate) const LOG_SEED: [u8; 32] = [0x51; 32];

fn log_verifier() -> Verifier {
    Signer::new(LOG_ORIGIN, DeviceKey::from_seed(&LOG_SEED))
        .unwrap()
        .verifier()
}

/// A config for a fresh app with a fast sequencer and a known log key; `None` when skipped.
pub(crate) async fn log_config(
    db: Db,
    store: Store,
    test: &str,
) -> Option<(tallyseal_server::ServerConfig, tempfile::TempDir)> {
    let (mut config, dir) = test_config(db, store, test).await?;
    config.log_sequence_interval_ms = 50;
    config.log_origin = Some(LOG_ORIGIN.into());
    config.log_key_seed = Some(hex::encode(LOG_SEED));
    Some((config, dir))
}

/// The leaves as stored: (index, bytes, kind, subject), in order.
async fn leaves(app: &TestApp) -> Vec<(i64, String, String, String)> {
    sqlx::query("SELECT leaf_index, leaf, kind, subject FROM log_leaves ORDER BY leaf_index")
        .fetch_all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get("leaf_index"),
                r.get("leaf"),
                r.get("kind"),
                r.get("subject"),
            )
        })
        .collect()
}

/// GET /log/checkpoint until it covers `size` leaves; the answer's note and headers.
pub(crate) async fn checkpoint_of_size(
    app: &TestApp,
    size: u64,
) -> (String, reqwest::header::HeaderMap) {
    for _ in 0..400 {
        let r = app
            .client
            .get(app.url("/log/checkpoint"))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            let headers = r.headers().clone();
            let note = r.text().await.unwrap();
            let cp = open_checkpoint(note.as_bytes(), &[log_verifier()]).unwrap();
            if cp.checkpoint.size >= size {
                return (note, headers);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no checkpoint of size {size} within 20 s");
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

/// The tree core builds from the stored leaves.
fn memory_tree(leaves: &[(i64, String, String, String)]) -> MemoryHashStore {
    let mut tree = MemoryHashStore::new();
    for (_, leaf, _, _) in leaves {
        tree.append(leaf.as_bytes()).unwrap();
    }
    tree
}

/// Manifest, then the whole image in the creation request; the verified receipt.
async fn submit(app: &TestApp, sealed: &tallyseal_core::seal::SealedCapture) -> (Receipt, Receipt) {
    let r = app.send_manifest(sealed).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    let first: Receipt = serde_json::from_value(v["receipt"].clone()).unwrap();
    let r = app.create_with(sealed, sealed.image.clone()).await;
    assert_eq!(r.status(), 201, "{}", r.status());
    (first, receipt_header(&r).unwrap())
}

/// Each public event is a leaf appended with it: the package, two enrolments, manifests, images,
/// a changed verdict (a near-duplicate across stations), a revocation. Receipts carry their
/// leaf's index, signed. The published checkpoint, hash tile and entry bundle match core's tree.
async fn leaves_for_each_public_event(db: Db, store: Store, test: &str) {
    let Some((config, dir)) = log_config(db, store, test).await else {
        return;
    };
    let app = TestApp::start(config, Arc::new(dir)).await;
    let package_hash = app.import_demo_package().await;
    let phone1 = demo::device_key();
    let phone3 = DeviceKey::from_seed(&[0x03; 32]);
    app.enrol(&phone1, 1).await;
    app.enrol(&phone3, 3).await;
    // Station 3 first (its verdict does not matter), then the demo phone's honest capture for
    // station 1 of the same picture re-saved: verified at completion, then the near-duplicate
    // analysis changes its verdict.
    let photo = demo_photo(demo::STATION_1, 7);
    let first = seal_capture(photo.clone(), &phone3, 3, &ChainState::genesis(), None);
    let (m1, v1) = submit(&app, &first).await;
    assert_eq!(m1.body.log_index, Some(3));
    assert_eq!(v1.body.log_index, Some(4));
    m1.verify_for(&first.manifest_hash, &[app.commission_key])
        .unwrap();
    v1.verify_for(&first.manifest_hash, &[app.commission_key])
        .unwrap();
    let _ = app.analysed_status(&first).await;
    let mut copy = photo.clone();
    copy.extend_from_slice(b"re-saved by another tool");
    let third = seal_demo_image(copy, demo::STATION_1, &ChainState::genesis()).unwrap();
    let (m3, v3) = submit(&app, &third).await;
    assert_eq!(v3.body.verdict.as_deref(), Some("verified"));
    let analysed = app.analysed_status(&third).await;
    assert_ne!(analysed["verdict"], "verified", "{}", analysed["report"]);
    let final_receipt: Receipt = serde_json::from_value(analysed["receipt"].clone()).unwrap();
    final_receipt.verify(&[app.commission_key]).unwrap();
    let r = app
        .admin_post(
            &format!("/api/v1/devices/{}/revoke", phone3.public_key()),
            serde_json::json!({"reason": "phone lost"}),
        )
        .await;
    assert_eq!(r.status(), 200);

    let stored = leaves(&app).await;
    let kinds: Vec<&str> = stored.iter().map(|l| l.2.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "election_package_published",
            "device_enrolled",
            "device_enrolled",
            "manifest_received",
            "image_verified",
            "manifest_received",
            "image_verified",
            "image_verified",
            "device_revoked",
        ]
    );
    for (i, l) in stored.iter().enumerate() {
        assert_eq!(l.0, i as i64, "gapless from 0");
    }
    assert_eq!(m3.body.log_index, Some(5));
    assert_eq!(v3.body.log_index, Some(6));
    assert_eq!(final_receipt.body.log_index, Some(7));
    let body = |i: usize| {
        LeafBody::from_leaf_bytes(stored[i].1.as_bytes())
            .unwrap()
            .event
    };
    assert_eq!(
        body(0),
        LogEvent::ElectionPackagePublished {
            election_id: "pk-ge-2024-demo".into(),
            package_hash: package_hash.parse().unwrap(),
            commission_key: demo::commission_verifier().unwrap().key,
        }
    );
    assert_eq!(
        body(2),
        LogEvent::DeviceEnrolled {
            election_id: "pk-ge-2024-demo".into(),
            device_key: phone3.public_key(),
            station_id: "NA-128/3".into(),
        }
    );
    assert_eq!(
        body(3),
        LogEvent::ManifestReceived {
            manifest_hash: first.manifest_hash,
            received_at_ms: m1.body.received_at_ms,
        }
    );
    let LogEvent::ImageVerified {
        manifest_hash,
        image_hash,
        verdict,
        ..
    } = body(4)
    else {
        panic!("{:?}", body(4));
    };
    assert_eq!(
        (manifest_hash, image_hash),
        (first.manifest_hash, sha256(&photo))
    );
    assert_eq!(Some(verdict), v1.body.verdict);
    let LogEvent::ImageVerified { verdict, .. } = body(7) else {
        panic!("{:?}", body(7));
    };
    assert_eq!(Some(verdict.as_str()), analysed["verdict"].as_str());
    assert_eq!(stored[7].3, third.manifest_hash.to_hex());
    assert!(matches!(body(8), LogEvent::DeviceRevoked { .. }));
    // Nothing personal: the officer's name is in no leaf.
    assert!(stored.iter().all(|l| !l.1.contains("PO Test")));

    // Published: the checkpoint (log key from /api/v1/keys), the tiles, core's roots.
    let keys: KeysResponse = app.get_json("/api/v1/keys").await.into_typed();
    assert_eq!(keys.log_origin, LOG_ORIGIN);
    assert_eq!(keys.log_vkey, log_verifier().to_vkey());
    let (note, headers) = checkpoint_of_size(&app, 9).await;
    assert_eq!(headers["cache-control"], "public, max-age=2");
    let cp = open_checkpoint(note.as_bytes(), &[Verifier::parse(&keys.log_vkey).unwrap()])
        .unwrap()
        .checkpoint;
    assert_eq!(cp.size, 9);
    let tree = memory_tree(&stored);
    assert_eq!(cp.root, tree.root().unwrap());
    let r = get(&app, "/log/tile/entries/000.p/9").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, max-age=2");
    let bundle = r.bytes().await.unwrap();
    let entries = decode_entry_bundle(&bundle).unwrap();
    assert_eq!(entries.len(), 9);
    for (e, l) in entries.iter().zip(&stored) {
        assert_eq!(*e, l.1.as_bytes());
    }
    let r = get(&app, "/log/tile/0/000.p/9").await;
    assert_eq!(r.status(), 200);
    let tile = r.bytes().await.unwrap();
    let hashes: Vec<Hash> = tile
        .chunks(32)
        .map(|c| Hash(c.try_into().unwrap()))
        .collect();
    let expected: Vec<Hash> = stored.iter().map(|l| leaf_hash(l.1.as_bytes())).collect();
    assert_eq!(hashes, expected);
    // Narrower partial tiles of earlier checkpoints may exist; wider ones and the full tile are
    // not published yet; a malformed path is a 400.
    assert_eq!(get(&app, "/log/tile/0/000.p/10").await.status(), 404);
    assert_eq!(get(&app, "/log/tile/0/000").await.status(), 404);
    assert_eq!(get(&app, "/log/tile/1/000.p/1").await.status(), 404);
    for bad in [
        "/log/tile/0/x",
        "/log/tile/0/000.p/0",
        "/log/tile/9/000",
        "/log/tile/0/1",
    ] {
        assert_eq!(get(&app, bad).await.status(), 400, "{bad}");
    }
    // The log's tables refuse changes.
    assert!(
        sqlx::query("UPDATE log_leaves SET leaf = 'x' WHERE leaf_index = 0")
            .execute(&app.db)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM log_checkpoints")
            .execute(&app.db)
            .await
            .is_err()
    );
}
on_default_and_production!(leaves_for_each_public_event, leaves_for_each_public_event);

trait IntoTyped {
    fn into_typed<T: serde::de::DeserializeOwned>(self) -> T;
}

impl IntoTyped for Value {
    fn into_typed<T: serde::de::DeserializeOwned>(self) -> T {
        serde_json::from_value(self).unwrap()
    }
}

/// Manifests from several phones at once, on one server or on two servers sharing one
/// database: one leaf each, indexes gapless, each receipt naming its own leaf, and every
/// checkpoint either server signed is the root core computes for that prefix (no fork).
async fn gapless_under_concurrent_intake(db: Db, store: Store, test: &str, servers: usize) {
    let Some((config, dir)) = log_config(db, store, test).await else {
        return;
    };
    let dir = Arc::new(dir);
    let first = TestApp::start(config.clone(), dir.clone()).await;
    let mut apps = vec![first];
    for _ in 1..servers {
        apps.push(TestApp::start(config.clone(), dir.clone()).await);
    }
    apps[0].import_demo_package().await;
    let phones: Vec<DeviceKey> = (1..=3u8)
        .map(|i| DeviceKey::from_seed(&[0x20 + i; 32]))
        .collect();
    for (i, p) in phones.iter().enumerate() {
        apps[i % servers].enrol(p, i as u32 + 1).await;
    }
    let mut sealed = Vec::new();
    for (i, p) in phones.iter().enumerate() {
        let mut chain = ChainState::genesis();
        for j in 0..8u64 {
            let s = seal_capture(
                noise(3000, 100 * i as u64 + j),
                p,
                i as u32 + 1,
                &chain,
                None,
            );
            chain = s.next_chain();
            sealed.push(s);
        }
    }
    let apps = Arc::new(apps);
    let tasks: Vec<_> = sealed
        .iter()
        .cloned()
        .enumerate()
        .map(|(k, s)| {
            let apps = apps.clone();
            tokio::spawn(async move {
                let app = &apps[k % apps.len()];
                let r = app.send_manifest(&s).await;
                assert_eq!(r.status(), 201);
                let v: Value = r.json().await.unwrap();
                let receipt: Receipt = serde_json::from_value(v["receipt"].clone()).unwrap();
                (s.manifest_hash.to_hex(), receipt.body.log_index.unwrap())
            })
        })
        .collect();
    let mut indexes = Vec::new();
    for t in tasks {
        indexes.push(t.await.unwrap());
    }
    let app = &apps[0];
    let stored = leaves(app).await;
    let total = 1 + phones.len() + sealed.len();
    assert_eq!(stored.len(), total);
    for (i, l) in stored.iter().enumerate() {
        assert_eq!(l.0, i as i64);
    }
    for (hash, index) in &indexes {
        let leaf = &stored[*index as usize];
        assert_eq!((&leaf.2[..], &leaf.3), ("manifest_received", hash));
    }
    checkpoint_of_size(app, total as u64).await;
    let tree = memory_tree(&stored);
    let rows = sqlx::query("SELECT tree_size, root_hash FROM log_checkpoints ORDER BY tree_size")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let size: i64 = row.get("tree_size");
        let root: String = row.get("root_hash");
        assert_eq!(
            root,
            hex::encode(tree.root_at(size as u64).unwrap().0),
            "checkpoint of size {size}"
        );
    }
    // Every server serves the same latest checkpoint.
    let (a, _) = checkpoint_of_size(&apps[0], total as u64).await;
    for other in apps.iter().skip(1) {
        let (b, _) = checkpoint_of_size(other, total as u64).await;
        assert_eq!(a, b);
    }
}

async fn gapless_one_server(db: Db, store: Store, test: &str) {
    gapless_under_concurrent_intake(db, store, test, 1).await;
}
on_default_and_production!(gapless_one_server, gapless_one_server);

async fn gapless_two_servers(db: Db, store: Store, test: &str) {
    gapless_under_concurrent_intake(db, store, test, 2).await;
}
on_backends!(
    gapless_two_servers,
    gapless_two_servers,
    [(Postgres, Local, postgres_local)]
);
