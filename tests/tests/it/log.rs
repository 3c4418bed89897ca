//! The transparency log end to end, with the real server: a phone's capture flows, the log
//! grows, two witnesses (`tallyseal witness`, in process) cosign; at its next sync the phone's
//! bundle carries an inclusion proof that verifies offline under the keys the server publishes
//! (2 of 2); the auditor's monitor finds the published log consistent, then names a tile changed
//! behind the server's back.

use std::sync::Arc;
use std::time::Duration;

use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::client::clock::SystemClock;
use tallyseal_core::client::custody::MemoryKeyCustody;
use tallyseal_core::client::http::{HttpRequest, HttpTransport, StdHttpTransport};
use tallyseal_core::client::{PhoneClient, PhoneOptions};
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::cosignature::Cosigner;
use tallyseal_core::log::proof::LogPolicy;
use tallyseal_core::note::{Signer, Verifier};
use tallyseal_core::verify::{CheckId, Outcome, verify_bundle_with_log};
use tallyseal_e2e::TestServer;
use tallyseal_field::commands::{CaptureArgs, capture_request};
use tallyseal_monitor::{FindingKind, HttpLogSource, MonitorOptions};
use tallyseal_server::config::WitnessConfig;
use tallyseal_witness::{KnownLog, Witness};

const ORIGIN: &str = "e2e.tallyseal.invalid/served-log";
const LOG_SEED: [u8; 32] = [0x71; 32];

/// Start a witness of the log on `rt`; its config entry.
fn witness(
    rt: &tokio::runtime::Runtime,
    name: &str,
    seed: u8,
    dir: &std::path::Path,
) -> WitnessConfig {
    let cosigner = Cosigner::new(name, DeviceKey::from_seed(&[seed; 32])).unwrap();
    let vkey = cosigner.verifier().to_vkey();
    let log_key = Signer::new(ORIGIN, DeviceKey::from_seed(&LOG_SEED))
        .unwrap()
        .verifier();
    let log = KnownLog {
        origin: ORIGIN.into(),
        keys: vec![log_key],
    };
    let w = Witness::open(cosigner, vec![log], &dir.join(format!("{seed}.json"))).unwrap();
    let port = rt.block_on(async {
        let (server, port) = tallyseal_witness::http::serve(Arc::new(w), "127.0.0.1:0").unwrap();
        tokio::spawn(server);
        port
    });
    WitnessConfig {
        url: format!("http://127.0.0.1:{port}"),
        vkey,
    }
}

#[test]
fn a_phones_bundle_proves_inclusion_and_the_monitor_audits_the_served_log() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let state = tempfile::tempdir().unwrap();
    let witnesses = vec![
        witness(&rt, "witness.e2e/a", 0x72, state.path()),
        witness(&rt, "witness.e2e/b", 0x73, state.path()),
    ];
    let server = TestServer::start_with(|c| {
        c.log_sequence_interval_ms = 100;
        c.log_origin = Some(ORIGIN.into());
        c.log_key_seed = Some(hex::encode(LOG_SEED));
        c.log_witnesses = witnesses;
        c.log_witness_policy = 2;
    })
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let phone = PhoneClient::open(PhoneOptions {
        data_dir: dir.path().to_owned(),
        app: "e2e/1".into(),
        transport: Arc::new(StdHttpTransport::default()),
        custody: Arc::new(MemoryKeyCustody::default()),
        clock: Arc::new(SystemClock::default()),
        listener: None,
    })
    .unwrap();
    let mut settings = phone.settings();
    settings.trusted_package_keys = vec![TestServer::package_vkey().unwrap()];
    phone.update_settings(settings).unwrap();
    let code = server.issue_code(1).unwrap();
    phone.enrol(&code.qr_payload, "PO Log", None).unwrap();
    let args = CaptureArgs {
        image: None,
        lat: tallyseal_core::demo::STATION_1.lat,
        lon: tallyseal_core::demo::STATION_1.lon,
        accuracy: 8.0,
        mock: false,
        clock_offset: 0,
        pages: 1,
        figures: "demo".into(),
        photo_kb: 60,
        seed: Some(11),
    };
    let page = phone
        .capture(capture_request(&args, &SystemClock::default()).unwrap())
        .unwrap()
        .pages
        .remove(0);
    let report = phone.sync_until_settled(60_000).unwrap();
    assert_eq!(report.verified, 1, "{report:?}");

    // At a later sync the phone holds the capture's leaf and a cosigned tlog-proof.
    let mut inclusion = None;
    for _ in 0..100 {
        phone.sync(true).unwrap();
        inclusion = phone.log_inclusion(page.seq).unwrap();
        if inclusion.as_ref().is_some_and(|i| {
            i.leaf.contains("image_verified") && i.proof.matches("\n— witness.e2e/").count() == 2
        }) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let inclusion = inclusion.expect("the phone got its log inclusion");
    assert!(inclusion.leaf.contains(&page.manifest_hash.to_hex()));

    // Offline: the bundle's log section under the published keys and a 2-of-2 policy.
    let keys: serde_json::Value = serde_json::from_slice(
        &StdHttpTransport::default()
            .execute(HttpRequest::new(
                "GET",
                format!("{}/api/v1/keys", server.url),
            ))
            .unwrap()
            .body,
    )
    .unwrap();
    let policy = LogPolicy::for_log_key(
        Verifier::parse(keys["log_vkey"].as_str().unwrap()).unwrap(),
        keys["witness_vkeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().parse().unwrap())
            .collect(),
        2,
    )
    .unwrap();
    let bundle = EvidenceBundle::from_bytes(&phone.bundle(page.seq).unwrap()).unwrap();
    let check = verify_bundle_with_log(
        &bundle,
        &tallyseal_core::VerificationContext::default(),
        Some(&policy),
    )
    .check(CheckId::LogInclusion)
    .cloned()
    .unwrap();
    assert_eq!(check.outcome, Outcome::Pass, "{}", check.reason);

    // The monitor, from the public files and keys only, once the log is quiet and its latest
    // checkpoint witnessed: consistent.
    wait_until_witnessed_and_quiet(&server.url);
    let source = HttpLogSource::new(&server.url).unwrap();
    let monitor_state = state.path().join("monitor.json");
    let first =
        tallyseal_monitor::run(&source, &MonitorOptions::default(), &monitor_state).unwrap();
    assert!(first.is_clean(), "{:?}", first.findings);
    assert!(first.size >= 4);

    // A hash tile changed behind the server's back is named.
    let size = first.size;
    let tile = server
        .data_dir
        .join(format!("objects/log/tile/0/000.p/{size}"));
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[5] ^= 0x01;
    std::fs::write(&tile, &bytes).unwrap();
    let second =
        tallyseal_monitor::run(&source, &MonitorOptions::default(), &monitor_state).unwrap();
    assert!(
        second
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::Tile && f.message.contains("tile/0/000")),
        "{:?}",
        second.findings
    );
}

/// Until two reads of `/log/checkpoint` half a second apart are the same, witnessed checkpoint.
fn wait_until_witnessed_and_quiet(url: &str) {
    let http = StdHttpTransport::default();
    let read = || {
        let r = http
            .execute(HttpRequest::new("GET", format!("{url}/log/checkpoint")))
            .unwrap();
        let witnessed = r
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("tallyseal-log-witnessed") && v == "true");
        (witnessed, r.body)
    };
    for _ in 0..60 {
        let (w1, a) = read();
        std::thread::sleep(Duration::from_millis(500));
        let (w2, b) = read();
        if w1 && w2 && a == b {
            return;
        }
    }
    panic!("the log did not settle on a witnessed checkpoint");
}
