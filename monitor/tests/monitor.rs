//! The monitor against a log built here with core's `MemoryHashStore` and tile functions,
//! written as C2SP tlog-tiles files in a directory and served over HTTP on loopback
//! (`tallyseal_testkit::log_site`); then
//! tampered with: each change is detected, named, and the state file is never rolled back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use tallyseal_core::hash::{Sha256Digest, sha256};
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::checkpoint::Checkpoint;
use tallyseal_core::log::cosignature::Cosigner;
use tallyseal_core::log::leaf::{LeafBody, LogEvent, OperatorId, ResultForm};
use tallyseal_core::log::merkle::{MemoryHashStore, leaf_hash};
use tallyseal_core::log::proof::LogPolicy;
use tallyseal_core::note::Signer;
use tallyseal_monitor::{
    FindingKind, HttpLogSource, MonitorOptions, MonitorReport, MonitorState, prove, run,
};
use tallyseal_testkit::log_site::{self, publish_log, serve_dir};

const ORIGIN: &str = "tallyseal.example/log";

fn log_key() -> Signer {
    Signer::new(ORIGIN, DeviceKey::from_seed(&[1; 32])).unwrap()
}

fn witness() -> Cosigner {
    Cosigner::new("witness.example", DeviceKey::from_seed(&[2; 32])).unwrap()
}

fn leaf(event: LogEvent) -> Vec<u8> {
    LeafBody {
        event,
        logged_at_ms: 1_707_400_000_000,
    }
    .to_leaf_bytes()
    .unwrap()
}

fn manifest(n: u32) -> Sha256Digest {
    sha256(&n.to_be_bytes())
}

fn enrolled(device: u8, station: &str) -> Vec<u8> {
    leaf(LogEvent::DeviceEnrolled {
        election_id: "pk-2024".into(),
        device_key: DeviceKey::from_seed(&[device; 32]).public_key(),
        station_id: station.into(),
    })
}

fn received(n: u32) -> Vec<u8> {
    leaf(LogEvent::ManifestReceived {
        manifest_hash: manifest(n),
        received_at_ms: i64::from(n),
    })
}

fn verified(n: u32) -> Vec<u8> {
    leaf(LogEvent::ImageVerified {
        manifest_hash: manifest(n),
        image_hash: sha256(b"image"),
        verdict: "verified".into(),
        report_hash: sha256(b"report"),
    })
}

/// A good election's leaves: enrolments, then captures received and verified.
fn good_leaves(captures: u32) -> Vec<Vec<u8>> {
    let mut out = vec![enrolled(10, "NA-46/1"), enrolled(11, "NA-46/2")];
    for n in 0..captures {
        out.push(received(n));
        out.push(verified(n));
    }
    out
}

fn publish(dir: &Path, leaves: &[Vec<u8>]) -> MemoryHashStore {
    publish_log(dir, leaves, &log_key(), &[witness()], 1_707_400_000).unwrap()
}

fn write_checkpoint(dir: &Path, cp: &Checkpoint, key: &Signer) {
    log_site::write_checkpoint(dir, cp, key, &[witness()], 1_707_400_000).unwrap();
}

struct Setup {
    _tmp: tempfile::TempDir,
    site: PathBuf,
    state: PathBuf,
    source: HttpLogSource,
    opts: MonitorOptions,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    let url = serve_dir(site.clone()).unwrap();
    Setup {
        state: tmp.path().join("monitor.json"),
        source: HttpLogSource::new(&url).unwrap(),
        opts: MonitorOptions {
            log_key: Some(log_key().verifier()),
            witnesses: vec![witness().verifier()],
            witness_threshold: Some(1),
        },
        site,
        _tmp: tmp,
    }
}

impl Setup {
    fn run(&self) -> MonitorReport {
        run(&self.source, &self.opts, &self.state).unwrap()
    }
    fn stored(&self) -> MonitorState {
        MonitorState::load(&self.state).unwrap().unwrap()
    }
    fn kinds(r: &MonitorReport) -> Vec<FindingKind> {
        r.findings.iter().map(|f| f.kind).collect()
    }
}

