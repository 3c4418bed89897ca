//! The transparency log's published vectors, run through `tallyseal_core::log` (the code that will
//! serve the log and the code that checks it): the RFC 6962 reference tree, transparency-dev/merkle's
//! inclusion and consistency suites, Go's sumdb/tlog tile paths, tree note and real Certificate
//! Transparency proofs, and the C2SP checkpoint example.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use tallyseal_core::log::checkpoint::{Checkpoint, peek_origin};
use tallyseal_core::log::merkle::{
    Hash, MemoryHashStore, leaf_hash, parse_hash, verify_consistency, verify_inclusion,
};
use tallyseal_core::log::tiles::TileCoord;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/crypto")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A base64 hash field; `None` when it is not a 32-byte hash (the "garbage" mutations).
fn hash_field(v: &Value) -> Option<Hash> {
    v.as_str().and_then(parse_hash)
}

fn proof_field(v: &Value) -> Option<Vec<Hash>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(items) => items.iter().map(hash_field).collect(),
        _ => None,
    }
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(json_files(&p));
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The 8-leaf RFC 6962 reference tree, built with the log's hash store.
fn reference_tree() -> (MemoryHashStore, Vec<Hash>) {
    #[derive(Deserialize)]
    struct Tree {
        tree_size: u64,
        leaves_hex: Vec<String>,
        root_hex: String,
    }
    #[derive(Deserialize)]
    struct File {
        trees: Vec<Tree>,
    }
    let file: File = serde_json::from_slice(
        &std::fs::read(testdata().join("rfc6962_reference_tree_roots.json")).unwrap(),
    )
    .unwrap();
    let last = file.trees.last().unwrap();
    let mut store = MemoryHashStore::new();
    for leaf in &last.leaves_hex {
        store.append(&hex::decode(leaf).unwrap()).unwrap();
    }
    let mut roots = Vec::new();
    for tree in &file.trees {
        let root = store.root_at(tree.tree_size).unwrap();
        assert_eq!(
            hex::encode(root.0),
            tree.root_hex,
            "size {}",
            tree.tree_size
        );
        // Every tree is a prefix of the last one.
        assert_eq!(
            tree.leaves_hex[..],
            last.leaves_hex[..tree.leaves_hex.len()]
        );
        roots.push(root);
    }
    assert_eq!(roots.len(), 9);
    (store, roots)
}

#[test]
fn rfc6962_reference_tree_roots() {
    reference_tree();
}

#[test]
fn transparency_dev_inclusion_vectors() {
    let (store, roots) = reference_tree();
    let files = json_files(&testdata().join("merkle/testdata/inclusion"));
    assert!(files.len() > 50, "{} inclusion vectors", files.len());
    let mut happy = 0;
    for f in &files {
        let v = read_json(f);
        let want_err = v["wantErr"].as_bool().unwrap();
        let parsed = (|| {
            Some((
                v["leafIdx"].as_u64()?,
                v["treeSize"].as_u64()?,
                hash_field(&v["root"])?,
                hash_field(&v["leafHash"])?,
                proof_field(&v["proof"])?,
            ))
        })();
        let got = parsed.and_then(|(idx, size, root, leaf, proof)| {
            verify_inclusion(&proof, idx, size, leaf, root).ok()?;
            Some((idx, size, root, proof))
        });
        assert_eq!(got.is_none(), want_err, "{}", f.display());
        // The happy paths are proofs in the reference tree: the log's store must produce them.
        if let Some((idx, size, root, proof)) = got
            && size <= 8
            && roots[usize::try_from(size).unwrap()] == root
        {
            assert_eq!(store.inclusion_proof(idx, size).unwrap(), proof);
            happy += 1;
        }
    }
    assert!(happy >= 2, "{happy} happy paths matched");
}

