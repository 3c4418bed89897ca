//! The transparency log's static files over HTTP, at the C2SP tlog-tiles paths under `/log/`:
//! `GET /log/checkpoint` (the latest checkpoint with its cosignatures, cached for seconds) and
//! `GET /log/tile/<L>/<N>[.p/<W>]`, `/log/tile/entries/<N>[.p/<W>]` (full tiles immutable, partial
//! ones short-lived). The rules are [`crate::log::publication`]'s; a CDN or nginx in front may
//! cache by these headers.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

use crate::error::{self, ApiError, Problem};
use crate::log::publication::{self, TileRequestError};
use crate::state::AppState;

/// How long a checkpoint may be cached, in seconds.
const CHECKPOINT_MAX_AGE: u32 = 2;
/// How long a partial tile may be cached, in seconds (a wider one replaces it as the log grows).
const PARTIAL_TILE_MAX_AGE: u32 = 2;

/// Tells whether a served checkpoint has reached the witness policy (`true`/`false`).
pub const WITNESSED_HEADER: &str = "Tallyseal-Log-Witnessed";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/log/checkpoint")
            .route(web::get().to(checkpoint))
            .route(web::head().to(checkpoint))
            .default_service(web::to(error::method_not_allowed)),
    )
    .service(
        web::resource("/log/tile/{rest:.*}")
            .route(web::get().to(tile))
            .route(web::head().to(tile))
            .default_service(web::to(error::method_not_allowed)),
    );
}

async fn checkpoint(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let latest = publication::latest_checkpoint(&state)
        .await?
        .ok_or_else(|| ApiError::new(Problem::NotFound, "the log has no checkpoint yet"))?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((
            CACHE_CONTROL,
            format!("public, max-age={CHECKPOINT_MAX_AGE}"),
        ))
        .insert_header((WITNESSED_HEADER, latest.witnessed.to_string()))
        .body(latest.note))
}

async fn tile(
    state: web::Data<AppState>,
    rest: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let path = format!("tile/{}", rest.into_inner());
    let found = publication::tile(&state, &path)
        .await
        .map_err(|e| match e {
            TileRequestError::BadPath(e) => ApiError::new(Problem::BadRequest, e.to_string()),
            TileRequestError::Database(e) => e.into(),
            TileRequestError::Store(e) => e.into(),
        })?;
    let tile = found.ok_or_else(|| ApiError::new(Problem::NotFound, "no such tile published"))?;
    let cache = if tile.full {
        "public, max-age=31536000, immutable".to_owned()
    } else {
        format!("public, max-age={PARTIAL_TILE_MAX_AGE}")
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/octet-stream"))
        .insert_header((CACHE_CONTROL, cache))
        .body(tile.bytes))
}
