//! HTTP routes, grouped by domain. The API is described in `docs/server-api.md`.
//!
//! - [`elections`]: package import and download, enrolment codes, device revocation (admin).
//! - [`enrol`]: a phone enrols its key with a one-time code.
//! - [`captures`]: the signed manifest (hash first), receipts and reports.
//! - [`console`]: the RO console's JSON API (figures, quarantine, Forms 47/48/49).
//! - [`tus`]: the image, over tus 1.0 (creation and checksum extensions).
//! - [`log`]: the transparency log's checkpoint and tiles (C2SP tlog-tiles, under `/log/`).
//! - [`public`]: the public portal's open data (elections, ledger, results, bundles, OpenAPI).
//! - [`portal`]: the public portal's pages under `/portal`.
//! - this module: health, public keys, time anchors.

pub mod captures;
pub mod console;
pub mod elections;
pub mod enrol;
pub mod log;
pub mod portal;
pub mod public;
pub mod tus;

use actix_web::{HttpRequest, HttpResponse, web};
use tallyseal_core::wire::{KeysResponse, LogKeyChange, TimeAnchorRequest};

use crate::error::{self, ApiError, Problem};
use crate::provenance;
use crate::state::AppState;

/// Register every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource =
        |path: &str| web::resource(path).default_service(web::to(error::method_not_allowed));
    cfg.service(resource("/api/v1/health").route(web::get().to(health)))
        .service(resource("/api/v1/keys").route(web::get().to(keys)))
        .service(resource("/api/v1/time-anchor").route(web::post().to(time_anchor)))
        .configure(elections::configure)
        .configure(enrol::configure)
        .configure(captures::configure)
        .configure(console::configure)
        .configure(tus::configure)
        .configure(log::configure)
        .configure(public::configure)
        .configure(portal::configure);
}

/// Require `Authorization: Bearer <admin token>`, as read by
/// [`crate::bearer_challenge::bearer_token`] (the 401's challenge reads it the same way).
pub fn require_admin(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    match crate::bearer_challenge::bearer_token(req.headers()) {
        Some(t) if state.admin_token.matches(t) => Ok(()),
        Some(_) => Err(ApiError::new(
            Problem::Unauthorized,
            "the bearer token is not valid",
        )),
        None => Err(ApiError::new(
            Problem::Unauthorized,
            "Authorization: Bearer <token> required",
        )),
    }
}

/// An optional JSON body of at most `limit` bytes, for handlers that must check the caller
/// before they read it (admin endpoints): `None` for an empty body; otherwise it must be
/// `application/json` (415) and parse as a `T` (400), like `web::Json`.
pub async fn read_optional_json<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Option<T>, ApiError> {
    let body = read_body(req, payload, limit).await?;
    if body.is_empty() {
        return Ok(None);
    }
    let json = actix_web::HttpMessage::mime_type(req)
        .ok()
        .flatten()
        .is_some_and(|m| {
            m.type_() == "application"
                && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
        });
    if !json {
        return Err(ApiError::new(
            Problem::UnsupportedMediaType,
            "expected Content-Type: application/json",
        ));
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| ApiError::new(Problem::MalformedJson, e.to_string()))
}

/// A JSON body that must be there ([`read_optional_json`]); an empty one is a 400 whose detail
/// names the shape expected.
pub async fn read_json<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    shape: &str,
) -> Result<T, ApiError> {
    read_optional_json(req, payload, limit)
        .await?
        .ok_or_else(|| ApiError::new(Problem::MalformedJson, format!("the body must be {shape}")))
}

/// Read a whole request body of at most `limit` bytes (problem+json on overflow).
pub async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    use futures_util::StreamExt;
    let too_large = || {
        ApiError::new(
            Problem::BodyTooLarge,
            format!("body exceeds the limit of {limit} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::new(Problem::BadRequest, format!("reading the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Liveness (the database answers) and the near-duplicate analysis backlog: captures verified but
/// not yet compared with the other stations' images, and how long the oldest has waited.
async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let backlog = crate::analysis::backlog(&state).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "analysis": {"waiting": backlog.waiting, "oldest_waiting_ms": backlog.oldest_waiting_ms},
    })))
}

async fn keys(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let key = state.commission_key.public_key();
    let changes = crate::db::log_key_changes(&state.db.pool)
        .await?
        .into_iter()
        .map(|c| LogKeyChange {
            old_vkey: c.old_vkey,
            new_vkey: c.new_vkey,
            leaf_index: u64::try_from(c.leaf_index).unwrap_or(0),
            from_size: u64::try_from(c.from_size).unwrap_or(0),
            boundary: c.boundary,
        })
        .collect();
    Ok(HttpResponse::Ok().json(KeysResponse {
        commission_key: key.to_hex(),
        note_verifier: state.package_signer.verifier().to_vkey(),
        commission_name: state.config.commission_name.clone(),
        package_verifiers: state
            .package_verifiers
            .iter()
            .map(|v| v.to_vkey())
            .collect(),
        log_origin: state.log.origin.clone(),
        log_vkey: state.log.vkey(),
        witness_vkeys: state.log.witness_vkeys(),
        witness_policy: state.log.policy,
        log_key_changes: changes,
    }))
}

/// Bound the server claims on its own clock error, ms.
const SERVER_CLOCK_UNCERTAINTY_MS: u64 = 1_000;

async fn time_anchor(
    state: web::Data<AppState>,
    body: web::Json<TimeAnchorRequest>,
) -> Result<HttpResponse, ApiError> {
    let nonce = &body.nonce;
    if nonce.is_empty() || nonce.len() > 128 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::new(
            Problem::BadRequest,
            "nonce must be 1-128 hex digits",
        ));
    }
    let anchor = provenance::issue_time_anchor(
        &state.commission_key,
        &nonce.to_ascii_lowercase(),
        crate::now_ms(),
        SERVER_CLOCK_UNCERTAINTY_MS,
    )
    .map_err(|e| ApiError::internal("time anchor", e))?;
    Ok(HttpResponse::Ok().json(anchor))
}
