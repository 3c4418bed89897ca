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
//! Scheduling: intake comes first. Captures are analysed as many at a time as there are cores. The analyser starts a capture only when this server has had no
//! upload in flight for `analysis.idle_ms`, unless the oldest waiting capture is older than
//! `analysis.max_lag_secs`. The work is durable: the queue is the `submissions` rows with
//! `analysed_at_ms IS NULL`; a claim left by a server that died is taken over after
//! `analysis.claim_timeout_secs`. `GET /api/v1/health` reports the backlog.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use tallyseal_core::hash::Sha256Digest;

use crate::db::{self, AnalysisRecord, KnownImageRow};
use crate::provenance::{self, KnownImage, Outcome, ReceiptStatus, VerificationReport};
use crate::routes::captures::issue_receipt;
use crate::state::AppState;
use crate::store::ObjectKey;

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

/// One row of the duplicate queries as the core's `KnownImage`.
pub fn known_image(
    (manifest_hash, sha256, phash, constituency, station): KnownImageRow,
) -> Option<KnownImage> {
    Some(KnownImage {
        sha256: sha256.parse().ok()?,
        phash: phash.and_then(|p| u64::from_str_radix(&p, 16).ok()),
        constituency,
        station: u32::try_from(station).ok()?,
        manifest_hash: manifest_hash.parse().ok()?,
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

async fn next(state: &AppState) -> Result<Step, String> {
    let config = &state.config.analysis;
    let db_err = |e: sqlx::Error| format!("database: {e}");
    let quiet_in = state.analysis.quiet_in(config.idle_ms);
    if !quiet_in.is_zero() {
        // Busy with intake: only a backlog older than max_lag may not wait.
        let (waiting, oldest) = db::analysis_backlog(&state.db.pool).await.map_err(db_err)?;
        let lag_ms = oldest.map_or(0, |t| crate::now_ms().saturating_sub(t));
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
    let token = crate::random_hex(16).map_err(|e| format!("random: {e}"))?;
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
            .await
            .map_err(db_err)?
        {
            Some(manifest_hash) => claimed.push(manifest_hash),
            None => break,
        }
    }
    if claimed.is_empty() {
        return Ok(Step::Wait(POLL));
    }
    let results =
        futures_util::future::join_all(claimed.iter().map(|m| analyse(state, m, &token))).await;
    for (m, r) in claimed.iter().zip(results) {
        if let Err(e) = r {
            // The claim stays; another attempt takes it over after claim_timeout_secs.
            log::warn!("near-duplicate analysis of {m}: {e}");
        }
    }
    Ok(Step::Again)
}

/// Analyse one claimed capture.
async fn analyse(state: &AppState, manifest_hash: &str, token: &str) -> Result<(), String> {
    let pool = &state.db.pool;
    let db_err = |e: sqlx::Error| format!("database: {e}");
    let (submission, stored_report) = db::get_submission_with_report(pool, manifest_hash)
        .await
        .map_err(db_err)?
        .ok_or("claimed submission vanished")?;
    let stored_report = stored_report.ok_or("verified submission without a report")?;
    archive_manifest(state, &submission).await?;
    let image_sha256: Sha256Digest = submission
        .image_sha256
        .parse()
        .map_err(|e| format!("stored hash: {e}"))?;
    let image = state
        .store
        .get(&ObjectKey::for_digest(&image_sha256))
        .await
        .map_err(|e| format!("object store: {e}"))?
        .ok_or_else(|| format!("image {image_sha256} is not in the object store"))?;
    let phash = tokio::task::spawn_blocking(move || provenance::dhash(&image))
        .await
        .map_err(|e| format!("perceptual hash: {e}"))?;
    let phash_hex = phash.map(|p| format!("{p:016x}"));
    // Recorded (committed) before the comparison: see the module documentation.
    if let Some(hex) = &phash_hex
        && !state
            .db
            .record_phash(manifest_hash, token, hex)
            .await
            .map_err(db_err)?
    {
        return Ok(()); // the claim was taken over; the other analyser finishes it
    }
    let known: Vec<KnownImage> = db::perceptual_candidates(
        pool,
        &submission.election_id,
        &submission.constituency,
        manifest_hash,
    )
    .await
    .map_err(db_err)?
    .into_iter()
    .filter_map(known_image)
    .collect();
    let station = u32::try_from(submission.station).unwrap_or(0);
    let policy = provenance::VerificationPolicy::default();
    let check = provenance::near_duplicate_check(
        phash,
        &image_sha256,
        &submission.constituency,
        station,
        &known,
        &policy,
    );

    let mut report: VerificationReport =
        serde_json::from_str(&stored_report).map_err(|e| format!("stored report: {e}"))?;
    report.complete_pending(check.clone());
    report.image_phash = phash_hex.clone();
    let verdict = report.verdict.as_str().to_owned();
    let now = crate::now_ms();
    let receipt_json = if submission.verdict.as_deref() == Some(verdict.as_str()) {
        None
    } else {
        let manifest: Sha256Digest = manifest_hash
            .parse()
            .map_err(|e| format!("stored hash: {e}"))?;
        let receipt = issue_receipt(
            state,
            manifest,
            submission.received_at_ms,
            ReceiptStatus::Verified,
            submission.image_received_at_ms.map(|t| (image_sha256, t)),
            Some(verdict.clone()),
        )
        .map_err(|e| format!("receipt: {}", e.detail))?;
        Some(serde_json::to_string(&receipt).map_err(|e| format!("receipt: {e}"))?)
    };
    let mut event = serde_json::json!({
        "phash": phash_hex,
        "outcome": check.outcome,
        "compared": known.len(),
        "verdict": verdict,
    });
    if check.outcome != Outcome::Pass
        && let Some(other) = check.measured.get("other_manifest")
    {
        event["other_manifest"] = other.clone();
    }
    let record = AnalysisRecord {
        manifest_hash: manifest_hash.to_owned(),
        token: token.to_owned(),
        now,
        verdict,
        report_json: serde_json::to_string(&report).map_err(|e| format!("report: {e}"))?,
        receipt_json,
        event,
    };
    if state.db.record_analysis(&record).await.map_err(db_err)? && record.receipt_json.is_some() {
        crate::metrics::intake::receipt_issued("verified", &record.verdict);
    }
    Ok(())
}

/// The object store's copy of the signed manifest (content-addressed like the image), from the
/// row that has held it durably since the acknowledgement. Written here, after the receipts, so
/// that intake writes one object per capture; before the analysis is recorded, so a failure
/// leaves the capture to be analysed (and archived) again.
async fn archive_manifest(state: &AppState, submission: &db::SubmissionRow) -> Result<(), String> {
    let Some(bytes) = submission.manifest_bytes() else {
        // Rows from before migration 0002 had their manifest stored at intake.
        return Ok(());
    };
    let bytes = bytes.map_err(|e| format!("stored manifest: {e}"))?;
    let digest: Sha256Digest = submission
        .manifest_hash
        .parse()
        .map_err(|e| format!("stored hash: {e}"))?;
    state
        .store
        .put_if_absent(&digest, bytes::Bytes::from(bytes))
        .await
        .map_err(|e| format!("object store: {e}"))?;
    Ok(())
}
