//! Intake step two's end: the last byte of the image has arrived. The core verifies the capture
//! (hashing the image once, [`crate::provenance::verify_received_image`]); this module gathers
//! what the verification needs (package, enrolment, the device's other captures, images already
//! received), stores the object, records the report and the verified receipt in one commit, and
//! wakes the near-duplicate analyser. Nothing is acknowledged before the object and the row are
//! durable; an image that is not the signed one restarts the upload and stores nothing.

use tallyseal_core::hash::sha256;

use crate::db::{self, Completion, StoredVerdict, UploadRow};
use crate::elections::load_package;
use crate::error::{ApiError, Problem};
use crate::intake::receipts::{logged_receipt, receipt_body};
use crate::intake::uploads::{Known, Received, Target, Written};
use crate::provenance::{self, EnrolledDevice, LogEvent, PriorCapture, ReceiptStatus};
use crate::state::AppState;

/// The last byte has arrived: verify (hashing the image once), store the object, record, sign.
/// `target.upload` is the row as the database has it (offset before this request), or the new
/// upload the completion inserts. Returns the answer, with the verified receipt.
pub async fn complete(
    state: &AppState,
    target: Target,
    part: &std::path::Path,
    received: Received,
) -> Result<Written, ApiError> {
    let pool = &state.db.pool;
    let io = |e: std::io::Error| ApiError::unavailable("upload storage", e);
    let Target {
        upload,
        stored,
        known,
    } = target;
    let Known { submission, device } = match known {
        Some(known) => known,
        None => {
            let (submission, device) =
                db::get_submission_with_device(pool, &upload.manifest_hash.to_hex())
                    .await?
                    .ok_or_else(|| ApiError::internal("upload", "submission or device missing"))?;
            Known { submission, device }
        }
    };
    let (image, on_disk) = match received {
        Received::Memory(bytes) => (bytes, false),
        Received::PartFile => (tokio::fs::read(part).await.map_err(io)?.into(), true),
    };

    // Context for verification.
    let manifest_hash = submission.manifest_hash.digest();
    let image_hash = submission.image_sha256.digest();
    let manifest_bytes = match submission.manifest_bytes() {
        Some(bytes) => bytes.map_err(|e| ApiError::internal("stored manifest", e))?,
        // Rows from before the manifest column: the object store has it.
        None => state
            .store
            .get(&crate::store::ObjectKey::for_digest(&manifest_hash))
            .await?
            .ok_or_else(|| ApiError::internal("manifest object", "missing"))?
            .to_vec(),
    };
    let signature = submission.signature.get();
    let device_key = device.device_key.get();
    // The exact-duplicate check runs here; the near-duplicate one after the receipt
    // (crate::analysis), so the perceptual hash is not computed on the intake path.
    let related = db::related_captures(
        pool,
        &submission.image_sha256,
        &submission.device_key.to_hex(),
        submission.seq,
    )
    .await?;
    let known_images = related
        .same_image
        .into_iter()
        .filter_map(db::known_image)
        .collect();
    let prior_captures = related
        .chain_neighbours
        .into_iter()
        .filter(|(_, mh)| *mh != submission.manifest_hash)
        .filter_map(|(seq, mh)| {
            Some(PriorCapture {
                seq: u64::try_from(seq).ok()?,
                manifest_hash: mh.digest(),
            })
        })
        .collect();
    let package = load_package(state, &submission.election_id).await?;
    // Only the capture's constituency is needed: avoid cloning a national package per capture.
    let trimmed = provenance::ElectionPackage {
        constituencies: package
            .package
            .constituency(&submission.constituency)
            .cloned()
            .into_iter()
            .collect(),
        election: package.package.election.clone(),
        format: package.package.format.clone(),
        version: package.package.version,
        published_at: package.package.published_at.clone(),
    };
    let ctx = provenance::VerificationContext {
        package: Some(trimmed),
        package_hash: Some(package.hash),
        devices: vec![EnrolledDevice {
            key: device_key,
            constituency: device.constituency,
            station: u32::try_from(device.station).unwrap_or(0),
            enrolled_at_ms: Some(device.enrolled_at_ms),
            revoked_at_ms: device.revoked_at_ms,
        }],
        anchor_keys: vec![state.commission_key.public_key()],
        receipt_keys: vec![state.commission_key.public_key()],
        received_at_ms: Some(submission.received_at_ms),
        now_ms: crate::now_ms(),
        known_images,
        prior_captures,
        policy: provenance::VerificationPolicy {
            defer_near_duplicates: true,
            ..Default::default()
        },
    };
    let (image, report, image_matches) = tokio::task::spawn_blocking(move || {
        let (report, matches) = provenance::verify_received_image(
            &manifest_bytes,
            &manifest_hash,
            &signature,
            &image,
            &ctx,
        );
        (image, report, matches)
    })
    .await
    .map_err(|e| ApiError::internal("verification", e))?;
    if !image_matches {
        // Start the upload over; nothing is stored.
        let actual = sha256(&image);
        if on_disk {
            tokio::fs::remove_file(part).await.map_err(io)?;
        }
        if stored {
            let why = db::UploadRestart::ImageHashMismatch {
                received_sha256: actual.to_hex(),
            };
            super::uploads::restart(state, &upload, why).await?;
        }
        return Err(ApiError::new(
            Problem::ImageHashMismatch,
            format!(
                "the uploaded bytes hash to {actual}, the manifest signed {}; the upload was reset",
                submission.image_sha256
            ),
        ));
    }
    // Durable object first (from a part file the local store fsyncs it and links it into place;
    // S3 sends the bytes already in memory).
    if on_disk {
        state
            .store
            .put_upload_if_absent(&image_hash, part, image)
            .await
    } else {
        state.store.put_if_absent(&image_hash, image).await
    }?;

    let now = crate::now_ms();
    let verdict = StoredVerdict(report.verdict);
    let body = receipt_body(
        state,
        manifest_hash,
        submission.received_at_ms,
        ReceiptStatus::Verified,
        Some((image_hash, now)),
        Some(verdict.as_str().to_owned()),
    );
    let report_json =
        serde_json::to_string(&report).map_err(|e| ApiError::internal("report", e))?;
    let event = LogEvent::ImageVerified {
        manifest_hash,
        image_hash,
        verdict: verdict.as_str().to_owned(),
        report_hash: sha256(report_json.as_bytes()),
    };
    let completion = Completion {
        manifest_hash: submission.manifest_hash,
        upload: upload.clone(),
        upload_is_new: !stored,
        now,
        verdict,
        report_json,
        logged: logged_receipt(state, event, body, now)?,
    };
    let first = state.db.complete_submission(&completion).await?;
    state.analysis.wake();
    // The object store holds the image now; the part file (or its link) can go.
    if on_disk && let Err(e) = tokio::fs::remove_file(part).await {
        log::warn!("could not remove {}: {e}", part.display());
    }
    let mut done = upload;
    done.upload_offset = done.upload_length;
    let Some((upload_id, receipt)) = first else {
        // Another request (on another server) completed the submission first: its receipt is
        // the answer, and its upload the one completed.
        return answer_as_stored(state, done).await;
    };
    done.id = upload_id;
    crate::metrics::intake::image_completed(completion.verdict.as_str());
    crate::stations::announce_capture(&state.board_feed, &submission, "image_received");
    done.completed_at_ms = Some(now);
    Ok(Written {
        upload: done,
        receipt: Some(receipt),
    })
}

/// The answer for a submission already completed: the stored receipt and upload.
async fn answer_as_stored(state: &AppState, mut upload: UploadRow) -> Result<Written, ApiError> {
    let pool = &state.db.pool;
    let stored = db::get_submission(pool, &upload.manifest_hash.to_hex())
        .await?
        .ok_or_else(|| ApiError::internal("submission", "vanished after completion"))?;
    if let Some(current) = db::get_upload_for_manifest(pool, &upload.manifest_hash.to_hex()).await?
    {
        upload = current;
    }
    Ok(Written {
        upload,
        receipt: Some(stored.receipt),
    })
}