#[test]
fn transparency_dev_consistency_vectors() {
    let (store, roots) = reference_tree();
    let files = json_files(&testdata().join("merkle/testdata/consistency"));
    assert!(files.len() > 50, "{} consistency vectors", files.len());
    let mut happy = 0;
    for f in &files {
        let v = read_json(f);
        let want_err = v["wantErr"].as_bool().unwrap();
        let parsed = (|| {
            Some((
                v["size1"].as_u64()?,
                v["size2"].as_u64()?,
                hash_field(&v["root1"])?,
                hash_field(&v["root2"])?,
                proof_field(&v["proof"])?,
            ))
        })();
        let got = parsed.and_then(|(s1, s2, r1, r2, proof)| {
            verify_consistency(&proof, s1, r1, s2, r2).ok()?;
            Some((s1, s2, r1, r2, proof))
        });
        assert_eq!(got.is_none(), want_err, "{}", f.display());
        if let Some((s1, s2, r1, r2, proof)) = got
            && s2 <= 8
            && roots[usize::try_from(s2).unwrap()] == r2
            && roots[usize::try_from(s1).unwrap()] == r1
        {
            assert_eq!(store.consistency_proof(s1, s2).unwrap(), proof);
            happy += 1;
        }
    }
    assert!(happy >= 2, "{happy} happy paths matched");
}

#[test]
fn go_sumdb_tile_paths_and_tree_note() {
    let v = read_json(&testdata().join("tlog/go_sumdb_tlog_vectors.json"));
    for t in v["tile_paths"].as_array().unwrap() {
        let path = t["path"].as_str().unwrap();
        let tile = tlog_tiles::Tile::from_path(path).unwrap();
        assert_eq!(u64::from(tile.height()), t["h"].as_u64().unwrap(), "{path}");
        assert_eq!(u64::from(tile.level()), t["l"].as_u64().unwrap(), "{path}");
        assert_eq!(tile.level_index(), t["n"].as_u64().unwrap(), "{path}");
        assert_eq!(u64::from(tile.width()), t["w"].as_u64().unwrap(), "{path}");
        assert_eq!(tile.is_data(), t["data"].as_bool().unwrap(), "{path}");
        assert_eq!(tile.path(), path);
    }
    for bad in v["invalid_tile_paths"].as_array().unwrap() {
        assert!(tlog_tiles::Tile::from_path(bad.as_str().unwrap()).is_err());
    }
    // The same coordinates at the log's height (8), in C2SP's height-less form.
    let c = TileCoord::parse_path("tile/5/x123/x456/078.p/2").unwrap();
    assert_eq!(
        c,
        TileCoord {
            level: Some(5),
            index: 123_456_078,
            width: 2
        }
    );
    let e = TileCoord::parse_path("tile/entries/x003/x057/500").unwrap();
    assert_eq!((e.level, e.index, e.width), (None, 3_057_500, 256));

    let tree = &v["tree"];
    let body = tree["body"].as_str().unwrap();
    let cp = Checkpoint::parse_body(body).unwrap();
    assert_eq!(cp.origin, "go.sum database tree");
    assert_eq!(cp.size, tree["size"].as_u64().unwrap());
    assert_eq!(
        cp.root,
        leaf_hash(tree["record"].as_str().unwrap().as_bytes())
    );
    assert_eq!(cp.body().unwrap(), body);
    for bad in tree["bad_bodies"].as_array().unwrap() {
        assert!(Checkpoint::parse_body(bad.as_str().unwrap()).is_err());
    }
}

