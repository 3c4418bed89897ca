//! Every 401 carries `WWW-Authenticate` (RFC 9110 §11.6.1), in the Bearer scheme the admin
//! endpoints use (RFC 6750 §3): `Bearer realm="tallyseal"` when the request carried no bearer
//! token, and with `error="invalid_token"` when it carried one that is not valid (RFC 6750 says a
//! request without credentials gets no error code). Added by a middleware on the way out, so the
//! routes only decide who is admitted; it never changes a status or a body.
//!
//! Whether a request carried a bearer token is decided in one place, [`bearer_token`], which both
//! this challenge and the admin check ([`crate::routes::require_admin`]) read, so the challenge
//! always matches the reason given.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;

/// The bearer token `Authorization` carries (RFC 6750 §2.1: `Bearer <token>`; the scheme name in
/// any case, RFC 9110 §11.1; spaces or tabs between them and around the token tolerated), or
/// `None` when it carries none: no header, another scheme, or `Bearer` with nothing after it.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let value = value.trim_matches([' ', '\t']);
    let (scheme, token) = value.split_once([' ', '\t'])?;
    let token = token.trim_matches([' ', '\t']);
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then_some(token)
}

/// The challenge for a request that carried no bearer token.
pub const CHALLENGE_NO_TOKEN: &str = r#"Bearer realm="tallyseal""#;
/// The challenge for a request whose bearer token is not valid.
pub const CHALLENGE_INVALID_TOKEN: &str = r#"Bearer realm="tallyseal", error="invalid_token", error_description="the bearer token is not valid""#;

/// Middleware: add the challenge to a 401 that has none.
pub async fn challenge_on_401<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let carried_bearer = bearer_token(req.headers()).is_some();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn token(authorization: Option<&'static str>) -> Option<String> {
        let mut h = HeaderMap::new();
        if let Some(a) = authorization {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(a));
        }
        bearer_token(&h).map(str::to_owned)
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(token(Some("Bearer abc")).as_deref(), Some("abc"));
        assert_eq!(token(Some("bearer abc")).as_deref(), Some("abc"));
        assert_eq!(token(Some("BEARER  abc ")).as_deref(), Some("abc"));
        assert_eq!(token(Some("Bearer\tabc")).as_deref(), Some("abc"));
        assert_eq!(token(Some("Bearer a b")).as_deref(), Some("a b"));
        // No token presented.
        assert_eq!(token(None), None);
        assert_eq!(token(Some("Bearer")), None);
        assert_eq!(token(Some("Bearer ")), None);
        assert_eq!(token(Some("Bearer \t ")), None);
        assert_eq!(token(Some("Basic YWRtaW46YWRtaW4=")), None);
        assert_eq!(token(Some("Bearerabc")), None);
        assert_eq!(token(Some("")), None);
    }
}
