//! Uploads of a capture's image (the tus protocol's state, not its headers): which upload a
//! request's bytes go to, who may write it (the device's upload authorisation, checked by the
//! core), the rules for creating one (its length is the signed image's, a device holds only so
//! many unfinished uploads at once), and moving its offset once bytes are durable.
//!
//! The HTTP side (headers, bodies) is the tus route (`routes/tus/`); completion is
//! [`crate::intake::completion`]. This module never reads a request.

use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::keys::SignatureBytes;

use crate::db::{self, DeviceKeyHex, Sha256Hex};
use crate::error::{ApiError, Problem};
use crate::intake::parts::part_path;
use crate::provenance;
use crate::state::AppState;

/// The upload a request's bytes go to.
#[derive(Debug)]
pub struct Target {
    /// Its row, as read under the upload's lease (offset before this request).
    pub upload: UploadRow,
    /// Whether the row is in the database; a creation request carrying the whole image has its
    /// upload's row written only with the completion.
    pub stored: bool,
    /// The submission and device, when the request has read them already.
    pub known: Option<Known>,
}

/// A submission and the device that signed it, as read from the database.
#[derive(Debug)]
pub struct Known {
    pub submission: db::SubmissionRow,
    pub device: db::DeviceRow,
}

/// An upload id is 32 lowercase hex digits; anything else names no upload.
pub fn valid_id(id: &str) -> Result<(), ApiError> {
    if id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(ApiError::new(Problem::UploadNotFound, "no such upload"))
    }
}

/// The upload `id`, as the database has it.
pub async fn load_upload(state: &AppState, id: &str) -> Result<UploadRow, ApiError> {
    valid_id(id)?;
    db::get_upload(&state.db.pool, id)
        .await?
        .ok_or_else(|| ApiError::new(Problem::UploadNotFound, "no such upload"))
}

/// Every tus request for a capture's image must carry its device's upload authorisation
/// (`Tallyseal-Upload-Auth`: the device's signature over the manifest hash, see
/// `tallyseal_core::seal::upload_auth`); `presented` is that header's value. The manifest hash is
/// public (agents' copies, bundles, the next capture's chain link); without this anyone who read
/// it could create, probe, and write garbage into the upload, or hold its lease, and so keep a
/// station's image from arriving. The image itself is protected by the signed hash either way.
pub fn authorise(
    presented: Option<&str>,
    device_key: &DeviceKeyHex,
    manifest_hash: &Sha256Hex,
) -> Result<(), ApiError> {
    let refused = |detail: &str| ApiError::new(Problem::UploadAuth, detail);
    let value = presented.ok_or_else(|| {
        refused("the request must carry Tallyseal-Upload-Auth: the device's signature over the manifest hash")
    })?;
    let auth: SignatureBytes = value
        .trim()
        .parse()
        .map_err(|_| refused("Tallyseal-Upload-Auth must be 128 hex digits"))?;
    if provenance::verify_upload_auth(&device_key.get(), &manifest_hash.digest(), &auth) {
        Ok(())
    } else {
        Err(refused(
            "Tallyseal-Upload-Auth is not the capture's device's signature over its manifest hash",
        ))
    }
}

/// What a creation request finds: the submission and its device, and the submission's upload
/// when there is one already.
#[derive(Debug)]
pub struct ForCreation {
    pub known: Known,
    pub existing: Option<UploadRow>,
}

