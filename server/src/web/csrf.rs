//! Anti-forgery checks for the console: every state-changing request (not GET, HEAD, OPTIONS)
//! must come from this server's own pages (its `Origin`, or failing that its `Referer`, names
//! this server) **and** carry the session's synchronizer token, in the form field `csrf` or the
//! `X-CSRF-Token` header (htmx, JSON). The comparison takes the same time whatever the tokens.

use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap};

/// The form field holding the token.
pub const FORM_FIELD: &str = "csrf";
/// The header holding the token.
pub const HEADER: &str = "X-CSRF-Token";

/// Whether a request with this method may change state.
pub fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request's `Origin` (or, without one, its `Referer`) is this server: the same
/// host as the request's `Host`, or the configured public URL's origin. Neither header: refused
/// (every browser sends one of them on a form POST from a page with our `Referrer-Policy`).
pub fn origin_ok(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(origin_of_url)
        });
    let Some(origin) = origin else {
        return false;
    };
    if let Some(public) = public_url.and_then(origin_of_url)
        && public.eq_ignore_ascii_case(&origin)
    {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (origin.split_once("://"), host) {
        (Some((_, origin_host)), Some(host)) => origin_host.eq_ignore_ascii_case(host),
        _ => false,
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// Constant-time comparison of the expected and the presented token.
pub fn tokens_match(expected: &str, presented: &str) -> bool {
    let (a, b) = (expected.as_bytes(), presented.as_bytes());
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token of a urlencoded form body, if it has one.
pub fn token_in_form(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FORM_FIELD)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_only() {
        let host = (header::HOST, "console.example:8080");
        assert!(origin_ok(
            &headers(&[
                host.clone(),
                (header::ORIGIN, "http://console.example:8080")
            ]),
            None
        ));
        assert!(!origin_ok(
            &headers(&[host.clone(), (header::ORIGIN, "http://evil.example")]),
            None
        ));
        assert!(origin_ok(
            &headers(&[
                host.clone(),
                (
                    header::REFERER,
                    "http://console.example:8080/console/operators"
                )
            ]),
            None
        ));
        assert!(!origin_ok(&headers(std::slice::from_ref(&host)), None));
        assert!(origin_ok(
            &headers(&[
                (header::HOST, "10.0.0.5:8080"),
                (header::ORIGIN, "https://results.example")
            ]),
            Some("https://results.example/")
        ));
        assert!(tokens_match("abcd", "abcd"));
        assert!(!tokens_match("abcd", "abce"));
        assert!(!tokens_match("", ""));
        assert_eq!(token_in_form(b"login=a&csrf=xyz").as_deref(), Some("xyz"));
    }
}
