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

use std::path::PathBuf;

use actix_web::http::header::HeaderMap;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tallyseal_core::hash::{Sha256Digest, sha256};
use tallyseal_core::keys::{PublicKey, SignatureBytes};
use tallyseal_core::seal::{UPLOAD_AUTH_HEADER, verify_upload_auth};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use crate::db::{self, Completion, UploadRow};
use crate::error::{self, ApiError, Problem};
use crate::provenance::{self, EnrolledDevice, PriorCapture, RECEIPT_HEADER, ReceiptStatus};
use crate::routes::captures::issue_receipt;
use crate::state::AppState;
use crate::store::buffer::ObjectBuffer;

const TUS_VERSION: &str = "1.0.0";

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

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn check_tus_version(req: &HttpRequest) -> Result<(), ApiError> {
    match header(req.headers(), "Tus-Resumable") {
        Some(TUS_VERSION) => Ok(()),
        Some(other) => Err(ApiError::new(
            Problem::TusVersion,
            format!("Tus-Resumable {other:?} is not supported; use {TUS_VERSION}"),
        )),
        None => Err(ApiError::new(
            Problem::TusVersion,
            "the Tus-Resumable header is required",
        )),
    }
}

fn parse_u64_header(req: &HttpRequest, name: &str) -> Result<u64, ApiError> {
    let value = header(req.headers(), name).ok_or_else(|| {
        ApiError::new(
            Problem::BadRequest,
            format!("the {name} header is required"),
        )
    })?;
    // Digits only (tus: a non-negative integer); Rust's parser would also take a leading `+`.
    Some(value)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            ApiError::new(
                Problem::BadRequest,
                format!("{name} must be a non-negative integer"),
            )
        })
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs.
fn metadata_value(req: &HttpRequest, wanted: &str) -> Result<Option<String>, ApiError> {
    let Some(raw) = header(req.headers(), "Upload-Metadata") else {
        return Ok(None);
    };
    for pair in raw.split(',') {
        let mut parts = pair.trim().splitn(2, ' ');
        let key = parts.next().unwrap_or_default();
        if key != wanted {
            continue;
        }
        let value = parts.next().unwrap_or_default().trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value)
            .map_err(|_| {
                ApiError::new(
                    Problem::BadRequest,
                    format!("Upload-Metadata {wanted} is not base64"),
                )
            })?;
        return String::from_utf8(bytes).map(Some).map_err(|_| {
            ApiError::new(
                Problem::BadRequest,
                format!("Upload-Metadata {wanted} is not UTF-8"),
            )
        });
    }
    Ok(None)
}

