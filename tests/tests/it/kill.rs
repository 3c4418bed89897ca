//! The kill test: a child phone process (`e2e-phone churn`: capture, sync, repeat) is killed with
//! SIGKILL at random moments, many times, and restarted. Afterwards every capture it reported as
//! sealed is still in its outbox and has been received by the server exactly once; the outbox
//! holds no torn item and the device chain has no gap.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tallyseal_core::client::outbox::Stage;
use tallyseal_e2e::TestServer;

struct XorShift(u64);
impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Run the churn child once; kill it after `kill_after` (None: let it finish). Returns the
/// manifest hashes it reported as sealed and whether it exited by itself with success.
fn run_child(
    data: &std::path::Path,
    captures: u64,
    kill_after: Option<Duration>,
) -> (Vec<String>, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_e2e-phone"))
        .args([
            "--data",
            data.to_str().unwrap(),
            "churn",
            "--captures",
            &captures.to_string(),
        ])
        .args(["--photo-kb", "40", "--chunk-kb", "8"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| {
                l.strip_prefix("SEALED ")
                    .and_then(|r| r.split("manifest=").nth(1))
                    .map(str::to_owned)
            })
            .collect::<Vec<_>>()
    });
    let ok = match kill_after {
        Some(d) => {
            let deadline = Instant::now() + d;
            loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break status.success();
                }
                if Instant::now() >= deadline {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    break false;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        None => {
            let out = child.wait_with_output().unwrap();
            if !out.status.success() {
                eprintln!("child failed: {}", String::from_utf8_lossy(&out.stderr));
            }
            out.status.success()
        }
    };
    (reader.join().unwrap(), ok)
}

#[test]
fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let runs = env_or("TALLYSEAL_KILL_RUNS", 25);
    let captures = env_or("TALLYSEAL_KILL_CAPTURES", 60);
    let server = TestServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("phone");
    {
        let phone = tallyseal_field::commands::open_phone(&data, 0).unwrap();
        phone
            .enrol(&server.issue_code(1).unwrap().qr_payload, "PO Kill", None)
            .unwrap();
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill test seed {seed:#x}, {runs} runs, {captures} captures");
    let mut rng = XorShift(seed | 1);
    let mut sealed = BTreeSet::new();
    let mut killed = 0;
    for _ in 0..runs {
        let after = Duration::from_millis(20 + rng.below(900));
        let (hashes, finished) = run_child(&data, captures, Some(after));
        sealed.extend(hashes);
        if !finished {
            killed += 1;
        }
    }
    let (hashes, finished) = run_child(&data, captures, None);
    sealed.extend(hashes);
    assert!(finished, "the last, unkilled run must finish");
    assert!(
        killed >= runs / 2,
        "only {killed} of {runs} runs were killed mid-way"
    );

    // The phone: every item whole, verified, chained without gaps.
    let phone = tallyseal_field::commands::open_phone(&data, 0).unwrap();
    let items = phone.items().unwrap();
    assert_eq!(items.len() as u64, captures);
    let mut prev = None;
    for (i, item) in items.iter().enumerate() {
        assert_eq!(item.seq, i as u64 + 1);
        assert_eq!(
            item.manifest.device.prev, prev,
            "chain broken at {}",
            item.seq
        );
        prev = Some(item.manifest_hash);
        assert_eq!(item.state.stage, Stage::Verified, "item {}", item.seq);
        assert!(item.has_bundle && !item.has_image);
    }
    let on_phone: BTreeSet<String> = items.iter().map(|i| i.manifest_hash.to_hex()).collect();
    for h in &sealed {
        assert!(
            on_phone.contains(h),
            "capture {h} was reported sealed but is not in the outbox"
        );
    }
    // The server: each exactly once, image received once, verified.
    assert_eq!(server.submission_count().unwrap() as u64, captures);
    for h in &on_phone {
        let row = server
            .submission(h)
            .unwrap()
            .unwrap_or_else(|| panic!("{h} not on the server"));
        assert_eq!(row.status, "verified");
        let events = server.events(h).unwrap();
        for kind in ["manifest_received", "image_received", "verified"] {
            assert_eq!(
                events.iter().filter(|k| *k == kind).count(),
                1,
                "{h}: {events:?}"
            );
        }
    }
    eprintln!(
        "kill test: {killed} kills, {} captures reported sealed, {captures} on the server",
        sealed.len()
    );
}
