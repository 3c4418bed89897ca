//! The log's published files against external vectors and core's tree: the RFC 6962 reference
//! tree logged leaf by leaf (every checkpoint's root is the reference root), Go sumdb/tlog's tile
//! paths through the `/log/` routes, and a log of 300 leaves whose full and partial tiles at
//! levels 0 and 1 hold what core's `MemoryHashStore` computes, with their cache headers.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::checkpoint::open_checkpoint;
use tallyseal_core::log::merkle::{Hash, MemoryHashStore, leaf_hash};
use tallyseal_core::log::tiles::{TileCoord, decode_entry_bundle};
use tallyseal_core::note::{Signer, Verifier};

use crate::helpers::{Db, Store, TestApp, test_config};
use crate::on_backends;

const LOG_ORIGIN: &str = "log.tallyseal.test/tiles";
const LOG_SEED: [u8; 32] = [0x53; 32];

fn log_verifier() -> Verifier {
    Signer::new(LOG_ORIGIN, DeviceKey::from_seed(&LOG_SEED))
        .unwrap()
        .verifier()
}

/// An app whose log holds only what the test inserts (no package import).
async fn bare_app(db: Db, store: Store, test: &str) -> Option<TestApp> {
    let (mut config, dir) = test_config(db, store, test).await?;
    config.log_sequence_interval_ms = 20;
    config.log_origin = Some(LOG_ORIGIN.into());
    config.log_key_seed = Some(hex::encode(LOG_SEED));
    Some(TestApp::start(config, Arc::new(dir)).await)
}