#[test]
fn certificate_transparency_argon2020_proofs() {
    let dir = testdata().join("tlog/ct_argon2020");
    let v = read_json(&testdata().join("tlog/go_sumdb_tlog_vectors.json"));
    let ct = &v["ct_argon2020"];
    let sth = read_json(&dir.join("get-sth.json"));
    let size = sth["tree_size"].as_u64().unwrap();
    let root = hash_field(&sth["sha256_root_hash"]).unwrap();

    let entries = read_json(&dir.join("get-entries-start-10000.json"));
    let leaf_input = entries["entries"][0]["leaf_input"].as_str().unwrap();
    use base64::Engine as _;
    let leaf_input = base64::engine::general_purpose::STANDARD
        .decode(leaf_input)
        .unwrap();
    let leaf = leaf_hash(&leaf_input);

    let rp = read_json(&dir.join("get-proof-by-hash-10000.json"));
    let index = ct["leaf_index"].as_u64().unwrap();
    assert_eq!(rp["leaf_index"].as_u64().unwrap(), index);
    let audit = proof_field(&rp["audit_path"]).unwrap();
    verify_inclusion(&audit, index, size, leaf, root).unwrap();
    assert!(verify_inclusion(&audit, index + 1, size, leaf, root).is_err());

    let tp = read_json(&dir.join("get-sth-consistency-3654490.json"));
    let proof = proof_field(&tp["consistency"]).unwrap();
    let old_size = ct["old_size"].as_u64().unwrap();
    let old_root = hash_field(&ct["old_root"]).unwrap();
    verify_consistency(&proof, old_size, old_root, size, root).unwrap();
    // The same proof read backwards (second size smaller) is refused.
    assert!(verify_consistency(&proof, size, root, old_size, old_root).is_err());
    let mut bent = proof.clone();
    bent[0].0[0] ^= 1;
    assert!(verify_consistency(&bent, old_size, old_root, size, root).is_err());
}

#[test]
fn c2sp_checkpoint_example_parses() {
    let text = std::fs::read_to_string(testdata().join("checkpoint_c2sp_example.txt")).unwrap();
    let (body, _sigs) = text.split_once("\n\n").unwrap();
    let cp = Checkpoint::parse_body(&format!("{body}\n")).unwrap();
    assert_eq!(cp.origin, "example.com/behind-the-sofa");
    assert_eq!(cp.size, 20_852_163);
    assert_eq!(
        peek_origin(text.as_bytes()),
        Some("example.com/behind-the-sofa")
    );
}

