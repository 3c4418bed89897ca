//! The transparency log during the intake benchmark: two witnesses (in this process, C2SP
//! tlog-witness with a policy of 2 of 2) for the server's log, and a watcher that reads
//! `/log/checkpoint` every 10 ms while the captures flow, so that each capture's leaf (the index
//! in its verified receipt) can be timed from its receipt to the first signed checkpoint, and to
//! the first witnessed checkpoint, that covers it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::cosignature::Cosigner;
use tallyseal_core::note::Signer;
use tallyseal_witness::{KnownLog, Witness};

/// The log key's seed in the benchmark (never a real key).
pub(crate) const LOG_SEED: [u8; 32] = [0x5b; 32];

/// Two witnesses of `origin`, with their state in `dir`; the server's configuration lines
/// (TOML) for them and the log.
pub(crate) fn start_witnesses(origin: &str, dir: &std::path::Path) -> String {
    let log_key = Signer::new(origin, DeviceKey::from_seed(&LOG_SEED))
        .unwrap()
        .verifier();
    let mut entries = Vec::new();
    for (i, seed) in [0x5c_u8, 0x5d].into_iter().enumerate() {
        let cosigner = Cosigner::new(
            &format!("witness-{i}.bench.invalid"),
            DeviceKey::from_seed(&[seed; 32]),
        )
        .unwrap();
        let vkey = cosigner.verifier().to_vkey();
        let log = KnownLog {
            origin: origin.to_owned(),
            keys: vec![log_key.clone()],
        };
        let state = dir.join(format!("witness-{i}.json"));
        let w = Witness::open(cosigner, vec![log], &state).unwrap();
        let (server, port) = tallyseal_witness::http::serve(Arc::new(w), "127.0.0.1:0").unwrap();
        tokio::spawn(server);
        entries.push(format!(
            "{{ url = \"http://127.0.0.1:{port}\", vkey = \"{vkey}\" }}"
        ));
    }
    format!(
        "log_origin = \"{origin}\"\nlog_witness_policy = 2\nlog_witnesses = [{}]\n",
        entries.join(", ")
    )
}

/// Reads `/log/checkpoint` every 10 ms: (when, checkpoint size, witnessed).
pub(crate) struct Watcher {
    /// Stop once a witnessed checkpoint covers this many leaves.
    target: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<Vec<(Instant, u64, bool)>>,
}

impl Watcher {
    pub(crate) fn start(http: reqwest::Client, base: String) -> Watcher {
        let target = Arc::new(AtomicU64::new(u64::MAX));
        let until = target.clone();
        let task = tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                if let Ok(r) = http.get(format!("{base}/log/checkpoint")).send().await {
                    let witnessed = r
                        .headers()
                        .get("tallyseal-log-witnessed")
                        .is_some_and(|v| v == "true");
                    let at = Instant::now();
                    if let Ok(text) = r.text().await
                        && let Some(size) = text.lines().nth(1).and_then(|l| l.parse().ok())
                    {
                        seen.push((at, size, witnessed));
                        if witnessed && size >= until.load(Ordering::Relaxed) {
                            return seen;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        Watcher { target, task }
    }

    /// Once a witnessed checkpoint covers `leaves` leaves (at most 60 s more): what was seen.
    pub(crate) async fn finish(self, leaves: u64) -> Vec<(Instant, u64, bool)> {
        self.target.store(leaves, Ordering::Relaxed);
        let mut task = self.task;
        match tokio::time::timeout(Duration::from_secs(60), &mut task).await {
            Ok(seen) => seen.unwrap(),
            Err(_) => {
                task.abort();
                println!("   log: no witnessed checkpoint of {leaves} leaves within 60 s");
                Vec::new()
            }
        }
    }
}

/// Delays of each leaf from its receipt to the first checkpoint (signed; witnessed) covering it.
pub(crate) struct LogFigures {
    pub leaves_in_run: u64,
    pub sequenced_per_s: f64,
    pub to_signed: Vec<Duration>,
    pub to_witnessed: Vec<Duration>,
    pub not_witnessed: usize,
}

pub(crate) fn figures(
    started: Instant,
    size_before: u64,
    receipts: &[(u64, Instant)],
    seen: &[(Instant, u64, bool)],
) -> LogFigures {
    let first = |index: u64, witnessed: bool| {
        seen.iter()
            .find(|(_, size, w)| *size > index && (*w || !witnessed))
            .map(|(at, _, _)| *at)
    };
    let mut to_signed = Vec::new();
    let mut to_witnessed = Vec::new();
    let mut not_witnessed = 0;
    for (index, at) in receipts {
        if let Some(t) = first(*index, false) {
            to_signed.push(t.saturating_duration_since(*at));
        }
        match first(*index, true) {
            Some(t) => to_witnessed.push(t.saturating_duration_since(*at)),
            None => not_witnessed += 1,
        }
    }
    to_signed.sort();
    to_witnessed.sort();
    let last = seen.last().map_or(size_before, |s| s.1);
    let leaves_in_run = last.saturating_sub(size_before);
    // From the first request to the first signed checkpoint covering every leaf of the run.
    let covered = seen
        .iter()
        .find(|(_, size, _)| *size >= last)
        .map_or(Duration::ZERO, |(at, _, _)| {
            at.saturating_duration_since(started)
        });
    LogFigures {
        leaves_in_run,
        sequenced_per_s: leaves_in_run as f64 / covered.as_secs_f64().max(1e-9),
        to_signed,
        to_witnessed,
        not_witnessed,
    }
}

/// The size of the latest checkpoint (0 when none yet).
pub(crate) async fn size(http: &reqwest::Client, base: &str) -> u64 {
    let Ok(r) = http.get(format!("{base}/log/checkpoint")).send().await else {
        return 0;
    };
    r.text()
        .await
        .ok()
        .and_then(|t| t.lines().nth(1).and_then(|l| l.parse().ok()))
        .unwrap_or(0)
}

/// Until two reads of the checkpoint a second apart are the same witnessed one (at most 30 s).
pub(crate) async fn wait_until_quiet(http: &reqwest::Client, base: &str) {
    let read = || async {
        let r = http
            .get(format!("{base}/log/checkpoint"))
            .send()
            .await
            .ok()?;
        let witnessed = r
            .headers()
            .get("tallyseal-log-witnessed")
            .is_some_and(|v| v == "true");
        Some((witnessed, r.text().await.ok()?))
    };
    for _ in 0..30 {
        let a = read().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let b = read().await;
        if let (Some((true, a)), Some((true, b))) = (a, b)
            && a == b
        {
            return;
        }
    }
    println!("   log: not quiet and witnessed after 30 s; measuring anyway");
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

pub(crate) fn print(f: &LogFigures) {
    println!(
        "   log: {} leaves in the run, sequenced at {:.1} leaves/s (first request to the first \
         signed checkpoint covering them all)",
        f.leaves_in_run, f.sequenced_per_s
    );
    println!(
        "   log: receipt → signed checkpoint covering its leaf: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        pct(&f.to_signed, 0.5),
        pct(&f.to_signed, 0.99),
        pct(&f.to_signed, 1.0)
    );
    println!(
        "   log: receipt → witnessed (2 of 2) checkpoint covering its leaf: p50 {:.0} ms, p99 {:.0} ms, \
         max {:.0} ms ({} leaves never seen witnessed)",
        pct(&f.to_witnessed, 0.5),
        pct(&f.to_witnessed, 0.99),
        pct(&f.to_witnessed, 1.0),
        f.not_witnessed
    );
}
