//! Intake step one, hash first: the signed manifest. It commits the image hash and capture time
//! even when the image cannot follow yet. The server verifies the signature and the device's
//! enrolment, makes the manifest durable (object, then row and event), stamps the time received and
//! returns a signed receipt. The manifest hash is the submission's identity: sending the same
//! manifest again returns the same receipt and stores nothing.

use actix_web::{HttpResponse, web};
use base64::Engine;
use tallyseal_core::hash::{Sha256Digest, sha256};
use tallyseal_core::keys::SignatureBytes;
use tallyseal_core::manifest::ManifestError;
use tallyseal_core::wire::{CaptureStatus, ManifestSubmission, SubmissionResponse};

use crate::db::{self, SubmissionRow};
use crate::error::{self, ApiError, Problem};
use crate::provenance::{self, Receipt, ReceiptBody, ReceiptStatus};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/captures")
            .route(web::post().to(submit_manifest))
            .default_service(web::to(error::method_not_allowed)),
    )
    .service(
        web::resource("/api/v1/captures/{manifest_hash}")
            .route(web::get().to(get_capture))
            .default_service(web::to(error::method_not_allowed)),
    );
}

/// Sign a receipt with the commission key.
pub fn issue_receipt(
    state: &AppState,
    manifest_hash: Sha256Digest,
    received_at_ms: i64,
    status: ReceiptStatus,
    image: Option<(Sha256Digest, i64)>,
    verdict: Option<String>,
) -> Result<Receipt, ApiError> {
    Receipt::issue(
        &state.commission_key,
        ReceiptBody {
            v: 1,
            manifest_hash,
            received_at_ms,
            status,
            image_sha256: image.map(|i| i.0),
            image_received_at_ms: image.map(|i| i.1),
            verdict,
            server_key: state.commission_key.public_key(),
        },
    )
    .map_err(|e| ApiError::internal("receipt", e))
}

fn respond(created: bool, row: &SubmissionRow) -> Result<HttpResponse, ApiError> {
    let receipt: Receipt =
        serde_json::from_str(&row.receipt).map_err(|e| ApiError::internal("stored receipt", e))?;
    let body = SubmissionResponse {
        manifest_hash: row.manifest_hash.clone(),
        status: row.status.clone(),
        receipt,
        upload_endpoint: "/api/v1/uploads".into(),
    };
    Ok(if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(body))
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

async fn submit_manifest(
    state: web::Data<AppState>,
    body: web::Json<ManifestSubmission>,
) -> Result<HttpResponse, ApiError> {
    let limit = state.config.limits.max_manifest_bytes;
    if body.manifest.len() > limit.saturating_mul(4) / 3 + 4 {
        return Err(ApiError::new(
            Problem::BodyTooLarge,
            format!("the manifest exceeds the limit of {limit} bytes"),
        ));
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
        return Err(ApiError::new(
            Problem::BodyTooLarge,
            format!("the manifest exceeds the limit of {limit} bytes"),
        ));
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
    let db_err = |e| ApiError::unavailable("database", e);

    let key_hex = manifest.device.key.to_hex();
    let (device, existing) = db::get_device_with_submission(pool, &key_hex, &hash_hex)
        .await
        .map_err(db_err)?
        .ok_or_else(|| ApiError::new(Problem::UnknownDevice, "this device key is not enrolled"))?;
    // Idempotent: the same manifest again gets the same receipt (whatever became of the device
    // since).
    if let Some(row) = existing {
        return respond(false, &row);
    }
    let now = crate::now_ms();
    if device.revoked_at_ms.is_some_and(|r| r <= now) {
        return Err(ApiError::new(
            Problem::RevokedDevice,
            "this device key has been revoked",
        ));
    }
    if device.election_id != manifest.election
        || device.constituency != manifest.constituency
        || device.station != i64::from(manifest.station)
    {
        return Err(ApiError::new(
            Problem::WrongStation,
            format!(
                "the device is enrolled for {} {} station {}, not {} {} station {}",
                device.election_id,
                device.constituency,
                device.station,
                manifest.election,
                manifest.constituency,
                manifest.station
            ),
        ));
    }
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
    let receipt = issue_receipt(
        &state,
        manifest_hash,
        now,
        ReceiptStatus::ManifestReceived,
        None,
        None,
    )?;
    let row = SubmissionRow {
        manifest_hash: hash_hex.clone(),
        device_key: key_hex,
        election_id: manifest.election.clone(),
        constituency: manifest.constituency.clone(),
        station: i64::from(manifest.station),
        form: manifest.form.as_str().to_owned(),
        seq: i64::try_from(manifest.device.seq).unwrap_or(i64::MAX),
        signature: signature.to_hex(),
        image_sha256: manifest.image.sha256.to_hex(),
        image_bytes: i64::try_from(manifest.image.bytes).unwrap_or(i64::MAX),
        media_type: manifest.image.media_type.clone(),
        received_at_ms: now,
        status: "manifest_received".into(),
        image_received_at_ms: None,
        image_phash: None,
        verdict: None,
        receipt: serde_json::to_string(&receipt).map_err(|e| ApiError::internal("receipt", e))?,
        manifest: Some(base64::engine::general_purpose::STANDARD.encode(&manifest_bytes)),
    };
    if state.db.insert_submission(&row).await.map_err(db_err)? {
        crate::metrics::intake::manifest_accepted();
        return respond(true, &row);
    }
    // Another server (or request) inserted it first: theirs is the receipt.
    let existing = db::get_submission(pool, &hash_hex)
        .await
        .map_err(db_err)?
        .ok_or_else(|| ApiError::internal("submission", "vanished after conflict"))?;
    respond(false, &existing)
}

async fn get_capture(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hash: Sha256Digest = path
        .parse()
        .map_err(|_| ApiError::new(Problem::NotFound, "manifest hash must be 64 hex digits"))?;
    let pool = &state.db.pool;
    let db_err = |e| ApiError::unavailable("database", e);
    let (row, report) = db::get_submission_with_report(pool, &hash.to_hex())
        .await
        .map_err(db_err)?
        .ok_or_else(|| ApiError::new(Problem::UnknownSubmission, "no such manifest"))?;
    let report = report
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|e| ApiError::internal("stored report", e))?;
    let receipt =
        serde_json::from_str(&row.receipt).map_err(|e| ApiError::internal("stored receipt", e))?;
    Ok(HttpResponse::Ok().json(CaptureStatus {
        manifest_hash: row.manifest_hash,
        status: row.status,
        election: row.election_id,
        constituency: row.constituency,
        station: row.station,
        received_at_ms: row.received_at_ms,
        image_received_at_ms: row.image_received_at_ms,
        verdict: row.verdict,
        receipt,
        report,
    }))
}