/// The leaf test vector published in `docs/log.md` (between the `leaf-vector` markers).
#[test]
fn leaf_vector_in_docs() {
    use tallyseal_core::keys::DeviceKey;
    use tallyseal_core::log::leaf::{LeafBody, LogEvent};
    let doc =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/log.md"))
            .unwrap();
    let block = doc
        .split_once("<!-- leaf-vector:begin -->")
        .and_then(|(_, rest)| rest.split_once("<!-- leaf-vector:end -->"))
        .map(|(block, _)| block)
        .expect("docs/log.md has the leaf vector");
    let leaf_text = block
        .split_once("```text\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .map(|(text, _)| text)
        .unwrap();
    let hash_hex = block
        .split_once("leaf hash: `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(h, _)| h)
        .unwrap();

    let body = LeafBody {
        event: LogEvent::DeviceEnrolled {
            election_id: "pk-2024-ge".into(),
            device_key: DeviceKey::from_seed(&[7; 32]).public_key(),
            station_id: "NA-46/PS-12".into(),
        },
        logged_at_ms: 1_707_300_000_000,
    };
    let bytes = body.to_leaf_bytes().unwrap();
    let hash = hex::encode(body.leaf_hash().unwrap().0);
    assert_eq!(
        (leaf_text, hash_hex),
        (std::str::from_utf8(&bytes).unwrap(), hash.as_str()),
        "docs/log.md's leaf vector"
    );
    assert_eq!(
        LeafBody::from_leaf_bytes(leaf_text.as_bytes()).unwrap(),
        body
    );
}

/// A `cosignature/v1` line computed independently (pyca/cryptography, from the spec text).
#[test]
fn cosignature_v1_independent_vector() {
    use tallyseal_core::keys::DeviceKey;
    use tallyseal_core::log::cosignature::{
        CosignatureVerifier, Cosigner, cosignature_key_id, signed_message,
    };
    let v = read_json(&testdata().join("tlog/cosignature_v1_vector.json"));
    let s = |k: &str| v[k].as_str().unwrap().to_string();
    let mut seed = [0u8; 32];
    hex::decode_to_slice(s("seed_hex"), &mut seed).unwrap();
    let key = DeviceKey::from_seed(&seed);
    assert_eq!(key.public_key().to_hex(), s("public_key_hex"));
    let name = s("name");
    assert_eq!(
        format!("{:08x}", cosignature_key_id(&name, &key.public_key())),
        s("key_id_hex")
    );
    let body = s("checkpoint_body");
    let ts = v["timestamp"].as_u64().unwrap();
    assert_eq!(signed_message(&body, ts), s("signed_message").into_bytes());
    let cosigner = Cosigner::new(&name, key).unwrap();
    assert_eq!(cosigner.cosign(&body, ts).unwrap(), s("signature_line"));
    let verifier = CosignatureVerifier::parse(&s("vkey")).unwrap();
    assert_eq!(verifier, cosigner.verifier());
    let line = s("signature_line");
    let b64 = line.trim_end().rsplit(' ').next().unwrap();
    assert_eq!(verifier.verify(&body, b64).unwrap(), ts);
    let other_body = body.replace("20852163", "20852164");
    assert!(verifier.verify(&other_body, b64).is_err());
}

/// A small deterministic generator for the no-panic sweeps below (no dependency needed).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Untrusted tile paths, proofs, checkpoint bodies and leaves never panic (the crate underneath
/// asserts on some inputs; our wrappers must check first), and what parses re-encodes exactly.
#[test]
fn untrusted_log_inputs_never_panic() {
    use tallyseal_core::log::leaf::LeafBody;
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let alphabet = b"tile/entries0123456789x.p/-+ 0x";
    for _ in 0..60_000 {
        let len = rng.below(40);
        let mut s = String::from(if rng.below(5) == 0 { "" } else { "tile/" });
        for _ in 0..len {
            s.push(char::from(
                alphabet[usize::try_from(rng.below(31)).unwrap()],
            ));
        }
        if let Ok(c) = TileCoord::parse_path(&s) {
            assert_eq!(c.path().unwrap(), s);
        }
    }
    for _ in 0..20_000 {
        let c = TileCoord {
            level: if rng.below(4) == 0 {
                None
            } else {
                Some(u8::try_from(rng.below(12)).unwrap())
            },
            index: rng.next() >> rng.below(64),
            width: u32::try_from(rng.below(300)).unwrap(),
        };
        if let Ok(p) = c.path() {
            assert_eq!(TileCoord::parse_path(&p).unwrap(), c);
        }
    }
    let some_hash = leaf_hash(b"x");
    for _ in 0..20_000 {
        let size = match rng.below(3) {
            0 => rng.below(1000),
            1 => u64::MAX - rng.below(1000),
            _ => rng.next(),
        };
        let other = if size == 0 { 0 } else { rng.below(size) };
        let proof = vec![some_hash; usize::try_from(rng.below(70)).unwrap()];
        assert!(verify_inclusion(&proof, other, size, some_hash, some_hash).is_err());
        let _ = verify_consistency(&proof, other, some_hash, size, some_hash);
        let _ = verify_consistency(&proof, size, some_hash, other, some_hash);
    }
    let body = "o\n12\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\next\n";
    let leaf = b"tallyseal-log-leaf/v1\n{\"event\":{\"kind\":\"manifest_received\",\"manifest_hash\":\"00\",\"received_at_ms\":1},\"logged_at_ms\":1}";
    for _ in 0..20_000 {
        let mut b = body.as_bytes().to_vec();
        let mut l = leaf.to_vec();
        for _ in 0..=rng.below(3) {
            let i = usize::try_from(rng.below(b.len() as u64)).unwrap();
            b[i] = u8::try_from(rng.below(256)).unwrap();
            let j = usize::try_from(rng.below(l.len() as u64)).unwrap();
            l[j] = u8::try_from(rng.below(256)).unwrap();
        }
        b.truncate(usize::try_from(rng.below(b.len() as u64 + 1)).unwrap());
        if let Ok(text) = std::str::from_utf8(&b)
            && let Ok(cp) = Checkpoint::parse_body(text)
        {
            assert_eq!(cp.body().unwrap(), text);
        }
        if let Ok(parsed) = LeafBody::from_leaf_bytes(&l) {
            assert_eq!(parsed.to_leaf_bytes().unwrap(), l);
        }
    }
}
