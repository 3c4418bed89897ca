//! The tus 1.0.0 protocol's side of an upload: its headers (`Tus-Resumable`, `Upload-Length`,
//! `Upload-Offset`, `Upload-Metadata`, `Upload-Checksum`), the device's upload authorisation
//! header, and the answers' headers (offsets, `Location`, the receipt). No state, no I/O.

use actix_web::http::header::HeaderMap;
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use sha2::{Digest, Sha256};
use tallyseal_core::seal::UPLOAD_AUTH_HEADER;

use crate::error::{ApiError, Problem};
use crate::intake::uploads::{UploadRow, Written};
use crate::provenance::RECEIPT_HEADER;

pub(super) const TUS_VERSION: &str = "1.0.0";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

pub(super) fn check_tus_version(req: &HttpRequest) -> Result<(), ApiError> {
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

pub(super) fn parse_u64_header(req: &HttpRequest, name: &str) -> Result<u64, ApiError> {
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
pub(super) fn metadata_value(req: &HttpRequest, wanted: &str) -> Result<Option<String>, ApiError> {
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

pub(super) fn upload_response(
    mut builder: actix_web::HttpResponseBuilder,
    u: &UploadRow,
) -> HttpResponse {
    builder
        .insert_header(("Tus-Resumable", TUS_VERSION))
        .insert_header(("Upload-Offset", u.upload_offset.to_string()))
        .insert_header(("Upload-Length", u.upload_length.to_string()))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// A creation's answer, for the upload `id`.
pub(super) fn created(id: &str) -> actix_web::HttpResponseBuilder {
    let mut builder = HttpResponse::Created();
    builder.insert_header(("Location", format!("/api/v1/uploads/{id}")));
    builder
}

/// A PATCH's `Upload-Checksum`: the algorithm's running state and the expected digest.
pub(super) enum RequestChecksum {
    Sha256(Sha256, Vec<u8>),
    /// tus clients' common default (tuspy); integrity only, the image itself is checked by SHA-256.
    Sha1(sha1::Sha1, Vec<u8>),
}

impl RequestChecksum {
    pub(super) fn update(&mut self, bytes: &[u8]) {
        match self {
            RequestChecksum::Sha256(h, _) => h.update(bytes),
            RequestChecksum::Sha1(h, _) => h.update(bytes),
        }
    }

    pub(super) fn matches(self) -> bool {
        match self {
            RequestChecksum::Sha256(h, want) => h.finalize().as_slice() == want.as_slice(),
            RequestChecksum::Sha1(h, want) => h.finalize().as_slice() == want.as_slice(),
        }
    }
}

/// Parse `Upload-Checksum: <sha256|sha1> <base64>`.
pub(super) fn expected_checksum(req: &HttpRequest) -> Result<Option<RequestChecksum>, ApiError> {
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

/// Whether the request's body is upload bytes (`Content-Type: application/offset+octet-stream`).
pub(super) fn carries_bytes(req: &HttpRequest) -> bool {
    header(req.headers(), "Content-Type") == Some("application/offset+octet-stream")
}

pub(super) fn busy() -> ApiError {
    ApiError::new(
        Problem::UploadBusy,
        "another request is writing this upload",
    )
}

/// The answer, with the receipt (when the request completed the upload) in
/// [`RECEIPT_HEADER`], so the client need not ask for it with `GET /api/v1/captures/{hash}`.
pub(super) fn written_response(
    mut builder: actix_web::HttpResponseBuilder,
    w: &Written,
) -> HttpResponse {
    if let Some(json) = &w.receipt {
        builder.insert_header((
            RECEIPT_HEADER,
            base64::engine::general_purpose::STANDARD.encode(json),
        ));
    }
    upload_response(builder, &w.upload)
}

/// The request's `Content-Length`.
pub(super) fn declared_length(req: &HttpRequest) -> Option<u64> {
    header(req.headers(), "Content-Length").and_then(|v| v.parse().ok())
}

/// The device's upload authorisation ([`UPLOAD_AUTH_HEADER`]), checked by
/// [`crate::intake::uploads::authorise`].
pub(super) fn upload_auth(req: &HttpRequest) -> Option<&str> {
    header(req.headers(), UPLOAD_AUTH_HEADER)
}
