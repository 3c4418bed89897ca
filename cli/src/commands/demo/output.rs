//! What the demo prints and writes for the person running it: the addresses and accounts at the
//! start, one status line per event of the night (each naming who said what: the phone's own
//! check, the server's signed receipt, the RO's decision), and at the end a verification context,
//! a bundle downloaded from the public API, and the commands that check them and the log — each
//! with the path of the running binary, so it works as printed. Also the Commission's admin calls
//! the night makes (import, revocation).
//!
//! It must never print a command it has not made true (every file it names is written first).

use std::path::Path;

use serde_json::{Value, json};
use tallyseal_core::client::http::{HttpRequest, HttpTransport, StdHttpTransport};
use tallyseal_core::client::outbox::OutboxItem;
use tallyseal_core::client::uploader::SyncReport;
use tallyseal_core::form::FormKind;
use tallyseal_core::package::ElectionPackage;

use super::accounts::{DEMO_PASSWORD, DemoAccount};
use super::election::{ELECTION_ID, NightElection};
use super::office::{Office, RoundCount};
use super::plan::{Night, StationPlan};
use super::server::Running;
use super::swarm::Swarm;
use super::timeline::NightClock;

/// How to run this very binary again: its real path, or the cargo command on a fresh clone.
pub fn exe() -> String {
    std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .filter(|p| !p.contains(' '))
        .unwrap_or_else(|| "cargo run --release -p tallyseal-cli --".into())
}

fn http() -> StdHttpTransport {
    StdHttpTransport::default()
}

fn get(url: &str) -> Result<(u16, Vec<u8>), String> {
    let r = http()
        .execute(HttpRequest::new("GET", url))
        .map_err(|e| format!("GET {url}: {e}"))?;
    Ok((r.status, r.body))
}