#[test]
fn a_growing_consistent_log_is_clean_and_the_state_advances() {
    let s = setup();
    // More than one tile of entries, so level-1 tiles and partial tiles are exercised.
    publish(&s.site, &good_leaves(140));
    let r = s.run();
    assert!(r.is_clean(), "{:?}", r.findings);
    assert!(r.state_advanced && r.previous_size.is_none());
    assert_eq!(s.stored().size, 282);
    publish(&s.site, &good_leaves(300));
    let r = s.run();
    assert!(r.is_clean(), "{:?}", r.findings);
    assert_eq!((r.previous_size, r.size), (Some(282), 602));
    assert_eq!(s.stored().size, 602);
    assert_eq!(
        s.stored().stations,
        vec!["pk-2024/NA-46/1".to_string(), "pk-2024/NA-46/2".to_string()]
    );
    // The same checkpoint again: still clean.
    assert!(s.run().is_clean());
}

#[test]
fn a_tile_that_does_not_hash_to_the_checkpoint_is_named() {
    let s = setup();
    publish(&s.site, &good_leaves(140));
    assert!(s.run().is_clean());
    let before = std::fs::read(&s.state).unwrap();
    let tile = s.site.join("log/tile/0/000");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[32 * 7 + 3] ^= 1;
    std::fs::write(&tile, bytes).unwrap();
    let r = s.run();
    assert!(!r.state_advanced);
    assert_eq!(
        Setup::kinds(&r),
        vec![FindingKind::Tile],
        "{:?}",
        r.findings
    );
    let m = &r.findings[0].message;
    assert!(
        m.contains("tile log/tile/0/000") && m.contains("hash 7"),
        "{m}"
    );
    // The stored checkpoint is kept (evidence may be added, the checkpoint never moves back).
    let after = s.stored();
    let earlier: MonitorState = serde_json::from_slice(&before).unwrap();
    assert_eq!((after.size, after.root), (earlier.size, earlier.root));
}

#[test]
fn an_entry_bundle_with_a_changed_byte_is_named() {
    let s = setup();
    publish(&s.site, &good_leaves(140));
    assert!(s.run().is_clean());
    let bundle = s.site.join("log/tile/entries/001.p/26");
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes.len() - 5;
    bytes[at] ^= 0x20;
    std::fs::write(&bundle, bytes).unwrap();
    let r = s.run();
    assert!(!r.state_advanced);
    let f = r
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::Entries)
        .unwrap_or_else(|| panic!("{:?}", r.findings));
    assert!(
        f.message.contains("entry 281") && f.message.contains("tile/entries/001.p/26"),
        "{}",
        f.message
    );
    assert_eq!(s.stored().size, 282);
}

#[test]
fn a_checkpoint_whose_signature_fails_is_refused() {
    let s = setup();
    let store = publish(&s.site, &good_leaves(3));
    assert!(s.run().is_clean());
    let other = Signer::new(ORIGIN, DeviceKey::from_seed(&[9; 32])).unwrap();
    write_checkpoint(
        &s.site,
        &Checkpoint::new(ORIGIN, store.size(), store.root().unwrap()),
        &other,
    );
    let r = s.run();
    assert_eq!(Setup::kinds(&r), vec![FindingKind::Signature]);
    assert!(r.findings[0].message.contains("not signed by the log key"));
    assert!(!r.state_advanced);
    // Without the witness's cosignature, the 1-of-1 policy is not met.
    let cp = Checkpoint::new(ORIGIN, store.size(), store.root().unwrap());
    std::fs::write(s.site.join("log/checkpoint"), cp.sign(&log_key()).unwrap()).unwrap();
    let r = s.run();
    assert_eq!(
        Setup::kinds(&r),
        vec![FindingKind::Witnesses],
        "{:?}",
        r.findings
    );
}

#[test]
fn a_rollback_is_refused_and_the_state_kept() {
    let s = setup();
    publish(&s.site, &good_leaves(10));
    assert!(s.run().is_clean());
    publish(&s.site, &good_leaves(6));
    let r = s.run();
    assert_eq!(Setup::kinds(&r), vec![FindingKind::Rollback]);
    assert!(
        r.findings[0]
            .message
            .contains("smaller than the stored size 22")
    );
    let st = s.stored();
    assert_eq!(st.size, 22);
    assert_eq!(st.evidence.len(), 1);
}