/// Insert leaf `index` directly (the test stands for an event's transaction).
async fn insert_leaf(app: &TestApp, index: u64, leaf: &[u8]) {
    sqlx::query(
        "INSERT INTO log_leaves (leaf_index, leaf, leaf_hash, kind, subject, logged_at_ms) \
         VALUES ($1, $2, $3, 'test_vector', 'vectors', 0)",
    )
    .bind(index as i64)
    .bind(String::from_utf8(leaf.to_vec()).unwrap())
    .bind(hex::encode(leaf_hash(leaf).0))
    .execute(&app.db)
    .await
    .unwrap();
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

/// The RFC 6962 reference tree's leaves, logged one by one: each checkpoint's root is the
/// reference root of that size, and the served entry bundle and hash tile hold the leaves and
/// their hashes. Go sumdb/tlog's tile coordinates are valid paths (404 until published); its
/// invalid paths are 400.
async fn reference_vectors_through_the_served_log(db: Db, store: Store, test: &str) {
    let Some(app) = bare_app(db, store, test).await else {
        return;
    };
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/crypto");
    let file: Value = serde_json::from_slice(
        &std::fs::read(testdata.join("rfc6962_reference_tree_roots.json")).unwrap(),
    )
    .unwrap();
    let trees = file["trees"].as_array().unwrap();
    let leaves: Vec<Vec<u8>> = trees.last().unwrap()["leaves_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hex::decode(h.as_str().unwrap()).unwrap())
        .collect();
    for tree in trees {
        let size = tree["tree_size"].as_u64().unwrap();
        if size > 0 {
            // The reference leaves are bytes below 0x80: text as they are.
            insert_leaf(&app, size - 1, &leaves[size as usize - 1]).await;
        }
        let note = checkpoint_of(&app, size).await;
        let cp = open_checkpoint(note.as_bytes(), &[log_verifier()])
            .unwrap()
            .checkpoint;
        assert_eq!(cp.size, size);
        assert_eq!(
            hex::encode(cp.root.0),
            tree["root_hex"].as_str().unwrap(),
            "size {size}"
        );
    }
    let n = leaves.len();
    let bundle = get(&app, &format!("/log/tile/entries/000.p/{n}"))
        .await
        .bytes()
        .await
        .unwrap();
    let entries = decode_entry_bundle(&bundle).unwrap();
    assert_eq!(
        entries,
        leaves.iter().map(Vec::as_slice).collect::<Vec<_>>()
    );
    let tile = get(&app, &format!("/log/tile/0/000.p/{n}"))
        .await
        .bytes()
        .await
        .unwrap();
    let hashes: Vec<Hash> = tile
        .chunks(32)
        .map(|c| Hash(c.try_into().unwrap()))
        .collect();
    assert_eq!(
        hashes,
        leaves.iter().map(|l| leaf_hash(l)).collect::<Vec<_>>()
    );
    // Every narrower partial tile of the way there was published too, and is a prefix.
    for w in 1..n {
        let narrower = get(&app, &format!("/log/tile/0/000.p/{w}"))
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(&narrower[..], &tile[..32 * w]);
    }

    let go: Value = serde_json::from_slice(
        &std::fs::read(testdata.join("tlog/go_sumdb_tlog_vectors.json")).unwrap(),
    )
    .unwrap();
    for t in go["tile_paths"].as_array().unwrap() {
        let level = (!t["data"].as_bool().unwrap()).then(|| t["l"].as_u64().unwrap() as u8);
        let coord = TileCoord {
            level,
            index: t["n"].as_u64().unwrap(),
            width: t["w"].as_u64().unwrap() as u32,
        };
        let path = coord.path().unwrap();
        assert_eq!(TileCoord::parse_path(&path).unwrap(), coord);
        assert_eq!(
            get(&app, &format!("/log/{path}")).await.status(),
            404,
            "{path}"
        );
    }
    for bad in go["invalid_tile_paths"].as_array().unwrap() {
        // Go's form carries the height: drop it for C2SP's.
        let c2sp = bad.as_str().unwrap().replacen("tile/3/", "tile/", 1);
        assert_eq!(
            get(&app, &format!("/log/{c2sp}")).await.status(),
            400,
            "{c2sp}"
        );
    }
}

/// GET /log/checkpoint until it is of `size` exactly (the leaves arrive one by one).
async fn checkpoint_of(app: &TestApp, size: u64) -> String {
    for _ in 0..300 {
        let r = app
            .client
            .get(app.url("/log/checkpoint"))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            let note = r.text().await.unwrap();
            let cp = open_checkpoint(note.as_bytes(), &[log_verifier()]).unwrap();
            if cp.checkpoint.size == size {
                return note;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no checkpoint of size {size}");
}
on_backends!(
    reference_vectors_through_the_served_log,
    reference_vectors_through_the_served_log,
    [(Sqlite, Local, sqlite_local)]
);

/// 300 leaves: full tiles (level 0 tile 0, entry bundle 0) are immutable and hold core's leaf
/// hashes and entries; the level-1 tile's one hash is the root of the first 256 leaves; the
/// partial tiles of the rest match too, with a short cache lifetime.
async fn tiles_of_a_larger_log_match_core(db: Db, store: Store, test: &str) {
    let Some(app) = bare_app(db, store, test).await else {
        return;
    };
    let mut tree = MemoryHashStore::new();
    let leaves: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("leaf number {i}").into_bytes())
        .collect();
    for (i, leaf) in leaves.iter().enumerate() {
        insert_leaf(&app, i as u64, leaf).await;
        tree.append(leaf).unwrap();
    }
    let note = checkpoint_of(&app, 300).await;
    let cp = open_checkpoint(note.as_bytes(), &[log_verifier()])
        .unwrap()
        .checkpoint;
    assert_eq!(cp.root, tree.root().unwrap());

    let r = get(&app, "/log/tile/0/000").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let full = r.bytes().await.unwrap();
    let expected: Vec<u8> = leaves[..256].iter().flat_map(|l| leaf_hash(l).0).collect();
    assert_eq!(&full[..], &expected[..]);
    let r = get(&app, "/log/tile/0/001.p/44").await;
    assert_eq!(r.headers()["cache-control"], "public, max-age=2");
    let partial = r.bytes().await.unwrap();
    let expected: Vec<u8> = leaves[256..].iter().flat_map(|l| leaf_hash(l).0).collect();
    assert_eq!(&partial[..], &expected[..]);
    let level1 = get(&app, "/log/tile/1/000.p/1")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(&level1[..], &tree.root_at(256).unwrap().0[..]);
    let r = get(&app, "/log/tile/entries/000").await;
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let bundle = r.bytes().await.unwrap();
    let entries = decode_entry_bundle(&bundle).unwrap();
    assert_eq!(
        entries,
        leaves[..256].iter().map(Vec::as_slice).collect::<Vec<_>>()
    );
    let bundle = get(&app, "/log/tile/entries/001.p/44")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(decode_entry_bundle(&bundle).unwrap().len(), 44);
    // Not yet: the next width, the full second tile, a level-1 tile of width 2.
    for path in [
        "/log/tile/0/001.p/45",
        "/log/tile/0/001",
        "/log/tile/1/000.p/2",
    ] {
        assert_eq!(get(&app, path).await.status(), 404, "{path}");
    }
}
on_backends!(
    tiles_of_a_larger_log_match_core,
    tiles_of_a_larger_log_match_core,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Garage, postgres_garage)
    ]
);
