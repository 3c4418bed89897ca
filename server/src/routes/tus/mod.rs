//! Intake step two: the image, over the tus 1.0.0 resumable upload protocol
//! (<https://tus.io/protocols/resumable-upload>) with the `creation`, `creation-with-upload` and
//! `checksum` extensions.
//!
//! - `POST /api/v1/uploads` with `Upload-Length` and `Upload-Metadata: manifest_hash <base64>`
//!   creates the submission's upload (one per manifest: creating again returns the same one).
//!   With `Content-Type: application/offset+octet-stream` its body carries the first bytes, as a
//!   PATCH at offset 0 would (`creation-with-upload`): one request for a whole image.
//! - `HEAD /api/v1/uploads/{id}` gives the server's `Upload-Offset`.
//! - `PATCH /api/v1/uploads/{id}` with `Content-Type: application/offset+octet-stream` and the
//!   matching `Upload-Offset` appends bytes. The body is streamed to `<data_dir>/uploads/<id>.part`
//!   as it arrives (a PATCH carrying the whole upload is received into memory instead, within a
//!   fixed budget), and when the connection dies mid-body the bytes received so far are fsynced and
//!   the offset advanced, so the client resumes from there, never from zero. With
//!   `Upload-Checksum: sha256 <base64>` the request's bytes are kept only if they match (460 if not).
//! - When the last byte arrives the server checks the file against the signed image hash, stores
//!   the object, runs the verification, stores the report and signs a `verified` receipt
//!   (`GET /api/v1/captures/{manifest_hash}`), which the answer that completed the upload also
//!   carries in its `Tallyseal-Receipt` header. The near-duplicate check follows after the receipt
//!   ([`crate::analysis`]); the report lists it as `pending` until then.
//!
//! Unfinished uploads live on the local disk of the server that received them (see
//! `docs/tus.md`); completed images live only in the object store.
//!
//! Files: [`protocol`] (tus headers, metadata, checksums, answers), [`body`] (receiving a
//! request's bytes), this module (the handlers). The upload's state and its rules are
//! [`crate::intake::uploads`]; completion is [`crate::intake::completion`].

mod body;
mod protocol;

use actix_web::{HttpRequest, HttpResponse, web};
use tallyseal_core::hash::Sha256Digest;

use crate::error::{self, ApiError, Problem};
use crate::intake::uploads::{
    self, ForCreation, Known, Target, UploadRow, Written, load_upload, valid_id,
};
use crate::state::AppState;
use body::{patch_whole, receive, whole_body_permit};
use protocol::{
    TUS_VERSION, busy, carries_bytes, check_tus_version, created, expected_checksum,
    metadata_value, parse_u64_header, upload_auth, upload_response, written_response,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/uploads")
            .route(web::method(actix_web::http::Method::OPTIONS).to(options))
            .route(web::post().to(create))
            .default_service(web::to(error::method_not_allowed)),
    )
    .service(
        web::resource("/api/v1/uploads/{id}")
            .route(web::method(actix_web::http::Method::OPTIONS).to(options))
            .route(web::head().to(head))
            .route(web::patch().to(patch))
            .default_service(web::to(error::method_not_allowed)),
    );
}

