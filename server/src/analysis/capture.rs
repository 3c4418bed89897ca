//! One claimed capture's near-duplicate analysis: archive its manifest, hash its image, record
//! the hash, compare (the core's `near_duplicate_check`), complete the report and, when the
//! verdict changed, log the new verdict and sign a new receipt carrying its leaf's index.

use super::AnalysisError;
use crate::db::{self, AnalysisRecord, Sha256Hex, StoredVerdict};
use crate::intake::receipts::{logged_receipt, receipt_body};
use crate::provenance::{self, KnownImage, LogEvent, Outcome, ReceiptStatus, VerificationReport};
use crate::state::AppState;
use crate::store::ObjectKey;

/// Analyse one claimed capture.
pub(super) async fn analyse(
    state: &AppState,
    manifest_hash: &Sha256Hex,
    token: &str,
) -> Result<(), AnalysisError> {
    let pool = &state.db.pool;
    let (submission, stored_report) = db::get_submission_with_report(pool, &manifest_hash.to_hex())
        .await?
        .ok_or(AnalysisError::Missing("the claimed submission"))?;
    let stored_report =
        stored_report.ok_or(AnalysisError::Missing("the verified submission's report"))?;
    archive_manifest(state, &submission).await?;
    let image_sha256 = submission.image_sha256.digest();
    let image = state
        .store
        .get(&ObjectKey::for_digest(&image_sha256))
        .await?
        .ok_or(AnalysisError::ImageMissing(image_sha256))?;
    let phash = tokio::task::spawn_blocking(move || provenance::dhash(&image)).await?;
    let phash_hex = phash.map(|p| format!("{p:016x}"));
    // Recorded (committed) before the comparison: see the module documentation.
    if let Some(hex) = &phash_hex
        && !state.db.record_phash(manifest_hash, token, hex).await?
    {
        return Ok(()); // the claim was taken over; the other analyser finishes it
    }
    let known: Vec<KnownImage> = db::perceptual_candidates(
        pool,
        &submission.election_id,
        &submission.constituency,
        &manifest_hash.to_hex(),
    )
    .await?
    .into_iter()
    .filter_map(db::known_image)
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
        serde_json::from_str(&stored_report).map_err(|e| AnalysisError::stored("report", e))?;
    report.complete_pending(check.clone());
    report.image_phash = phash_hex.clone();
    let verdict = StoredVerdict(report.verdict);
    let now = crate::now_ms();
    let report_json = serde_json::to_string(&report)?;
    // A changed verdict is a public event: a new `image_verified` leaf (new verdict, new report)
    // and a new receipt carrying its index.
    let changed = if submission.verdict == Some(verdict) {
        None
    } else {
        let body = receipt_body(
            state,
            manifest_hash.digest(),
            submission.received_at_ms,
            ReceiptStatus::Verified,
            submission.image_received_at_ms.map(|t| (image_sha256, t)),
            Some(verdict.as_str().to_owned()),
        );
        let event = LogEvent::ImageVerified {
            manifest_hash: manifest_hash.digest(),
            image_hash: image_sha256,
            verdict: verdict.as_str().to_owned(),
            report_hash: tallyseal_core::hash::sha256(report_json.as_bytes()),
        };
        Some(
            logged_receipt(state, event, body, now)
                .map_err(|e| AnalysisError::stored("log leaf", e.detail))?,
        )
    };
    let mut event = serde_json::json!({
        "phash": phash_hex,
        "outcome": check.outcome,
        "compared": known.len(),
        "verdict": verdict.as_str(),
    });
    if check.outcome != Outcome::Pass
        && let Some(other) = check.measured.get("other_manifest")
    {
        event["other_manifest"] = other.clone();
    }
    let record = AnalysisRecord {
        manifest_hash: *manifest_hash,
        token: token.to_owned(),
        now,
        verdict,
        report_json,
        changed,
        event,
    };
    if let Some(receipt) = state.db.record_analysis(&record).await? {
        if receipt.is_some() {
            crate::metrics::intake::receipt_issued("verified", record.verdict.as_str());
        }
        crate::stations::announce_capture(&state.board_feed, &submission, "analysed");
    }
    Ok(())
}

/// The object store's copy of the signed manifest (content-addressed like the image), from the
/// row that has held it durably since the acknowledgement. Written here, after the receipts, so
/// that intake writes one object per capture; before the analysis is recorded, so a failure
/// leaves the capture to be analysed (and archived) again.
async fn archive_manifest(
    state: &AppState,
    submission: &db::SubmissionRow,
) -> Result<(), AnalysisError> {
    let Some(bytes) = submission.manifest_bytes() else {
        // Rows from before migration 0002 had their manifest stored at intake.
        return Ok(());
    };
    let bytes = bytes.map_err(|e| AnalysisError::stored("manifest", e))?;
    state
        .store
        .put_if_absent(
            &submission.manifest_hash.digest(),
            bytes::Bytes::from(bytes),
        )
        .await?;
    Ok(())
}
