//! The documented log-section vector (`docs/vectors/log-v1/`): the capture-v1 bundle with a log
//! section (`LOGP`): the capture's `manifest_received` leaf at index 3 of a five-leaf log, its
//! C2SP tlog-proof against a checkpoint signed by the documented log key and cosigned by two
//! documented witnesses. Rebuilding it from the documented seeds reproduces every file byte for
//! byte, and `verify_bundle_with_log` accepts it (and refuses it under a wrong key or a policy
//! of three witnesses).
//!
//! Regenerate (only when the format changes on purpose) with
//! `TALLYSEAL_REGENERATE_VECTORS=1 cargo test -p tallyseal-core --test it log_bundle_vector`.

use std::path::PathBuf;

use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::checkpoint::Checkpoint;
use tallyseal_core::log::cosignature::{CosignatureVerifier, Cosigner};
use tallyseal_core::log::inclusion::LogInclusionProof;
use tallyseal_core::log::leaf::{LeafBody, LogEvent};
use tallyseal_core::log::merkle::MemoryHashStore;
use tallyseal_core::log::proof::{LogPolicy, TlogProof};
use tallyseal_core::note::{Signer, Verifier};
use tallyseal_core::verify::{CheckId, Outcome, VerificationContext, verify_bundle_with_log};
use tallyseal_core::{demo, sha256};

const ORIGIN: &str = "demo.tallyseal.invalid/log";
const LOG_SEED: [u8; 32] = [0x11; 32];
const WITNESS_SEEDS: [[u8; 32]; 2] = [[0x21; 32], [0x22; 32]];
const LOGGED_AT_MS: i64 = demo::CAPTURE_MS + 60_000;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/log-v1")
}

fn capture_bundle() -> EvidenceBundle {
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/capture-v1/bundle.tsb"),
    )
    .unwrap();
    EvidenceBundle::from_bytes(&bytes).unwrap()
}

fn witnesses() -> Vec<Cosigner> {
    WITNESS_SEEDS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Cosigner::new(
                &format!("witness{}.demo.tallyseal.invalid", i + 1),
                DeviceKey::from_seed(s),
            )
            .unwrap()
        })
        .collect()
}

fn leaf(event: LogEvent, n: i64) -> Vec<u8> {
    LeafBody {
        event,
        logged_at_ms: LOGGED_AT_MS + n,
    }
    .to_leaf_bytes()
    .unwrap()
}

/// The bundle with its log section, the log's verifier key and the witnesses' keys.
fn build() -> (
    EvidenceBundle,
    Verifier,
    Vec<CosignatureVerifier>,
    LogInclusionProof,
) {
    let mut bundle = capture_bundle();
    let manifest_hash = sha256(&bundle.manifest);
    let leaves = [
        leaf(
            LogEvent::DeviceEnrolled {
                election_id: demo::package().election.id,
                device_key: demo::device_key().public_key(),
                station_id: "NA-125/1".into(),
            },
            0,
        ),
        leaf(
            LogEvent::ManifestReceived {
                manifest_hash: sha256(b"another capture"),
                received_at_ms: demo::CAPTURE_MS,
            },
            1,
        ),
        leaf(
            LogEvent::ManifestReceived {
                manifest_hash: sha256(b"a third capture"),
                received_at_ms: demo::CAPTURE_MS + 1,
            },
            2,
        ),
        leaf(
            LogEvent::ManifestReceived {
                manifest_hash,
                received_at_ms: demo::CAPTURE_MS + 2,
            },
            3,
        ),
        leaf(
            LogEvent::ManifestReceived {
                manifest_hash: sha256(b"a later capture"),
                received_at_ms: demo::CAPTURE_MS + 3,
            },
            4,
        ),
    ];
    let mut store = MemoryHashStore::new();
    for l in &leaves {
        store.append(l).unwrap();
    }
    let log = Signer::new(ORIGIN, DeviceKey::from_seed(&LOG_SEED)).unwrap();
    let cp = Checkpoint::new(ORIGIN, store.size(), store.root().unwrap());
    let mut note = cp.sign(&log).unwrap();
    for w in witnesses() {
        note.push_str(&w.cosign(&cp.body().unwrap(), 1_707_397_300).unwrap());
    }
    let proof = TlogProof::new(3, store.inclusion_proof(3, 5).unwrap(), note);
    let inclusion = LogInclusionProof::new(leaves[3].clone(), proof).unwrap();
    bundle.log_proof = Some(inclusion.to_bytes().unwrap());
    let ws = witnesses().iter().map(Cosigner::verifier).collect();
    (bundle, log.verifier(), ws, inclusion)
}

