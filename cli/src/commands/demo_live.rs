//! The live part of `tallyseal demo`: the embedded server (SQLite + local objects folder) started
//! in-process, an election package signed and imported, a one-time enrolment code issued, and a
//! simulated phone (the same `PhoneClient` the Android/iOS bindings wrap) enrolling, capturing,
//! and syncing over HTTP — manifest first, image over tus — until the server's signed receipts say
//! what it found.

use std::path::Path;

use tallyseal_core::client::clock::SystemClock;
use tallyseal_core::demo;
use tallyseal_core::model::LatLon;
use tallyseal_core::verify::Outcome;
use tallyseal_field::commands::{CaptureArgs, capture_request, open_phone};
use tallyseal_server::Application;
use tallyseal_server::config::ServerConfig;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::CliError;

const ELECTION: &str = "pk-demo-live";

fn fail(what: &str) -> impl Fn(String) -> CliError + '_ {
    move |e| CliError::Failed(format!("live demo, {what}: {e}"))
}

fn rfc3339(ms: i64) -> Result<String, String> {
    let pkt = UtcOffset::from_hms(5, 0, 0).map_err(|e| e.to_string())?;
    OffsetDateTime::from_unix_timestamp(ms / 1000)
        .map_err(|e| e.to_string())?
        .to_offset(pkt)
        .format(&Rfc3339)
        .map_err(|e| e.to_string())
}

/// A demo package for an election whose poll closed half an hour ago.
fn live_package_note(now_ms: i64) -> Result<String, String> {
    let close = (now_ms - 30 * 60_000) / 60_000 * 60_000;
    let open = close - 9 * 3_600_000;
    let mut p = demo::package();
    p.election.id = ELECTION.into();
    p.election.name = "Demonstration election (live)".into();
    p.election.poll_open = rfc3339(open)?;
    p.election.poll_close = rfc3339(close)?;
    p.election.results_deadline = rfc3339(close + 9 * 3_600_000)?;
    p.election.poll_date = p.election.poll_open[..10].to_owned();
    p.published_at = rfc3339(open - 86_400_000)?;
    let signer = demo::commission_signer().map_err(|e| e.to_string())?;
    Ok(p.sign(&signer).map_err(|e| e.to_string())?.note)
}

/// Run the live demo in `dir` (its `server/` and `phone/` folders are recreated). Returns whether
/// the outcomes were the expected ones.
pub fn run(dir: &Path) -> Result<bool, CliError> {
    for sub in ["server", "phone"] {
        let p = dir.join(sub);
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(|e| CliError::Io(p.clone(), e))?;
        }
    }
    let vkey = demo::commission_verifier()
        .map_err(|e| fail("keys")(e.to_string()))?
        .to_vkey();
    let config = ServerConfig {
        data_dir: dir.join("server"),
        bind: "127.0.0.1:0".into(),
        trusted_package_keys: vec![vkey.clone()],
        ..ServerConfig::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| fail("runtime")(e.to_string()))?;
    let app = rt
        .block_on(Application::build(config))
        .map_err(|e| fail("server")(e.to_string()))?;
    let url = format!("http://127.0.0.1:{}", app.port());
    let admin = app.admin_token();
    let server_key = app.commission_key();
    let (log_origin, log_vkey, witnesses) = app.log_keys();
    let serving = rt.spawn(app.run_until_stopped());
    println!(
        "\n== Live: embedded server at {url} (SQLite + local objects in {})",
        dir.join("server").display()
    );
    println!("transparency log {log_origin} at {url}/log/, key {log_vkey}");
    for w in witnesses {
        println!("log witness {w}");
    }

    let note = live_package_note(crate::now_ms()).map_err(fail("package"))?;
    tallyseal_field::admin::import_signed_package(&url, &admin, &note)
        .map_err(|e| fail("import")(e.to_string()))?;
    println!("imported the signed election package (poll closed 30 minutes ago)");
    let code = tallyseal_field::admin::issue_code(&url, &admin, ELECTION, "NA-128", 1)
        .map_err(|e| fail("enrolment code")(e.to_string()))?;
    println!("enrolment code for NA-128 station 1: {}", code.code);

    let phone = open_phone(&dir.join("phone"), 0).map_err(|e| fail("phone")(e.to_string()))?;
    let mut settings = phone.settings();
    settings.trusted_package_keys = vec![vkey];
    phone
        .update_settings(settings)
        .map_err(|e| fail("phone")(e.to_string()))?;
    let e = phone
        .enrol(&code.qr_payload, "Demo Presiding Officer", None)
        .map_err(|e| fail("enrolment")(e.to_string()))?;
    println!(
        "phone enrolled: key {} for {} station {}",
        e.device_key, e.constituency, e.station
    );

    let clock = SystemClock {
        wall_offset_ms: 0,
        tz_offset_min: 300,
    };
    let far = LatLon {
        lat: demo::STATION_1.lat + 5_000.0 / 110_880.0,
        lon: demo::STATION_1.lon,
    };
    for (what, pos, pages) in [
        ("at the station, 2 pages", demo::STATION_1, 2),
        ("5 km from the station", far, 1),
    ] {
        let args = CaptureArgs {
            image: None,
            lat: pos.lat,
            lon: pos.lon,
            accuracy: 8.0,
            mock: false,
            clock_offset: 0,
            pages,
            figures: "demo".into(),
            photo_kb: 300,
            seed: Some(pages.into()),
        };
        let req = capture_request(&args, &clock).map_err(|e| fail("capture")(e.to_string()))?;
        let outcome = phone
            .capture(req)
            .map_err(|e| fail("capture")(e.to_string()))?;
        for p in &outcome.pages {
            let flagged: Vec<String> = p
                .self_check
                .with_outcome(Outcome::Fail)
                .map(|c| c.check.as_str())
                .collect();
            println!(
                "sealed {what}: page {}/{} (seq {}), self-check {}{}",
                p.page,
                p.pages,
                p.seq,
                p.self_check.verdict.as_str(),
                if flagged.is_empty() {
                    String::new()
                } else {
                    format!(" — PO is shown: {}", flagged.join(", "))
                }
            );
        }
    }
    let report = phone
        .sync_until_settled(60_000)
        .map_err(|e| fail("sync")(e.to_string()))?;
    println!(
        "synced: {} manifests acknowledged, {} images uploaded, {} verified, {} pending",
        report.manifests_acknowledged, report.images_completed, report.verified, report.pending
    );
    let mut verdicts = Vec::new();
    for item in phone.items().map_err(|e| fail("outbox")(e.to_string()))? {
        let receipt = item.state.final_receipt.as_ref();
        let verified_ok =
            receipt.is_some_and(|r| r.verify_for(&item.manifest_hash, &[server_key]).is_ok());
        let verdict = receipt
            .and_then(|r| r.body.verdict.clone())
            .unwrap_or_else(|| "-".into());
        println!(
            "seq {} page {}/{}: {} — signed receipt {} — server verdict: {verdict}",
            item.seq,
            item.manifest.page,
            item.manifest.pages,
            item.state.stage.as_str(),
            if verified_ok { "verified" } else { "missing" },
        );
        let path = dir.join(format!("live-seq{}.tsb", item.seq));
        let bundle = phone
            .bundle(item.seq)
            .map_err(|e| fail("bundle")(e.to_string()))?;
        std::fs::write(&path, bundle).map_err(|e| CliError::Io(path.clone(), e))?;
        verdicts.push(verdict);
    }
    println!("bundles with receipts: {}/live-seq*.tsb", dir.display());
    serving.abort();
    drop(rt);
    Ok(verdicts == ["verified", "verified", "failed"])
}