#[test]
fn a_fork_is_reported_with_evidence_and_the_state_kept() {
    let s = setup();
    publish(&s.site, &good_leaves(10));
    assert!(s.run().is_clean());
    let root = s.stored().root;
    // Same size, another history (one capture replaced).
    let mut other = good_leaves(10);
    other[2] = received(999);
    other[3] = verified(999);
    publish(&s.site, &other);
    let r = s.run();
    assert_eq!(Setup::kinds(&r), vec![FindingKind::Fork]);
    assert!(r.findings[0].message.contains("size 22"));
    let st = s.stored();
    assert_eq!((st.size, st.root.clone()), (22, root.clone()));
    assert_eq!(st.evidence.len(), 1);
    // A larger tree whose history does not lead to the stored root: a fork too.
    let mut grown = other;
    grown.push(received(1000));
    publish(&s.site, &grown);
    let r = s.run();
    assert_eq!(
        Setup::kinds(&r),
        vec![FindingKind::Fork],
        "{:?}",
        r.findings
    );
    assert!(r.findings[0].message.contains("history changed"));
    assert_eq!(s.stored().root, root);
}

#[test]
fn election_invariants_are_checked_over_the_leaves() {
    let s = setup();
    let mut leaves = good_leaves(2);
    leaves.push(verified(77)); // no manifest_received for 77
    leaves.push(enrolled(10, "NA-46/9")); // device 10 is enrolled for NA-46/1
    let form = |version: u32, doc: &[u8], corrects: Option<Sha256Digest>| {
        leaf(LogEvent::FormVersion {
            election_id: "pk-2024".into(),
            constituency_id: "NA-46".into(),
            form: ResultForm::Form47,
            version,
            document_hash: sha256(doc),
            corrects,
            operator: OperatorId::new("ro-na-46").unwrap(),
        })
    };
    leaves.push(form(1, b"v1", None));
    leaves.push(form(2, b"v2", Some(sha256(b"v1"))));
    leaves.push(form(3, b"v3", Some(sha256(b"never published"))));
    let decision = |capture: u32| {
        leaf(LogEvent::RoDecision {
            election_id: "pk-2024".into(),
            constituency_id: "NA-46".into(),
            manifest_hash: manifest(capture),
            decision_hash: sha256(b"a decision"),
            operator: OperatorId::new("u-0a1b").unwrap(),
        })
    };
    leaves.push(decision(1)); // capture 1 was received (entry 4)
    leaves.push(decision(78)); // never received
    publish(&s.site, &leaves);
    let r = s.run();
    // The documents of the three Form-47 versions and the two decisions are not published: one
    // `document` finding each.
    let (documents, findings): (Vec<_>, Vec<_>) = r
        .findings
        .iter()
        .partition(|f| f.kind == FindingKind::Document);
    assert_eq!(documents.len(), 5, "{documents:?}");
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        findings.iter().all(|f| f.kind == FindingKind::Invariant) && findings.len() == 4,
        "{messages:?}"
    );
    assert!(
        messages[0].starts_with("entry 6: image_verified"),
        "{messages:?}"
    );
    assert!(messages[1].contains("entry 7") && messages[1].contains("NA-46/1"));
    assert!(messages[2].contains("entry 10") && messages[2].contains("version 3"));
    assert!(
        messages[3].starts_with("entry 12: ro_decision") && messages[3].contains("manifest"),
        "{messages:?}"
    );
    // The log itself is consistent: the state advances, the findings stay findings.
    assert!(r.state_advanced);
}

#[test]
fn prove_makes_an_offline_proof_that_verifies() {
    let s = setup();
    let leaves = good_leaves(40);
    publish(&s.site, &leaves);
    let proof = prove(&s.source, &s.opts, &manifest(17)).unwrap();
    // The capture's latest leaf: its image_verified (entry 2 + 2 * 17 + 1).
    assert_eq!(proof.index, 37);
    let policy =
        LogPolicy::for_log_key(log_key().verifier(), vec![witness().verifier()], 1).unwrap();
    proof.verify(leaf_hash(&verified(17)), &policy).unwrap();
    assert!(prove(&s.source, &s.opts, &manifest(4000)).is_err());
}

#[test]
fn keys_come_from_the_server_when_not_given() {
    let s = setup();
    publish(&s.site, &good_leaves(2));
    let no_keys = MonitorOptions::default();
    assert!(
        run(&s.source, &no_keys, &s.state).is_err(),
        "no keys published: --log-key needed"
    );
    std::fs::create_dir_all(s.site.join("api/v1")).unwrap();
    std::fs::write(
        s.site.join("api/v1/keys"),
        serde_json::json!({
            "commission_key": "00",
            "log_vkey": log_key().verifier().to_vkey(),
            "witness_vkeys": [witness().verifier().to_vkey()],
        })
        .to_string(),
    )
    .unwrap();
    let r = run(&s.source, &no_keys, &s.state).unwrap();
    assert!(r.is_clean(), "{:?}", r.findings);
}

