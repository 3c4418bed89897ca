//! The transparency log from the command line: `verify` checking a bundle's log section,
//! `log monitor` and `log prove` against a served log, and the public API's bundles verified.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{code, tallyseal};

fn log_vector(file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/vectors/log-v1")
        .join(file)
        .display()
        .to_string()
}

fn log_line(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find(|l| l.contains("log_inclusion"))
        .unwrap_or_default()
        .to_string()
}

/// `verify` checks the bundle's log section offline against `--log-key`, `--witness` and
/// `--witness-policy`, with a clear message for each failure.
#[test]
fn verify_checks_the_log_section_against_the_log_key_and_witnesses() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let bundle = log_vector("bundle.tsb");
    let log_key = std::fs::read_to_string(log_vector("log.vkey")).unwrap();
    let witnesses: Vec<String> = std::fs::read_to_string(log_vector("witnesses.vkey"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut args = vec!["verify", &bundle, "--log-key", log_key.trim()];
    for w in &witnesses {
        args.extend(["--witness", w.as_str()]);
    }
    let o = tallyseal(&args, d);
    let line = log_line(&o);
    assert!(line.contains("[pass]"), "{line}");
    assert!(line.contains("cosigned by 2 of the 2"), "{line}");
    assert_ne!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stdout));

    // Without keys: only the Merkle proof, and a warning that says so.
    let o = tallyseal(&["verify", &bundle], d);
    assert!(log_line(&o).contains("[WARN]"), "{}", log_line(&o));

    // A malformed key is a usage error; another log key of the same name fails the check.
    let o = tallyseal(&["verify", &bundle, "--log-key", "x+00000000+AQ=="], d);
    assert_eq!(code(&o), 2);
    let other = tallyseal_core::note::Signer::new(
        "demo.tallyseal.invalid/log",
        tallyseal_core::keys::DeviceKey::from_seed(&[0x12; 32]),
    )
    .unwrap()
    .verifier()
    .to_vkey();
    let o = tallyseal(&["verify", &bundle, "--log-key", &other], d);
    assert_eq!(code(&o), 1);
    let line = log_line(&o);
    assert!(
        line.contains("[FAIL]") && line.contains("not signed by the log"),
        "{line}"
    );

    // Only one witness given, policy 2 of 1: refused before reading the bundle.
    let o = tallyseal(
        &[
            "verify",
            &bundle,
            "--log-key",
            log_key.trim(),
            "--witness",
            &witnesses[0],
            "--witness-policy",
            "2",
        ],
        d,
    );
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs 2"));

    // A bundle whose log proof was changed: exit 1, naming the proof.
    let mut b =
        tallyseal_core::bundle::EvidenceBundle::from_bytes(&std::fs::read(&bundle).unwrap())
            .unwrap();
    let text = String::from_utf8(b.log_proof.clone().unwrap()).unwrap();
    let changed = text.replacen("index 3", "index 2", 1);
    assert_ne!(changed, text);
    b.log_proof = Some(changed.into_bytes());
    std::fs::write(d.join("changed.tsb"), b.to_bytes()).unwrap();
    let o = tallyseal(&["verify", "changed.tsb", "--log-key", log_key.trim()], d);
    assert_eq!(code(&o), 1);
    let line = log_line(&o);
    assert!(
        line.contains("[FAIL]") && line.contains("does not lead"),
        "{line}"
    );
}

