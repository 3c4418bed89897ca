//! The in-browser verifier (`docs/portal-verifier.md`): the server has the module built in and
//! serves it, its script and its words with validators; and the module, run by node through the
//! page's own script (`server/static/portal-verify.js`), gives exactly the report core gives
//! natively on the documented vectors, a tampered bundle and a wrong log key.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::log::cosignature::CosignatureVerifier;
use tallyseal_core::log::proof::LogPolicy;
use tallyseal_core::note::Verifier;
use tallyseal_core::package::SignedPackage;
use tallyseal_core::verify::{VerificationContext, verify_bundle_with_log};
use tallyseal_core::{demo, sha256};
use tallyseal_server::web::verifier_assets::{VERIFIER_WASM, has_verifier};

use crate::helpers::*;
use crate::on_backends;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn vector(path: &str) -> Vec<u8> {
    std::fs::read(repo().join("docs/vectors").join(path)).unwrap()
}

/// A build without the module fails here: `rustup target add wasm32-unknown-unknown`.
#[test]
fn the_server_has_the_browser_verifier_built_in() {
    assert!(
        has_verifier(),
        "this server was built without the in-browser verifier: \
         rustup target add wasm32-unknown-unknown, then build again"
    );
    assert_eq!(&VERIFIER_WASM[..4], b"\0asm");
}