#[test]
fn log_bundle_vector() {
    let d = dir();
    let (bundle, log_key, ws, inclusion) = build();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("bundle.tsb", bundle.to_bytes()),
        ("leaf.txt", inclusion.leaf.clone()),
        ("proof.tlog-proof", inclusion.proof.to_text().into_bytes()),
        ("logp.json", inclusion.to_bytes().unwrap()),
        ("log.vkey", format!("{}\n", log_key.to_vkey()).into_bytes()),
        (
            "witnesses.vkey",
            ws.iter()
                .map(|w| format!("{}\n", w.to_vkey()))
                .collect::<String>()
                .into_bytes(),
        ),
    ];
    if std::env::var_os("TALLYSEAL_REGENERATE_VECTORS").is_some() {
        std::fs::create_dir_all(&d).unwrap();
        for (name, bytes) in &files {
            std::fs::write(d.join(name), bytes).unwrap();
        }
    }
    for (name, bytes) in &files {
        let on_disk = std::fs::read(d.join(name)).unwrap();
        assert_eq!(&on_disk, bytes, "docs/vectors/log-v1/{name} differs");
    }

    // The documented files verify as documented.
    let read = EvidenceBundle::from_bytes(&std::fs::read(d.join("bundle.tsb")).unwrap()).unwrap();
    let log_key: Verifier = std::fs::read_to_string(d.join("log.vkey"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let ws: Vec<CosignatureVerifier> = std::fs::read_to_string(d.join("witnesses.vkey"))
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    let ctx = VerificationContext::default();
    let check = |policy: Option<&LogPolicy>| {
        verify_bundle_with_log(&read, &ctx, policy)
            .check(CheckId::LogInclusion)
            .cloned()
            .unwrap()
    };
    let two_of_two = LogPolicy::for_log_key(log_key.clone(), ws.clone(), 2).unwrap();
    let c = check(Some(&two_of_two));
    assert_eq!(c.outcome, Outcome::Pass, "{}", c.reason);
    assert_eq!(c.measured["leaf_index"], 3);
    assert_eq!(c.measured["tree_size"], 5);
    // Without keys: a warning, never a silent pass.
    assert_eq!(check(None).outcome, Outcome::Warn);
    // Another log key.
    let other = Signer::new(ORIGIN, DeviceKey::from_seed(&[0x12; 32])).unwrap();
    let wrong = LogPolicy::for_log_key(other.verifier(), Vec::new(), 0).unwrap();
    assert_eq!(check(Some(&wrong)).outcome, Outcome::Fail);
    // Three witnesses required of three listed, two cosigned.
    let mut three = ws;
    three.push(
        Cosigner::new(
            "witness3.demo.tallyseal.invalid",
            DeviceKey::from_seed(&[0x23; 32]),
        )
        .unwrap()
        .verifier(),
    );
    let three_of_three = LogPolicy::for_log_key(log_key, three, 3).unwrap();
    let c = check(Some(&three_of_three));
    assert_eq!(c.outcome, Outcome::Fail);
    assert!(c.reason.contains("needs 3"), "{}", c.reason);
}

/// A bundle's log section that is about another capture, or whose proof was changed, fails.
#[test]
fn a_log_section_for_another_capture_or_a_changed_proof_fails() {
    let (bundle, log_key, ws, inclusion) = build();
    let policy = LogPolicy::for_log_key(log_key, ws, 1).unwrap();
    let ctx = VerificationContext::default();
    let outcome = |b: &EvidenceBundle| {
        verify_bundle_with_log(b, &ctx, Some(&policy))
            .check(CheckId::LogInclusion)
            .cloned()
            .unwrap()
    };
    // Another capture's bundle with this log section.
    let mut other = bundle.clone();
    other.manifest.push(b' ');
    let c = outcome(&other);
    assert_eq!(c.outcome, Outcome::Fail);
    assert!(c.reason.contains("another capture"), "{}", c.reason);
    // One hash of the proof changed.
    let mut changed = inclusion.clone();
    changed.proof.hashes[0].0[0] ^= 1;
    let mut b = bundle.clone();
    b.log_proof = Some(changed.to_bytes().unwrap());
    let c = outcome(&b);
    assert_eq!(c.outcome, Outcome::Fail);
    assert!(c.reason.contains("does not lead"), "{}", c.reason);
    // An unreadable section.
    b.log_proof = Some(b"{}".to_vec());
    assert_eq!(outcome(&b).outcome, Outcome::Fail);
    // No section: no check (bundles from before the log are read as they were).
    b.log_proof = None;
    assert!(
        verify_bundle_with_log(&b, &ctx, Some(&policy))
            .check(CheckId::LogInclusion)
            .is_none()
    );
}

/// A receipt that carries a `log_index` (the server's signed promise of inclusion) binds the
/// bundle's leaf to that index: the proof of another leaf of the log fails, naming both.
#[test]
fn the_receipts_log_index_must_be_the_bundles_leaf_index() {
    use tallyseal_core::receipt::{Receipt, ReceiptBody, ReceiptStatus};
    let (bundle, log_key, ws, _) = build();
    let policy = LogPolicy::for_log_key(log_key, ws, 2).unwrap();
    let server = DeviceKey::from_seed(&[0x31; 32]);
    let ctx = VerificationContext {
        receipt_keys: vec![server.public_key()],
        ..VerificationContext::default()
    };
    let with_receipt = |log_index: Option<u64>| {
        let body = ReceiptBody {
            v: 1,
            manifest_hash: sha256(&bundle.manifest),
            received_at_ms: demo::CAPTURE_MS + 2,
            status: ReceiptStatus::ManifestReceived,
            image_sha256: None,
            image_received_at_ms: None,
            verdict: None,
            server_key: server.public_key(),
            log_index,
        };
        let mut b = bundle.clone();
        b.receipt = Some(Receipt::issue(&server, body).unwrap().to_bytes().unwrap());
        let report = verify_bundle_with_log(&b, &ctx, Some(&policy));
        assert_eq!(
            report.check(CheckId::Receipt).unwrap().outcome,
            Outcome::Pass
        );
        report.check(CheckId::LogInclusion).cloned().unwrap()
    };
    let c = with_receipt(Some(3));
    assert_eq!(c.outcome, Outcome::Pass, "{}", c.reason);
    assert_eq!(c.measured["receipt_log_index"], 3);
    // The receipt promises a later leaf of the capture than the bundle proves: the capture is in
    // the log, the promised leaf not proven yet (a warning naming both).
    let c = with_receipt(Some(4));
    assert_eq!(c.outcome, Outcome::Warn, "{}", c.reason);
    assert!(
        c.reason.contains("promised leaf 4") && c.reason.contains("leaf 3"),
        "{}",
        c.reason
    );
    // A proof of a LATER index than the receipt promised is no promise kept.
    let c = with_receipt(Some(2));
    assert_eq!(c.outcome, Outcome::Fail);
    assert!(
        c.reason.contains("log index 2") && c.reason.contains("later index 3"),
        "{}",
        c.reason
    );
    // A receipt from before the log (no index) leaves the check as it was.
    assert_eq!(with_receipt(None).outcome, Outcome::Pass);
}
