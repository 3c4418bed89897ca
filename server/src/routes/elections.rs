//! Elections (Commission/RO, admin token): import a package, issue enrolment codes, revoke devices.
//! Downloading a package is public.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use tallyseal_core::keys::PublicKey;
use tallyseal_core::wire::enrolment_qr::encode_enrolment_payload;
use tallyseal_core::wire::{CodeRequest, CodeResponse, ImportRequest, ImportResponse};

use super::require_admin;
use crate::db;
use crate::error::{self, ApiError, Problem};
use std::sync::Arc;

use crate::provenance::{self, OpenedPackage, PackageError};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/elections")
            .route(web::post().to(import_election))
            .default_service(web::to(error::method_not_allowed)),
    )
    .service(
        web::resource("/api/v1/elections/{id}/package")
            .route(web::get().to(get_package))
            .default_service(web::to(error::method_not_allowed)),
    )
    .service(
        web::resource("/api/v1/elections/{id}/enrolment-codes")
            .route(web::post().to(issue_code))
            .default_service(web::to(error::method_not_allowed)),
    )
    .service(
        web::resource("/api/v1/devices/{key}/revoke")
            .route(web::post().to(revoke))
            .default_service(web::to(error::method_not_allowed)),
    );
}

async fn import_election(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    // Packages hold whole polling schemes: their own, larger body limit.
    let request: ImportRequest = super::read_json(
        &req,
        payload,
        state.config.limits.max_package_bytes,
        "{package} or {signed_note}",
    )
    .await?;
    let bad = |e: PackageError| ApiError::new(Problem::BadPackage, e.to_string());
    let opened = match (request.package, request.signed_note) {
        (Some(package), None) => {
            provenance::sign_package(&package, &state.package_signer).map_err(bad)?
        }
        (None, Some(note)) => {
            provenance::open_package(&note, &state.package_verifiers).map_err(bad)?
        }
        _ => {
            return Err(ApiError::new(
                Problem::MalformedJson,
                "send exactly one of \"package\" or \"signed_note\"",
            ));
        }
    };
    // `validate()` (through `sign` and `open`) has checked the id: see `is_safe_identifier`.
    let id = opened.package.election.id.clone();
    let hash = opened.hash.to_hex();
    let pool = &state.db.pool;
    let created = db::insert_election(
        &state.db.writer,
        &id,
        &opened.signed.note,
        &hash,
        crate::now_ms(),
    )
    .await
    .map_err(|e| ApiError::unavailable("database", e))?;
    if !created {
        let existing = db::get_election(pool, &id)
            .await
            .map_err(|e| ApiError::unavailable("database", e))?;
        if existing.map(|(_, h)| h) != Some(hash.clone()) {
            return Err(ApiError::new(
                Problem::ElectionExists,
                format!("election {id} already has a different package"),
            ));
        }
    }
    let body = ImportResponse {
        election: id,
        package_hash: hash,
    };
    Ok(if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(body))
}

/// The election's opened package (cached: a published package never changes).
pub async fn load_package(state: &AppState, id: &str) -> Result<Arc<OpenedPackage>, ApiError> {
    if let Some(p) = state.packages.lock().ok().and_then(|m| m.get(id).cloned()) {
        return Ok(p);
    }
    let (note, _hash) = db::get_election(&state.db.pool, id)
        .await
        .map_err(|e| ApiError::unavailable("database", e))?
        .ok_or_else(|| ApiError::new(Problem::UnknownElection, format!("no election {id:?}")))?;
    let opened = Arc::new(
        provenance::open_package(&note, &state.package_verifiers)
            .map_err(|e| ApiError::internal("stored package", e))?,
    );
    if let Ok(mut m) = state.packages.lock() {
        m.insert(id.to_owned(), opened.clone());
    }
    Ok(opened)
}

async fn get_package(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let opened = load_package(&state, &path).await?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .insert_header(("Tallyseal-Package-Hash", opened.hash.to_hex()))
        .body(opened.signed.note.clone()))
}

/// Letters and digits a person cannot confuse (no 0/O, 1/I).
const CODE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

fn new_code() -> Result<String, ApiError> {
    let mut raw = [0u8; 12];
    getrandom::getrandom(&mut raw).map_err(|e| ApiError::internal("random", e))?;
    let chars: Vec<char> = raw
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(b % 32)]))
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// The stored form of a code: SHA-256 of the normalized code (upper case, no separators).
pub fn code_hash(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    tallyseal_core::hash::sha256(normalized.as_bytes()).to_hex()
}

/// The longest an enrolment code may stay valid: 90 days.
const MAX_CODE_TTL_SECS: u64 = 90 * 24 * 3600;

async fn issue_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let body: CodeRequest = super::read_json(
        &req,
        payload,
        state.config.limits.max_json_bytes,
        "{constituency, station, ttl_secs?}",
    )
    .await?;
    let election = path.into_inner();
    let opened = load_package(&state, &election).await?;
    if opened
        .package
        .station(&body.constituency, body.station)
        .is_none()
    {
        return Err(ApiError::new(
            Problem::UnknownStation,
            format!(
                "no station {} in {} of {election}",
                body.station, body.constituency
            ),
        ));
    }
    let code = new_code()?;
    let now = crate::now_ms();
    let ttl = body
        .ttl_secs
        .unwrap_or(state.config.limits.enrolment_code_ttl_secs);
    // A code is for the days before a poll, never open-ended.
    if ttl > MAX_CODE_TTL_SECS {
        return Err(ApiError::new(
            Problem::BadRequest,
            format!("ttl_secs must be at most {MAX_CODE_TTL_SECS} (90 days)"),
        ));
    }
    let expires_at_ms =
        now.saturating_add(i64::try_from(ttl.saturating_mul(1000)).unwrap_or(i64::MAX));
    db::insert_code(
        &state.db.writer,
        &code_hash(&code),
        &election,
        &body.constituency,
        i64::from(body.station),
        now,
        expires_at_ms,
    )
    .await
    .map_err(|e| ApiError::unavailable("database", e))?;
    Ok(HttpResponse::Created().json(CodeResponse {
        qr_payload: encode_enrolment_payload(
            &state.public_url,
            &election,
            &code,
            provenance::package_signer_vkeys(&opened.signed.note, &state.package_verifiers)
                .first()
                .map(String::as_str),
        ),
        code,
        election,
        constituency: body.constituency.clone(),
        station: body.station,
        expires_at_ms,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RevokeResponse {
    pub device_key: String,
    pub revoked_at_ms: i64,
}

async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let key: PublicKey = path
        .parse()
        .map_err(|_| ApiError::new(Problem::BadKey, "device key must be 64 hex digits"))?;
    // The body is optional; one that is there must be right (a revocation is recorded for good,
    // so a reason lost to a typo could never be added).
    let reason = super::read_optional_json::<RevokeRequest>(
        &req,
        payload,
        state.config.limits.max_json_bytes,
    )
    .await?
    .map(|b| b.reason)
    .unwrap_or_default();
    crate::text_fields::check("reason", &reason)?;
    let revoked = db::revoke_device(&state.db.writer, &key.to_hex(), crate::now_ms(), &reason)
        .await
        .map_err(|e| ApiError::unavailable("database", e))?
        .ok_or_else(|| ApiError::new(Problem::UnknownDevice, "no such device"))?;
    Ok(HttpResponse::Ok().json(RevokeResponse {
        device_key: key.to_hex(),
        revoked_at_ms: revoked,
    }))
}
