//! Near-duplicate analysis, after the receipt.
//!
//! Completing an upload verifies everything that concerns the capture itself (signature, image
//! hash, enrolment, place, time, EXIF, exact duplicates, sequence, figures) and signs the
//! `verified` receipt; the report lists `near_duplicate_image` as pending. This analyser then
//! takes the verified captures one at a time, oldest first: it reads the image back from the
//! object store, computes its perceptual hash (a 64-bit dHash, `tallyseal_core::phash`), records
//! it, compares it with every other station's image of the constituency, completes the report
//! (which may turn the verdict to `verified_with_warnings`, with a new signed receipt), and appends
//! a `near_duplicates_analysed` event. It also writes the object store's copy of the signed
//! manifest, which the database row has held durably since the acknowledgement: intake writes one
//! object per capture, the image.
//!
//! Why after the receipt: decoding a 2 MB photo for its hash costs more CPU than everything else
//! in the intake together, and a receipt is a statement about durability and provenance, not about
//! other stations. Why one at a time, hash first: a capture is compared only with captures whose
//! hashes are recorded; recording before comparing means that of two near-copies analysed at the
//! same moment (here or on another server) the later comparison sees the other — checking both
//! at intake, side by side, could let both pass unseen.
//!
//! Scheduling: intake comes first. Captures are analysed as many at a time as there are cores.
//! The analyser starts a capture only when this server has had no upload in flight for `analysis.idle_ms`, unless the oldest waiting capture is older than
//! `analysis.max_lag_secs`. The work is durable: the queue is the `submissions` rows with
//! `analysed_at_ms IS NULL`; a claim left by a server that died is taken over after
//! `analysis.claim_timeout_secs`. `GET /api/v1/health` reports the backlog.
//!
//! Files: this module (scheduling and claims), `capture` (one capture's analysis), `error`. A
//! background worker: it never imports a route; receipts are signed by [`crate::intake::receipts`].

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

mod capture;
mod error;

pub use error::AnalysisError;

use crate::db;
use crate::state::AppState;

/// What the intake path and the analyser share in one server.
#[derive(Debug, Default)]
pub struct Analysis {
    wake: tokio::sync::Notify,
    in_flight: AtomicUsize,
    last_intake_ms: AtomicI64,
}

/// Marks an upload request in flight for as long as it lives.
#[derive(Debug)]
pub struct IntakeBusy<'a>(&'a Analysis);

impl Drop for IntakeBusy<'_> {
    fn drop(&mut self) {
        self.0
            .last_intake_ms
            .store(crate::now_ms(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Analysis {
    /// A capture was completed: analyse it when there is time.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// An upload request is being served (held until it ends).
    pub fn intake_busy(&self) -> IntakeBusy<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.last_intake_ms
            .store(crate::now_ms(), Ordering::Relaxed);
        IntakeBusy(self)
    }

    /// How long until intake has been quiet for `idle_ms` (zero: quiet now).
    fn quiet_in(&self, idle_ms: u64) -> Duration {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return Duration::from_millis(idle_ms.max(1));
        }
        let since = crate::now_ms().saturating_sub(self.last_intake_ms.load(Ordering::Relaxed));
        let since = u64::try_from(since).unwrap_or(0);
        Duration::from_millis(idle_ms.saturating_sub(since))
    }
}

/// Captures verified but not yet compared with the other stations' images.
#[derive(Debug, Clone, Copy)]
pub struct Backlog {
    pub waiting: i64,
    /// How long the oldest has waited, ms (0 when none waits).
    pub oldest_waiting_ms: i64,
}

/// The analysis backlog across every server sharing the database.
pub async fn backlog(state: &AppState) -> Result<Backlog, sqlx::Error> {
    let (waiting, oldest) = db::analysis_backlog(&state.db.pool).await?;
    Ok(Backlog {
        waiting,
        oldest_waiting_ms: oldest.map_or(0, |t| crate::now_ms().saturating_sub(t).max(0)),
    })
}

/// Start the analyser of this server (when enabled) on the current Tokio runtime.
pub fn spawn(state: actix_web::web::Data<AppState>) {
    if !state.config.analysis.enabled {
        return;
    }
    tokio::spawn(async move {
        loop {
            match next(&state).await {
                Ok(Step::Again) => {}
                Ok(Step::Wait(d)) => {
                    let _ = tokio::time::timeout(d, state.analysis.wake.notified()).await;
                }
                Err(e) => {
                    log::warn!("near-duplicate analysis: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
}

enum Step {
    /// Look again at once.
    Again,
    /// Look again after this long, or when a capture is completed here.
    Wait(Duration),
}

/// Nothing to do: look again this often (other servers complete captures too).
const POLL: Duration = Duration::from_secs(1);

async fn next(state: &AppState) -> Result<Step, AnalysisError> {
    let config = &state.config.analysis;
    let quiet_in = state.analysis.quiet_in(config.idle_ms);
    if !quiet_in.is_zero() {
        // Busy with intake: only a backlog older than max_lag may not wait.
        let Backlog {
            waiting,
            oldest_waiting_ms: lag_ms,
        } = backlog(state).await?;
        let max_lag_ms =
            i64::try_from(config.max_lag_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        if waiting == 0 {
            return Ok(Step::Wait(POLL));
        }
        if lag_ms < max_lag_ms {
            tokio::time::sleep(quiet_in).await;
            return Ok(Step::Again);
        }
    }
    let token = crate::random_hex(16)?;
    let now = crate::now_ms();
    let timeout_ms =
        i64::try_from(config.claim_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    // As many captures at once as there are cores: decoding is the cost, and each capture's hash
    // is recorded before its own comparison, so concurrent analyses still see each other.
    let batch = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut claimed = Vec::with_capacity(batch);
    while claimed.len() < batch {
        match state
            .db
            .claim_for_analysis(&token, now, now.saturating_sub(timeout_ms))
            .await?
        {
            Some(manifest_hash) => claimed.push(manifest_hash),
            None => break,
        }
    }
    if claimed.is_empty() {
        return Ok(Step::Wait(POLL));
    }
    let results =
        futures_util::future::join_all(claimed.iter().map(|m| capture::analyse(state, m, &token)))
            .await;
    for (m, r) in claimed.iter().zip(results) {
        if let Err(e) = r {
            // The claim stays; another attempt takes it over after claim_timeout_secs.
            log::warn!("near-duplicate analysis of {m}: {e}");
        }
    }
    Ok(Step::Again)
}
