//! The transparency log end to end, with the real programs: the server (in process), two
//! `tallyseal witness` processes cosigning with a policy of 2, a phone (core's client) whose
//! capture flows and whose bundle ends with an inclusion proof that `tallyseal verify` accepts
//! offline under the published keys; `tallyseal log monitor` audits the served log.
//!
//! Then what an attacker could do, each detected and named:
//! - a split view: the server signs a second checkpoint of the same size; both witnesses refuse
//!   it, and a monitor that saw the first reports the fork (exit 1, `FINDING fork`) without
//!   rolling its state back;
//! - a log leaf row changed in the database (its append-only trigger dropped, as someone with
//!   database access would): the capture's served proof no longer holds under `tallyseal verify`;
//! - a published hash tile changed in the object store: the monitor names the tile;
//! - the image object changed in the store: `tallyseal verify` of the bundle with the stored
//!   image names the image hash that no longer matches the signed one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::client::clock::SystemClock;
use tallyseal_core::client::custody::MemoryKeyCustody;
use tallyseal_core::client::http::{HttpRequest, HttpTransport, StdHttpTransport};
use tallyseal_core::client::{PhoneClient, PhoneOptions};
use tallyseal_core::hash::sha256;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::inclusion::LogInclusionProof;
use tallyseal_core::log::leaf::{LeafBody, LogEvent};
use tallyseal_core::log::merkle::leaf_hash;
use tallyseal_core::note::Signer;
use tallyseal_core::wire::CaptureStatus;
use tallyseal_e2e::TestServer;
use tallyseal_field::commands::{CaptureArgs, capture_request};
use tallyseal_server::config::WitnessConfig;

const ORIGIN: &str = "e2e.tallyseal.invalid/served-log";
const LOG_SEED: [u8; 32] = [0x71; 32];

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tallyseal"))
}

fn log_vkey() -> String {
    Signer::new(ORIGIN, DeviceKey::from_seed(&LOG_SEED))
        .unwrap()
        .verifier()
        .to_vkey()
}

/// A running `tallyseal witness` process, killed when dropped.
struct WitnessProcess {
    child: Child,
    config: WitnessConfig,
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `tallyseal witness` for the log with its own key and state in `dir`.
fn start_witness(name: &str, seed: u8, dir: &Path) -> WitnessProcess {
    let key = dir.join(format!("witness-{seed}.key"));
    std::fs::write(&key, format!("{}\n", hex::encode([seed; 32]))).unwrap();
    let mut child = bin()
        .args(["witness", "--name", name, "--key"])
        .arg(&key)
        .arg("--state")
        .arg(dir.join(format!("witness-{seed}.json")))
        .args(["--bind", "127.0.0.1:0", "--log"])
        .arg(format!("{ORIGIN}={}", log_vkey()))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port: u16 = line.trim().rsplit(' ').next().unwrap().parse().unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    let vkey = line.trim().rsplit(' ').next().unwrap().to_string();
    // Keep reading its output so the witness never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while out.read_line(&mut sink).unwrap_or(0) > 0 {
            sink.clear();
        }
    });
    WitnessProcess {
        child,
        config: WitnessConfig {
            url: format!("http://127.0.0.1:{port}"),
            vkey,
        },
    }
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The keys arguments every auditor command gets: the log key and both witnesses, 2 of 2.
fn key_args(witnesses: &[String]) -> Vec<String> {
    let mut a = vec!["--log-key".to_owned(), log_vkey()];
    for w in witnesses {
        a.push("--witness".into());
        a.push(w.clone());
    }
    a.push("--witness-policy".into());
    a.push("2".into());
    a
}

/// `tallyseal verify --json` of `bundle` under the log's keys: exit code and the report.
fn verify(bundle: &EvidenceBundle, witnesses: &[String], dir: &Path, name: &str) -> (i32, Value) {
    let path = dir.join(name);
    std::fs::write(&path, bundle.to_bytes()).unwrap();
    let o = bin()
        .arg("verify")
        .arg(&path)
        .arg("--json")
        .args(key_args(witnesses))
        .output()
        .unwrap();
    let report = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    (o.status.code().unwrap(), report)
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == id)
        .unwrap_or_else(|| panic!("no {id} check in {report}"))
}

/// `tallyseal log monitor` against `url` with the state file `state`.
fn monitor(url: &str, state: &Path, witnesses: &[String]) -> Output {
    bin()
        .args(["log", "monitor", "--url", url, "--state"])
        .arg(state)
        .args(key_args(witnesses))
        .output()
        .unwrap()
}