fn upload_response(mut builder: actix_web::HttpResponseBuilder, u: &UploadRow) -> HttpResponse {
    builder
        .insert_header(("Tus-Resumable", TUS_VERSION))
        .insert_header(("Upload-Offset", u.upload_offset.to_string()))
        .insert_header(("Upload-Length", u.upload_length.to_string()))
        .insert_header(("Cache-Control", "no-store"))
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
    let pool = &state.db.pool;
    let db_err = |e| ApiError::unavailable("database", e);
    let idle_ms = i64::try_from(
        state
            .config
            .limits
            .upload_slot_idle_secs
            .saturating_mul(1000),
    )
    .unwrap_or(i64::MAX);
    let db::UploadContext {
        submission,
        device,
        upload: existing,
        open_uploads: open,
    } = db::get_upload_context(
        pool,
        &manifest_hash.to_hex(),
        crate::now_ms().saturating_sub(idle_ms),
    )
    .await
    .map_err(db_err)?
    .ok_or_else(|| ApiError::new(Problem::UnknownSubmission, "send the signed manifest first"))?;
    check_upload_auth(&req, &submission.device_key, &submission.manifest_hash)?;
    if i64::try_from(length).ok() != Some(submission.image_bytes) {
        return Err(ApiError::new(
            Problem::UploadLengthMismatch,
            format!(
                "Upload-Length is {length} but the signed image is {} bytes",
                submission.image_bytes
            ),
        ));
    }
    let slots = state.config.limits.upload_slots_per_device;
    if existing.is_none() && open >= i64::from(slots) {
        return Err(ApiError::new(
            Problem::TooManyUploads,
            format!("the device already has {open} unfinished uploads; finish one first"),
        ));
    }
    let known = Known { submission, device };
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
            let id = crate::random_hex(16).map_err(|e| ApiError::internal("random", e))?;
            let row = UploadRow {
                id,
                manifest_hash: known.submission.manifest_hash.clone(),
                device_key: known.submission.device_key.clone(),
                upload_length: known.submission.image_bytes,
                upload_offset: 0,
                completed_at_ms: None,
            };
            if carries_bytes(&req)
                && let Some(permit) = whole_body_permit(&req, length)
            {
                return create_with_image(&req, &state, row, known, payload, permit).await;
            }
            let stored = state
                .db
                .create_upload(&row, crate::now_ms())
                .await
                .map_err(db_err)?;
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

/// A creation's answer, for the upload `id`.
fn created(id: &str) -> actix_web::HttpResponseBuilder {
    let mut builder = HttpResponse::Created();
    builder.insert_header(("Location", format!("/api/v1/uploads/{id}")));
    builder
}

/// The upload a request's bytes go to.
struct Target {
    /// Its row, as read under the upload's lease (offset before this request).
    upload: UploadRow,
    /// Whether the row is in the database; a creation request carrying the whole image has its
    /// upload's row written only with the completion.
    stored: bool,
    /// The submission and device, when the request has read them already.
    known: Option<Known>,
}

/// A submission and the device that signed it, as read from the database.
struct Known {
    submission: db::SubmissionRow,
    device: db::DeviceRow,
}

pub(crate) fn valid_id(id: &str) -> Result<(), ApiError> {
    if id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(ApiError::new(Problem::UploadNotFound, "no such upload"))
    }
}

async fn load_upload(state: &AppState, id: &str) -> Result<UploadRow, ApiError> {
    valid_id(id)?;
    db::get_upload(&state.db.pool, id)
        .await
        .map_err(|e| ApiError::unavailable("database", e))?
        .ok_or_else(|| ApiError::new(Problem::UploadNotFound, "no such upload"))
}

async fn head(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    check_tus_version(&req)?;
    let upload = load_upload(&state, &path).await?;
    check_upload_auth(&req, &upload.device_key, &upload.manifest_hash)?;
    Ok(upload_response(HttpResponse::Ok(), &upload))
}

/// Where an unfinished upload's bytes are kept: `<data_dir>/uploads/<id>.part`.
fn part_path(state: &AppState, id: &str) -> PathBuf {
    state.uploads_dir.join(format!("{id}{PART_SUFFIX}"))
}

/// The file name ending of part files ([`part_path`]).
pub(crate) const PART_SUFFIX: &str = ".part";

/// A PATCH's `Upload-Checksum`: the algorithm's running state and the expected digest.
enum RequestChecksum {
    Sha256(Sha256, Vec<u8>),
    /// tus clients' common default (tuspy); integrity only, the image itself is checked by SHA-256.
    Sha1(sha1::Sha1, Vec<u8>),
}

impl RequestChecksum {
    fn update(&mut self, bytes: &[u8]) {
        match self {
            RequestChecksum::Sha256(h, _) => h.update(bytes),
            RequestChecksum::Sha1(h, _) => h.update(bytes),
        }
    }

    fn matches(self) -> bool {
        match self {
            RequestChecksum::Sha256(h, want) => h.finalize().as_slice() == want.as_slice(),
            RequestChecksum::Sha1(h, want) => h.finalize().as_slice() == want.as_slice(),
        }
    }
}

