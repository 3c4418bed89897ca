//! The `tallyseal` binary, run as a user would.

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
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata").join(rel).display().to_string()
}

#[test]
fn demo_then_verify_gives_three_different_correct_outcomes() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = tallyseal(&["demo", "--dir", "demo"], d);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));

    let verify = |name: &str| {
        let o = tallyseal(&["verify", &format!("demo/{name}"), "--context", "demo/context.json", "--json"], d);
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
    let g = far["checks"].as_array().unwrap().iter().find(|c| c["check"] == "geofence").unwrap();
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
    assert_eq!(code(&tallyseal(&["verify", "x.tsb", "--context", "ctx.json"], d)), 2);
    let o = tallyseal(&["verify", "x.tsb"], d);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stdout).contains("truncated"));
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
            "seal", "--image", &photo, "--key", "device.key", "--out", "c.tsb",
            "--election", "test", "--constituency", "NA-1", "--station", "7",
            "--lat", "43.6958", "--lon", "7.2714", "--time", "2018-10-03T16:56:19+02:00",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = tallyseal(&["verify", "c.tsb", "--json"], d);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let outcome = |id: &str| {
        r["checks"].as_array().unwrap().iter().find(|c| c["check"] == id).unwrap()["outcome"].clone()
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
    let o = tallyseal(&["exif", &testdata("images/phone_gps/apple_iphone4.jpg"), "--json"], tmp.path());
    assert_eq!(code(&o), 0);
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["make"], "Apple");
    assert_eq!(e["model"], "iPhone 4");
    assert!((e["gps"]["lat"].as_f64().unwrap() - 41.853).abs() < 1e-6);
}
