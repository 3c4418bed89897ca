//! Device enrolment: a phone sends its public key with a one-time code; the server binds
//! key ↔ station ↔ officer and returns the signed election package.

use actix_web::{HttpResponse, web};
use tallyseal_core::keys::PublicKey;
use tallyseal_core::wire::{EnrolRequest, EnrolResponse};

use crate::db::{self, DeviceRow, EnrolOutcome};
use crate::error::{self, ApiError, Problem};
use crate::routes::elections::{code_hash, load_package};
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
    let pool = &state.db.pool;
    let db_err = |e| ApiError::unavailable("database", e);
    let hash = code_hash(&body.code);
    let code = db::get_code(pool, &hash)
        .await
        .map_err(db_err)?
        .ok_or_else(|| ApiError::new(Problem::UnknownCode, "no such enrolment code"))?;
    let now = crate::now_ms();
    let station =
        u32::try_from(code.station).map_err(|e| ApiError::internal("stored station number", e))?;

    let respond = |created: bool, device: DeviceRow, note: String, package_hash: String| {
        let body = EnrolResponse {
            device_key: device.device_key,
            election: device.election_id,
            constituency: device.constituency,
            station,
            officer_name: device.officer_name,
            enrolled_at_ms: device.enrolled_at_ms,
            package_note: note,
            package_hash,
            commission_key: state.commission_key.public_key().to_hex(),
        };
        if created {
            HttpResponse::Created().json(body)
        } else {
            HttpResponse::Ok().json(body)
        }
    };
    let opened = load_package(&state, &code.election_id).await?;
    let (note, package_hash) = (opened.signed.note.clone(), opened.hash.to_hex());

    if code.used_at_ms.is_some() {
        let d = enrolment_again(pool, &code, &key).await?;
        return Ok(respond(false, d, note, package_hash));
    }
    if now >= code.expires_at_ms {
        return Err(ApiError::new(
            Problem::ExpiredCode,
            "this enrolment code has expired",
        ));
    }
    let device = DeviceRow {
        device_key: key.to_hex(),
        election_id: code.election_id.clone(),
        constituency: code.constituency.clone(),
        station: code.station,
        officer_name: officer.to_owned(),
        enrolled_at_ms: now,
        revoked_at_ms: None,
    };
    match db::enrol_device(&state.db.writer, &hash, &device)
        .await
        .map_err(db_err)?
    {
        EnrolOutcome::Enrolled => Ok(respond(true, device, note, package_hash)),
        EnrolOutcome::CodeUsed => {
            // Used between our read and our write, perhaps by this very key (the same phone
            // retrying at once, its first request having won): answered like any retry.
            let code = db::get_code(pool, &hash)
                .await
                .map_err(db_err)?
                .ok_or_else(code_used)?;
            let d = enrolment_again(pool, &code, &key).await?;
            Ok(respond(false, d, note, package_hash))
        }
        EnrolOutcome::KeyTaken => Err(ApiError::new(
            Problem::DeviceAlreadyEnrolled,
            "this device key is already enrolled; generate a new key to enrol again",
        )),
    }
}

fn code_used() -> ApiError {
    ApiError::new(
        Problem::CodeUsed,
        "this enrolment code has already been used",
    )
}

/// The enrolment a used `code` made, for the key that used it (the same phone retrying after a
/// lost response); any other key, even one enrolled at the same station, is told the code is
/// used.
async fn enrolment_again(
    pool: &sqlx::AnyPool,
    code: &db::CodeRow,
    key: &PublicKey,
) -> Result<DeviceRow, ApiError> {
    if code.used_by_key.as_deref() != Some(key.to_hex().as_str()) {
        return Err(code_used());
    }
    match db::get_device(pool, &key.to_hex())
        .await
        .map_err(|e| ApiError::unavailable("database", e))?
    {
        Some(d)
            if d.election_id == code.election_id
                && d.constituency == code.constituency
                && d.station == code.station
                && d.revoked_at_ms.is_none() =>
        {
            Ok(d)
        }
        _ => Err(code_used()),
    }
}