/// Parse `Upload-Checksum: <sha256|sha1> <base64>`.
fn expected_checksum(req: &HttpRequest) -> Result<Option<RequestChecksum>, ApiError> {
    let Some(raw) = header(req.headers(), "Upload-Checksum") else {
        return Ok(None);
    };
    let (algo, value) = raw.split_once(' ').unwrap_or((raw, ""));
    let digest = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| {
            ApiError::new(
                Problem::BadRequest,
                "the Upload-Checksum value is not base64",
            )
        })?;
    let bad_len = || {
        ApiError::new(
            Problem::BadRequest,
            "the Upload-Checksum value has the wrong length",
        )
    };
    match algo.to_ascii_lowercase().as_str() {
        "sha256" if digest.len() == 32 => Ok(Some(RequestChecksum::Sha256(Sha256::new(), digest))),
        "sha1" if digest.len() == 20 => Ok(Some(RequestChecksum::Sha1(sha1::Sha1::new(), digest))),
        "sha256" | "sha1" => Err(bad_len()),
        _ => Err(ApiError::new(
            Problem::UnsupportedChecksum,
            format!("checksum algorithm {algo:?} is not supported; use sha256 or sha1"),
        )),
    }
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
    check_upload_auth(&req, &upload.device_key, &upload.manifest_hash)?;
    let target = Target {
        upload,
        stored: true,
        known: None,
    };
    let written = receive(&req, &state, target, client_offset, payload, checksum).await?;
    Ok(written_response(HttpResponse::NoContent(), &written))
}

/// Every tus request for a capture's image must carry its device's upload authorisation
/// ([`UPLOAD_AUTH_HEADER`]: the device's signature over the manifest hash, see
/// `tallyseal_core::seal::upload_auth`). The manifest hash is public (agents' copies, bundles, the
/// next capture's chain link); without this anyone who read it could create, probe, and write
/// garbage into the upload, or hold its lease, and so keep a station's image from arriving. The
/// image itself is protected by the signed hash either way.
fn check_upload_auth(
    req: &HttpRequest,
    device_key_hex: &str,
    manifest_hash_hex: &str,
) -> Result<(), ApiError> {
    let refused = |detail: &str| ApiError::new(Problem::UploadAuth, detail);
    let value = header(req.headers(), UPLOAD_AUTH_HEADER).ok_or_else(|| {
        refused("the request must carry Tallyseal-Upload-Auth: the device's signature over the manifest hash")
    })?;
    let auth: SignatureBytes = value
        .trim()
        .parse()
        .map_err(|_| refused("Tallyseal-Upload-Auth must be 128 hex digits"))?;
    let device: PublicKey = device_key_hex
        .parse()
        .map_err(|e| ApiError::internal("stored key", e))?;
    let manifest_hash: Sha256Digest = manifest_hash_hex
        .parse()
        .map_err(|e| ApiError::internal("stored hash", e))?;
    if verify_upload_auth(&device, &manifest_hash, &auth) {
        Ok(())
    } else {
        Err(refused(
            "Tallyseal-Upload-Auth is not the capture's device's signature over its manifest hash",
        ))
    }
}

/// Whether the request's body is upload bytes (`Content-Type: application/offset+octet-stream`).
fn carries_bytes(req: &HttpRequest) -> bool {
    header(req.headers(), "Content-Type") == Some("application/offset+octet-stream")
}

fn busy() -> ApiError {
    ApiError::new(
        Problem::UploadBusy,
        "another request is writing this upload",
    )
}

/// The upload after a request that carried bytes, and the signed receipt (JSON) when that
/// request completed it.
struct Written {
    upload: UploadRow,
    receipt: Option<String>,
}

/// The answer, with the receipt (when the request completed the upload) in
/// [`RECEIPT_HEADER`], so the client need not ask for it with `GET /api/v1/captures/{hash}`.
fn written_response(mut builder: actix_web::HttpResponseBuilder, w: &Written) -> HttpResponse {
    if let Some(json) = &w.receipt {
        builder.insert_header((
            RECEIPT_HEADER,
            base64::engine::general_purpose::STANDARD.encode(json),
        ));
    }
    upload_response(builder, &w.upload)
}

