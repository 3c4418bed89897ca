//! The `tallyseal` binary, run as a user would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tallyseal(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tallyseal"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run tallyseal")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn testdata(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn demo_then_verify_gives_three_different_correct_outcomes() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = tallyseal(&["demo", "--dir", "demo"], d);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));

    let verify = |name: &str| {
        let o = tallyseal(
            &[
                "verify",
                &format!("demo/{name}"),
                "--context",
                "demo/context.json",
                "--json",
            ],
            d,
        );
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (code(&o), report)
    };
    let failing = |r: &serde_json::Value| -> Vec<String> {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["outcome"] == "fail")
            .map(|c| c["check"].as_str().unwrap().to_owned())
            .collect()
    };
    let (c, good) = verify("good.tsb");
    assert_eq!((c, good["verdict"].as_str()), (0, Some("verified")));
    assert!(failing(&good).is_empty());

    let (c, tampered) = verify("tampered.tsb");
    assert_eq!(c, 1);
    assert_eq!(failing(&tampered), vec!["image_hash"]);

    let (c, far) = verify("far.tsb");
    assert_eq!(c, 1);
    assert_eq!(failing(&far), vec!["geofence"]);
    let g = far["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "geofence")
        .unwrap();
    let dist = g["measured"]["distance_to_station_m"].as_f64().unwrap();
    assert!((dist - 5000.0).abs() < 50.0, "{dist}");

    // Without a context the unverifiable checks warn: exit 3.
    let o = tallyseal(&["verify", "demo/good.tsb"], d);
    assert_eq!(code(&o), 3, "{}", String::from_utf8_lossy(&o.stdout));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("[WARN] election_package"), "{text}");
}

#[test]
fn command_errors_exit_2_and_corrupt_bundles_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    assert_eq!(code(&tallyseal(&["verify", "missing.tsb"], d)), 2);
    assert_eq!(code(&tallyseal(&["verify"], d)), 2);
    assert_eq!(code(&tallyseal(&["frobnicate"], d)), 2);
    std::fs::write(d.join("ctx.json"), b"{\"nonsense\": 1}").unwrap();
    std::fs::write(d.join("x.tsb"), b"TSBUNDLE\x00\x01MANI").unwrap();
    assert_eq!(
        code(&tallyseal(&["verify", "x.tsb", "--context", "ctx.json"], d)),
        2
    );
    let o = tallyseal(&["verify", "x.tsb"], d);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stdout).contains("truncated"));
    // An endless input is refused after its limit, not read into memory whole.
    if Path::new("/dev/zero").exists() {
        let o = tallyseal(&["verify", "/dev/zero"], d);
        assert_eq!(code(&o), 2);
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("larger than"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn keygen_seal_verify_round_trip_from_a_real_phone_photo() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = tallyseal(&["keygen", "--out", "device.key"], d);
    assert_eq!(code(&o), 0);
    let public = String::from_utf8(o.stdout).unwrap().trim().to_owned();
    assert_eq!(public.len(), 64);
    // keygen refuses to overwrite a key.
    assert_eq!(code(&tallyseal(&["keygen", "--out", "device.key"], d)), 2);

    let photo = testdata("images/phone_gps/samsung_SM-G900F_orientation.jpg");
    let o = tallyseal(
        &[
            "seal",
            "--image",
            &photo,
            "--key",
            "device.key",
            "--out",
            "c.tsb",
            "--election",
            "test",
            "--constituency",
            "NA-1",
            "--station",
            "7",
            "--lat",
            "43.6958",
            "--lon",
            "7.2714",
            "--time",
            "2018-10-03T16:56:19+02:00",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = tallyseal(&["verify", "c.tsb", "--json"], d);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let outcome = |id: &str| {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == id)
            .unwrap()["outcome"]
            .clone()
    };
    assert_eq!(outcome("signature"), "pass");
    assert_eq!(outcome("image_hash"), "pass");
    assert_eq!(outcome("exif_gps"), "pass"); // the photo's own EXIF GPS is Nice, where we said
    assert_eq!(outcome("exif_device"), "pass");
    assert_eq!(r["checks"][1]["measured"]["device_key"], public.as_str());
}

#[test]
fn exif_json_reads_a_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    let o = tallyseal(
        &[
            "exif",
            &testdata("images/phone_gps/apple_iphone4.jpg"),
            "--json",
        ],
        tmp.path(),
    );
    assert_eq!(code(&o), 0);
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["make"], "Apple");
    assert_eq!(e["model"], "iPhone 4");
    assert!((e["gps"]["lat"].as_f64().unwrap() - 41.853).abs() < 1e-6);
}

