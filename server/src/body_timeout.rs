//! Request bodies that stall are cut: each chunk must arrive within `limits.body_idle_secs` of
//! the one before. Without it a client that sends headers and then nothing (or a phone whose
//! link died without a reset) held its connection, and for a tus PATCH the upload's lease, for
//! as long as the socket stayed open; enough such connections used up the server's file
//! descriptors. A stalled body ends in a read error, which every reader already handles as a cut
//! connection: a JSON body gets a 400, an upload keeps what arrived and releases its lease.

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use futures_util::StreamExt;

/// `payload`, cut with an error once no chunk has arrived for `idle`.
pub fn idle_limited(payload: Payload, idle: Duration) -> Payload {
    let stream = futures_util::stream::unfold(Some(payload), move |state| async move {
        let mut payload = state?;
        match tokio::time::timeout(idle, payload.next()).await {
            Ok(Some(item)) => Some((item, Some(payload))),
            Ok(None) => None,
            Err(_) => Some((
                Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no body bytes for {} s", idle.as_secs()),
                ))),
                None,
            )),
        }
    });
    Payload::Stream {
        payload: Box::pin(stream),
    }
}