/// Append the request's bytes at `client_offset` of `upload` (the row as read under the
/// upload's lease): the body of a PATCH, or of a creation request (`creation-with-upload`).
async fn receive(
    req: &HttpRequest,
    state: &AppState,
    target: Target,
    client_offset: u64,
    mut payload: web::Payload,
    mut checksum: Option<RequestChecksum>,
) -> Result<Written, ApiError> {
    let _busy = state.analysis.intake_busy();
    let upload = &target.upload;
    let id = upload.id.clone();
    let offset = u64::try_from(upload.upload_offset).unwrap_or(0);
    let length = u64::try_from(upload.upload_length).unwrap_or(0);
    if upload.completed_at_ms.is_some() {
        // Bytes past the end of a complete upload are not ignored: nothing is written, 413.
        if client_offset == length && body_not_empty(req, &mut payload).await {
            return Err(ApiError::new(
                Problem::UploadTooLarge,
                format!("the upload is complete at {length} bytes; no byte may follow"),
            ));
        }
        return if client_offset == length {
            Ok(Written {
                upload: target.upload,
                receipt: None,
            })
        } else {
            Err(ApiError::new(
                Problem::OffsetConflict,
                "the upload is already complete",
            ))
        };
    }
    if client_offset != offset {
        return Err(ApiError::new(
            Problem::OffsetConflict,
            format!("Upload-Offset is {client_offset} but the server has {offset}"),
        ));
    }
    let remaining = length - offset;
    let declared = declared_length(req);
    if declared.is_some_and(|n| n > remaining) {
        return Err(ApiError::new(
            Problem::UploadTooLarge,
            format!(
                "{} bytes sent but only {remaining} remain",
                declared.unwrap_or(0)
            ),
        ));
    }

    // A request carrying the whole upload (the common case) is received into memory, within a
    // fixed budget, and goes from there to the object store: no part file unless the connection
    // is cut, when what arrived is written to the part file so the client can resume.
    if offset == 0
        && let Some(permit) = whole_body_permit(req, length)
    {
        return patch_whole(state, target, payload, checksum, length, permit).await;
    }

    let io = |e: std::io::Error| ApiError::unavailable("upload storage", e);
    let part = part_path(state, &id);
    let mut file = open_part(&part, offset == length).await.map_err(io)?;
    let on_disk = file.metadata().await.map_err(io)?.len();
    // A new part file's name must survive a crash as well as its bytes: the offset that follows
    // is a promise to hold them.
    let new_file = on_disk == 0;
    if on_disk < offset {
        // The bytes behind the offset are gone (another server's disk, or lost): start over.
        drop(file);
        tokio::fs::remove_file(&part).await.map_err(io)?;
        if let Ok(true) = state
            .db
            .restart_upload(upload, crate::now_ms(), db::UploadRestart::BytesMissing)
            .await
        {
            crate::metrics::intake::upload_reset("bytes_missing");
        }
        return Err(ApiError::new(
            Problem::OffsetConflict,
            "this server does not hold the earlier bytes; resume from offset 0",
        ));
    }
    // Anything past the committed offset is from a request that never committed.
    file.set_len(offset).await.map_err(io)?;
    file.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(io)?;

    // Large writes: a `tokio::fs::File` hands every write to the blocking pool, and the body
    // arrives in chunks of a few KiB; buffering makes that a handful of hand-offs per request.
    let mut file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut written: u64 = 0;
    let mut cut: Option<String> = None;
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(bytes) => {
                if written + bytes.len() as u64 > remaining {
                    let file = file.into_inner();
                    file.set_len(offset).await.map_err(io)?;
                    return Err(ApiError::new(
                        Problem::UploadTooLarge,
                        format!("more than the {remaining} remaining bytes were sent"),
                    ));
                }
                file.write_all(&bytes).await.map_err(io)?;
                if let Some(c) = checksum.as_mut() {
                    c.update(&bytes);
                }
                written += bytes.len() as u64;
            }
            Err(e) => {
                cut = Some(e.to_string());
                break;
            }
        }
    }
    file.flush().await.map_err(io)?;
    let file = file.into_inner();
    // With a checksum, a request's bytes are kept whole or not at all.
    if let Some(expected) = checksum
        && (cut.is_some() || !expected.matches())
    {
        file.set_len(offset).await.map_err(io)?;
        return Err(not_kept(cut));
    }
    let new_offset = offset + written;
    let new_offset_i64 = i64::try_from(new_offset).unwrap_or(i64::MAX);
    if cut.is_none() && new_offset == length {
        // The last byte: the object store makes the bytes durable (fsync, or the S3 service's
        // acknowledgement) and the completion moves the offset in the same transaction that
        // records the verified submission. Nothing is acknowledged before both are durable.
        drop(file);
        let from = upload.upload_offset;
        let result = finish(state, target, &part, Received::PartFile).await;
        // Storage or database trouble: keep the bytes and move the offset, so that the retry (a
        // PATCH at the final offset) need not send them again.
        if let Err(e) = &result
            && e.problem != Problem::ImageHashMismatch
            && sync_part(&part).await.is_ok()
            && (!new_file || sync_uploads_dir(state).await.is_ok())
        {
            let _ = state.db.set_upload_offset(&id, from, new_offset_i64).await;
        }
        return result;
    }
    // Durable before the offset moves: the offset is what the server promises to hold.
    file.sync_data().await.map_err(io)?;
    drop(file);
    if new_file {
        sync_uploads_dir(state).await.map_err(io)?;
    }
    advance(state, &target, new_offset, cut.as_deref()).await
}

