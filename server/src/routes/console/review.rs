//! The review of one capture: `GET /api/v1/console/{election}/{constituency}/captures/{hash}`
//! (the JSON the page renders), `…/image` (the bytes, with their type), `…/map.svg` (the fence
//! and the position) and `POST …/decisions` (accept, reject, ask for a new capture).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::authorised;
use crate::accounts::{Actor, Permission};
use crate::db::DecisionRow;
use crate::error::{self, ApiError, PROBLEM_BASE, Problem};
use crate::review::{self, DecisionRefused, DecisionRequest};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource =
        |path: &str| web::resource(path).default_service(web::to(error::method_not_allowed));
    let base = "/api/v1/console/{election}/{constituency}/captures/{hash}";
    cfg.service(resource(base).route(web::get().to(capture)))
        .service(resource(&format!("{base}/image")).route(web::get().to(image)))
        .service(resource(&format!("{base}/map.svg")).route(web::get().to(map)))
        .service(resource(&format!("{base}/decisions")).route(web::post().to(decide)));
}

type CapturePath = web::Path<(String, String, String)>;

/// The path's manifest hash, checked (64 lowercase hex digits).
fn hash_of(hash: &str) -> Result<String, ApiError> {
    hash.parse::<tallyseal_core::hash::Sha256Digest>()
        .map(|d| d.to_hex())
        .map_err(|_| ApiError::new(Problem::NotFound, "manifest hash must be 64 hex digits"))
}

async fn capture(
    state: web::Data<AppState>,
    actor: Actor,
    path: CapturePath,
) -> Result<HttpResponse, ApiError> {
    let (election, constituency, hash) = path.into_inner();
    let c = authorised(&actor, Permission::ViewBoard, &election, &constituency)?;
    let review = review::capture_review(&state, &c, &hash_of(&hash)?).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(review))
}

async fn image(
    state: web::Data<AppState>,
    actor: Actor,
    path: CapturePath,
) -> Result<HttpResponse, ApiError> {
    let (election, constituency, hash) = path.into_inner();
    let c = authorised(&actor, Permission::ViewBoard, &election, &constituency)?;
    let (bytes, media_type) = review::capture_image(&state, &c, &hash_of(&hash)?).await?;
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        // Content-addressed: the bytes of a manifest hash never change; private to the console.
        .insert_header(("Cache-Control", "private, max-age=31536000, immutable"))
        .body(bytes))
}

async fn map(
    state: web::Data<AppState>,
    actor: Actor,
    path: CapturePath,
) -> Result<HttpResponse, ApiError> {
    let (election, constituency, hash) = path.into_inner();
    let c = authorised(&actor, Permission::ViewBoard, &election, &constituency)?;
    let svg = review::capture_map(&state, &c, &hash_of(&hash)?).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .insert_header(("Cache-Control", "private, no-cache"))
        .body(svg))
}

/// A 409 problem carrying the decision in force (RFC 9457 extension member `current`).
#[derive(Serialize)]
struct ConflictBody<'a> {
    #[serde(rename = "type")]
    type_uri: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    current: Option<&'a DecisionRow>,
}

fn conflict(problem: Problem, detail: &str, current: Option<&DecisionRow>) -> HttpResponse {
    let body = ConflictBody {
        type_uri: format!("{PROBLEM_BASE}{}", problem.slug()),
        title: problem.title(),
        status: problem.status().as_u16(),
        detail,
        current,
    };
    HttpResponse::build(problem.status())
        .content_type("application/problem+json")
        .body(serde_json::to_vec(&body).unwrap_or_default())
}

async fn decide(
    state: web::Data<AppState>,
    actor: Actor,
    path: CapturePath,
    body: web::Json<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let (election, constituency, hash) = path.into_inner();
    let c = authorised(&actor, Permission::ReviewCapture, &election, &constituency)?;
    let hash = hash_of(&hash)?;
    match review::record_decision(&state, &actor, &c, &hash, &body).await {
        Ok(recorded) => Ok(HttpResponse::build(if recorded.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        })
        .json(recorded.decision)),
        Err(DecisionRefused::Problem(e)) => Err(e),
        Err(DecisionRefused::Stale(current)) => Ok(conflict(
            Problem::StaleVersion,
            "supersedes must name the capture's latest decision (current)",
            current.as_deref(),
        )),
        Err(DecisionRefused::IdReused(existing)) => Ok(conflict(
            Problem::DecisionIdReused,
            "this decision id is another decision's (current)",
            Some(&existing),
        )),
    }
}
