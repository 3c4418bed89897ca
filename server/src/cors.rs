//! Cross-origin requests from browsers (the Fetch standard's CORS protocol), by `[cors]`
//! ([`crate::config::CorsConfig`]): reads (GET, HEAD, OPTIONS) from `read_origins` (default any),
//! writes (POST, PATCH, PUT, DELETE) from `write_origins` (default none), with the tus and upload
//! headers allowed in and the tus, `Location` and receipt headers exposed, so a browser tus
//! client can upload from an origin the operator lists.
//!
//! - A request without `Origin` (phones, the CLI, curl) is not touched, nor is any request to
//!   `/metrics` ([`crate::metrics::PATH`]: for operators' scrapers, never for pages).
//! - Every answer to a request with `Origin` carries `Vary: Origin` (allowed, refused or
//!   answered with `*` alike), so a shared cache never serves one origin's answer to another.
//! - A preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered here, never by a
//!   route: 204 with the `Access-Control-Allow-*` headers, or 403 `origin-not-allowed`.
//! - A write whose `Origin` is neither listed nor the server's own (`Host`, and the scheme of
//!   `public_url` when it is set) is refused, 403
//!   `origin-not-allowed`, before any route sees it: a page cannot make a browser write with a
//!   "simple" request that needs no preflight.
//! - Any other answer to an allowed origin carries `Access-Control-Allow-Origin` and
//!   `Access-Control-Expose-Headers`. No credentials (cookies) are ever allowed: the admin
//!   token travels in `Authorization`, which a page must set itself.
//!
//! This module never reads a body and never changes a route's answer other than adding headers.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};

use crate::config::CorsConfig;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Request headers a page may send (tus 1.0 and its extensions, the upload authorisation, the
/// admin token, JSON bodies).
pub const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Tus-Resumable, Upload-Length, \
     Upload-Offset, Upload-Metadata, Upload-Checksum, Upload-Defer-Length, Upload-Concat, \
     Tallyseal-Upload-Auth, X-HTTP-Method-Override, X-Requested-With";
/// Response headers a page may read.
pub const EXPOSED_HEADERS: &str = "Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, \
     Tus-Checksum-Algorithm, Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires, \
     Location, Tallyseal-Receipt, Tallyseal-Package-Hash, Retry-After, WWW-Authenticate";
const READ_METHODS: &str = "GET, HEAD, OPTIONS";
const ALL_METHODS: &str = "GET, HEAD, OPTIONS, POST, PATCH, PUT, DELETE";

/// Whether `method` only reads.
fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn listed(list: &[String], origin: &str) -> bool {
    list.iter()
        .any(|o| o == "*" || o.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// The page's origin is this server's own: `scheme://` + the request's `Host`, where the scheme
/// is that of `public_url` when it is set (behind a TLS proxy, `http://` + the same host is
/// another origin) and any otherwise.
fn same_origin(headers: &HeaderMap, origin: &str, public_url: Option<&str>) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let Some((origin_scheme, origin_host)) = origin.split_once("://") else {
        return false;
    };
    let scheme_ok = match public_url.and_then(|u| u.split_once("://")) {
        Some((scheme, _)) => scheme.eq_ignore_ascii_case(origin_scheme),
        None => true,
    };
    scheme_ok && host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host))
}

/// What `origin` may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    Nothing,
    Read,
    ReadWrite,
}

fn grant(cors: &CorsConfig, headers: &HeaderMap, origin: &str, public_url: Option<&str>) -> Grant {
    if listed(&cors.write_origins, origin) || same_origin(headers, origin, public_url) {
        Grant::ReadWrite
    } else if listed(&cors.read_origins, origin) {
        Grant::Read
    } else {
        Grant::Nothing
    }
}

fn allows(grant: Grant, method: &Method) -> bool {
    match grant {
        Grant::Nothing => false,
        Grant::Read => is_read(method),
        Grant::ReadWrite => true,
    }
}

fn refused(origin: &str, method: &Method) -> HttpResponse {
    let detail = format!(
        "pages from {origin:?} may not send {method} requests here (see [cors] in the server configuration)"
    );
    ApiError::new(Problem::OriginNotAllowed, detail).error_response()
}

/// `Access-Control-Allow-Origin`: `*` when every origin may read and this one may only read,
/// otherwise the origin itself.
fn allow_origin(headers: &mut HeaderMap, cors: &CorsConfig, grant: Grant, origin: &HeaderValue) {
    if grant == Grant::Read && cors.read_origins.iter().any(|o| o == "*") {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    } else {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    }
}

