//! Intake step one, hash first: the signed manifest. It commits the image hash and capture time
//! even when the image cannot follow yet. The signature is the core's to check, and so is the
//! device's enrolment ([`crate::enrolment::check_capture_device`]); this module makes the manifest
//! durable (its row and event, whose commit is the acknowledgement), stamps the time received and
//! signs a receipt carrying the index of the capture's `manifest_received` leaf in the public log
//! (appended in the same transaction). The manifest hash is the submission's identity: sending the same manifest again
//! returns the same receipt and stores nothing.

use base64::Engine;
use tallyseal_core::hash::sha256;
use tallyseal_core::keys::SignatureBytes;
use tallyseal_core::manifest::ManifestError;
use tallyseal_core::wire::{ManifestSubmission, SubmissionResponse};

use crate::db::{self, SubmissionRow, SubmissionStatus};
use crate::enrolment::check_capture_device;
use crate::error::{ApiError, Problem};
use crate::intake::receipts::{logged_receipt, receipt_body};
use crate::provenance::{self, LogEvent, Receipt, ReceiptStatus};
use crate::state::AppState;

/// The answer to a manifest: `created` when this request recorded it.
#[derive(Debug)]
pub struct Accepted {
    pub created: bool,
    pub response: SubmissionResponse,
}

fn accepted(created: bool, row: &SubmissionRow) -> Result<Accepted, ApiError> {
    let receipt: Receipt =
        serde_json::from_str(&row.receipt).map_err(|e| ApiError::internal("stored receipt", e))?;
    Ok(Accepted {
        created,
        response: SubmissionResponse {
            manifest_hash: row.manifest_hash.to_hex(),
            status: row.status.as_str().to_owned(),
            receipt,
            upload_endpoint: "/api/v1/uploads".into(),
        },
    })
}

fn manifest_problem(e: ManifestError) -> ApiError {
    match e {
        ManifestError::Signature(_) => ApiError::new(
            Problem::BadSignature,
            "the device signature does not verify over this manifest",
        ),
        other => ApiError::new(Problem::MalformedManifest, other.to_string()),
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        Problem::BodyTooLarge,
        format!("the manifest exceeds the limit of {limit} bytes"),
    )
}

/// Accept a signed manifest: verify it, record it, sign the `manifest_received` receipt.
pub async fn accept_manifest(
    state: &AppState,
    body: &ManifestSubmission,
) -> Result<Accepted, ApiError> {
    let limit = state.config.limits.max_manifest_bytes;
    if body.manifest.len() > limit.saturating_mul(4) / 3 + 4 {
        return Err(too_large(limit));
    }
    let manifest_bytes = base64::engine::general_purpose::STANDARD
        .decode(&body.manifest)
        .map_err(|_| {
            ApiError::new(
                Problem::MalformedManifest,
                "manifest is not standard base64",
            )
        })?;
    if manifest_bytes.len() > limit {
        return Err(too_large(limit));
    }
    let signature: SignatureBytes = body.signature.parse().map_err(|_| {
        ApiError::new(
            Problem::BadSignature,
            "signature must be 128 lowercase hex digits",
        )
    })?;
    let manifest =
        provenance::open_manifest(&manifest_bytes, &signature).map_err(manifest_problem)?;
    let manifest_hash = sha256(&manifest_bytes);
    let hash_hex = manifest_hash.to_hex();
    let pool = &state.db.pool;

    let key_hex = manifest.device.key.to_hex();
    let (device, existing) = db::get_device_with_submission(pool, &key_hex, &hash_hex)
        .await?
        .ok_or_else(|| ApiError::new(Problem::UnknownDevice, "this device key is not enrolled"))?;
    // Idempotent: the same manifest again gets the same receipt (whatever became of the device
    // since).
    if let Some(row) = existing {
        return accepted(false, &row);
    }
    let now = crate::now_ms();
    check_capture_device(&manifest, &device, now)?;
    if manifest.image.bytes > state.config.limits.max_image_bytes {
        return Err(ApiError::new(
            Problem::BodyTooLarge,
            format!(
                "the signed image is {} bytes; the limit is {}",
                manifest.image.bytes, state.config.limits.max_image_bytes
            ),
        ));
    }

    // The row holds the signed manifest bytes; its commit is the acknowledgement. The object
    // store's copy is written after the image, by the analysis pass (crate::analysis), so that
    // the intake path writes one object per capture.
    let body = receipt_body(
        state,
        manifest_hash,
        now,
        ReceiptStatus::ManifestReceived,
        None,
        None,
    );
    let event = LogEvent::ManifestReceived {
        manifest_hash,
        received_at_ms: now,
    };
    let logged = logged_receipt(state, event, body, now)?;
    let row = SubmissionRow {
        manifest_hash: manifest_hash.into(),
        device_key: manifest.device.key.into(),
        election_id: manifest.election.clone(),
        constituency: manifest.constituency.clone(),
        station: i64::from(manifest.station),
        form: manifest.form.as_str().to_owned(),
        seq: i64::try_from(manifest.device.seq).unwrap_or(i64::MAX),
        signature: signature.into(),
        image_sha256: manifest.image.sha256.into(),
        image_bytes: i64::try_from(manifest.image.bytes).unwrap_or(i64::MAX),
        media_type: manifest.image.media_type.clone(),
        received_at_ms: now,
        status: SubmissionStatus::ManifestReceived,
        image_received_at_ms: None,
        image_phash: None,
        verdict: None,
        // Signed in the transaction, with the leaf's index.
        receipt: String::new(),
        manifest: Some(base64::engine::general_purpose::STANDARD.encode(&manifest_bytes)),
    };
    if let Some(receipt) = state.db.insert_submission(&row, &logged).await? {
        crate::metrics::intake::manifest_accepted();
        crate::stations::announce_capture(&state.board_feed, &row, "manifest_received");
        let row = SubmissionRow { receipt, ..row };
        return accepted(true, &row);
    }
    // Another server (or request) inserted it first: theirs is the receipt.
    let existing = db::get_submission(pool, &hash_hex)
        .await?
        .ok_or_else(|| ApiError::internal("submission", "vanished after conflict"))?;
    accepted(false, &existing)
}
