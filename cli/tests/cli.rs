//! The `tallyseal` binary, run as a user would: demo, verify, keygen, seal, exif, package.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;

use support::{code, tallyseal, testdata};

#[test]
fn demo_then_verify_gives_three_different_correct_outcomes() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = tallyseal(&["demo", "--dir", "demo", "--offline"], d);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));

    let verify = |name: &str| {
        let o = tallyseal(
            &[
                "verify",
                &format!("demo/offline/{name}"),
                "--context",
                "demo/offline/context.json",
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
    let o = tallyseal(&["verify", "demo/offline/good.tsb"], d);
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