/// `tallyseal log monitor` and `tallyseal log prove` against a log served from a directory.
#[test]
fn log_monitor_and_prove_against_a_served_log() {
    use tallyseal_core::keys::DeviceKey;
    use tallyseal_core::log::cosignature::Cosigner;
    use tallyseal_core::log::leaf::{LeafBody, LogEvent};
    use tallyseal_core::note::Signer;
    use tallyseal_testkit::log_site::{publish_log, serve_dir};

    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let site = d.join("site");
    let url = serve_dir(site.clone()).unwrap();
    let log = Signer::new("tallyseal.example/log", DeviceKey::from_seed(&[1; 32])).unwrap();
    let w = Cosigner::new("witness.example", DeviceKey::from_seed(&[2; 32])).unwrap();
    let capture = tallyseal_core::sha256(b"a capture");
    let leaf = |n: i64, manifest_hash| {
        LeafBody {
            event: LogEvent::ManifestReceived {
                manifest_hash,
                received_at_ms: n,
            },
            logged_at_ms: n,
        }
        .to_leaf_bytes()
        .unwrap()
    };
    let mut leaves: Vec<Vec<u8>> = (0..5)
        .map(|n| leaf(n, tallyseal_core::sha256(&n.to_be_bytes())))
        .collect();
    leaves.push(leaf(9, capture));
    publish_log(&site, &leaves, &log, std::slice::from_ref(&w), 1).unwrap();
    let log_vkey = log.verifier().to_vkey();
    let w_vkey = w.verifier().to_vkey();
    let monitor = |d: &Path| {
        tallyseal(
            &[
                "log",
                "monitor",
                "--url",
                &url,
                "--state",
                "state.json",
                "--log-key",
                &log_vkey,
                "--witness",
                &w_vkey,
            ],
            d,
        )
    };
    let o = monitor(d);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("size 6"));

    let o = tallyseal(
        &[
            "log",
            "prove",
            "--url",
            &url,
            "--capture",
            &capture.to_hex(),
            "--log-key",
            &log_vkey,
            "--witness",
            &w_vkey,
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        text.starts_with("c2sp.org/tlog-proof@v1\nindex 5\n"),
        "{text}"
    );
    let o = tallyseal(
        &[
            "log",
            "prove",
            "--url",
            &url,
            "--capture",
            &"0".repeat(64),
            "--log-key",
            &log_vkey,
        ],
        d,
    );
    assert_eq!(code(&o), 1, "a capture that is not logged");

    // A rollback: exit 1, the finding named, the state kept.
    publish_log(&site, &leaves[..3], &log, std::slice::from_ref(&w), 1).unwrap();
    let o = monitor(d);
    assert_eq!(code(&o), 1);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("FINDING rollback"), "{stdout}");
    let state = std::fs::read_to_string(d.join("state.json")).unwrap();
    assert!(state.contains("\"size\": 6"), "{state}");
    // No log key and none published: could not run.
    let o = tallyseal(&["log", "monitor", "--url", &url, "--state", "s2.json"], d);
    assert_eq!(code(&o), 2);
}

