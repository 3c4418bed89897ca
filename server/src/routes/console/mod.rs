//! The console: its pages under `/console` and its session API (thin: parse, authorise, call the
//! accounts service, render): `/console` (home), `/console/login`, `/console/logout`,
//! `/console/operators`, the board and review pages ([`board_page`]: `/console/{election}` and
//! `…/{constituency}/board`; [`review_page`]: `…/captures/{hash}` and its decisions), the figures
//! pages ([`figure_pages`]: double entry, corrections, quarantine, Forms 47/48/49), and
//! `GET /api/v1/console/session` (who is signed in, with the anti-forgery token for htmx and
//! JSON clients). The session layer (`web::session_layer`) has
//! already resolved the session and refused forged state-changing requests.
//!
//! The JSON API under `/api/v1/console/{election}/{constituency}/…`: every handler
//! takes the signed-in [`crate::accounts::Actor`] and asks [`crate::accounts::authorize`] before
//! it reads or writes anything.
//!
//! - [`board`]: the arrival board, its live events and the national summary;
//! - [`review`]: the review of a capture with its image, map and decisions;
//! - [`figures`]: blind double entry, corrections and quarantine;
//! - [`forms`]: Forms 47, 48 and 49, postal ballots and exports.
//!
//! Handlers parse, authorise (403, and nothing read or stored), call a service and map the answer.

mod board;
mod board_page;
mod figure_pages;
pub mod figures;
pub mod forms;
mod home;
mod login;
mod operators;
mod review;
mod review_page;
mod session_api;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use serde::Deserialize;

use crate::accounts::{Actor, ConstituencyRef, Permission, SignedIn, authorize};
use crate::error::{ApiError, PROBLEM_BASE, Problem};
use crate::figures::FiguresError;
use crate::web::page;

/// Register the console's routes: its pages in the `/console` scope (whose unknown paths get the
/// HTML 404 page) and the JSON API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .route("", web::get().to(home::home))
            .route("/", web::get().to(home::home))
            .route("/login", web::get().to(login::form))
            .route("/login", web::post().to(login::submit))
            .route("/logout", web::post().to(login::logout))
            .route("/operators", web::get().to(operators::list))
            .route("/operators", web::post().to(operators::create))
            .route(
                "/operators/{user_id}/disable",
                web::post().to(operators::disable),
            )
            .route("/{election}", web::get().to(board_page::national))
            .route(
                "/{election}/{constituency}/board",
                web::get().to(board_page::board),
            )
            .route(
                "/{election}/{constituency}/captures/{hash}",
                web::get().to(review_page::show),
            )
            .route(
                "/{election}/{constituency}/captures/{hash}/decisions",
                web::post().to(review_page::decide),
            )
            .configure(figure_pages::configure)
            .default_service(web::to(not_found)),
    );
    cfg.route(
        "/api/v1/console/session",
        web::get().to(session_api::session),
    );
    cfg.configure(board::configure)
        .configure(review::configure)
        .configure(figures::configure)
        .configure(forms::configure);
}

/// The election and constituency every console path starts with.
#[derive(Debug, Clone, Deserialize)]
pub struct ConstituencyPath {
    pub election: String,
    pub constituency: String,
}

impl ConstituencyPath {
    pub fn to_ref(&self) -> ConstituencyRef {
        ConstituencyRef::new(&self.election, &self.constituency)
    }
}

/// 403 unless `actor` may do `permission` in `c` (the one authorisation decision).
pub fn allow(actor: &Actor, permission: Permission, c: &ConstituencyRef) -> Result<(), ApiError> {
    if authorize(actor, permission, Some(c)) {
        Ok(())
    } else {
        Err(ApiError::new(
            Problem::Forbidden,
            format!("{} may not do this in {}", actor.role, c.code),
        ))
    }
}

/// The path's constituency, when `actor` may do `permission` there; 403 otherwise.
fn authorised(
    actor: &Actor,
    permission: Permission,
    election: &str,
    constituency: &str,
) -> Result<ConstituencyRef, ApiError> {
    let c = ConstituencyRef::new(election, constituency);
    allow(actor, permission, &c)?;
    Ok(c)
}

/// A manifest hash from a path: 64 lowercase hex digits, else 404.
pub fn manifest_hash(s: &str) -> Result<String, ApiError> {
    if s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(s.to_owned())
    } else {
        Err(ApiError::new(
            Problem::NotFound,
            "a manifest hash is 64 lowercase hex digits",
        ))
    }
}

impl std::fmt::Display for FiguresError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FiguresError::Api(e) => e.fmt(f),
            FiguresError::Stale { detail, .. } => write!(f, "stale-version: {detail}"),
        }
    }
}

/// A stale save is the `stale-version` problem with the record's current state as `current`.
impl ResponseError for FiguresError {
    fn status_code(&self) -> StatusCode {
        match self {
            FiguresError::Api(e) => e.status_code(),
            FiguresError::Stale { .. } => Problem::StaleVersion.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            FiguresError::Api(e) => e.error_response(),
            FiguresError::Stale { detail, current } => {
                let p = Problem::StaleVersion;
                let body = serde_json::json!({
                    "type": format!("{PROBLEM_BASE}{}", p.slug()),
                    "title": p.title(),
                    "status": p.status().as_u16(),
                    "detail": detail,
                    "current": current,
                });
                HttpResponse::build(p.status())
                    .insert_header((
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/problem+json"),
                    ))
                    .body(body.to_string())
            }
        }
    }
}

/// The signed-in user of a page request, if any.
fn signed_in(req: &HttpRequest) -> Option<SignedIn> {
    req.extensions().get::<SignedIn>().cloned()
}

/// To the sign-in page.
fn to_login() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", "/console/login"))
        .finish()
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    page::status_page(&req, StatusCode::NOT_FOUND)
}
