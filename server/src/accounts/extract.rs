//! `Actor` as an actix extractor: the console's session middleware puts the signed-in [`Actor`]
//! into the request's extensions; a handler that takes an `Actor` gets 401 without one.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};

use super::Actor;
use crate::error::{ApiError, Problem};

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = Ready<Result<Actor, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Actor>()
                .cloned()
                .ok_or_else(|| ApiError::new(Problem::NotSignedIn, "no console session")),
        )
    }
}