/// Open the upload's part file for writing (created when missing).
///
/// The local store keeps a completed upload's part file as the object itself (a second link to
/// the same file, see `LocalFsStore::put_file_if_absent`); the completion then removes the part
/// file's name. When the commit after the link did not happen (the server stopped, or the
/// database failed) both names remain, and the upload's offset is still before the end: a write
/// through the part file's name would then change a stored object. So a part file with another
/// link is written no more: unless nothing is left to write (`complete`, when the completion
/// only reads it again), its name is dropped and an empty file takes its place, and the upload
/// starts over from 0 (the object stays as stored, and the completion finds it there).
async fn open_part(part: &std::path::Path, complete: bool) -> std::io::Result<tokio::fs::File> {
    let mut options = tokio::fs::OpenOptions::new();
    options.create(true).write(true).truncate(false);
    let file = options.open(part).await?;
    if complete || !also_linked_elsewhere(&file.metadata().await?) {
        return Ok(file);
    }
    drop(file);
    log::warn!(
        "{} is also a stored object; the upload starts over",
        part.display()
    );
    tokio::fs::remove_file(part).await?;
    options.open(part).await
}

/// Whether a file has more than one name (on platforms without link counts: assume not).
fn also_linked_elsewhere(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.nlink() > 1
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// fsync the folder of the part files (after creating one).
async fn sync_uploads_dir(state: &AppState) -> std::io::Result<()> {
    let dir = state.uploads_dir.clone();
    tokio::task::spawn_blocking(move || crate::store::sync_dir(&dir))
        .await
        .map_err(std::io::Error::other)?
}

/// The bytes up to `held` are durable: move the upload's offset there (from the row's offset;
/// an upload not in the database yet is created there) and answer — with where to resume when
/// the connection was `cut`.
async fn advance(
    state: &AppState,
    target: &Target,
    held: u64,
    cut: Option<&str>,
) -> Result<Written, ApiError> {
    let upload = &target.upload;
    let held_i64 = i64::try_from(held).unwrap_or(i64::MAX);
    let db_err = |e| ApiError::unavailable("database", e);
    let moved = if target.stored {
        state
            .db
            .set_upload_offset(&upload.id, upload.upload_offset, held_i64)
            .await
            .map_err(db_err)?
    } else {
        let mut row = upload.clone();
        row.upload_offset = held_i64;
        let stored = state
            .db
            .create_upload(&row, crate::now_ms())
            .await
            .map_err(db_err)?;
        if stored.id != upload.id {
            // Another request created the submission's upload meanwhile: these bytes are not
            // its bytes.
            let _ = tokio::fs::remove_file(part_path(state, &upload.id)).await;
        }
        stored.id == upload.id
    };
    if !moved {
        return Err(ApiError::new(
            Problem::OffsetConflict,
            "the upload moved on meanwhile",
        ));
    }
    if let Some(why) = cut {
        log::info!(
            "upload {}: connection cut at offset {held} of {}: {why}",
            upload.id,
            upload.upload_length
        );
        return Err(ApiError::new(
            Problem::BadRequest,
            format!("the body was cut short; {held} bytes are held, resume from there"),
        ));
    }
    let mut current = upload.clone();
    current.upload_offset = held_i64;
    Ok(Written {
        upload: current,
        receipt: None,
    })
}

/// A PATCH with `Upload-Checksum` whose bytes were not kept: cut short, or not matching.
fn not_kept(cut: Option<String>) -> ApiError {
    match cut {
        Some(why) => ApiError::new(
            Problem::BadRequest,
            format!("the body was cut short ({why}); nothing was kept"),
        ),
        None => ApiError::new(
            Problem::ChecksumMismatch,
            "the bytes received do not match Upload-Checksum; nothing was kept",
        ),
    }
}

/// Where the bytes of a completed upload are.
enum Received {
    /// All of them in the part file.
    PartFile,
    /// All of them in memory (one PATCH from offset 0); there is no part file.
    Memory(bytes::Bytes),
}

/// A PATCH carrying the whole upload from offset 0, received into memory (`permit` holds its
/// share of the memory budget).
async fn patch_whole(
    state: &AppState,
    target: Target,
    mut payload: web::Payload,
    mut checksum: Option<RequestChecksum>,
    length: u64,
    permit: tokio::sync::SemaphorePermit<'static>,
) -> Result<Written, ApiError> {
    // Received at a block-aligned address, the image goes to the local store's O_DIRECT write
    // without another copy (crate::store::buffer).
    let mut image = ObjectBuffer::with_capacity(usize::try_from(length).unwrap_or(0));
    let mut cut: Option<String> = None;
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(bytes) => {
                if !image.extend_from_slice(&bytes) {
                    return Err(ApiError::new(
                        Problem::UploadTooLarge,
                        format!("more than the {length} remaining bytes were sent"),
                    ));
                }
                if let Some(c) = checksum.as_mut() {
                    c.update(&bytes);
                }
            }
            Err(e) => {
                cut = Some(e.to_string());
                break;
            }
        }
    }
    if let Some(expected) = checksum
        && (cut.is_some() || !expected.matches())
    {
        return Err(not_kept(cut));
    }
    let part = part_path(state, &target.upload.id);
    if cut.is_none() && image.len() as u64 == length {
        // Storage or database trouble leaves the offset at 0 (or no upload at all, for one that
        // was not in the database yet): the retry sends the bytes again.
        let written = finish(state, target, &part, Received::Memory(image.into_bytes())).await?;
        drop(permit);
        return Ok(written);
    }
    // Fewer bytes (a cut connection): what arrived goes to the part file, durably, before the
    // offset moves.
    let held = image.len() as u64;
    let write_to = part.clone();
    let dir = state.uploads_dir.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        // A new file, never one left under this name: that one may be linked as an object
        // (`open_part`), and truncating it would empty the object.
        match std::fs::remove_file(&write_to) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&write_to)?;
        f.write_all(image.as_slice())?;
        f.sync_data()?;
        crate::store::sync_dir(&dir)
    })
    .await
    .map_err(|e| ApiError::internal("upload storage", e))?
    .map_err(|e| ApiError::unavailable("upload storage", e))?;
    drop(permit);
    advance(state, &target, held, cut.as_deref()).await
}

