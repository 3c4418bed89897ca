//! The console's JSON API under `/api/v1/console/{election}/…`: the arrival board and its live
//! events, the national summary ([`board`]), and the review of a capture with its image, map and
//! decisions ([`review`]). Every handler takes the signed-in [`Actor`] (401 without one) and asks
//! [`authorize`] for its permission **and** the path's constituency before anything else (403, and
//! nothing read or stored). Handlers parse, authorise, call `crate::stations` or `crate::review`
//! and map the answer.

mod board;
mod review;

use actix_web::web;

use crate::accounts::{Actor, ConstituencyRef, Permission, authorize};
use crate::error::{ApiError, Problem};

pub fn configure(cfg: &mut web::ServiceConfig) {
    board::configure(cfg);
    review::configure(cfg);
}

/// The path's constituency, when `actor` may do `permission` there; 403 otherwise.
fn authorised(
    actor: &Actor,
    permission: Permission,
    election: &str,
    constituency: &str,
) -> Result<ConstituencyRef, ApiError> {
    let c = ConstituencyRef::new(election, constituency);
    if authorize(actor, permission, Some(&c)) {
        Ok(c)
    } else {
        Err(ApiError::new(
            Problem::Forbidden,
            format!("not allowed in {election}/{constituency}"),
        ))
    }
}
