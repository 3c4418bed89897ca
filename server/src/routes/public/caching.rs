//! Cache validators and lifetimes of the public reads: a strong `ETag` (from the bytes, or from
//! what the bytes are built from), `Last-Modified` when the data has a time, `Cache-Control`
//! suited to the resource, and `304 Not Modified` when `If-None-Match` names the current tag
//! (RFC 9110 §13.1.2: weak comparison, `*` matches any).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use sha2::{Digest, Sha256};

/// Lists that change as results arrive: shared caches may keep them a few seconds.
pub const SHORT: &str = "public, max-age=10, stale-while-revalidate=30";
/// A bundle: its capture never changes; only its receipt and the log proof may be replaced by
/// a newer one (a larger checkpoint), so caches keep it an hour and revalidate.
pub const BUNDLE: &str = "public, max-age=3600";
/// A document named by its own hash: it can never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The elections and the API's description.
pub const CATALOGUE: &str = "public, max-age=60";

/// A strong tag for `bytes`.
pub fn tag_of(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..16])
}

/// Whether `If-None-Match` matches `tag`.
fn not_modified(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|t| t == "*" || t == tag)
}

/// `ms` since the epoch as an HTTP date.
fn http_date(ms: i64) -> Option<String> {
    let secs = u64::try_from(ms / 1000).ok()?;
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    Some(actix_web::http::header::HttpDate::from(t).to_string())
}

/// The validators and lifetime on `builder`; `Some(304)` when the client's copy is current.
pub fn answer(
    req: &HttpRequest,
    tag: &str,
    last_modified_ms: Option<i64>,
    cache_control: &'static str,
) -> (HttpResponseBuilder, bool) {
    let fresh = not_modified(req, tag);
    let mut b = HttpResponse::build(if fresh {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    });
    if let Ok(v) = HeaderValue::from_str(&format!("\"{tag}\"")) {
        b.insert_header((header::ETAG, v));
    }
    if let Some(date) = last_modified_ms.and_then(http_date) {
        b.insert_header((header::LAST_MODIFIED, date));
    }
    b.insert_header((header::CACHE_CONTROL, cache_control));
    (b, fresh)
}

/// A whole body with its validators: 304 without a body when the client's copy is current.
pub fn body(
    req: &HttpRequest,
    content_type: &'static str,
    bytes: Vec<u8>,
    last_modified_ms: Option<i64>,
    cache_control: &'static str,
) -> HttpResponse {
    let tag = tag_of(&bytes);
    let (mut b, fresh) = answer(req, &tag, last_modified_ms, cache_control);
    if fresh {
        return b.finish();
    }
    b.insert_header((header::CONTENT_TYPE, content_type))
        .body(bytes)
}

/// [`body`] for bytes whose strong tag is already known (a kept answer: no hashing, no copy).
pub fn tagged_body(
    req: &HttpRequest,
    content_type: &'static str,
    bytes: bytes::Bytes,
    tag: &str,
    last_modified_ms: Option<i64>,
    cache_control: &'static str,
) -> HttpResponse {
    let (mut b, fresh) = answer(req, tag, last_modified_ms, cache_control);
    if fresh {
        return b.finish();
    }
    b.insert_header((header::CONTENT_TYPE, content_type))
        .body(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn if_none_match_weak_comparison() {
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "\"x\", W/\"abc\""))
            .to_http_request();
        assert!(not_modified(&req, "abc"));
        assert!(!not_modified(&req, "abd"));
        let none = TestRequest::default().to_http_request();
        assert!(!not_modified(&none, "abc"));
        assert_eq!(
            http_date(0).as_deref(),
            Some("Thu, 01 Jan 1970 00:00:00 GMT")
        );
    }
}