async fn the_verifier_files_are_served_with_validators(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    for (path, content_type, bytes) in [
        (
            "/static/verifier.wasm",
            "application/wasm",
            VERIFIER_WASM.to_vec(),
        ),
        (
            "/static/portal-verify.js",
            "text/javascript; charset=utf-8",
            std::fs::read(repo().join("server/static/portal-verify.js")).unwrap(),
        ),
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], content_type, "{path}");
        assert_eq!(r.headers()["cache-control"], "public, max-age=86400");
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
        assert_eq!(r.bytes().await.unwrap().to_vec(), bytes, "{path}");
        let again = app
            .client
            .get(app.url(path))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.bytes().await.unwrap().is_empty());
    }
    for (lang, button) in [
        ("en", "Verify this sheet in your browser"),
        ("ur", "اس شیٹ کی تصدیق اپنے براؤزر میں کریں"),
    ] {
        let words: Value = app
            .client
            .get(app.url(&format!("/static/portal-verify-messages.{lang}.json")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(words["lang"], lang);
        assert_eq!(words["available"], true);
        assert_eq!(words["messages"]["button"], button);
        // Values are marked for the script, isolated in the text.
        let log = words["messages"]["log"].as_str().unwrap();
        assert!(log.contains("\u{2068}{index}\u{2069}"), "{log:?}");
        assert_eq!(words["checks"].as_object().unwrap().len(), 22);
    }
    let r = app
        .client
        .get(app.url("/static/portal-verify-messages.fr.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

on_backends!(
    verifier_files_are_served,
    the_verifier_files_are_served_with_validators,
    [(Sqlite, Local, sqlite_local)]
);

/// The devices a verifier needs for core's `device_enrolled` check: every key enrolled for the
/// constituency, with its station and times, never the officer's name; revocations shown.
async fn the_constituency_devices_are_public(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    // spawn_app has published the demonstration election.
    let one = tallyseal_core::keys::DeviceKey::from_seed(&[7; 32]);
    let two = tallyseal_core::keys::DeviceKey::from_seed(&[8; 32]);
    app.enrol(&two, 2).await;
    app.enrol(&one, 1).await;
    let path = "/api/v1/elections/pk-ge-2024-demo/constituencies/NA-128/devices";
    let r = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("etag"));
    let text = r.text().await.unwrap();
    assert!(!text.contains("PO Test"), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["election"], "pk-ge-2024-demo");
    let devices = v["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2, "{v}");
    assert_eq!(devices[0]["key"], one.public_key().to_hex());
    assert_eq!(devices[0]["station"], 1);
    assert_eq!(devices[1]["station"], 2);
    assert!(devices[0]["enrolled_at_ms"].as_i64().unwrap() > 0);
    assert_eq!(devices[0]["revoked_at_ms"], Value::Null);
    // Core reads them as its context's records.
    let _: Vec<tallyseal_core::verify::EnrolledDevice> =
        serde_json::from_value(v["devices"].clone()).unwrap();
    let r = app
        .admin_post(
            &format!("/api/v1/devices/{}/revoke", two.public_key().to_hex()),
            json!({"reason": "phone lost"}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let v = app.get_json(path).await;
    assert!(v["devices"][1]["revoked_at_ms"].as_i64().is_some(), "{v}");
    for (bad, status) in [
        (
            "/api/v1/elections/pk-ge-2024-demo/constituencies/NA-999/devices",
            404,
        ),
        ("/api/v1/elections/nope/constituencies/NA-128/devices", 404),
        (
            "/api/v1/elections/pk-ge-2024-demo/constituencies/%20x/devices",
            400,
        ),
    ] {
        let r = app.client.get(app.url(bad)).send().await.unwrap();
        assert_eq!(r.status(), status, "{bad}");
    }
}

on_backends!(
    constituency_devices,
    the_constituency_devices_are_public,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Local, postgres_local)
    ]
);

/// The published keys of the vectors' world: the demo Commission, the vector log and witnesses.
fn vector_keys(log_vkey: &str, witness_policy: usize) -> Value {
    let commission = demo::commission_verifier().unwrap();
    let witnesses: Vec<String> = String::from_utf8(vector("log-v1/witnesses.vkey"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    json!({
        "commission_key": demo::commission_key().public_key().to_hex(),
        "note_verifier": commission.to_vkey(),
        "package_verifiers": [commission.to_vkey()],
        "commission_name": demo::COMMISSION_KEY_NAME,
        "log_origin": "demo.tallyseal.invalid/log",
        "log_vkey": log_vkey,
        "witness_vkeys": witnesses,
        "witness_policy": witness_policy,
    })
}

/// What `tallyseal verify --context … --log-key … --witness …` gives, built straight on core.
fn native(bundle: &[u8], keys: &Value, context: &Value, now_ms: i64) -> Value {
    let package_note = context["package_note"].as_str();
    let devices = match context.get("devices") {
        Some(d) => serde_json::from_value(d.clone()).unwrap(),
        None => Vec::new(),
    };
    let Ok(bundle) = EvidenceBundle::from_bytes(bundle) else {
        return json!({"verdict": "failed"});
    };
    let server_key = keys["commission_key"].as_str().unwrap().parse().unwrap();
    let (package, package_hash) = match package_note {
        None => (None, None),
        Some(note) => {
            let v = Verifier::parse(keys["package_verifiers"][0].as_str().unwrap()).unwrap();
            let (p, signed) = SignedPackage::open(note.as_bytes(), &[v]).unwrap();
            (Some(p), Some(signed.hash()))
        }
    };
    let ctx = VerificationContext {
        package,
        package_hash,
        devices,
        anchor_keys: vec![server_key],
        receipt_keys: vec![server_key],
        now_ms,
        ..Default::default()
    };
    let witnesses = keys["witness_vkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| CosignatureVerifier::parse(w.as_str().unwrap()).unwrap())
        .collect();
    let policy = LogPolicy::for_log_key(
        Verifier::parse(keys["log_vkey"].as_str().unwrap()).unwrap(),
        witnesses,
        keys["witness_policy"].as_u64().unwrap() as usize,
    )
    .unwrap();
    let report = verify_bundle_with_log(&bundle, &ctx, Some(&policy));
    json!({"verdict": report.verdict, "report": report})
}

/// The module through the page's script, in node: one answer per case.
fn in_node(dir: &Path, cases: &[(Vec<u8>, Value, Value)], now_ms: i64) -> Vec<Value> {
    let wasm = dir.join("verifier.wasm");
    std::fs::write(&wasm, VERIFIER_WASM).unwrap();
    let mut inputs = Vec::new();
    for (i, (bundle, keys, context)) in cases.iter().enumerate() {
        let b = dir.join(format!("case{i}.tsb"));
        std::fs::write(&b, bundle).unwrap();
        inputs.push(json!({"bundle": b, "keys": keys.to_string(), "context": context}));
    }
    let input = dir.join("cases.json");
    std::fs::write(&input, serde_json::to_vec(&inputs).unwrap()).unwrap();
    let script = dir.join("run.mjs");
    std::fs::write(
        &script,
        format!(
            r#"import {{ readFileSync }} from 'node:fs';
import {{ loadVerifier }} from {module};
const verifier = await loadVerifier(readFileSync({wasm}));
const cases = JSON.parse(readFileSync({input}, 'utf8'));
const answers = cases.map((c) => verifier.verify(readFileSync(c.bundle), c.keys, c.context, {now_ms}));
process.stdout.write(JSON.stringify(answers));
"#,
            module = json!(format!(
                "file://{}",
                repo()
                    .join("server/static/portal-verify.js")
                    .canonicalize()
                    .unwrap()
                    .display()
            )),
            wasm = json!(wasm),
            input = json!(input),
        ),
    )
    .unwrap();
    let out = Command::new("node")
        .arg(&script)
        .output()
        .expect("node runs the browser's verifier (node is required, as for the browser tests)");
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// JSON numbers by value: JavaScript writes `0.0` as `0`.
fn numbers_as_f64(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(a) => Value::Array(a.iter().map(numbers_as_f64).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), numbers_as_f64(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Flip one byte of the image and recompute the bundle's checksum: a well-formed bundle whose
/// image is not the one signed.
fn tamper_image(bytes: &[u8]) -> Vec<u8> {
    let mut bundle = EvidenceBundle::from_bytes(bytes).unwrap();
    let image = bundle.image.as_mut().unwrap();
    let at = image.len() / 2;
    image[at] ^= 0x01;
    bundle.to_bytes()
}

#[test]
fn the_browser_verifier_and_native_core_give_the_same_reports() {
    assert!(has_verifier(), "no in-browser verifier in this build");
    let now_ms = demo::CAPTURE_MS + 3_600_000;
    let log_vkey = String::from_utf8(vector("log-v1/log.vkey")).unwrap();
    let log_vkey = log_vkey.trim();
    let keys = vector_keys(log_vkey, 2);
    let package = String::from_utf8(vector("capture-v1/package.note")).unwrap();
    let with_package = json!({"package_note": package});
    let capture = vector("capture-v1/bundle.tsb");
    let logged = vector("log-v1/bundle.tsb");
    let mut flipped = logged.clone();
    flipped[logged.len() / 3] ^= 0x01;
    // Another log key (the Commission's, under the log's name): the checkpoint's signature fails.
    let wrong_log_key = Verifier::new(
        "demo.tallyseal.invalid/log",
        demo::commission_key().public_key(),
    )
    .unwrap()
    .to_vkey();
    let enrolled = |station: u32| {
        json!({"package_note": package, "devices": [{
            "key": demo::device_key().public_key(), "constituency": "NA-128", "station": station,
            "enrolled_at_ms": demo::CAPTURE_MS - 3_600_000, "revoked_at_ms": null,
        }]})
    };
    let cases = vec![
        (capture.clone(), keys.clone(), with_package.clone()),
        (logged.clone(), keys.clone(), enrolled(1)),
        (logged.clone(), keys.clone(), enrolled(2)),
        (logged.clone(), keys.clone(), with_package.clone()),
        (logged.clone(), keys.clone(), json!({})),
        (tamper_image(&logged), keys.clone(), with_package.clone()),
        (flipped, keys.clone(), with_package.clone()),
        (
            logged.clone(),
            vector_keys(&wrong_log_key, 2),
            with_package.clone(),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let answers = in_node(dir.path(), &cases, now_ms);
    assert_eq!(answers.len(), cases.len());
    let mut verdicts = Vec::new();
    for (i, ((bundle, keys, context), answer)) in cases.iter().zip(&answers).enumerate() {
        let expected = native(bundle, keys, context, now_ms);
        assert_eq!(answer["verdict"], expected["verdict"], "case {i}: {answer}");
        if let Some(report) = expected.get("report") {
            assert_eq!(
                numbers_as_f64(&answer["report"]),
                numbers_as_f64(report),
                "case {i}"
            );
        } else {
            assert!(
                answer["error"]
                    .as_str()
                    .unwrap()
                    .starts_with("not a valid evidence bundle"),
                "case {i}: {answer}"
            );
        }
        verdicts.push(answer["verdict"].as_str().unwrap().to_owned());
    }
    // What the cases are for: each outcome is really reached.
    assert_eq!(
        verdicts,
        [
            "verified_with_warnings", // no receipt, no enrolment records, a small frame
            "verified_with_warnings",
            "failed", // the device is enrolled for another station
            "verified_with_warnings",
            "verified_with_warnings",
            "failed",
            "failed",
            "failed",
        ]
    );
    let check = |i: usize, id: &str| -> String {
        answers[i]["report"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == id)
            .map(|c| c["outcome"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(check(1, "device_enrolled"), "pass");
    assert_eq!(check(2, "device_enrolled"), "fail");
    assert_eq!(check(3, "log_inclusion"), "pass");
    assert_eq!(check(3, "station_known"), "pass");
    assert_eq!(check(4, "election_package"), "warn");
    assert_eq!(check(5, "image_hash"), "fail");
    assert_eq!(check(7, "log_inclusion"), "fail");
    assert_eq!(
        answers[3]["report"]["manifest_hash"],
        json!(sha256(
            &EvidenceBundle::from_bytes(&logged).unwrap().manifest
        ))
    );
}
