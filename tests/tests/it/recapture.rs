//! The phone at its next sync, against the real server: a capture's status carrying a log
//! inclusion and a Returning Officer's recapture request. The server does not write those two
//! fields yet (the log and the console publish them), so a transport in front of the real server
//! adds them to its `GET /api/v1/captures/{hash}` answers, exactly in the shape `core::wire`
//! declares; everything else is the real server.
//!
//! The phone keeps the inclusion and exports it in the bundle (which verifies offline against
//! the log key), shows the request, and answers it with a capture whose manifest supersedes the
//! old one; the server receives and verifies the new capture; the old one is untouched.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::client::clock::SystemClock;
use tallyseal_core::client::custody::MemoryKeyCustody;
use tallyseal_core::client::http::{
    HttpRequest, HttpResponse, HttpTransport, StdHttpTransport, TransportError,
};
use tallyseal_core::client::outbox::Stage;
use tallyseal_core::client::{PhoneClient, PhoneOptions};
use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::checkpoint::Checkpoint;
use tallyseal_core::log::inclusion::LogInclusionProof;
use tallyseal_core::log::leaf::{LeafBody, LogEvent};
use tallyseal_core::log::merkle::MemoryHashStore;
use tallyseal_core::log::proof::{LogPolicy, TlogProof};
use tallyseal_core::note::Signer;
use tallyseal_core::verify::{CheckId, Outcome, verify_bundle_with_log};
use tallyseal_core::wire::{LogInclusion, RecaptureRequest};
use tallyseal_e2e::TestServer;
use tallyseal_field::commands::{CaptureArgs, capture_request};

fn log_key() -> Signer {
    Signer::new(
        "e2e.tallyseal.invalid/log",
        DeviceKey::from_seed(&[0x31; 32]),
    )
    .unwrap()
}

/// A log of three leaves whose middle one is the capture's `manifest_received`.
fn inclusion(manifest_hash: Sha256Digest, index: u64) -> LogInclusion {
    let leaf = |event| {
        LeafBody {
            event,
            logged_at_ms: 1_707_400_000_000,
        }
        .to_leaf_bytes()
        .unwrap()
    };
    // Other captures before it, the capture at `index` (the index its receipt promises), one
    // after.
    let mut leaves: Vec<Vec<u8>> = (0..index)
        .map(|i| {
            leaf(LogEvent::ManifestReceived {
                manifest_hash: tallyseal_core::sha256(&i.to_be_bytes()),
                received_at_ms: 1,
            })
        })
        .collect();
    leaves.push(leaf(LogEvent::ManifestReceived {
        manifest_hash,
        received_at_ms: 2,
    }));
    leaves.push(leaf(LogEvent::ManifestReceived {
        manifest_hash: tallyseal_core::sha256(b"after"),
        received_at_ms: 3,
    }));
    let mut store = MemoryHashStore::new();
    for l in &leaves {
        store.append(l).unwrap();
    }
    let size = store.size();
    let cp = Checkpoint::new(&log_key().name, size, store.root().unwrap());
    let proof = TlogProof::new(
        index,
        store.inclusion_proof(index, size).unwrap(),
        cp.sign(&log_key()).unwrap(),
    );
    let at = usize::try_from(index).unwrap();
    LogInclusionProof::new(leaves[at].clone(), proof)
        .unwrap()
        .to_wire()
}

/// The real server behind a transport that adds `log` and `recapture` to capture statuses.
struct Console {
    inner: StdHttpTransport,
    recapture: Mutex<BTreeMap<String, RecaptureRequest>>,
    logged: Mutex<BTreeMap<String, LogInclusion>>,
}

impl HttpTransport for Console {
    fn execute(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let hash = (req.method == "GET")
            .then(|| {
                req.url
                    .rsplit_once("/api/v1/captures/")
                    .map(|(_, h)| h.to_string())
            })
            .flatten();
        let mut resp = self.inner.execute(req)?;
        if let (Some(hash), 200) = (hash, resp.status) {
            let mut v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
            if let Some(r) = self.recapture.lock().unwrap().get(&hash) {
                v["recapture"] = serde_json::to_value(r).unwrap();
            }
            if let Some(l) = self.logged.lock().unwrap().get(&hash) {
                v["log"] = serde_json::to_value(l).unwrap();
            }
            resp.body = serde_json::to_vec(&v).unwrap();
        }
        Ok(resp)
    }
}

fn args(seed: u64) -> CaptureArgs {
    CaptureArgs {
        image: None,
        lat: tallyseal_core::demo::STATION_1.lat,
        lon: tallyseal_core::demo::STATION_1.lon,
        accuracy: 8.0,
        mock: false,
        clock_offset: 0,
        pages: 1,
        figures: "demo".into(),
        photo_kb: 60,
        seed: Some(seed),
    }
}