/// Publish `doc` where the server would (`api/v1/log-documents/<sha256>`); returns its hash.
fn publish_document(site: &Path, doc: &serde_json::Value) -> Sha256Digest {
    let bytes = serde_json::to_vec(doc).unwrap();
    let hash = sha256(&bytes);
    let path = site.join(format!("api/v1/log-documents/{}", hash.to_hex()));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    hash
}

#[test]
fn form_47_figures_are_the_sums_of_the_station_figures_it_cites() {
    use serde_json::json;
    let s = setup();
    let mut leaves = good_leaves(3);
    let ro = || OperatorId::new("u-ro-46").unwrap();
    let (election, constituency) = ("pk-2024", "NA-46");
    // The RO accepts captures 0 and 1 (not 2); their figures are confirmed.
    for n in [0, 1] {
        let doc = json!({"record": "review_decision", "manifest_hash": manifest(n).to_hex(),
                         "action": "accept", "station": n + 1});
        leaves.push(leaf(LogEvent::RoDecision {
            election_id: election.into(),
            constituency_id: constituency.into(),
            manifest_hash: manifest(n),
            decision_hash: publish_document(&s.site, &doc),
            operator: ro(),
        }));
    }
    let figures = [(300, 200, 10, 290, 220), (150, 250, 5, 200, 205)];
    for (n, (a, b, rejected, male, female)) in (0u32..3).zip(figures.iter().cycle()) {
        let doc = json!({
            "record": "figure_confirmation", "id": format!("c{n}"),
            "manifest_hash": manifest(n).to_hex(), "station": n + 1, "supersedes": null,
            "figures": {"candidate_1": a, "candidate_2": b, "total_valid": a + b,
                        "rejected": rejected, "total_polled": a + b + rejected,
                        "polled_male": male, "polled_female": female,
                        "registered_male": 600, "registered_female": 550},
        });
        leaves.push(leaf(LogEvent::FiguresConfirmed {
            election_id: election.into(),
            constituency_id: constituency.into(),
            figures_hash: publish_document(&s.site, &doc),
            operator: ro(),
        }));
    }
    let form = |candidate_1: u64, counted: &[u32]| {
        json!({
            "format": "tallyseal.signed-form", "v": 1, "form": "form47",
            "election": election, "constituency": constituency,
            "content": {
            "candidates": [{"ballot_no": 1, "votes": candidate_1}, {"ballot_no": 2, "votes": 450}],
            "total_valid": 900, "rejected": 15, "total_polled": 915,
            "turnout": {"polled": {"male": 490, "female": 425, "transgender": 0},
                        "registered": {"male": 1200, "female": 1100, "transgender": 0}},
            "stations_counted": counted.iter().map(|n| json!({
                "station": n + 1, "manifest_hash": manifest(*n).to_hex(),
                "confirmation": format!("c{n}")})).collect::<Vec<_>>(),
            },
        })
    };
    let version = |n: u32, doc: Sha256Digest, corrects: Option<Sha256Digest>| {
        leaf(LogEvent::FormVersion {
            election_id: election.into(),
            constituency_id: constituency.into(),
            form: ResultForm::Form47,
            version: n,
            document_hash: doc,
            corrects,
            operator: ro(),
        })
    };
    let good = publish_document(&s.site, &form(450, &[0, 1]));
    leaves.push(version(1, good, None));
    publish(&s.site, &leaves);
    let r = s.run();
    assert!(r.is_clean(), "{:?}", r.findings);

    // Version 2 adds one vote to candidate 1; version 3 counts capture 2, never accepted;
    // version 4's document is not published.
    let padded = publish_document(&s.site, &form(451, &[0, 1]));
    leaves.push(version(2, padded, Some(good)));
    let unaccepted = publish_document(&s.site, &form(450, &[0, 1, 2]));
    leaves.push(version(3, unaccepted, Some(padded)));
    leaves.push(version(4, sha256(b"never published"), Some(unaccepted)));
    publish(&s.site, &leaves);
    let r = s.run();
    let messages: Vec<&str> = r.findings.iter().map(|f| f.message.as_str()).collect();
    let padded_entry = leaves.len() - 3;
    assert!(
        messages.iter().any(|m| m.starts_with(&format!("entry {padded_entry}:"))
            && m.contains("candidate 1's votes: the form states 451, the 2 stations it cites add up to 450")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("counts the capture") && m.contains("not accepted")),
        "{messages:?}"
    );
    // Counting capture 2 also breaks every sum it adds to.
    assert!(
        messages
            .iter()
            .any(|m| m.contains("candidate 1's votes: the form states 450, the 3 stations")),
        "{messages:?}"
    );
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.kind == FindingKind::Document)
            .count(),
        1,
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("does not publish")));
}

