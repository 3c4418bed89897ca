//! A signed-in console user, over HTTP as a browser is: the sign-in form with its anti-forgery
//! nonce cookie, the session cookie, and the session's CSRF token (`GET /api/v1/console/session`)
//! sent with every state-changing JSON call, with the server's own `Origin` (`docs/console.md`).
//!
//! It must never reach the database: everything the night's operators and ROs do goes through
//! the console's API.

use serde_json::Value;
use tallyseal_core::client::http::{HttpRequest, HttpResponse, HttpTransport, StdHttpTransport};

/// One signed-in account.
pub struct ConsoleUser {
    pub login: String,
    url: String,
    cookie: String,
    csrf: String,
    http: StdHttpTransport,
}

fn cookie_from(resp: &HttpResponse, name: &str) -> Option<String> {
    resp.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().to_owned())
}

fn form_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A fresh record id (the console's records carry client-generated ids): 16 random bytes, or
/// where the system has no randomness, the clock and a counter (unique within this process).
pub fn record_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut b = [0u8; 16];
    if getrandom::getrandom(&mut b).is_err() {
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        b[..8].copy_from_slice(&crate::now_ms().to_be_bytes());
        b[8..].copy_from_slice(&n.to_be_bytes());
    }
    hex::encode(b)
}

impl ConsoleUser {
    /// Sign in as `login` at `url` (`http://127.0.0.1:port`).
    pub fn sign_in(url: &str, login: &str, password: &str) -> Result<ConsoleUser, String> {
        let http = StdHttpTransport::default();
        let form = http
            .execute(HttpRequest::new("GET", format!("{url}/console/login")))
            .map_err(|e| e.to_string())?;
        let nonce = cookie_from(&form, "tallyseal_login").ok_or("no sign-in nonce")?;
        let body = format!(
            "csrf={}&login={}&password={}",
            form_escape(&nonce),
            form_escape(login),
            form_escape(password)
        );
        let mut req = HttpRequest::new("POST", format!("{url}/console/login"))
            .header("Origin", url)
            .header("Cookie", format!("tallyseal_login={nonce}"))
            .header("Content-Type", "application/x-www-form-urlencoded");
        req.body = body.into_bytes();
        let resp = http.execute(req).map_err(|e| e.to_string())?;
        let session = cookie_from(&resp, "tallyseal_session")
            .ok_or_else(|| format!("{login}: sign-in refused (HTTP {})", resp.status))?;
        let mut user = ConsoleUser {
            login: login.to_owned(),
            url: url.to_owned(),
            cookie: session,
            csrf: String::new(),
            http,
        };
        let (status, me) = user.call("GET", "/api/v1/console/session", None)?;
        user.csrf = me["csrf_token"]
            .as_str()
            .filter(|_| status == 200)
            .ok_or_else(|| format!("{login}: no session ({status})"))?
            .to_owned();
        Ok(user)
    }

    /// One JSON call: the status and the body (`Null` when it is not JSON).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), String> {
        let mut req = HttpRequest::new(method, format!("{}{path}", self.url))
            .header("Cookie", format!("tallyseal_session={}", self.cookie))
            .header("Accept", "application/json");
        if method != "GET" {
            req = req
                .header("Origin", self.url.clone())
                .header("X-CSRF-Token", self.csrf.clone());
        }
        if let Some(b) = body {
            req = req.json_body(serde_json::to_vec(&b).map_err(|e| e.to_string())?);
        }
        let resp = self
            .http
            .execute(req)
            .map_err(|e| format!("{method} {path}: {e}"))?;
        Ok((
            resp.status,
            serde_json::from_slice(&resp.body).unwrap_or(Value::Null),
        ))
    }

    /// A call that must succeed (2xx): its body, or an error naming the call and the answer.
    pub fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let (status, v) = self.call(method, path, body)?;
        if (200..300).contains(&status) {
            Ok(v)
        } else {
            Err(format!("{} {method} {path}: {status} {v}", self.login))
        }
    }
}
