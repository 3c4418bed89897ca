//! The demo night, as a person runs it (the real binary, one constituency cut to 20 stations):
//! `tallyseal demo --speed max --constituencies 1` killed (SIGKILL) in the middle of the night,
//! the same command with `--exit-when-done` to finish it, then the same command again without it,
//! and while that third run serves, everything is checked through the public API and the
//! console's API: every planted problem flagged by the check the demo's table names, every clean
//! station counted in Form-47, the stations that never report awaited, the printed verify and
//! log-monitor commands passing as printed, every capture the server acknowledged before the
//! kill still there, and nothing sent or signed again by the third run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use tallyseal_core::client::custody::FileKeyCustody;
use tallyseal_core::client::http::{HttpRequest, HttpResponse, HttpTransport, StdHttpTransport};
use tallyseal_core::client::{PhoneClient, PhoneOptions};

const ELECTION: &str = "pk-na-2024-demo";
const PASSWORD: &str = "demo-night-2024";

fn demo_args(dir: &Path) -> Vec<String> {
    [
        "demo",
        "--dir",
        &dir.display().to_string(),
        "--speed",
        "max",
        "--constituencies",
        "1",
        "--size",
        "20",
        "--bind",
        "127.0.0.1:0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The second run, killed when the test ends.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(req: HttpRequest) -> HttpResponse {
    StdHttpTransport::default().execute(req).expect("HTTP")
}

fn get_json(url: &str) -> Value {
    let r = http(HttpRequest::new("GET", url));
    assert_eq!(
        r.status,
        200,
        "GET {url}: {}",
        String::from_utf8_lossy(&r.body)
    );
    serde_json::from_slice(&r.body).expect("JSON")
}

fn cookie(r: &HttpResponse, name: &str) -> String {
    r.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

/// The RO signed in through the console's sign-in form: the session cookie.
fn sign_in(url: &str, login: &str) -> String {
    let form = http(HttpRequest::new("GET", format!("{url}/console/login")));
    let nonce = cookie(&form, "tallyseal_login");
    let mut req = HttpRequest::new("POST", format!("{url}/console/login"))
        .header("Origin", url)
        .header("Cookie", format!("tallyseal_login={nonce}"))
        .header("Content-Type", "application/x-www-form-urlencoded");
    req.body = format!("csrf={nonce}&login={login}&password={PASSWORD}").into_bytes();
    cookie(&http(req), "tallyseal_session")
}

fn console(url: &str, session: &str, path: &str) -> Value {
    let r = http(
        HttpRequest::new(
            "GET",
            format!("{url}/api/v1/console/{ELECTION}/NA-128{path}"),
        )
        .header("Cookie", format!("tallyseal_session={session}")),
    );
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    serde_json::from_slice(&r.body).expect("JSON")
}

/// A station's form on the board.
fn form_status(board: &Value, station: u64, form: &str) -> Value {
    let st = board["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["station"] == station)
        .unwrap_or_else(|| panic!("station {station} not on the board"));
    st["forms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["form"] == form)
        .unwrap()
        .clone()
}

/// Every Form-45 capture of a station on the board (current and earlier).
fn captures(board: &Value, station: u64) -> Vec<Value> {
    let f = form_status(board, station, "form45");
    let mut all: Vec<Value> = f["pages"].as_array().unwrap().clone();
    all.extend(f["earlier"].as_array().cloned().unwrap_or_default());
    all
}

/// The printed command on the line after `title`, split as a shell would (single quotes).
fn printed_command(stdout: &str, title: &str) -> Vec<String> {
    let line = stdout
        .lines()
        .skip_while(|l| !l.starts_with(title))
        .nth(1)
        .unwrap_or_else(|| panic!("no command after {title:?}"));
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.trim().chars() {
        match ch {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    words.push(cur);
    words
}

fn run_printed(words: &[String]) -> std::process::Output {
    Command::new(&words[0])
        .args(&words[1..])
        .output()
        .expect("run the printed command")
}

fn signed_versions(url: &str, session: &str) -> usize {
    console(url, session, "/forms/form47/versions")
        .as_array()
        .map_or(0, Vec::len)
}

fn open_phone(p: &Path) -> PhoneClient {
    PhoneClient::open(PhoneOptions {
        data_dir: p.to_owned(),
        app: "test".into(),
        transport: std::sync::Arc::new(StdHttpTransport::default()),
        custody: std::sync::Arc::new(FileKeyCustody {
            path: p.join("device.key"),
        }),
        clock: std::sync::Arc::new(tallyseal_core::client::clock::SystemClock {
            wall_offset_ms: 0,
            tz_offset_min: 300,
        }),
        listener: None,
    })
    .unwrap()
}

/// The manifest hashes the server acknowledged to the phones (a signed receipt in the outbox).
fn acknowledged(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir.join("phones")).unwrap() {
        for item in open_phone(&e.unwrap().path()).items().unwrap() {
            if item.state.manifest_receipt.is_some() || item.state.final_receipt.is_some() {
                out.push(item.manifest_hash.to_hex());
            }
        }
    }
    out
}

fn outbox_lengths(dir: &Path) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir.join("phones")).unwrap() {
        let p = e.unwrap().path();
        let phone = PhoneClient::open(PhoneOptions {
            data_dir: p.clone(),
            app: "test".into(),
            transport: std::sync::Arc::new(StdHttpTransport::default()),
            custody: std::sync::Arc::new(FileKeyCustody {
                path: p.join("device.key"),
            }),
            clock: std::sync::Arc::new(tallyseal_core::client::clock::SystemClock {
                wall_offset_ms: 0,
                tz_offset_min: 300,
            }),
            listener: None,
        })
        .unwrap();
        out.push((p.display().to_string(), phone.items().unwrap().len()));
    }
    out.sort();
    out
}

#[test]
fn a_night_flags_every_planted_problem_counts_every_clean_station_and_survives_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("night");
    let bin = env!("CARGO_BIN_EXE_tallyseal");

    // Killed in the middle of the night.
    let mut killed = Command::new(bin)
        .args(demo_args(&dir))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(killed.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    for line in out.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("20:") {
            break;
        }
    }
    killed.kill().unwrap();
    killed.wait().unwrap();
    assert!(seen.contains("20:"), "{seen}");
    let before_kill = acknowledged(&dir);
    assert!(before_kill.len() >= 8, "{before_kill:?}");

    // Started again: the rest of the night, then exit.
    let mut args = demo_args(&dir);
    args.push("--exit-when-done".into());
    let first = Command::new(bin).args(&args).output().unwrap();
    let first_out = String::from_utf8_lossy(&first.stdout).to_string();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{first_out}\n{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let phones_before = outbox_lengths(&dir);

    // Started again: it carries on (nothing left to do) and serves.
    let mut child = Command::new(bin)
        .args(demo_args(&dir))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let _serving = Serving(child);
    let mut second_out = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        second_out.push_str(&line);
        second_out.push('\n');
        if line.starts_with("The server keeps running") {
            break;
        }
    }
    assert!(second_out.contains("Carrying on"), "{second_out}");
    let url = second_out
        .lines()
        .find_map(|l| l.strip_prefix("Server"))
        .and_then(|l| l.split_whitespace().next())
        .expect("the server's address")
        .to_owned();

    // Nothing sent or signed twice by the third run.
    assert_eq!(outbox_lengths(&dir), phones_before);
    assert!(!second_out.contains("signed by the RO"), "{second_out}");

    // The public API lists the election.
    let elections = get_json(&format!("{url}/api/v1/elections"));
    assert!(elections.to_string().contains(ELECTION), "{elections}");

    let plan: Value =
        serde_json::from_slice(&std::fs::read(dir.join("night-plan.json")).unwrap()).unwrap();
    let stations = plan["stations"].as_array().unwrap();
    let session = sign_in(&url, "ro-na-128");
    let board = console(&url, &session, "/board");
    // Nothing the server acknowledged before the kill was lost.
    let on_board = board.to_string();
    for hash in &before_kill {
        assert!(
            on_board.contains(hash.as_str()),
            "{hash} acknowledged, then lost"
        );
    }
    let form47 = console(&url, &session, "/forms/form47");
    let quarantine = console(&url, &session, "/figures/quarantine");
    let counted: Vec<u64> = form47["stations_counted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["station"].as_u64().unwrap())
        .collect();
    let awaited: Vec<(u64, String)> = form47["stations_awaited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["station"].as_u64().unwrap(), s["reason"].to_string()))
        .collect();

    let mut seen_problems = 0;
    for s in stations {
        let n = s["station"].as_u64().unwrap();
        if s["problem"].is_null() {
            if s["reports"] == true {
                assert!(
                    counted.contains(&n),
                    "clean station {n} not counted: {form47}"
                );
            } else {
                assert!(
                    awaited
                        .iter()
                        .any(|(a, r)| *a == n && r.contains("no_capture")),
                    "station {n} without a result is not awaited: {awaited:?}"
                );
            }
            continue;
        }
        seen_problems += 1;
        let flagged = &s["flagged_by"];
        let what = format!("station {n}, {}", s["problem"]);
        if let Some(check) = flagged["check"].as_str() {
            let caught = captures(&board, n).iter().any(|c| {
                let hash = c["manifest_hash"].as_str().unwrap();
                let review = console(&url, &session, &format!("/captures/{hash}"));
                review["report"]["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["check"] == check && k["outcome"] != "pass")
            });
            assert!(caught, "{what}: {check} did not flag it");
            assert!(!counted.contains(&n), "{what}: counted in Form-47");
        } else if let Some(code) = flagged["quarantine"].as_str() {
            let q = quarantine
                .as_array()
                .unwrap()
                .iter()
                .find(|q| q["station"] == n)
                .unwrap_or_else(|| panic!("{what}: not in the quarantine list: {quarantine}"));
            assert!(
                q["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f["code"] == code),
                "{what}: no {code} finding: {q}"
            );
        } else if let Some(problem_type) = flagged["intake"].as_str() {
            // The refused capture is in the phone's outbox with the server's refusal, not on the
            // server: the station keeps only the capture sent before the revocation.
            assert_eq!(captures(&board, n).len(), 1, "{what}");
            let phone_dir = dir.join("phones").join(format!("NA-128-{n}"));
            let phone = PhoneClient::open(PhoneOptions {
                data_dir: phone_dir.clone(),
                app: "test".into(),
                transport: std::sync::Arc::new(StdHttpTransport::default()),
                custody: std::sync::Arc::new(FileKeyCustody {
                    path: phone_dir.join("device.key"),
                }),
                clock: std::sync::Arc::new(tallyseal_core::client::clock::SystemClock {
                    wall_offset_ms: 0,
                    tz_offset_min: 300,
                }),
                listener: None,
            })
            .unwrap();
            let items = phone.items().unwrap();
            let refused = items.last().unwrap().state.needs_attention.as_ref();
            assert!(
                refused.is_some_and(|a| a.reason.contains(problem_type)),
                "{what}: {refused:?}"
            );
        } else if flagged == "awaited" {
            assert!(
                board["awaited"]["form45"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(n)),
                "{what}: not on the board's awaited list"
            );
            assert!(
                awaited
                    .iter()
                    .any(|(a, r)| *a == n && r.contains("no_capture")),
                "{what}: not awaited in Form-47: {awaited:?}"
            );
        } else if flagged == "manifest_before_image" {
            let c = &captures(&board, n)[0];
            let (m, i) = (
                c["received_at_ms"].as_i64().unwrap(),
                c["image_received_at_ms"].as_i64().unwrap(),
            );
            assert!(i > m, "{what}: image at {i}, manifest at {m}");
        } else {
            panic!("{what}: unknown flag {flagged}");
        }
    }
    assert_eq!(seen_problems, 10);

    // Form-47's signed versions are public, and the latest counts what the compiled form counts.
    let results = get_json(&format!(
        "{url}/api/v1/elections/{ELECTION}/constituencies/NA-128/results"
    ));
    assert!(results.to_string().contains("form47"), "{results}");
    assert!(signed_versions(&url, &session) >= 2);

    // The printed commands, as printed.
    let verify = run_printed(&printed_command(&first_out, "Verify a bundle"));
    assert!(
        matches!(verify.status.code(), Some(0 | 3)),
        "{}\n{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let mut monitor = printed_command(&second_out, "Run the log monitor");
    if monitor.is_empty() || !second_out.contains("Run the log monitor") {
        monitor = printed_command(&first_out, "Run the log monitor");
    }
    let url_at = monitor.iter().position(|w| w == "--url").unwrap() + 1;
    monitor[url_at] = url.clone();
    let out = run_printed(&monitor);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the log monitor: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