/// Buffer between the request body and the part file.
const WRITE_BUFFER: usize = 256 * 1024;

/// Request bodies kept in memory at once (next to their part files), across all uploads.
const MEMORY_BUDGET_BYTES: usize = 64 * 1024 * 1024;

/// The in-memory budget, in KiB permits; a PATCH that cannot get its share simply reads its part
/// file back on completion, so peak memory stays bounded whatever the load.
fn memory_budget() -> &'static tokio::sync::Semaphore {
    static BUDGET: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    BUDGET.get_or_init(|| tokio::sync::Semaphore::new(MEMORY_BUDGET_BYTES / 1024))
}

/// Whether the request carries at least one body byte (`Content-Length` above 0, or a first
/// chunk of a chunked body).
async fn body_not_empty(req: &HttpRequest, payload: &mut web::Payload) -> bool {
    match declared_length(req) {
        Some(n) => n > 0,
        None => matches!(payload.next().await, Some(Ok(b)) if !b.is_empty()),
    }
}

/// The request's `Content-Length`.
fn declared_length(req: &HttpRequest) -> Option<u64> {
    header(req.headers(), "Content-Length").and_then(|v| v.parse().ok())
}

/// For a request whose body is a whole upload of `length` bytes (`Content-Length`), its share of
/// the memory budget, when there is one to spare.
fn whole_body_permit(
    req: &HttpRequest,
    length: u64,
) -> Option<tokio::sync::SemaphorePermit<'static>> {
    if declared_length(req) != Some(length) {
        return None;
    }
    let kib = u32::try_from(length.div_ceil(1024)).ok()?;
    memory_budget().try_acquire_many(kib).ok()
}

