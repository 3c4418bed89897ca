//! Time anchors on the phone: fetch one while online (a fresh random nonce, signature checked
//! against the commission key, nonce checked), note the monotonic and wall clocks the moment it
//! arrives, and keep it (`anchor.json`) for captures made later, offline.

use crate::client::api::{ServerUrl, parse_time_anchor};
use crate::client::clock::Clock;
use crate::client::error::{ClientError, ClientResult};
use crate::client::http::HttpTransport;
use crate::keys::PublicKey;
use crate::time::{AnchorEvidence, ClockReadings};

/// Fetch, check and timestamp a new anchor.
pub fn fetch_anchor(
    transport: &dyn HttpTransport,
    server: &ServerUrl,
    commission_key: &PublicKey,
    clock: &dyn Clock,
) -> ClientResult<AnchorEvidence> {
    let mut nonce = [0u8; 16];
    getrandom::getrandom(&mut nonce)
        .map_err(|e| ClientError::Custody(format!("randomness: {e}")))?;
    let nonce = hex::encode(nonce);
    let resp = transport.execute(server.time_anchor_request(&nonce)?)?;
    // Read the clocks as soon as the answer is in: the anchor's uncertainty covers the round trip.
    let now = clock.now();
    let anchor = parse_time_anchor(&resp)?;
    anchor
        .verify(std::slice::from_ref(commission_key))
        .map_err(|e| ClientError::Untrusted(format!("time anchor: {e}")))?;
    if anchor.body.nonce != nonce {
        return Err(ClientError::Untrusted(
            "the time anchor is not for the nonce this phone sent".into(),
        ));
    }
    Ok(AnchorEvidence {
        anchor,
        received_monotonic_ms: now.monotonic_ms,
        received_device_time_ms: now.wall_ms,
        boot_id: now.boot_id,
    })
}

/// The clock readings for a capture right now, with the anchor the phone holds (if it is from
/// this boot; an anchor from before a restart cannot be aged by the monotonic clock).
pub fn readings_now(clock: &dyn Clock, anchor: Option<AnchorEvidence>) -> ClockReadings {
    let now = clock.now();
    let anchor =
        anchor.filter(|a| a.boot_id == now.boot_id && a.received_monotonic_ms <= now.monotonic_ms);
    ClockReadings {
        device_time_ms: now.wall_ms,
        tz_offset_min: now.tz_offset_min,
        monotonic_ms: now.monotonic_ms,
        boot_id: now.boot_id,
        anchor,
    }
}