/// Import the election (the server signs it with its Commission key); a second run finds it.
pub fn import_package(srv: &Running, package: &ElectionPackage) -> Result<(), String> {
    let (status, body) = get(&format!(
        "{}/api/v1/elections/{ELECTION_ID}/package",
        srv.url
    ))?;
    if status == 200 && !body.is_empty() {
        return Ok(());
    }
    let body = serde_json::to_vec(&json!({ "package": package })).map_err(|e| e.to_string())?;
    let r = http()
        .execute(
            HttpRequest::new("POST", format!("{}/api/v1/elections", srv.url))
                .header("Authorization", format!("Bearer {}", srv.admin_token))
                .json_body(body),
        )
        .map_err(|e| e.to_string())?;
    if (200..300).contains(&r.status) {
        Ok(())
    } else {
        Err(format!(
            "importing the election: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        ))
    }
}

/// The Commission revokes a device key (`POST /api/v1/devices/{key}/revoke`); whether this call
/// revoked it (`false`: it was revoked before, by an earlier run).
pub fn revoke(srv: &Running, key: &str) -> Result<bool, String> {
    let body = serde_json::to_vec(&json!({"reason": "the phone was reported lost"}))
        .map_err(|e| e.to_string())?;
    let asked_at = crate::now_ms();
    let r = http()
        .execute(
            HttpRequest::new("POST", format!("{}/api/v1/devices/{key}/revoke", srv.url))
                .header("Authorization", format!("Bearer {}", srv.admin_token))
                .json_body(body),
        )
        .map_err(|e| e.to_string())?;
    match r.status {
        200..=299 => {
            let answer: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            Ok(answer["revoked_at_ms"]
                .as_i64()
                .is_none_or(|t| t >= asked_at - 1_000))
        }
        409 => Ok(false),
        s => Err(format!(
            "revocation: {s} {}",
            String::from_utf8_lossy(&r.body)
        )),
    }
}

pub fn header(
    srv: &Running,
    clock: &NightClock,
    election: &NightElection,
    accounts: &[DemoAccount],
    exe: &str,
) {
    let p = &election.package;
    let stations: usize = p.constituencies.iter().map(|c| c.stations.len()).sum();
    println!("tallyseal demo — an election night on real 2024 data");
    println!(
        "{} {}: {} National Assembly constituencies ({}), {stations} polling stations, {} with a 2024 result to send",
        if clock.resumed {
            "Carrying on"
        } else {
            "Starting"
        },
        p.election.name,
        p.constituencies.len(),
        p.constituencies
            .iter()
            .map(|c| c.code.as_str())
            .take(6)
            .collect::<Vec<_>>()
            .join(", ")
            + if p.constituencies.len() > 6 {
                ", …"
            } else {
                ""
            },
        election.sheets.len(),
    );
    if !election.without_result.is_empty() {
        println!(
            "{} stations have no result in the data: they never report and stay awaited",
            election.without_result.len()
        );
    }
    println!(
        "(the 2024 data has station results for 49 National Assembly seats of 266; `--constituencies all` takes them all)"
    );
    println!(
        "\nServer        {} (SQLite + local files in {})",
        srv.url,
        srv.data_dir.display()
    );
    println!("Console       {}/console", srv.url);
    println!("Portal        {}/portal", srv.url);
    println!("Public API    {}/api/v1/elections", srv.url);
    println!(
        "Log           {}/log/checkpoint (cosigned by 2 witnesses)",
        srv.url
    );
    println!("\nConsole accounts (password for each: {DEMO_PASSWORD}):");
    for a in accounts {
        println!("  {:<14} {:<18} {}", a.login, a.role, a.what);
    }
    println!(
        "\nThe night's clock reads 17:00 at poll close; speed {}. Stop with Ctrl-C and run `{exe} demo --dir {}` again to carry on.\n",
        match clock.speed {
            super::timeline::Speed::Max => "max".to_owned(),
            super::timeline::Speed::Factor(f) => format!("{f}× real time"),
        },
        srv.data_dir.parent().unwrap_or(Path::new(".")).display()
    );
}

/// One line per form for a station's latest captures after its phone synced: the phone's seal,
/// and what the server's signed receipt says its checks found.
pub fn reported(when: &str, p: &StationPlan, r: &SyncReport, items: &[OutboxItem]) {
    let problem = p
        .problem
        .map(|x| format!(" [planted: {}]", x.problem.describe()))
        .unwrap_or_default();
    for form in [FormKind::Form45, FormKind::Form46] {
        let Some(item) = items.iter().rev().find(|i| i.manifest.form == form) else {
            continue;
        };
        let receipt = item
            .state
            .final_receipt
            .as_ref()
            .and_then(|r| r.body.verdict.clone());
        let server = match (receipt, item.state.manifest_receipt.is_some()) {
            (Some(v), _) => format!("server's checks at receipt (signed): {v}"),
            (None, true) => "server: manifest received (signed receipt), image not yet".to_owned(),
            (None, false) => match &item.state.needs_attention {
                Some(a) => format!("server refused it: {}", a.reason),
                None => format!(
                    "not received yet ({})",
                    r.last_error.as_deref().unwrap_or("waiting to send")
                ),
            },
        };
        let name = match form {
            FormKind::Form45 => "Form-45",
            FormKind::Form46 => "Form-46",
        };
        println!(
            "{when}  {} station {:>3}: {name} sealed on the phone (seq {}); {server}{}",
            p.constituency,
            p.station,
            item.seq,
            if form == FormKind::Form45 {
                problem.as_str()
            } else {
                ""
            }
        );
    }
}

/// Whether a sync sent or learnt anything (a second run re-syncs phones that are done).
pub fn moved(r: &SyncReport) -> bool {
    r.manifests_acknowledged + r.images_completed > 0
}

/// The revoked phone's next capture: what the server answered.
pub fn after_revocation(when: &str, p: &StationPlan, r: &SyncReport, items: &[OutboxItem]) {
    println!(
        "{when}  {} station {:>3}: the revoked phone sends another capture",
        p.constituency, p.station
    );
    reported(when, p, r, items);
}

pub fn round(when: &str, code: &str, n: &RoundCount) {
    if n.accepted + n.rejected + n.entries + n.settled + n.released == 0 {
        return;
    }
    println!(
        "{when}  {code} office: RO accepted {}, rejected {}; operators submitted {} entries; RO settled {} disagreement(s), released {} station(s) from quarantine",
        n.accepted, n.rejected, n.entries, n.settled, n.released
    );
    for r in &n.rejections {
        println!("{when}  {code} RO rejects {r}");
    }
}

/// A Form-47 signing: its version and stations counted, or nothing new to sign.
pub fn signed(when: &str, code: &str, signed: Option<(i64, usize)>) {
    if let Some((v, counted)) = signed {
        println!("{when}  {code} Form-47 version {v} signed by the RO: {counted} stations counted");
    }
}

/// Captures of a board still being received or analysed.
pub fn in_analysis(board: &Value) -> usize {
    board["stations"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .flat_map(|s| s["forms"].as_array().cloned().unwrap_or_default())
        .flat_map(|f| f["pages"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["state"] == "image_received")
        .count()
}

/// `<dir>/night-plan.json`: every station of the night with what was planted there and which
/// check must flag it ([`super::problems::PLANTED`]), for a person or a test to hold the
/// server's answers against.
pub fn write_plan(dir: &Path, night: &Night, election: &NightElection) -> Result<(), String> {
    let mut stations: Vec<Value> = night
        .stations
        .iter()
        .map(|s| {
            json!({
                "constituency": s.constituency,
                "station": s.station,
                "problem": s.problem.map(|p| p.problem),
                "flagged_by": s.problem.map(|p| p.flagged_by),
                "reports": s.report_at_min.is_some(),
                "operator_typo": s.operator_typo,
            })
        })
        .collect();
    for (code, n) in &election.without_result {
        stations.push(json!({
            "constituency": code, "station": n, "problem": null, "flagged_by": null,
            "reports": false, "no_result_in_data": true,
        }));
    }
    let text = serde_json::to_vec_pretty(&json!({
        "election": ELECTION_ID,
        "stations": stations,
    }))
    .map_err(|e| e.to_string())?;
    std::fs::write(dir.join("night-plan.json"), text).map_err(|e| e.to_string())
}

/// The context file that verifies the night's bundles: the signed package, the Commission's
/// keys and every phone's enrolment.
fn write_context(srv: &Running, dir: &Path, swarm: &mut Swarm) -> Result<(), String> {
    let (status, note) = get(&format!(
        "{}/api/v1/elections/{ELECTION_ID}/package",
        srv.url
    ))?;
    if status != 200 {
        return Err(format!("the package: HTTP {status}"));
    }
    std::fs::write(dir.join("package.note"), note).map_err(|e| e.to_string())?;
    let (_, keys) = get(&format!("{}/api/v1/keys", srv.url))?;
    let keys: Value = serde_json::from_slice(&keys).map_err(|e| e.to_string())?;
    let mut devices = Vec::new();
    for ((code, station), phone) in swarm.phones() {
        if let Ok(Some(e)) = phone.client.enrolment() {
            devices.push(json!({
                "key": e.device_key,
                "constituency": code,
                "station": station,
                "enrolled_at_ms": e.enrolled_at_ms,
            }));
        }
    }
    let ctx = json!({
        "package_file": "package.note",
        "commission_keys": [keys["note_verifier"]],
        "devices": devices,
        "time_anchor_keys": [srv.commission_key],
        "server_keys": [srv.commission_key],
    });
    let text = serde_json::to_vec_pretty(&ctx).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("context.json"), text).map_err(|e| e.to_string())
}

/// A clean, counted station's bundle downloaded from the public API into `dir`.
fn download_bundle(srv: &Running, dir: &Path, offices: &[Office]) -> Result<String, String> {
    let o = offices.first().ok_or("no constituency")?;
    let board = o.board()?;
    let hash = board["stations"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|s| {
            o.plans
                .get(&(s["station"].as_u64().unwrap_or(0) as u32))
                .is_some_and(|p| p.problem.is_none())
        })
        .flat_map(|s| s["forms"].as_array().cloned().unwrap_or_default())
        .filter(|f| f["form"] == "form45" && f["state"] == "accepted")
        .find_map(|f| f["pages"][0]["manifest_hash"].as_str().map(str::to_owned))
        .ok_or("no accepted capture yet")?;
    let (status, bytes) = get(&format!("{}/api/v1/captures/{hash}/bundle", srv.url))?;
    if status != 200 {
        return Err(format!("the bundle of {hash}: HTTP {status}"));
    }
    let name = format!("{}-{}.tsb", o.constituency, &hash[..12]);
    std::fs::write(dir.join(&name), bytes).map_err(|e| e.to_string())?;
    Ok(name)
}

pub fn footer(
    srv: &Running,
    dir: &Path,
    swarm: &mut Swarm,
    offices: &[Office],
    exe: &str,
) -> Result<(), String> {
    write_context(srv, dir, swarm)?;
    let bundle = download_bundle(srv, dir, offices)?;
    let mut keys = format!("--log-key '{}'", srv.log_vkey);
    for w in &srv.witness_vkeys {
        keys.push_str(&format!(" --witness '{w}'"));
    }
    keys.push_str(" --witness-policy 2");
    let dir_text = dir.display();
    println!("\nThe night is over; see the console and the portal.");
    println!(
        "\nConsole       {}/console  (e.g. ro-{} / {DEMO_PASSWORD})",
        srv.url,
        offices
            .first()
            .map_or(String::new(), |o| o.constituency.to_lowercase())
    );
    println!("Portal        {}/portal", srv.url);
    println!("Public API    {}/api/v1/elections", srv.url);
    println!(
        "\nVerify a bundle (this one was downloaded from {}/api/v1/captures/<hash>/bundle):",
        srv.url
    );
    println!("  {exe} verify {dir_text}/{bundle} --context {dir_text}/context.json {keys}");
    println!("Run the log monitor:");
    println!(
        "  {exe} log monitor --url {} --state {dir_text}/monitor-state.json {keys}",
        srv.url
    );
    Ok(())
}
