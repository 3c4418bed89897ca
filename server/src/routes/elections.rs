//! Elections (Commission/RO, admin token): import a package, issue enrolment codes, revoke devices.
//! Downloading a package is public. The rules live in [`crate::elections`] and
//! [`crate::enrolment`]; these handlers parse, authorise, call and answer.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use tallyseal_core::keys::PublicKey;
use tallyseal_core::wire::enrolment_qr::encode_enrolment_payload;
use tallyseal_core::wire::{CodeRequest, CodeResponse, ImportRequest, ImportResponse};

use super::require_admin;
use crate::elections::{self, load_package};
use crate::enrolment;
use crate::error::{self, ApiError, Problem};
use crate::provenance;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/elections")
            .route(web::get().to(super::public::elections))
            .route(web::head().to(super::public::elections))
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
    let published = elections::import(&state, request).await?;
    let body = ImportResponse {
        election: published.election,
        package_hash: published.package_hash,
    };
    Ok(if published.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(body))
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
    let issued = enrolment::issue_code(&state, &election, &body).await?;
    Ok(HttpResponse::Created().json(CodeResponse {
        qr_payload: encode_enrolment_payload(
            &state.public_url,
            &election,
            &issued.code,
            provenance::package_signer_vkeys(&issued.package.signed.note, &state.package_verifiers)
                .first()
                .map(String::as_str),
        ),
        code: issued.code,
        election,
        constituency: body.constituency.clone(),
        station: body.station,
        expires_at_ms: issued.expires_at_ms,
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
    let revoked = enrolment::revoke(&state, &key, &reason).await?;
    Ok(HttpResponse::Ok().json(RevokeResponse {
        device_key: key.to_hex(),
        revoked_at_ms: revoked,
    }))
}
