//! Every 401 carries `WWW-Authenticate` (RFC 9110 §11.6.1), in the Bearer scheme the admin
//! endpoints use (RFC 6750 §3): `Bearer realm="tallyseal"` when the request carried no bearer
//! token, and with `error="invalid_token"` when it carried one that is not valid (RFC 6750 says a
//! request without credentials gets no error code). Added by a middleware on the way out, so the
//! routes only decide who is admitted; it never changes a status or a body.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// The challenge for a request that carried no bearer token.
pub const CHALLENGE_NO_TOKEN: &str = r#"Bearer realm="tallyseal""#;
/// The challenge for a request whose bearer token is not valid.
pub const CHALLENGE_INVALID_TOKEN: &str = r#"Bearer realm="tallyseal", error="invalid_token", error_description="the bearer token is not valid""#;

/// Middleware: add the challenge to a 401 that has none.
pub async fn challenge_on_401<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let carried_bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_whitespace().next())
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("Bearer"));
    let mut res = next.call(req).await?;
    if res.status() == StatusCode::UNAUTHORIZED
        && !res.headers().contains_key(header::WWW_AUTHENTICATE)
    {
        let challenge = if carried_bearer {
            CHALLENGE_INVALID_TOKEN
        } else {
            CHALLENGE_NO_TOKEN
        };
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    Ok(res)
}
