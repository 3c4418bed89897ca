//! The console's session layer (middleware) on `/console…` and `/api/v1/console…`:
//!
//! 1. takes the session actix-session's `SessionMiddleware` (wrapped outside this layer) loaded
//!    from the store and resolves it through the accounts service (re-reading the account, so a
//!    disabled account is out at its next request) and puts the [`Actor`] and the [`SignedIn`]
//!    into the request's extensions, where the `Actor` extractor finds it;
//! 2. refuses a state-changing request without a session (401) and one whose origin or
//!    anti-forgery token is wrong (403 `csrf-rejected`) before any handler runs, so nothing is
//!    stored; the sign-in form has its own check (it has no session yet);
//! 3. marks every answer `Cache-Control: no-store` (the back button after signing out shows
//!    nothing), with a content security policy that allows only this server's own files.
//!
//! Refusals are problem+json under `/api/v1/console` and plain HTML pages under `/console`.

use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::{SessionExt, SessionMiddleware};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};

use super::{cookies, csrf, page};
use crate::accounts::session_store::ConsoleSessionStore;
use crate::accounts::{Actor, SignedIn, sessions};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Where the sign-in form posts (checked by its own handler).
pub const LOGIN_PATH: &str = "/console/login";

/// Largest form body the layer reads to find the token.
const MAX_FORM_BYTES: usize = 64 * 1024;

fn is_console_page(path: &str) -> bool {
    path == "/console" || path.starts_with("/console/")
}

fn is_console_api(path: &str) -> bool {
    path == "/api/v1/console" || path.starts_with("/api/v1/console/")
}

/// actix-session's middleware over the console's store (wired in `startup` just outside
/// [`console_session`]): cookie `tallyseal_session`, `HttpOnly`, `SameSite=Strict`, `Path=/`,
/// `Secure` behind TLS, no expiry (it dies with the browser; the store's idle and absolute
/// timeouts end it sooner), its value the session key encrypted with `key`. It only writes a
/// cookie when a handler starts or ends a session, so the public API never gets one.
pub fn session_middleware(
    store: ConsoleSessionStore,
    key: Key,
    secure: bool,
) -> SessionMiddleware<ConsoleSessionStore> {
    SessionMiddleware::builder(store, key)
        .cookie_name(cookies::SESSION.to_owned())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Strict)
        .cookie_secure(secure)
        .cookie_path("/".to_owned())
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(BrowserSession::default())
        .build()
}

/// Outside [`session_middleware`]: a request to any other path than the console's goes on
/// without the session cookie, so the public API, the log and the landing page never load (or
/// keep alive) a console session.
pub async fn console_cookie_only(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    if !is_console_page(path) && !is_console_api(path) {
        without_session_cookie(req.headers_mut());
    }
    next.call(req).await
}

/// Remove the session cookie from the request's `Cookie` headers (the others stay).
fn without_session_cookie(headers: &mut header::HeaderMap) {
    let all: Vec<String> = headers
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(str::to_owned)
        .collect();
    let kept: Vec<&str> = all
        .iter()
        .map(String::as_str)
        .filter(|pair| pair.split_once('=').map_or(*pair, |(k, _)| k) != cookies::SESSION)
        .collect();
    if kept.len() == all.len() {
        return;
    }
    headers.remove(header::COOKIE);
    if let Ok(v) = HeaderValue::from_str(&kept.join("; "))
        && !kept.is_empty()
    {
        headers.insert(header::COOKIE, v);
    }
}

/// The middleware (wired in `startup` around the whole app; it ignores other paths).
pub async fn console_session(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path().to_owned();
    let page = is_console_page(&path);
    if !page && !is_console_api(&path) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let session = req.get_session();
    let signed_in = match sessions::resolve(&state.db, &session).await {
        Ok(s) => s,
        Err(e) => {
            let err = ApiError::unavailable("database", e);
            return Ok(refuse(req, page, err));
        }
    };
    if let Some(s) = &signed_in {
        req.extensions_mut().insert::<Actor>(s.account.actor());
        req.extensions_mut().insert::<SignedIn>(s.clone());
    }

    if csrf::is_state_changing(req.method()) && path != LOGIN_PATH {
        let Some(s) = signed_in else {
            let err = ApiError::new(Problem::NotSignedIn, "sign in to the console first");
            return Ok(refuse(req, page, err));
        };
        let origin_ok = csrf::origin_ok(req.headers(), state.config.public_url.as_deref());
        let presented = match req
            .headers()
            .get(csrf::HEADER)
            .and_then(|v| v.to_str().ok())
        {
            Some(t) => Some(t.to_owned()),
            None => form_token(&mut req).await,
        };
        let token_ok = presented.is_some_and(|t| csrf::tokens_match(&s.csrf_token, &t));
        if !origin_ok || !token_ok {
            let why = if origin_ok {
                "the anti-forgery token is missing or wrong"
            } else {
                "the request does not come from this server's pages"
            };
            let err = ApiError::new(Problem::CsrfRejected, why);
            return Ok(refuse(req, page, err));
        }
    }

    let mut resp = next.call(req).await?.map_into_boxed_body();
    protect(resp.headers_mut());
    Ok(resp)
}

/// The `csrf` field of a urlencoded form body; the body is put back for the handler.
async fn form_token(req: &mut ServiceRequest) -> Option<String> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return None;
    }
    use futures_util::StreamExt;
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.ok()?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let token = csrf::token_in_form(&body);
    req.set_payload(actix_web::dev::Payload::from(body));
    token
}

/// Headers on every console answer.
fn protect(headers: &mut header::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// The refusal: an HTML page under `/console`, problem+json under the API.
fn refuse(req: ServiceRequest, page: bool, err: ApiError) -> ServiceResponse<BoxBody> {
    let (http, _) = req.into_parts();
    let mut resp = if page {
        let key = match err.problem {
            Problem::CsrfRejected => "error-csrf",
            Problem::NotSignedIn => "error-401",
            _ => "error-title",
        };
        page::error_page(&http, err.status_code(), key)
    } else {
        err.error_response()
    };
    protect(resp.headers_mut());
    ServiceResponse::new(http, resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_session_cookie_is_removed() {
        let mut h = header::HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("lang=ur; tallyseal_session=abc; tallyseal_login=n"),
        );
        without_session_cookie(&mut h);
        assert_eq!(h.get(header::COOKIE).unwrap(), "lang=ur; tallyseal_login=n");
        let mut h = header::HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("tallyseal_session=abc"),
        );
        without_session_cookie(&mut h);
        assert!(h.get(header::COOKIE).is_none());
    }
}