fn get(url: &str) -> Vec<u8> {
    let r = StdHttpTransport::default()
        .execute(HttpRequest::new("GET", url.to_owned()))
        .unwrap();
    assert_eq!(r.status, 200, "GET {url}");
    r.body
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

/// The monitor's stored (size, root).
fn stored(state: &Path) -> (u64, String) {
    let v: Value = serde_json::from_slice(&std::fs::read(state).unwrap()).unwrap();
    (v["size"].as_u64().unwrap(), v["root"].to_string())
}

/// Copy the published tiles and entry bundles under `objects/log` to `to/log`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest: PathBuf = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn the_log_end_to_end_and_what_an_attacker_changes_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let witnesses = [
        start_witness("witness.e2e/a", 0x72, tmp.path()),
        start_witness("witness.e2e/b", 0x73, tmp.path()),
    ];
    let witness_vkeys: Vec<String> = witnesses.iter().map(|w| w.config.vkey.clone()).collect();
    let configs: Vec<WitnessConfig> = witnesses.iter().map(|w| w.config.clone()).collect();
    let server = TestServer::start_with(|c| {
        c.log_sequence_interval_ms = 100;
        c.log_origin = Some(ORIGIN.into());
        c.log_key_seed = Some(hex::encode(LOG_SEED));
        c.log_witnesses = configs;
        c.log_witness_policy = 2;
    })
    .unwrap();
    // The keys the server publishes are the ones the auditor was given.
    let keys: Value = serde_json::from_slice(&get(&format!("{}/api/v1/keys", server.url))).unwrap();
    assert_eq!(keys["log_vkey"], log_vkey());
    assert_eq!(keys["witness_vkeys"], serde_json::json!(witness_vkeys));

    // A phone enrols, captures and syncs.
    let phone_dir = tempfile::tempdir().unwrap();
    let phone = PhoneClient::open(PhoneOptions {
        data_dir: phone_dir.path().to_owned(),
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
    let manifest_hex = page.manifest_hash.to_hex();

    // At a later sync the phone holds the capture's image_verified leaf, cosigned by both.
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
    assert!(inclusion.leaf.contains(&manifest_hex));
    assert!(
        inclusion.leaf.contains("image_verified"),
        "{}",
        inclusion.leaf
    );

    // Offline, `tallyseal verify` accepts the bundle's log section under the keys, 2 of 2; the
    // receipt's signed log index is the leaf's.
    let bundle = EvidenceBundle::from_bytes(&phone.bundle(page.seq).unwrap()).unwrap();
    let (code, report) = verify(&bundle, &witness_vkeys, tmp.path(), "phone.tsb");
    assert!(code == 0 || code == 3, "{report}");
    let log = check(&report, "log_inclusion");
    assert_eq!(log["outcome"], "pass", "{log}");
    assert_eq!(
        log["measured"]["receipt_log_index"],
        log["measured"]["leaf_index"]
    );
    assert_eq!(log["measured"]["cosigned_by"].as_array().unwrap().len(), 2);
    // Under a policy of 2 with one unknown witness key, the same bundle fails.
    let stranger = tallyseal_core::log::cosignature::Cosigner::new(
        "witness.e2e/stranger",
        DeviceKey::from_seed(&[0x7f; 32]),
    )
    .unwrap()
    .verifier()
    .to_vkey();
    let (code, report) = verify(
        &bundle,
        &[witness_vkeys[0].clone(), stranger],
        tmp.path(),
        "phone-stranger.tsb",
    );
    assert_eq!(code, 1, "{report}");
    assert_eq!(check(&report, "log_inclusion")["outcome"], "fail");

    // The monitor, from the public files only, once the log is quiet: consistent.
    wait_until_witnessed_and_quiet(&server.url);
    let state = tmp.path().join("monitor.json");
    let o = monitor(&server.url, &state, &witness_vkeys);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (size, root) = stored(&state);
    assert!(size >= 4, "{size}");

    // Split view: the server signs a second checkpoint of the same size over another root. Both
    // witnesses refuse it (the size they hold, another root: 422)...
    let (forged, statuses) = server
        .block_on(tallyseal_server::log::witnesses::present_split_view_note(
            server.state(),
        ))
        .unwrap();
    assert_eq!(statuses, [422, 422]);
    assert!(forged.contains(&format!("\n{size}\n")), "{forged}");
    // ...and a monitor that saw the first, shown the second (with the same tiles), reports the
    // fork, exits 1 and keeps the checkpoint it had.
    let split_site = tmp.path().join("split-view");
    copy_tree(
        &server.data_dir.join("objects/log"),
        &split_site.join("log"),
    );
    std::fs::write(split_site.join("log/checkpoint"), &forged).unwrap();
    let split_url = tallyseal_testkit::log_site::serve_dir(split_site).unwrap();
    let o = monitor(&split_url, &state, &witness_vkeys);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("FINDING fork"), "{}", text(&o));
    assert!(out.contains(&format!("size {size}")), "{}", text(&o));
    assert_eq!(
        stored(&state),
        (size, root.clone()),
        "the state is not rolled back"
    );
    let evidence: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(evidence["evidence"].as_array().unwrap().len(), 1);

    // (a) A leaf row changed behind the server's back: the append-only trigger dropped, the
    // capture's image_verified leaf given another verdict (and a matching leaf_hash).
    let pool = &server.pool().pool;
    let (index, leaf): (i64, String) = server.block_on(async {
        sqlx::query_as(
            "SELECT leaf_index, leaf FROM log_leaves WHERE subject = $1 AND kind = 'image_verified' \
             ORDER BY leaf_index DESC LIMIT 1",
        )
        .bind(manifest_hex.clone())
        .fetch_one(pool)
        .await
        .unwrap()
    });
    let LogEvent::ImageVerified { verdict, .. } =
        LeafBody::from_leaf_bytes(leaf.as_bytes()).unwrap().event
    else {
        panic!("not image_verified: {leaf}");
    };
    let other = if verdict == "failed" {
        "verified"
    } else {
        "failed"
    };
    let changed = leaf.replacen(
        &format!("\"verdict\":\"{verdict}\""),
        &format!("\"verdict\":\"{other}\""),
        1,
    );
    assert_ne!(changed, leaf);
    server.block_on(async {
        sqlx::query("DROP TRIGGER log_leaves_no_update")
            .execute(pool)
            .await
            .unwrap();
        let done =
            sqlx::query("UPDATE log_leaves SET leaf = $1, leaf_hash = $2 WHERE leaf_index = $3")
                .bind(changed.clone())
                .bind(hex::encode(leaf_hash(changed.as_bytes()).0))
                .bind(index)
                .execute(pool)
                .await
                .unwrap();
        assert_eq!(done.rows_affected(), 1);
    });
    // The server now serves the changed leaf with the proof of the published tree: an auditor
    // who puts it in the bundle gets a failure from `tallyseal verify` naming the leaf.
    let status: CaptureStatus = serde_json::from_slice(&get(&format!(
        "{}/api/v1/captures/{manifest_hex}",
        server.url
    )))
    .unwrap();
    let served = status.log.expect("the capture's log section");
    assert_eq!(served.leaf, changed);
    let mut tampered = bundle.clone();
    tampered.log_proof = Some(
        LogInclusionProof::from_wire(&served)
            .unwrap()
            .to_bytes()
            .unwrap(),
    );
    let (code, report) = verify(&tampered, &witness_vkeys, tmp.path(), "changed-leaf.tsb");
    assert_eq!(code, 1, "{report}");
    let log = check(&report, "log_inclusion");
    assert_eq!(log["outcome"], "fail", "{log}");
    assert!(
        log["reason"].as_str().unwrap().contains("does not hold"),
        "{log}"
    );
    assert_eq!(log["measured"]["leaf_index"], index);
    // The published log itself is unchanged: the monitor at the server finds no tile or entry
    // changed (the fork it recorded stays in its evidence).
    let o = monitor(&server.url, &state, &witness_vkeys);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        !out.contains("FINDING tile") && !out.contains("FINDING entries"),
        "{}",
        text(&o)
    );

    // (b) A published hash tile changed in the object store: the monitor names it.
    let tile = server
        .data_dir
        .join(format!("objects/log/tile/0/000.p/{size}"));
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[5] ^= 0x01;
    std::fs::write(&tile, &bytes).unwrap();
    let o = monitor(&server.url, &state, &witness_vkeys);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.lines()
            .any(|l| l.starts_with("FINDING tile") && l.contains("tile/0/000")),
        "{}",
        text(&o)
    );

    // (c) The image object changed in the store: verified against the PO's signed manifest,
    // the stored image fails, naming both hashes.
    let image = bundle.image.clone().expect("the bundle carries the image");
    let image_hex = sha256(&image).to_hex();
    let object = server
        .data_dir
        .join(format!("objects/sha256/{}/{image_hex}", &image_hex[0..2]));
    let mut stored_image = std::fs::read(&object).unwrap();
    assert_eq!(stored_image, image);
    let last = stored_image.len() - 3;
    stored_image[last] ^= 0x01;
    std::fs::write(&object, &stored_image).unwrap();
    let mut from_store = bundle.clone();
    from_store.image = Some(std::fs::read(&object).unwrap());
    let (code, report) = verify(&from_store, &witness_vkeys, tmp.path(), "stored-image.tsb");
    assert_eq!(code, 1, "{report}");
    let image_check = check(&report, "image_hash");
    assert_eq!(image_check["outcome"], "fail", "{image_check}");
    assert!(
        image_check.to_string().contains(&image_hex),
        "the signed hash is named: {image_check}"
    );
    // The log section still proves the capture: what changed is the image alone.
    assert_eq!(check(&report, "log_inclusion")["outcome"], "pass");
}
