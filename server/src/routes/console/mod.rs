//! The RO console's JSON API under `/api/v1/console/{election}/{constituency}/…`. Every handler
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
pub mod figures;
pub mod forms;
mod review;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Deserialize;

use crate::accounts::{Actor, ConstituencyRef, Permission, authorize};
use crate::error::{ApiError, PROBLEM_BASE, Problem};
use crate::figures::FiguresError;

/// Register the console's routes.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
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