async fn sync_part(part: &std::path::Path) -> std::io::Result<()> {
    tokio::fs::OpenOptions::new()
        .write(true)
        .open(part)
        .await?
        .sync_data()
        .await
}

/// The last byte has arrived: verify (hashing the image once), store the object, record, sign.
/// `target.upload` is the row as the database has it (offset before this request), or the new
/// upload the completion inserts. Returns the answer, with the verified receipt.
async fn finish(
    state: &AppState,
    target: Target,
    part: &std::path::Path,
    received: Received,
) -> Result<Written, ApiError> {
    let pool = &state.db.pool;
    let db_err = |e| ApiError::unavailable("database", e);
    let io = |e: std::io::Error| ApiError::unavailable("upload storage", e);
    let Target {
        upload,
        stored,
        known,
    } = target;
    let Known { submission, device } = match known {
        Some(known) => known,
        None => {
            let (submission, device) = db::get_submission_with_device(pool, &upload.manifest_hash)
                .await
                .map_err(db_err)?
                .ok_or_else(|| ApiError::internal("upload", "submission or device missing"))?;
            Known { submission, device }
        }
    };
    let (image, on_disk) = match received {
        Received::Memory(bytes) => (bytes, false),
        Received::PartFile => (tokio::fs::read(part).await.map_err(io)?.into(), true),
    };

    // Context for verification.
    let manifest_hash: Sha256Digest = submission
        .manifest_hash
        .parse()
        .map_err(|e| ApiError::internal("stored hash", e))?;
    let image_hash: Sha256Digest = submission
        .image_sha256
        .parse()
        .map_err(|e| ApiError::internal("stored hash", e))?;
    let manifest_bytes = match submission.manifest_bytes() {
        Some(bytes) => bytes.map_err(|e| ApiError::internal("stored manifest", e))?,
        // Rows from before the manifest column: the object store has it.
        None => state
            .store
            .get(&crate::store::ObjectKey::for_digest(&manifest_hash))
            .await
            .map_err(|e| ApiError::unavailable("object store", e))?
            .ok_or_else(|| ApiError::internal("manifest object", "missing"))?
            .to_vec(),
    };
    let signature: SignatureBytes = submission
        .signature
        .parse()
        .map_err(|e| ApiError::internal("stored signature", e))?;
    let device_key: PublicKey = device
        .device_key
        .parse()
        .map_err(|e| ApiError::internal("stored key", e))?;
    // The exact-duplicate check runs here; the near-duplicate one after the receipt
    // (crate::analysis), so the perceptual hash is not computed on the intake path.
    let related = db::related_captures(
        pool,
        &submission.image_sha256,
        &submission.device_key,
        submission.seq,
    )
    .await
    .map_err(db_err)?;
    let known_images = related
        .same_image
        .into_iter()
        .filter_map(crate::analysis::known_image)
        .collect();
    let prior_captures = related
        .chain_neighbours
        .into_iter()
        .filter(|(_, mh)| *mh != submission.manifest_hash)
        .filter_map(|(seq, mh)| {
            Some(PriorCapture {
                seq: u64::try_from(seq).ok()?,
                manifest_hash: mh.parse().ok()?,
            })
        })
        .collect();
    let package = crate::routes::elections::load_package(state, &submission.election_id).await?;
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
            if state
                .db
                .restart_upload(&upload, crate::now_ms(), why)
                .await
                .map_err(db_err)?
            {
                crate::metrics::intake::upload_reset("image_hash_mismatch");
            }
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
    }
    .map_err(|e| ApiError::unavailable("object store", e))?;

    let now = crate::now_ms();
    let verdict = report.verdict.as_str().to_owned();
    let receipt = issue_receipt(
        state,
        manifest_hash,
        submission.received_at_ms,
        ReceiptStatus::Verified,
        Some((image_hash, now)),
        Some(verdict.clone()),
    )?;
    let completion = Completion {
        manifest_hash: submission.manifest_hash.clone(),
        upload: upload.clone(),
        upload_is_new: !stored,
        now,
        verdict,
        report_json: serde_json::to_string(&report).map_err(|e| ApiError::internal("report", e))?,
        receipt_json: serde_json::to_string(&receipt)
            .map_err(|e| ApiError::internal("receipt", e))?,
    };
    let first = state
        .db
        .complete_submission(&completion)
        .await
        .map_err(db_err)?;
    state.analysis.wake();
    // The object store holds the image now; the part file (or its link) can go.
    if on_disk && let Err(e) = tokio::fs::remove_file(part).await {
        log::warn!("could not remove {}: {e}", part.display());
    }
    let mut done = upload;
    done.upload_offset = done.upload_length;
    let Some(upload_id) = first else {
        // Another request (on another server) completed the submission first: its receipt is
        // the answer, and its upload the one completed.
        return answer_as_stored(state, done).await;
    };
    done.id = upload_id;
    crate::metrics::intake::image_completed(&completion.verdict);
    done.completed_at_ms = Some(now);
    Ok(Written {
        upload: done,
        receipt: Some(completion.receipt_json),
    })
}

/// The answer for a submission already completed: the stored receipt and upload.
async fn answer_as_stored(state: &AppState, mut upload: UploadRow) -> Result<Written, ApiError> {
    let pool = &state.db.pool;
    let db_err = |e| ApiError::unavailable("database", e);
    let stored = db::get_submission(pool, &upload.manifest_hash)
        .await
        .map_err(db_err)?
        .ok_or_else(|| ApiError::internal("submission", "vanished after completion"))?;
    if let Some(current) = db::get_upload_for_manifest(pool, &upload.manifest_hash)
        .await
        .map_err(db_err)?
    {
        upload = current;
    }
    Ok(Written {
        upload,
        receipt: Some(stored.receipt),
    })
}
