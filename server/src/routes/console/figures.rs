//! Blind double entry, corrections and quarantine over HTTP. The rules live in
//! [`crate::figures`]; these handlers authorise, parse, call and answer.
//!
//! Under `/api/v1/console/{election}/{constituency}/figures`:
//! `POST entries/{hash}/{slot}/claim`, `GET|PUT entries/{hash}/{slot}` (own entry; save a draft),
//! `POST entries/{hash}/{slot}/submit`, `POST validate` (operators);
//! `GET|POST corrections/{hash}` (the RO); `GET quarantine`, `POST quarantine/{hash}/release`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{ConstituencyPath, allow, manifest_hash};
use crate::accounts::{Actor, Permission};
use crate::error::{self, ApiError};
use crate::figures::FiguresError;
use crate::figures::corrections::{self, SettleRequest};
use crate::figures::entries::{self, ClaimRequest, SaveRequest, ValidateRequest};
use crate::figures::quarantine::{self, ReleaseRequest};
use crate::state::AppState;

const BASE: &str = "/api/v1/console/{election}/{constituency}/figures";

pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |tail: &str| {
        web::resource(format!("{BASE}{tail}")).default_service(web::to(error::method_not_allowed))
    };
    cfg.service(resource("/entries/{hash}/{slot}/claim").route(web::post().to(claim)))
        .service(
            resource("/entries/{hash}/{slot}")
                .route(web::get().to(get_entry))
                .route(web::put().to(save_draft)),
        )
        .service(resource("/entries/{hash}/{slot}/submit").route(web::post().to(submit)))
        .service(resource("/validate").route(web::post().to(validate)))
        .service(
            resource("/corrections/{hash}")
                .route(web::get().to(get_corrections))
                .route(web::post().to(settle)),
        )
        .service(resource("/quarantine").route(web::get().to(get_quarantine)))
        .service(resource("/quarantine/{hash}/release").route(web::post().to(release)));
}

#[derive(Debug, Deserialize)]
struct EntryPath {
    #[serde(flatten)]
    c: ConstituencyPath,
    hash: String,
    slot: i64,
}

#[derive(Debug, Deserialize)]
struct HashPath {
    #[serde(flatten)]
    c: ConstituencyPath,
    hash: String,
}

async fn claim(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<EntryPath>,
    body: web::Json<ClaimRequest>,
) -> Result<HttpResponse, FiguresError> {
    let c = path.c.to_ref();
    allow(&actor, Permission::EnterFigures, &c)?;
    let hash = manifest_hash(&path.hash)?;
    let view = entries::claim(&state, &c, &actor, &hash, path.slot, &body).await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn get_entry(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<EntryPath>,
) -> Result<HttpResponse, ApiError> {
    let c = path.c.to_ref();
    allow(&actor, Permission::EnterFigures, &c)?;
    let hash = manifest_hash(&path.hash)?;
    Ok(HttpResponse::Ok().json(entries::get(&state, &c, &actor, &hash, path.slot).await?))
}

async fn save_draft(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<EntryPath>,
    body: web::Json<SaveRequest>,
) -> Result<HttpResponse, FiguresError> {
    save(&state, &actor, &path, &body, false).await
}

async fn submit(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<EntryPath>,
    body: web::Json<SaveRequest>,
) -> Result<HttpResponse, FiguresError> {
    save(&state, &actor, &path, &body, true).await
}

/// Save an entry as a draft, or submit it.
async fn save(
    state: &AppState,
    actor: &Actor,
    path: &EntryPath,
    body: &SaveRequest,
    submit: bool,
) -> Result<HttpResponse, FiguresError> {
    let c = path.c.to_ref();
    allow(actor, Permission::EnterFigures, &c)?;
    let hash = manifest_hash(&path.hash)?;
    let view = entries::save(state, &c, actor, &hash, path.slot, body, submit).await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn validate(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ConstituencyPath>,
    body: web::Json<ValidateRequest>,
) -> Result<HttpResponse, ApiError> {
    let c = path.to_ref();
    allow(&actor, Permission::EnterFigures, &c)?;
    manifest_hash(&body.manifest_hash)?;
    Ok(HttpResponse::Ok().json(entries::validate_typed(&state, &c, &body).await?))
}

async fn get_corrections(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<HashPath>,
) -> Result<HttpResponse, ApiError> {
    let c = path.c.to_ref();
    allow(&actor, Permission::SettleCorrections, &c)?;
    let hash = manifest_hash(&path.hash)?;
    Ok(HttpResponse::Ok().json(corrections::view(&state, &c, &hash).await?))
}

async fn settle(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<HashPath>,
    body: web::Json<SettleRequest>,
) -> Result<HttpResponse, FiguresError> {
    let c = path.c.to_ref();
    allow(&actor, Permission::SettleCorrections, &c)?;
    let hash = manifest_hash(&path.hash)?;
    Ok(HttpResponse::Ok().json(corrections::settle(&state, &c, &actor, &hash, &body).await?))
}

async fn get_quarantine(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ConstituencyPath>,
) -> Result<HttpResponse, ApiError> {
    let c = path.to_ref();
    allow(&actor, Permission::ViewResults, &c)?;
    Ok(HttpResponse::Ok().json(quarantine::list(&state, &c).await?))
}

async fn release(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<HashPath>,
    body: web::Json<ReleaseRequest>,
) -> Result<HttpResponse, FiguresError> {
    let c = path.c.to_ref();
    allow(&actor, Permission::ReleaseQuarantine, &c)?;
    let hash = manifest_hash(&path.hash)?;
    Ok(HttpResponse::Ok().json(quarantine::release(&state, &c, &actor, &hash, &body).await?))
}