#[test]
fn the_phone_keeps_its_log_inclusion_and_answers_a_recapture_request() {
    let server = TestServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let console = Arc::new(Console {
        inner: StdHttpTransport::default(),
        recapture: Mutex::new(BTreeMap::new()),
        logged: Mutex::new(BTreeMap::new()),
    });
    let phone = PhoneClient::open(PhoneOptions {
        data_dir: dir.path().to_owned(),
        app: "e2e/1".into(),
        transport: console.clone(),
        custody: Arc::new(MemoryKeyCustody::default()),
        clock: Arc::new(SystemClock::default()),
        listener: None,
    })
    .unwrap();
    let mut settings = phone.settings();
    settings.trusted_package_keys = vec![TestServer::package_vkey().unwrap()];
    phone.update_settings(settings).unwrap();
    phone
        .enrol(
            &server.issue_code(1).unwrap().qr_payload,
            "PO Recapture",
            None,
        )
        .unwrap();
    let clock = SystemClock::default();
    let first = phone
        .capture(capture_request(&args(1), &clock).unwrap())
        .unwrap()
        .pages
        .remove(0);
    let report = phone.sync_until_settled(60_000).unwrap();
    assert_eq!(
        (report.verified, report.recaptures_pending),
        (1, 0),
        "{report:?}"
    );

    // The log sequences it; the Returning Officer asks for a new capture.
    let hash = first.manifest_hash.to_hex();
    // At the index the server's verified receipt promises (`tallyseal verify` holds it to that).
    let receipt: serde_json::Value =
        serde_json::from_str(&server.submission(&hash).unwrap().unwrap().receipt).unwrap();
    let index = receipt["body"]["log_index"].as_u64().unwrap();
    console
        .logged
        .lock()
        .unwrap()
        .insert(hash.clone(), inclusion(first.manifest_hash, index));
    let request = RecaptureRequest {
        request_id: "rq-0001".into(),
        reason_code: "illegible".into(),
        reason: "the figures of candidate 3 are not readable".into(),
        requested_at_ms: 1_707_400_100_000,
        requested_by: "ro-na-128".into(),
    };
    console
        .recapture
        .lock()
        .unwrap()
        .insert(hash.clone(), request.clone());
    let report = phone.sync(true).unwrap();
    assert_eq!(
        (report.log_inclusions_updated, report.recaptures_pending),
        (1, 1),
        "{report:?}"
    );

    // The exported bundle carries the inclusion and verifies offline against the log key.
    let bundle = EvidenceBundle::from_bytes(&phone.bundle(first.seq).unwrap()).unwrap();
    let policy = LogPolicy::for_log_key(log_key().verifier(), Vec::new(), 0).unwrap();
    let check = verify_bundle_with_log(
        &bundle,
        &tallyseal_core::VerificationContext::default(),
        Some(&policy),
    )
    .check(CheckId::LogInclusion)
    .cloned()
    .unwrap();
    assert_eq!(check.outcome, Outcome::Pass, "{}", check.reason);

    // The request is shown; the answer supersedes the old capture.
    let pending = phone.recapture_requests().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].seq, &pending[0].request), (first.seq, &request));
    let answer = phone
        .recapture(first.seq, capture_request(&args(2), &clock).unwrap())
        .unwrap()
        .pages
        .remove(0);
    assert!(phone.recapture_requests().unwrap().is_empty());
    let report = phone.sync_until_settled(60_000).unwrap();
    assert_eq!(
        (report.verified, report.pending, report.recaptures_pending),
        (2, 0, 0),
        "{report:?}"
    );
    let items = phone.items().unwrap();
    let new = items.iter().find(|i| i.seq == answer.seq).unwrap();
    let supersedes = new.manifest.supersedes.as_ref().unwrap();
    assert_eq!(supersedes.manifest, first.manifest_hash);
    assert!(supersedes.reason.contains("illegible") && supersedes.reason.contains("rq-0001"));
    assert_eq!(new.state.stage, Stage::Verified);
    // Both captures are on the server, the old one unchanged.
    let old_row = server.submission(&hash).unwrap().unwrap();
    assert_eq!(old_row.status, "verified");
    let new_row = server
        .submission(&answer.manifest_hash.to_hex())
        .unwrap()
        .unwrap();
    assert_eq!(new_row.status, "verified");
    // The old capture is still in the outbox with its bundle.
    assert!(items.iter().any(|i| i.seq == first.seq && i.has_bundle));
}
