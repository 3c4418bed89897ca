//! The console's cookies, read from `Cookie` and written as `Set-Cookie` lines (the session
//! cookie itself is actix-session's, configured in `session_layer::session_middleware`).
//!
//! The session cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's
//! page, link or form sends it: the console is never entered through a cross-site link with a
//! session, so Strict costs nothing and is a second line against request forgery), `Path=/`, and
//! `Secure` when the server is behind TLS (`[console] secure_cookie`, or a `https://`
//! `public_url`). It carries no expiry: it dies with the browser, and the server ends it sooner.

use actix_web::http::header::{self, HeaderMap};

/// The session cookie.
pub const SESSION: &str = "tallyseal_session";
/// The sign-in form's anti-forgery cookie (before there is a session).
pub const LOGIN: &str = "tallyseal_login";

/// The value of cookie `name`, if the request has it.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value. `max_age_secs` `None`: until the browser closes; `Some(0)`: delete.
pub fn set(
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    secure: bool,
    max_age_secs: Option<u64>,
) -> String {
    let mut out = format!("{name}={value}; Path={path}; HttpOnly; SameSite={same_site}");
    if secure {
        out.push_str("; Secure");
    }
    if let Some(age) = max_age_secs {
        out.push_str(&format!("; Max-Age={age}"));
    }
    out
}

/// A `Set-Cookie` value that deletes cookie `name`.
pub fn clear(name: &str, path: &str, secure: bool) -> String {
    set(name, "", path, "Strict", secure, Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    #[test]
    fn reads_one_cookie_among_several() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tallyseal_session=abc; lang=ur"),
        );
        assert_eq!(read(&h, SESSION).as_deref(), Some("abc"));
        assert_eq!(read(&h, "lang").as_deref(), Some("ur"));
        assert_eq!(read(&h, LOGIN), None);
        let line = set(SESSION, "v", "/", "Strict", true, None);
        assert_eq!(
            line,
            "tallyseal_session=v; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
    }
}