#[test]
fn import_2024_lists_then_sign_once_every_station_has_coordinates() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let na = testdata("../importer/testdata/elections/pakistan/candidates_2024_zlenner/NA");
    let mut args: Vec<String> = vec!["package".into(), "import".into(), "--candidates".into()];
    for f in ["punjab", "sindh", "kpk", "balochistan"] {
        args.push(format!("{na}/{f}.json"));
    }
    args.extend(
        [
            "--stations-dir",
            &testdata("../importer/testdata/elections/pakistan/form45_2024_zlenner"),
            "--only-complete",
            "--out",
            "draft.json",
        ]
        .map(String::from),
    );
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = tallyseal(&argv, d);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("constituencies         49"), "{text}");
    assert!(text.contains("missing locations      14838"), "{text}");

    assert_eq!(code(&tallyseal(&["keygen", "--out", "ecp.key"], d)), 0);
    // No coordinates yet: signing is refused.
    let o = tallyseal(
        &[
            "package",
            "sign",
            "draft.json",
            "--key",
            "ecp.key",
            "--name",
            "ecp.example/elections",
            "--out",
            "p.note",
        ],
        d,
    );
    assert_eq!(code(&o), 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("station"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // A coordinates file for every station (synthetic positions: the real ones are not public).
    let draft: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("draft.json")).unwrap()).unwrap();
    let mut csv = String::from("constituency,station,lat,lon,radius_m\n");
    for (i, k) in draft["constituencies"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        for s in k["stations"].as_array().unwrap() {
            let n = s["number"].as_u64().unwrap();
            let lat = 30.0 + i as f64 * 0.01;
            let lon = 70.0 + n as f64 * 0.001;
            csv.push_str(&format!(
                "{},{n},{lat:.6},{lon:.6},300\n",
                k["code"].as_str().unwrap()
            ));
        }
    }
    std::fs::write(d.join("coords.csv"), csv).unwrap();
    let mut with_coords = args.clone();
    with_coords.extend(["--coordinates", "coords.csv"].map(String::from));
    let argv: Vec<&str> = with_coords.iter().map(String::as_str).collect();
    let o = tallyseal(&argv, d);
    assert!(String::from_utf8_lossy(&o.stdout).contains("missing locations      0"));
    let o = tallyseal(
        &[
            "package",
            "sign",
            "draft.json",
            "--key",
            "ecp.key",
            "--name",
            "ecp.example/elections",
            "--out",
            "p.note",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    let vkey = out
        .lines()
        .find_map(|l| l.strip_prefix("verifier key"))
        .unwrap()
        .trim()
        .to_owned();
    let o = tallyseal(&["package", "show", "p.note", "--commission-key", &vkey], d);
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("stations               14838"));
    // A tampered package does not open.
    let note =
        std::fs::read_to_string(d.join("p.note"))
            .unwrap()
            .replacen("\"NA-128\"", "\"NA-129\"", 1);
    std::fs::write(d.join("bad.note"), note).unwrap();
    assert_eq!(
        code(&tallyseal(
            &["package", "show", "bad.note", "--commission-key", &vkey],
            d
        )),
        1
    );
}