/// Add `Origin` to `Vary` unless a route has named it already.
fn vary_origin(headers: &mut HeaderMap) {
    let named = headers.get_all(header::VARY).any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|x| x.trim().eq_ignore_ascii_case("origin"))
        })
    });
    if !named {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// Middleware: the CORS protocol (see the module documentation).
pub async fn apply<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let origin_value = match req.headers().get(header::ORIGIN) {
        Some(v) if req.path() != crate::metrics::PATH => v.clone(),
        _ => {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_left_body);
        }
    };
    let origin = origin_value.to_str().unwrap_or("null").to_owned();
    let (cors, public_url) = req
        .app_data::<web::Data<AppState>>()
        .map(|s| (s.config.cors.clone(), s.config.public_url.clone()))
        .unwrap_or_default();
    let grant = grant(&cors, req.headers(), &origin, public_url.as_deref());

    let requested = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| Method::from_bytes(m.as_bytes()).ok());
    if req.method() == Method::OPTIONS
        && let Some(method) = requested
    {
        if !allows(grant, &method) {
            let mut answer = refused(&origin, &method);
            vary_origin(answer.headers_mut());
            return Ok(req.into_response(answer).map_into_right_body());
        }
        let mut answer = HttpResponse::build(StatusCode::NO_CONTENT);
        answer
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                if grant == Grant::ReadWrite {
                    ALL_METHODS
                } else {
                    READ_METHODS
                },
            ))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
            .insert_header((
                header::ACCESS_CONTROL_MAX_AGE,
                cors.max_age_secs.to_string(),
            ))
            .insert_header(("Tus-Resumable", "1.0.0"));
        let mut answer = answer.finish();
        allow_origin(answer.headers_mut(), &cors, grant, &origin_value);
        vary_origin(answer.headers_mut());
        return Ok(req.into_response(answer).map_into_right_body());
    }

    let method = req.method().clone();
    if !is_read(&method) && !allows(grant, &method) {
        let mut answer = refused(&origin, &method);
        vary_origin(answer.headers_mut());
        return Ok(req.into_response(answer).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    if allows(grant, &method) {
        allow_origin(headers, &cors, grant, &origin_value);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    vary_origin(headers);
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(read: &[&str], write: &[&str]) -> CorsConfig {
        CorsConfig {
            read_origins: read.iter().map(|s| s.to_string()).collect(),
            write_origins: write.iter().map(|s| s.to_string()).collect(),
            max_age_secs: 1,
        }
    }

    #[test]
    fn grants() {
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            HeaderValue::from_static("results.example:8080"),
        );
        let c = cors(&["*"], &["https://portal.example"]);
        let grant = |c: &CorsConfig, origin: &str| grant(c, &h, origin, None);
        assert_eq!(grant(&c, "https://portal.example"), Grant::ReadWrite);
        assert_eq!(grant(&c, "https://PORTAL.example"), Grant::ReadWrite);
        assert_eq!(grant(&c, "https://evil.example"), Grant::Read);
        assert_eq!(grant(&c, "http://results.example:8080"), Grant::ReadWrite);
        assert_eq!(grant(&c, "null"), Grant::Read);
        let c = cors(&[], &[]);
        assert_eq!(grant(&c, "https://portal.example"), Grant::Nothing);
        assert!(!allows(Grant::Read, &Method::POST));
        assert!(allows(Grant::Read, &Method::HEAD));
        assert!(allows(Grant::ReadWrite, &Method::PATCH));
    }

    /// With `public_url` set, the same-origin exemption holds for its scheme only: behind a TLS
    /// proxy, a page on `http://` + the same host is another origin.
    #[test]
    fn same_origin_compares_the_scheme_of_public_url() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("results.example"));
        let https = Some("https://results.example/");
        assert!(same_origin(&h, "https://results.example", https));
        assert!(same_origin(&h, "HTTPS://results.example", https));
        assert!(!same_origin(&h, "http://results.example", https));
        assert!(!same_origin(&h, "https://results.example:8443", https));
        assert!(!same_origin(&h, "https://other.example", https));
        assert!(!same_origin(&h, "null", https));
        // Without public_url, host and port decide.
        assert!(same_origin(&h, "http://results.example", None));
        assert!(same_origin(&h, "https://results.example", None));
        let c = cors(&[], &[]);
        assert_eq!(
            grant(&c, &h, "http://results.example", https),
            Grant::Nothing
        );
    }

    #[test]
    fn vary_names_origin_once() {
        let mut h = HeaderMap::new();
        vary_origin(&mut h);
        vary_origin(&mut h);
        assert_eq!(h.get_all(header::VARY).count(), 1);
        let mut h = HeaderMap::new();
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        vary_origin(&mut h);
        let all: Vec<_> = h
            .get_all(header::VARY)
            .map(|v| v.to_str().unwrap_or_default())
            .collect();
        assert_eq!(all, ["Accept-Encoding", "Origin"]);
    }
}
