//! Device enrolment: a phone sends its public key with a one-time code; the server binds
//! key ↔ station ↔ officer and returns the signed election package. The rules live in
//! [`crate::enrolment`]; this handler parses, calls and answers.

use actix_web::{HttpResponse, web};
use tallyseal_core::keys::PublicKey;
use tallyseal_core::wire::{EnrolRequest, EnrolResponse};

use crate::enrolment;
use crate::error::{self, ApiError, Problem};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/enrol")
            .route(web::post().to(enrol))
            .default_service(web::to(error::method_not_allowed)),
    );
}

async fn enrol(
    state: web::Data<AppState>,
    body: web::Json<EnrolRequest>,
) -> Result<HttpResponse, ApiError> {
    let key: PublicKey = body
        .device_key
        .parse()
        .ok()
        .filter(PublicKey::is_valid_point)
        .ok_or_else(|| {
            ApiError::new(
                Problem::BadKey,
                "device_key must be an ed25519 key (64 hex digits)",
            )
        })?;
    let officer = body.officer_name.trim();
    if officer.is_empty() || officer.len() > 200 {
        return Err(ApiError::new(
            Problem::BadRequest,
            "officer_name must be 1-200 characters",
        ));
    }
    crate::text_fields::check("officer_name", officer)?;
    let enrolled = enrolment::enrol(&state, &key, officer, &body.code).await?;
    let package = &enrolled.package;
    let device = enrolled.device;
    let body = EnrolResponse {
        device_key: device.device_key.to_hex(),
        election: device.election_id,
        constituency: device.constituency,
        station: enrolled.station,
        officer_name: device.officer_name,
        enrolled_at_ms: device.enrolled_at_ms,
        package_note: package.signed.note.clone(),
        package_hash: package.hash.to_hex(),
        commission_key: state.commission_key.public_key().to_hex(),
    };
    Ok(if enrolled.created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}