/// The submission `manifest_hash` an upload of `length` bytes is being created for, checked: the
/// request is the device's (`presented`, see [`authorise`]), the length is the signed image's,
/// and a new upload stays within the device's unfinished-upload slots.
pub async fn for_creation(
    state: &AppState,
    manifest_hash: &Sha256Digest,
    length: u64,
    presented: Option<&str>,
) -> Result<ForCreation, ApiError> {
    let limits = &state.config.limits;
    let idle_ms =
        i64::try_from(limits.upload_slot_idle_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let db::UploadContext {
        submission,
        device,
        upload: existing,
        open_uploads: open,
    } = db::get_upload_context(
        &state.db.pool,
        &manifest_hash.to_hex(),
        crate::now_ms().saturating_sub(idle_ms),
    )
    .await?
    .ok_or_else(|| ApiError::new(Problem::UnknownSubmission, "send the signed manifest first"))?;
    authorise(presented, &submission.device_key, &submission.manifest_hash)?;
    if i64::try_from(length).ok() != Some(submission.image_bytes) {
        return Err(ApiError::new(
            Problem::UploadLengthMismatch,
            format!(
                "Upload-Length is {length} but the signed image is {} bytes",
                submission.image_bytes
            ),
        ));
    }
    let slots = limits.upload_slots_per_device;
    if existing.is_none() && open >= i64::from(slots) {
        return Err(ApiError::new(
            Problem::TooManyUploads,
            format!("the device already has {open} unfinished uploads; finish one first"),
        ));
    }
    Ok(ForCreation {
        known: Known { submission, device },
        existing,
    })
}

/// A new upload for a submission (not in the database yet).
pub fn new_upload(submission: &db::SubmissionRow) -> Result<UploadRow, ApiError> {
    Ok(UploadRow {
        id: crate::random_hex(16).map_err(|e| ApiError::internal("random", e))?,
        manifest_hash: submission.manifest_hash,
        device_key: submission.device_key,
        upload_length: submission.image_bytes,
        upload_offset: 0,
        completed_at_ms: None,
    })
}

/// Create `row` in the database unless the submission has an upload already; returns the
/// submission's upload (this one or the one another request created first).
pub async fn create_upload(state: &AppState, row: &UploadRow) -> Result<UploadRow, ApiError> {
    Ok(state.db.create_upload(row, crate::now_ms()).await?)
}

/// The upload after a request that carried bytes, and the signed receipt (JSON) when that
/// request completed it.
#[derive(Debug)]
pub struct Written {
    pub upload: UploadRow,
    pub receipt: Option<String>,
}

pub use crate::db::{UploadRestart, UploadRow};

/// Start `upload` over from offset 0 (from its offset as read), with an event saying `why`
/// (and the metric counting it); false when it moved on meanwhile.
pub async fn restart(
    state: &AppState,
    upload: &UploadRow,
    why: UploadRestart,
) -> Result<bool, sqlx::Error> {
    let reason = match &why {
        UploadRestart::Expired => "expired",
        UploadRestart::ImageHashMismatch { .. } => "image_hash_mismatch",
        UploadRestart::BytesMissing => "bytes_missing",
    };
    let restarted = state
        .db
        .restart_upload(upload, crate::now_ms(), why)
        .await?;
    if restarted {
        crate::metrics::intake::upload_reset(reason);
    }
    Ok(restarted)
}

/// Move the upload `id`'s offset from `from` to `to` (bytes up to `to` are durable in its part
/// file); false when it was not at `from` any more.
pub async fn hold(state: &AppState, id: &str, from: i64, to: i64) -> Result<bool, sqlx::Error> {
    state.db.set_upload_offset(id, from, to).await
}

/// The bytes up to `held` are durable: move the upload's offset there (from the row's offset;
/// an upload not in the database yet is created there) and answer — with where to resume when
/// the connection was `cut`.
pub async fn advance(
    state: &AppState,
    target: &Target,
    held: u64,
    cut: Option<&str>,
) -> Result<Written, ApiError> {
    let upload = &target.upload;
    let held_i64 = i64::try_from(held).unwrap_or(i64::MAX);
    let moved = if target.stored {
        state
            .db
            .set_upload_offset(&upload.id, upload.upload_offset, held_i64)
            .await?
    } else {
        let mut row = upload.clone();
        row.upload_offset = held_i64;
        let stored = state.db.create_upload(&row, crate::now_ms()).await?;
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

/// Where the bytes of a completed upload are.
#[derive(Debug)]
pub enum Received {
    /// All of them in the part file.
    PartFile,
    /// All of them in memory (one PATCH from offset 0); there is no part file.
    Memory(bytes::Bytes),
}