/// `tallyseal serve` on the live demo's data: the public API's bundle of a capture the phone
/// sent is the phone's own capture (manifest, signature, image) with the server's receipt and
/// log proof, and `tallyseal verify` accepts it with the log's key; the constituency's archive
/// holds every capture's bundle and a `SHA256SUMS` that matches them.
#[test]
fn served_bundles_verify_with_the_cli() {
    use std::io::{BufRead, BufReader};
    use tallyseal_core::bundle::EvidenceBundle;
    use tallyseal_core::client::http::{HttpRequest, HttpTransport, StdHttpTransport};

    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = tallyseal(
        &[
            "demo",
            "--dir",
            "demo",
            "--speed",
            "max",
            "--constituencies",
            "1",
            "--size",
            "16",
            "--bind",
            "127.0.0.1:0",
            "--exit-when-done",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    let mut child = Command::new(env!("CARGO_BIN_EXE_tallyseal"))
        .args([
            "serve",
            "--data-dir",
            "demo/server",
            "--bind",
            "127.0.0.1:0",
        ])
        .current_dir(d)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut port, mut log_key) = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(p) = line.strip_prefix("tallyseal server listening on port ") {
            port = p.trim().to_owned();
        }
        if let Some(k) = line.strip_prefix("log key") {
            log_key = k.trim().to_owned();
            break;
        }
    }
    let http = StdHttpTransport::default();
    let fetch = |path: &str| {
        http.execute(HttpRequest::new(
            "GET",
            format!("http://127.0.0.1:{port}{path}"),
        ))
        .unwrap()
    };
    // A counted station's capture as its phone holds it (the demo named the station's bundle).
    let downloaded = std::fs::read_dir(d.join("demo"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "tsb"))
        .expect("the demo's downloaded bundle");
    let manifest = tallyseal_core::manifest::CaptureManifest::parse(
        &EvidenceBundle::from_bytes(&std::fs::read(downloaded).unwrap())
            .unwrap()
            .manifest,
    )
    .unwrap();
    let phone_dir = d.join(format!(
        "demo/phones/{}-{}",
        manifest.constituency, manifest.station
    ));
    let phone = tallyseal_core::client::PhoneClient::open(tallyseal_core::client::PhoneOptions {
        data_dir: phone_dir.clone(),
        app: "test".into(),
        transport: std::sync::Arc::new(StdHttpTransport::default()),
        custody: std::sync::Arc::new(tallyseal_core::client::custody::FileKeyCustody {
            path: phone_dir.join("device.key"),
        }),
        clock: std::sync::Arc::new(tallyseal_core::client::clock::SystemClock {
            wall_offset_ms: 0,
            tz_offset_min: 300,
        }),
        listener: None,
    })
    .unwrap();
    let phone = EvidenceBundle::from_bytes(&phone.bundle(1).unwrap()).unwrap();
    let hash = tallyseal_core::hash::sha256(&phone.manifest).to_hex();
    // The sequencer publishes a checkpoint within seconds: wait for the log section.
    let mut served = None;
    for _ in 0..60 {
        let r = fetch(&format!("/api/v1/captures/{hash}/bundle"));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/octet-stream"));
        let b = EvidenceBundle::from_bytes(&r.body).unwrap();
        if b.log_proof.is_some() {
            served = Some(r.body);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let served_bytes = served.expect("the bundle gets its log proof");
    let served = EvidenceBundle::from_bytes(&served_bytes).unwrap();
    assert_eq!(served.manifest, phone.manifest);
    assert_eq!(served.signature, phone.signature);
    assert_eq!(served.image, phone.image);
    assert!(served.receipt.is_some());
    std::fs::write(d.join("served.tsb"), &served_bytes).unwrap();
    let o = tallyseal(
        &["verify", "served.tsb", "--log-key", &log_key, "--json"],
        d,
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_ne!(code(&o), 1, "{report}");
    assert_ne!(code(&o), 2, "{report}");
    let checks = report["checks"].as_array().unwrap();
    assert!(checks.iter().all(|c| c["outcome"] != "fail"), "{report}");
    let outcome = |name: &str| {
        checks
            .iter()
            .find(|c| c["check"] == name)
            .map(|c| c["outcome"].clone())
    };
    assert_eq!(outcome("log_inclusion"), Some("pass".into()), "{report}");
    assert_eq!(outcome("signature"), Some("pass".into()), "{report}");

    // The same bytes again: 304 on the tag. The tag follows the log's checkpoint, which moves
    // while the server sequences what it logs at start (its witness set, which differs from the
    // night's): asked again at once, the same bytes answer 304.
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let r = fetch(&format!("/api/v1/captures/{hash}/bundle"));
        let tag = r.header("etag").unwrap().to_owned();
        let again = http
            .execute(
                HttpRequest::new(
                    "GET",
                    format!("http://127.0.0.1:{port}/api/v1/captures/{hash}/bundle"),
                )
                .header("If-None-Match", tag),
            )
            .unwrap();
        statuses.push(again.status);
        if again.status == 304 {
            break;
        }
        assert_eq!(again.status, 200);
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert_eq!(statuses.last(), Some(&304), "{statuses:?}");

    // The archive: every capture of NA-128, then SHA256SUMS; `tar` and `sha256sum` agree.
    let r = fetch("/api/v1/elections/pk-na-2024-demo/constituencies/NA-128/bundles.tar");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/x-tar"));
    std::fs::write(d.join("bundles.tar"), &r.body).unwrap();
    let untar = Command::new("tar")
        .args(["-xf", "bundles.tar"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        untar.status.success(),
        "{}",
        String::from_utf8_lossy(&untar.stderr)
    );
    let sums = std::fs::read_to_string(d.join("pk-na-2024-demo/NA-128/SHA256SUMS")).unwrap();
    // Every capture the night's server received (the revoked phone's last one was refused).
    assert!(sums.lines().count() >= 12, "{sums}");
    assert!(sums.contains(&format!("/form45/{hash}.tsb")), "{sums}");
    let check = Command::new("sha256sum")
        .args(["-c", "pk-na-2024-demo/NA-128/SHA256SUMS"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let _ = child.kill();
    let _ = child.wait();
}
