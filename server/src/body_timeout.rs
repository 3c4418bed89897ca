//! Request bodies that stall or trickle are cut. Each chunk must arrive within
//! `limits.body_idle_secs` of the one before, and the body must keep up
//! `limits.body_min_bytes_per_sec`, averaged over each `limits.body_rate_window_secs` the server
//! spends waiting for it. Without the first a client that sends headers and then nothing (or a
//! phone whose link died without a reset) held its connection, and for a tus PATCH the upload's
//! lease, for as long as the socket stayed open; without the second a client sending one byte
//! every few seconds did the same. Enough such connections used up the server's file descriptors.
//!
//! Only time spent waiting for the client counts towards a window, never time the server spends
//! on what it already received (a slow disk or object store never makes a client look slow).
//! A body is judged at the end of each full window, so a short request is never cut by the rate.
//!
//! A cut body ends in a read error, which every reader already handles as a cut connection: a
//! JSON body gets a 400, an upload keeps what arrived and releases its lease. This module never
//! looks at what the bytes are.

use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use futures_util::StreamExt;

/// How fast a request body must arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyPace {
    /// Longest gap between two chunks.
    pub idle: Duration,
    /// Least bytes per second over each `window` of waiting; 0: no minimum.
    pub min_bytes_per_sec: u64,
    /// The rate's window.
    pub window: Duration,
}

/// Where a body stands against its [`BodyPace`].
struct Progress {
    payload: Payload,
    /// Time spent waiting for the client in the current window.
    waited: Duration,
    /// Bytes received in the current window.
    bytes: u64,
}

fn cut(message: String) -> PayloadError {
    PayloadError::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, message))
}

/// `payload`, cut with an error once it falls behind `pace`.
pub fn paced(payload: Payload, pace: BodyPace) -> Payload {
    let start = Progress {
        payload,
        waited: Duration::ZERO,
        bytes: 0,
    };
    let stream = futures_util::stream::unfold(Some(start), move |state| async move {
        let mut p = state?;
        let mut since_chunk = Duration::ZERO;
        loop {
            let rated = pace.min_bytes_per_sec > 0;
            let mut wait = pace.idle.saturating_sub(since_chunk);
            if rated {
                wait = wait.min(pace.window.saturating_sub(p.waited));
            }
            let began = Instant::now();
            let next = tokio::time::timeout(wait, p.payload.next()).await;
            let spent = began.elapsed();
            p.waited += spent;
            since_chunk += spent;
            if matches!(next, Ok(None) | Ok(Some(Err(_)))) {
                // The body's end, or the connection's own error: never judged.
                return next.ok().flatten().map(|item| (item, None));
            }
            let n = chunk_len(&next);
            if rated && p.waited >= pace.window {
                let wanted = pace.min_bytes_per_sec.saturating_mul(pace.window.as_secs());
                let got = p.bytes + n;
                if got < wanted {
                    let e = cut(format!(
                        "the body arrived at {got} bytes in {} s, below the minimum of {} bytes/s",
                        pace.window.as_secs(),
                        pace.min_bytes_per_sec
                    ));
                    return Some((Err(e), None));
                }
                p.waited = Duration::ZERO;
                p.bytes = 0;
            } else {
                p.bytes += n;
            }
            match next {
                Ok(Some(item)) => return Some((item, Some(p))),
                Ok(None) => return None, // handled above
                Err(_) if since_chunk >= pace.idle => {
                    let e = cut(format!("no body bytes for {} s", pace.idle.as_secs()));
                    return Some((Err(e), None));
                }
                // A window ended while waiting and the body had kept up: wait on.
                Err(_) => {}
            }
        }
    });
    Payload::Stream {
        payload: Box::pin(stream),
    }
}

type Next = Result<Option<Result<bytes::Bytes, PayloadError>>, tokio::time::error::Elapsed>;

fn chunk_len(next: &Next) -> u64 {
    match next {
        Ok(Some(Ok(b))) => b.len() as u64,
        _ => 0,
    }
}