/// Text from the image or the manifest reaches `tallyseal verify`'s text output escaped: a
/// right-to-left override in GPSLatitudeRef or in the constituency shows as `\u{202E}` and cannot
/// reorder the terminal line.
#[test]
fn verify_text_output_escapes_image_text() {
    use tallyseal_testkit::camera::{PhotoSpec, photograph};
    use tallyseal_testkit::exif_writer::RawGps;

    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut spec = PhotoSpec::phone(31.52, 74.35, 1_707_380_000_000, 300, 9);
    spec.exif.gps = None;
    spec.exif.gps_raw = Some(RawGps {
        lat_ref: "N\u{202E}evil".into(),
        lat: vec![(31, 1), (31, 1), (13, 1)],
        lon_ref: "E".into(),
        lon: vec![(74, 1), (21, 1), (31, 1)],
    });
    std::fs::write(d.join("photo.jpg"), photograph(&spec)).unwrap();
    assert_eq!(code(&tallyseal(&["keygen", "--out", "device.key"], d)), 0);
    let o = tallyseal(
        &[
            "seal",
            "--image",
            "photo.jpg",
            "--key",
            "device.key",
            "--out",
            "c.tsb",
            "--election",
            "test",
            "--constituency",
            "NA-\u{202E}1",
            "--station",
            "7",
            "--lat",
            "31.52",
            "--lon",
            "74.35",
            "--time",
            "2024-02-08T13:13:20+05:00",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = tallyseal(&["verify", "c.tsb"], d);
    let text = String::from_utf8(o.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("exif_gps"))
        .unwrap_or_else(|| panic!("no exif_gps line in {text}"));
    assert!(
        line.contains(r#"GPSLatitudeRef is "N\u{202E}evil""#),
        "{line}"
    );
    assert!(!text.contains('\u{202E}'), "{text:?}");
}

/// `tallyseal user`: add (generated and stdin passwords), refusals, disable, reset, list.
#[test]
fn user_commands_manage_console_accounts() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = tallyseal(
        &[
            "user",
            "add",
            "--data-dir",
            "data",
            "ro-na46",
            "--role",
            "ro",
            "--constituency",
            "pk-2024-ge/NA-46",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        stdout.contains("role ro, constituencies pk-2024-ge/NA-46"),
        "{stdout}"
    );
    let password = stdout
        .split("password (shown once): ")
        .nth(1)
        .unwrap()
        .trim();
    assert_eq!(password.len(), 16);

    let mut child = Command::new(env!("CARGO_BIN_EXE_tallyseal"))
        .args([
            "user",
            "add",
            "--data-dir",
            "data",
            "admin1",
            "--role",
            "admin",
            "--all",
            "--password-stdin",
        ])
        .current_dir(d)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("password (shown once)"));

    // Refusals: a taken name, a bad name, a role without scope, an unknown account.
    for args in [
        &[
            "user",
            "add",
            "--data-dir",
            "data",
            "ro-na46",
            "--role",
            "ro",
            "--all",
        ][..],
        &[
            "user",
            "add",
            "--data-dir",
            "data",
            "<b>",
            "--role",
            "ro",
            "--all",
        ][..],
        &["user", "add", "--data-dir", "data", "ro-x", "--role", "ro"][..],
        &[
            "user",
            "add",
            "--data-dir",
            "data",
            "ro-y",
            "--role",
            "king",
            "--all",
        ][..],
        &["user", "disable", "--data-dir", "data", "nobody"][..],
    ] {
        assert_eq!(code(&tallyseal(args, d)), 2, "{args:?}");
    }

    assert_eq!(
        code(&tallyseal(
            &["user", "disable", "--data-dir", "data", "ro-na46"],
            d
        )),
        0
    );
    let o = tallyseal(&["user", "reset", "--data-dir", "data", "admin1"], d);
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("password (shown once): "));
    let o = tallyseal(&["user", "list", "--data-dir", "data"], d);
    let list = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        list.contains("admin1\tu-") && list.contains("\tadmin\tall\tactive\tcli"),
        "{list}"
    );
    assert!(
        list.contains("\tro\tpk-2024-ge/NA-46\tdisabled\tcli"),
        "{list}"
    );
}

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
    let o = tallyseal(&["demo", "--dir", "demo"], d);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    let vkey = tallyseal_core::demo::commission_verifier()
        .unwrap()
        .to_vkey();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tallyseal"))
        .args([
            "serve",
            "--data-dir",
            "demo/server",
            "--bind",
            "127.0.0.1:0",
        ])
        .env("TALLYSEAL_TRUSTED_PACKAGE_KEYS", &vkey)
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
    let phone =
        EvidenceBundle::from_bytes(&std::fs::read(d.join("demo/live-seq1.tsb")).unwrap()).unwrap();
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

    // The same bytes again: 304 on the tag.
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
    assert_eq!(again.status, 304);

    // The archive: every capture of NA-128, then SHA256SUMS; `tar` and `sha256sum` agree.
    let r = fetch("/api/v1/elections/pk-demo-live/constituencies/NA-128/bundles.tar");
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
    let sums = std::fs::read_to_string(d.join("pk-demo-live/NA-128/SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 3, "{sums}");
    assert!(
        sums.contains(&format!("station-1/form45/{hash}.tsb")),
        "{sums}"
    );
    let check = Command::new("sha256sum")
        .args(["-c", "pk-demo-live/NA-128/SHA256SUMS"])
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
