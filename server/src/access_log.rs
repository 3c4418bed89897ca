//! The access log: one line per request, at `info` under the log target `tallyseal::access`,
//! and the request's metrics ([`crate::metrics::http`]). Each request gets an id of its own, made
//! here and returned in the `X-Request-Id` header, so a phone's or a proxy's record of an answer
//! can be matched with the server's line. An id a client sends is ignored: the log is the
//! server's record, and a client must not be able to make two requests look like one.
//!
//! A line:
//! `id=3f09c2d4a1b7e655 peer=10.0.0.7:51034 method=PATCH path=/api/v1/uploads/9c1e status=204 ms=41.7 in=2021331 out=0`
//! (`in`: request body bytes read; `out`: answer body bytes, `-` when streamed).
//!
//! Must never log a query string, a header value (the admin token and the upload authorisation
//! travel in headers) or a body.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::HttpMessage;
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use futures_util::StreamExt;

use crate::error::ApiError;

/// The log target of the access lines (`RUST_LOG=tallyseal::access=off` silences them).
pub const TARGET: &str = "tallyseal::access";

/// The response header that carries the request's id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest path written to a line; a longer one is cut (and marked with `…`).
const MAX_PATH_CHARS: usize = 256;

/// What one line says about a request.
#[derive(Debug)]
pub struct Entry<'a> {
    pub id: &'a str,
    pub peer: Option<std::net::SocketAddr>,
    pub method: &'a Method,
    pub path: &'a str,
    pub status: StatusCode,
    pub elapsed: Duration,
    pub received: u64,
    pub sent: Option<u64>,
}

/// The line for `e` (logfmt: `key=value`, values without spaces).
pub fn line(e: &Entry<'_>) -> String {
    let peer = e.peer.map_or_else(|| "-".to_owned(), |p| p.to_string());
    let sent = e.sent.map_or_else(|| "-".to_owned(), |n| n.to_string());
    format!(
        "id={} peer={peer} method={} path={} status={} ms={:.1} in={} out={sent}",
        e.id,
        printable(e.method.as_str()),
        printable(e.path),
        e.status.as_u16(),
        e.elapsed.as_secs_f64() * 1000.0,
        e.received,
    )
}

/// `s` with anything but visible ASCII replaced by `?`, cut at [`MAX_PATH_CHARS`]: a line stays
/// one line whatever a client sends.
fn printable(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_PATH_CHARS)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect();
    if s.chars().count() > MAX_PATH_CHARS {
        out.push('…');
    }
    out
}

/// A new request id: 8 random bytes as hex (a counter if the system's randomness fails).
fn new_request_id() -> String {
    crate::random_hex(8).unwrap_or_else(|_| {
        static FALLBACK: AtomicU64 = AtomicU64::new(0);
        format!("{:016x}", FALLBACK.fetch_add(1, Ordering::Relaxed))
    })
}

/// `payload`, with every byte read added to `received`.
fn counted(payload: Payload, received: Arc<AtomicU64>) -> Payload {
    let stream = payload.map(move |chunk| {
        if let Ok(bytes) = &chunk {
            received.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
        chunk
    });
    Payload::Stream {
        payload: Box::pin(stream),
    }
}

/// The middleware (`App::wrap_fn(access_log::observe)`): id, timing, body bytes, the line and
/// the metrics of every request.
pub fn observe<S, B>(
    mut req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let started = Instant::now();
    let id = new_request_id();
    let received = Arc::new(AtomicU64::new(0));
    let payload = req.take_payload();
    req.set_payload(counted(payload, received.clone()));
    let method = req.method().clone();
    let path = req.path().to_owned();
    let peer = req.peer_addr();
    let route = req.match_pattern();
    let answer = srv.call(req);
    async move {
        let result = answer.await;
        let elapsed = started.elapsed();
        let (status, sent, problem) = match &result {
            Ok(res) => {
                let sent = match res.response().body().size() {
                    BodySize::None => Some(0),
                    BodySize::Sized(n) => Some(n),
                    BodySize::Stream => None,
                };
                let problem = res
                    .response()
                    .error()
                    .and_then(|e| e.as_error::<ApiError>())
                    .cloned();
                (res.status(), sent, problem)
            }
            Err(e) => (e.as_response_error().status_code(), None, None),
        };
        let received = received.load(Ordering::Relaxed);
        crate::metrics::http::observe(
            route.as_deref(),
            &method,
            status,
            elapsed,
            received,
            problem.as_ref(),
        );
        let entry = Entry {
            id: &id,
            peer,
            method: &method,
            path: &path,
            status,
            elapsed,
            received,
            sent,
        };
        log::info!(target: TARGET, "{}", line(&entry));
        let mut res = result?;
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut()
                .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(method: &'a Method, path: &'a str) -> Entry<'a> {
        Entry {
            id: "3f09c2d4a1b7e655",
            peer: Some("10.0.0.7:51034".parse().unwrap()),
            method,
            path,
            status: StatusCode::NO_CONTENT,
            elapsed: Duration::from_micros(41_730),
            received: 2_021_331,
            sent: Some(0),
        }
    }

    #[test]
    fn a_line_names_everything_an_operator_needs() {
        let patch = Method::PATCH;
        assert_eq!(
            line(&entry(&patch, "/api/v1/uploads/9c1e")),
            "id=3f09c2d4a1b7e655 peer=10.0.0.7:51034 method=PATCH path=/api/v1/uploads/9c1e \
             status=204 ms=41.7 in=2021331 out=0"
        );
    }

    #[test]
    fn a_line_stays_one_line() {
        let get = Method::GET;
        let long = format!("/{}", "a".repeat(400));
        let l = line(&entry(&get, &long));
        assert!(l.contains(&format!("path=/{}…", "a".repeat(MAX_PATH_CHARS - 1))));
        let odd = line(&entry(&get, "/a b\nc\u{7f}"));
        assert!(odd.contains("path=/a?b?c? "), "{odd}");
    }

    #[test]
    fn request_ids_are_sixteen_hex_digits() {
        let a = new_request_id();
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_request_id());
    }
}