async fn options(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header(("Tus-Resumable", TUS_VERSION))
        .insert_header(("Tus-Version", TUS_VERSION))
        .insert_header(("Tus-Extension", "creation,creation-with-upload,checksum"))
        .insert_header(("Tus-Checksum-Algorithm", "sha256,sha1"))
        .insert_header((
            "Tus-Max-Size",
            state.config.limits.max_image_bytes.to_string(),
        ))
        .finish()
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    check_tus_version(&req)?;
    if req.headers().contains_key("Upload-Defer-Length") {
        return Err(ApiError::new(
            Problem::BadRequest,
            "Upload-Defer-Length is not supported",
        ));
    }
    let length = parse_u64_header(&req, "Upload-Length")?;
    let limit = state.config.limits.max_image_bytes;
    if length > limit {
        return Err(ApiError::new(
            Problem::BodyTooLarge,
            format!("Upload-Length {length} exceeds the limit of {limit} bytes"),
        ));
    }
    let manifest_hash: Sha256Digest = metadata_value(&req, "manifest_hash")?
        .ok_or_else(|| {
            ApiError::new(
                Problem::BadRequest,
                "Upload-Metadata must carry manifest_hash",
            )
        })?
        .parse()
        .map_err(|_| ApiError::new(Problem::BadRequest, "manifest_hash must be 64 hex digits"))?;
    let ForCreation { known, existing } =
        uploads::for_creation(&state, &manifest_hash, length, upload_auth(&req)).await?;
    let mut reused = existing.is_some();
    let upload = match existing {
        // Already complete (read with the submission, in one snapshot): the answer carries the
        // receipt, as the request that completed it did.
        Some(u) if u.completed_at_ms.is_some() => {
            let builder = created(&u.id);
            let written = Written {
                upload: u,
                receipt: Some(known.submission.receipt),
            };
            return Ok(written_response(builder, &written));
        }
        Some(u) => u,
        None => {
            let row = uploads::new_upload(&known.submission)?;
            if carries_bytes(&req)
                && let Some(permit) = whole_body_permit(&req, length)
            {
                return create_with_image(&req, &state, row, known, payload, permit).await;
            }
            let stored = uploads::create_upload(&state, &row).await?;
            // A concurrent creation inserted the submission's upload first: this request found
            // it rather than made it, and must read it again under the lease like any other.
            reused = stored.id != row.id;
            stored
        }
    };
    let builder = created(&upload.id);
    // creation-with-upload: the body carries the first bytes (often all of them). They are taken
    // only for an upload still at offset 0; otherwise the answer's offset says where to resume.
    if carries_bytes(&req) && upload.upload_offset == 0 && upload.completed_at_ms.is_none() {
        let checksum = expected_checksum(&req)?;
        let Some(_lease) = state.lease_upload(&upload.id) else {
            return Err(busy());
        };
        // Another request may have written to an upload that existed before this one: then its
        // offset, not these bytes, is the answer.
        let upload = if reused {
            let current = load_upload(&state, &upload.id).await?;
            if current.upload_offset != 0 || current.completed_at_ms.is_some() {
                return Ok(upload_response(builder, &current));
            }
            current
        } else {
            upload
        };
        let target = Target {
            upload,
            stored: true,
            known: Some(known),
        };
        let written = receive(&req, &state, target, 0, payload, checksum).await?;
        return Ok(written_response(builder, &written));
    }
    Ok(upload_response(builder, &upload))
}

/// A creation carrying the whole image (`row`, not in the database yet), received into memory
/// under `permit`. The upload's row is written with the completion (one database write, not
/// two), or, when the body is cut short, once what arrived is durable: nobody else knows its id
/// before.
async fn create_with_image(
    req: &HttpRequest,
    state: &AppState,
    row: UploadRow,
    known: Known,
    payload: web::Payload,
    permit: tokio::sync::SemaphorePermit<'static>,
) -> Result<HttpResponse, ApiError> {
    let checksum = expected_checksum(req)?;
    let _busy = state.analysis.intake_busy();
    let length = u64::try_from(row.upload_length).unwrap_or(0);
    let target = Target {
        upload: row,
        stored: false,
        known: Some(known),
    };
    let written = patch_whole(state, target, payload, checksum, length, permit).await?;
    Ok(written_response(created(&written.upload.id), &written))
}

async fn head(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    check_tus_version(&req)?;
    let upload = load_upload(&state, &path).await?;
    uploads::authorise(upload_auth(&req), &upload.device_key, &upload.manifest_hash)?;
    Ok(upload_response(HttpResponse::Ok(), &upload))
}

async fn patch(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    check_tus_version(&req)?;
    if !carries_bytes(&req) {
        return Err(ApiError::new(
            Problem::UnsupportedMediaType,
            "PATCH bodies must be Content-Type: application/offset+octet-stream",
        ));
    }
    let client_offset = parse_u64_header(&req, "Upload-Offset")?;
    let checksum = expected_checksum(&req)?;
    let id = path.into_inner();
    valid_id(&id)?;
    let Some(_lease) = state.lease_upload(&id) else {
        return Err(busy());
    };
    let upload = load_upload(&state, &id).await?;
    uploads::authorise(upload_auth(&req), &upload.device_key, &upload.manifest_hash)?;
    let target = Target {
        upload,
        stored: true,
        known: None,
    };
    let written = receive(&req, &state, target, client_offset, payload, checksum).await?;
    Ok(written_response(HttpResponse::NoContent(), &written))
}
