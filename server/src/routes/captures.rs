//! Intake step one over HTTP: `POST /api/v1/captures` (the signed manifest, hash first) and
//! `GET /api/v1/captures/{manifest_hash}` (its receipt and report). The rules live in
//! [`crate::intake`]; these handlers parse, call and answer.

use actix_web::{HttpResponse, web};
use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::wire::ManifestSubmission;

use crate::error::{self, ApiError, Problem};
use crate::intake;
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

async fn submit_manifest(
    state: web::Data<AppState>,
    body: web::Json<ManifestSubmission>,
) -> Result<HttpResponse, ApiError> {
    let accepted = intake::accept_manifest(&state, &body).await?;
    Ok(if accepted.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(accepted.response))
}

async fn get_capture(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hash: Sha256Digest = path
        .parse()
        .map_err(|_| ApiError::new(Problem::NotFound, "manifest hash must be 64 hex digits"))?;
    Ok(HttpResponse::Ok().json(intake::capture_status(&state, &hash).await?))
}
