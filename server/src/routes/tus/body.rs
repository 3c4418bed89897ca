//! Receiving an upload request's bytes: into memory when the request carries the whole image
//! (within a fixed memory budget), else streamed into the upload's part file; durable before the
//! offset moves, kept whole or not at all under `Upload-Checksum`, and what arrived before a cut
//! connection held so the client resumes from there. The last byte hands over to
//! [`crate::intake::completion`].

use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::protocol::{RequestChecksum, declared_length};
use crate::error::{ApiError, Problem};
use crate::intake::completion::complete;
use crate::intake::parts::{open_part, part_path, sync_part, sync_uploads_dir, write_new_part};
use crate::intake::uploads::{Received, Target, UploadRestart, Written, advance, hold, restart};
use crate::state::AppState;
use crate::store::buffer::ObjectBuffer;

/// Append the request's bytes at `client_offset` of `upload` (the row as read under the
/// upload's lease): the body of a PATCH, or of a creation request (`creation-with-upload`).
pub(super) async fn receive(
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
        let _ = restart(state, upload, UploadRestart::BytesMissing).await;
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
        let result = complete(state, target, &part, Received::PartFile).await;
        // Storage or database trouble: keep the bytes and move the offset, so that the retry (a
        // PATCH at the final offset) need not send them again.
        if let Err(e) = &result
            && e.problem != Problem::ImageHashMismatch
            && sync_part(&part).await.is_ok()
            && (!new_file || sync_uploads_dir(state).await.is_ok())
        {
            let _ = hold(state, &id, from, new_offset_i64).await;
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

/// A PATCH carrying the whole upload from offset 0, received into memory (`permit` holds its
/// share of the memory budget).
pub(super) async fn patch_whole(
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
        let written = complete(state, target, &part, Received::Memory(image.into_bytes())).await?;
        drop(permit);
        return Ok(written);
    }
    // Fewer bytes (a cut connection): what arrived goes to the part file, durably, before the
    // offset moves.
    let held = image.len() as u64;
    write_new_part(state, part, image).await?;
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

/// For a request whose body is a whole upload of `length` bytes (`Content-Length`), its share of
/// the memory budget, when there is one to spare.
pub(super) fn whole_body_permit(
    req: &HttpRequest,
    length: u64,
) -> Option<tokio::sync::SemaphorePermit<'static>> {
    if declared_length(req) != Some(length) {
        return None;
    }
    let kib = u32::try_from(length.div_ceil(1024)).ok()?;
    memory_budget().try_acquire_many(kib).ok()
}

/// Whether the request carries at least one body byte (`Content-Length` above 0, or a first
/// chunk of a chunked body).
async fn body_not_empty(req: &HttpRequest, payload: &mut web::Payload) -> bool {
    match declared_length(req) {
        Some(n) => n > 0,
        None => matches!(payload.next().await, Some(Ok(b)) if !b.is_empty()),
    }
}