/// Publish the server's keys (`api/v1/keys`) with the log's key changes.
fn publish_keys(site: &Path, log_vkey: &str, changes: serde_json::Value) {
    let path = site.join("api/v1/keys");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let keys = serde_json::json!({"log_vkey": log_vkey, "log_key_changes": changes});
    std::fs::write(path, serde_json::to_vec(&keys).unwrap()).unwrap();
}

#[test]
fn a_new_log_key_is_trusted_only_through_a_change_the_old_key_signed() {
    let s = setup();
    let old = log_key();
    let new = Signer::new(ORIGIN, DeviceKey::from_seed(&[3; 32])).unwrap();
    let forger = Signer::new(ORIGIN, DeviceKey::from_seed(&[4; 32])).unwrap();
    let mut leaves = good_leaves(3);
    let before = leaves.len();
    publish(&s.site, &leaves);
    assert!(s.run().is_clean());

    // The change: its leaf, then the boundary checkpoint the old key signs over it.
    let change = |to: &Signer| {
        leaf(LogEvent::LogKeyChanged {
            old_vkey: old.verifier().to_vkey(),
            new_vkey: to.verifier().to_vkey(),
        })
    };
    leaves.push(change(&new));
    let index = leaves.len() as u64 - 1;
    publish(&s.site, &leaves);
    let boundary = std::fs::read_to_string(s.site.join("log/checkpoint")).unwrap();
    leaves.extend([received(50), verified(50)]);
    publish_log(&s.site, &leaves, &new, &[witness()], 1_707_400_000).unwrap();
    let changes = |to: &Signer, boundary: &str| {
        serde_json::json!([{"old_vkey": old.verifier().to_vkey(), "new_vkey": to.verifier().to_vkey(),
                            "leaf_index": index, "from_size": index + 1, "boundary": boundary}])
    };
    publish_keys(&s.site, &new.verifier().to_vkey(), changes(&new, &boundary));
    let r = s.run();
    assert!(r.is_clean(), "{:?}", r.findings);
    assert!(r.state_advanced);
    assert_eq!(s.stored().log_vkey, Some(new.verifier().to_vkey()));

    // A forger's key, with a "boundary" it signed itself: not trusted, the state stays.
    let s = setup();
    publish(&s.site, &leaves[..before]);
    assert!(s.run().is_clean());
    let mut forged = leaves[..before].to_vec();
    forged.push(change(&forger));
    let own_boundary = {
        publish_log(&s.site, &forged, &forger, &[witness()], 1_707_400_000).unwrap();
        std::fs::read_to_string(s.site.join("log/checkpoint")).unwrap()
    };
    forged.extend([received(60), verified(60)]);
    publish_log(&s.site, &forged, &forger, &[witness()], 1_707_400_000).unwrap();
    publish_keys(
        &s.site,
        &forger.verifier().to_vkey(),
        changes(&forger, &own_boundary),
    );
    let r = s.run();
    assert_eq!(
        Setup::kinds(&r),
        vec![FindingKind::Signature],
        "{:?}",
        r.findings
    );
    assert!(!r.state_advanced);
    assert_eq!(s.stored().size, before as u64);

    // A boundary the old key did sign, but for a tree whose entry is not the change's leaf.
    let s = setup();
    publish(&s.site, &leaves[..before]);
    assert!(s.run().is_clean());
    let mut wrong = leaves[..before].to_vec();
    wrong.push(received(70)); // where the change's leaf should be
    publish(&s.site, &wrong);
    let signed_by_old = std::fs::read_to_string(s.site.join("log/checkpoint")).unwrap();
    wrong.extend([verified(70)]);
    publish_log(&s.site, &wrong, &new, &[witness()], 1_707_400_000).unwrap();
    publish_keys(
        &s.site,
        &new.verifier().to_vkey(),
        changes(&new, &signed_by_old),
    );
    let r = s.run();
    let messages: Vec<&str> = r.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        Setup::kinds(&r),
        vec![FindingKind::Signature],
        "{messages:?}"
    );
    assert!(
        messages[0].contains("is not the log_key_changed leaf"),
        "{messages:?}"
    );
    assert!(!r.state_advanced);
}
