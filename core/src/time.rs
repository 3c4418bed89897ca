//! Time evidence: server-signed time anchors, the clock readings a phone records at capture, and the
//! best estimate of when a capture was taken.
//!
//! A phone's wall clock can be set to anything. Three better sources exist:
//! - **GNSS time** from the location fix (satellite time, hard to fake without a mock provider);
//! - a **time anchor**: the server signs `(nonce, server time, uncertainty)` while the phone is
//!   online; the phone notes its monotonic clock when it receives it. The monotonic clock cannot be
//!   set by the user and only resets on reboot, so later, offline, `server time + elapsed monotonic`
//!   is a trustworthy time with an uncertainty that grows slowly with the elapsed time;
//! - the device clock, last, with no bound on its error.

use serde::{Deserialize, Serialize};

use crate::canonical::{CanonicalError, to_canonical_bytes};
use crate::keys::{DeviceKey, KeyError, PublicKey, SignatureBytes};

/// Signature domain of time anchors.
pub const TIME_ANCHOR_DOMAIN: &str = "tallyseal/time-anchor/v1";

/// Worst-case drift of a phone's monotonic oscillator, parts per million (crystals are ~20-50 ppm;
/// we allow 200 to cover temperature and cheap hardware).
pub const MONOTONIC_DRIFT_PPM: u64 = 200;

/// Fixed allowance for GNSS time as reported through the phone's location API.
pub const GNSS_BASE_UNCERTAINTY_MS: u64 = 1_000;

/// A moved device clock is reported when the wall clock and the monotonic clock disagree about the
/// time elapsed since the anchor by more than this.
pub const CLOCK_MOVED_THRESHOLD_MS: i64 = 120_000;

/// The signed part of a time anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeAnchorBody {
    pub v: u32,
    /// The phone's random nonce (hex), so an anchor cannot be prepared in advance for it.
    pub nonce: String,
    /// Server's UTC time, Unix milliseconds.
    pub server_time_ms: i64,
    /// Server's bound on its own clock error, milliseconds.
    pub uncertainty_ms: u64,
}

/// A time anchor as issued by the server and kept by the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeAnchor {
    pub body: TimeAnchorBody,
    /// The server's time-anchor key.
    pub key: PublicKey,
    /// Signature over the canonical bytes of `body` under [`TIME_ANCHOR_DOMAIN`].
    pub signature: SignatureBytes,
}

/// Why an anchor was not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("the time anchor was signed by a key that is not trusted for time anchors")]
    UntrustedKey,
    #[error("the time anchor's signature does not verify: {0}")]
    Signature(#[from] KeyError),
    #[error("the time anchor could not be encoded: {0}")]
    Encoding(#[from] CanonicalError),
}

impl TimeAnchor {
    /// Issue (sign) an anchor. Called by the server.
    pub fn issue(
        key: &DeviceKey,
        nonce: &str,
        server_time_ms: i64,
        uncertainty_ms: u64,
    ) -> Result<TimeAnchor, TimeError> {
        let body = TimeAnchorBody {
            v: 1,
            nonce: nonce.to_owned(),
            server_time_ms,
            uncertainty_ms,
        };
        let bytes = to_canonical_bytes(&body)?;
        Ok(TimeAnchor {
            body,
            key: key.public_key(),
            signature: key.sign(TIME_ANCHOR_DOMAIN, &bytes),
        })
    }

    /// Check the anchor's signature and that its key is one of `trusted`.
    pub fn verify(&self, trusted: &[PublicKey]) -> Result<(), TimeError> {
        if !trusted.contains(&self.key) {
            return Err(TimeError::UntrustedKey);
        }
        let bytes = to_canonical_bytes(&self.body)?;
        self.key
            .verify(TIME_ANCHOR_DOMAIN, &bytes, &self.signature)?;
        Ok(())
    }
}

/// An anchor together with the phone's clocks at the moment it was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnchorEvidence {
    pub anchor: TimeAnchor,
    /// Monotonic clock (ms since boot) when the anchor arrived.
    pub received_monotonic_ms: u64,
    /// Device wall clock (Unix ms) when the anchor arrived.
    pub received_device_time_ms: i64,
    /// Boot identifier when the anchor arrived (monotonic time is only comparable within a boot).
    pub boot_id: Option<String>,
}

/// The clocks as the phone read them at the moment of capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockReadings {
    /// Device wall clock, Unix milliseconds.
    pub device_time_ms: i64,
    /// The device's UTC offset in minutes (e.g. 300 for UTC+05:00).
    pub tz_offset_min: i32,
    /// Monotonic clock, milliseconds since boot (Android `elapsedRealtime`).
    pub monotonic_ms: u64,
    /// Boot identifier (e.g. Android `BOOT_COUNT` or `/proc/sys/kernel/random/boot_id`).
    pub boot_id: Option<String>,
    /// The most recent time anchor the phone holds, if any.
    pub anchor: Option<AnchorEvidence>,
}

/// Where a time estimate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    Gnss,
    Anchor,
    DeviceClock,
}

/// The best estimate of when the capture was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeEstimate {
    pub source: TimeSource,
    /// Unix milliseconds.
    pub time_ms: i64,
    /// Bound on the error, milliseconds; `None` when unbounded (device clock only).
    pub uncertainty_ms: Option<u64>,
}

/// GNSS time as recorded with the fix used for a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GnssReading {
    /// UTC time of the fix, Unix ms.
    pub gnss_time_ms: i64,
    /// Monotonic clock when the fix was taken, if known.
    pub fix_monotonic_ms: Option<u64>,
}

/// Everything learned about time from one capture's readings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeAssessment {
    pub best: TimeEstimate,
    /// Estimate from the anchor, when the anchor was usable.
    pub anchor_estimate: Option<TimeEstimate>,
    /// Estimate from GNSS, when available.
    pub gnss_estimate: Option<TimeEstimate>,
    /// Device clock minus best estimate, when the best is not the device clock.
    pub device_clock_skew_ms: Option<i64>,
    /// Why the anchor could not be used, if one was present but unusable.
    pub anchor_problem: Option<String>,
    /// Wall-clock time elapsed since the anchor minus monotonic time elapsed: non-zero beyond
    /// [`CLOCK_MOVED_THRESHOLD_MS`] means the device clock was moved after the anchor.
    pub clock_moved_ms: Option<i64>,
}

fn drift_allowance(elapsed_ms: u64) -> u64 {
    elapsed_ms.saturating_mul(MONOTONIC_DRIFT_PPM) / 1_000_000
}

/// Work out the best capture time from the readings. `gnss` is `None` when the fix had no GNSS time
/// or came from a mock provider (callers decide which fixes to trust for time).
pub fn assess_time(
    clock: &ClockReadings,
    gnss: Option<GnssReading>,
    trusted_anchor_keys: &[PublicKey],
) -> TimeAssessment {
    let gnss_estimate = gnss.map(|g| {
        let (age, known) = match g.fix_monotonic_ms {
            Some(at) if at <= clock.monotonic_ms => (clock.monotonic_ms - at, true),
            _ => (0, false),
        };
        // Without the fix's monotonic time, the fix could be up to a minute old.
        let extra = if known { drift_allowance(age) } else { 60_000 };
        TimeEstimate {
            source: TimeSource::Gnss,
            time_ms: g.gnss_time_ms.saturating_add(age as i64),
            uncertainty_ms: Some(GNSS_BASE_UNCERTAINTY_MS + extra),
        }
    });

    let mut anchor_problem = None;
    let mut anchor_estimate = None;
    let mut clock_moved_ms = None;
    if let Some(ev) = &clock.anchor {
        let same_boot = match (&ev.boot_id, &clock.boot_id) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        if let Err(e) = ev.anchor.verify(trusted_anchor_keys) {
            anchor_problem = Some(e.to_string());
        } else if !same_boot {
            anchor_problem = Some("the phone restarted after receiving the time anchor".into());
        } else if clock.monotonic_ms < ev.received_monotonic_ms {
            anchor_problem = Some(
                "the monotonic clock is behind its reading at the anchor (the phone restarted)"
                    .into(),
            );
        } else {
            let elapsed = clock.monotonic_ms - ev.received_monotonic_ms;
            anchor_estimate = Some(TimeEstimate {
                source: TimeSource::Anchor,
                time_ms: ev.anchor.body.server_time_ms.saturating_add(elapsed as i64),
                uncertainty_ms: Some(
                    ev.anchor
                        .body
                        .uncertainty_ms
                        .saturating_add(drift_allowance(elapsed)),
                ),
            });
            let wall_elapsed = clock
                .device_time_ms
                .saturating_sub(ev.received_device_time_ms);
            clock_moved_ms = Some(wall_elapsed.saturating_sub(elapsed as i64));
        }
    }

    let candidates = [gnss_estimate, anchor_estimate];
    let best = candidates
        .iter()
        .flatten()
        .min_by_key(|e| e.uncertainty_ms.unwrap_or(u64::MAX))
        .copied()
        .unwrap_or(TimeEstimate {
            source: TimeSource::DeviceClock,
            time_ms: clock.device_time_ms,
            uncertainty_ms: None,
        });
    let device_clock_skew_ms = (best.source != TimeSource::DeviceClock)
        .then(|| clock.device_time_ms.saturating_sub(best.time_ms));
    TimeAssessment {
        best,
        anchor_estimate,
        gnss_estimate,
        device_clock_skew_ms,
        anchor_problem,
        clock_moved_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readings(anchor: Option<AnchorEvidence>) -> ClockReadings {
        ClockReadings {
            device_time_ms: 1_707_400_000_000,
            tz_offset_min: 300,
            monotonic_ms: 10_000_000,
            boot_id: Some("boot-1".into()),
            anchor,
        }
    }

    #[test]
    fn anchor_plus_monotonic_beats_device_clock() {
        let server = DeviceKey::from_seed(&[9; 32]);
        let anchor = TimeAnchor::issue(&server, "00ff", 1_707_390_000_000, 500).unwrap();
        let ev = AnchorEvidence {
            anchor,
            received_monotonic_ms: 4_000_000,
            received_device_time_ms: 1_707_394_000_000,
            boot_id: Some("boot-1".into()),
        };
        let a = assess_time(&readings(Some(ev)), None, &[server.public_key()]);
        assert_eq!(a.best.source, TimeSource::Anchor);
        assert_eq!(a.best.time_ms, 1_707_390_000_000 + 6_000_000);
        assert_eq!(a.best.uncertainty_ms, Some(500 + 1_200));
        assert_eq!(
            a.device_clock_skew_ms,
            Some(1_707_400_000_000 - 1_707_396_000_000)
        );
        assert_eq!(a.clock_moved_ms, Some(0));
    }

    #[test]
    fn untrusted_or_rebooted_anchor_is_not_used() {
        let server = DeviceKey::from_seed(&[9; 32]);
        let other = DeviceKey::from_seed(&[8; 32]);
        let anchor = TimeAnchor::issue(&server, "00ff", 1_707_390_000_000, 500).unwrap();
        let ev = AnchorEvidence {
            anchor,
            received_monotonic_ms: 4_000_000,
            received_device_time_ms: 0,
            boot_id: Some("boot-0".into()),
        };
        let a = assess_time(&readings(Some(ev.clone())), None, &[other.public_key()]);
        assert_eq!(a.best.source, TimeSource::DeviceClock);
        assert!(a.anchor_problem.is_some());
        let b = assess_time(&readings(Some(ev)), None, &[server.public_key()]);
        assert_eq!(b.best.source, TimeSource::DeviceClock);
        assert!(b.anchor_problem.unwrap().contains("restarted"));
    }

    #[test]
    fn tampered_anchor_fails_signature() {
        let server = DeviceKey::from_seed(&[9; 32]);
        let mut anchor = TimeAnchor::issue(&server, "00ff", 1_707_390_000_000, 500).unwrap();
        anchor.body.server_time_ms += 3_600_000;
        assert!(matches!(
            anchor.verify(&[server.public_key()]),
            Err(TimeError::Signature(_))
        ));
    }

    #[test]
    fn gnss_time_is_aged_by_monotonic_clock() {
        let g = GnssReading {
            gnss_time_ms: 1_707_399_000_000,
            fix_monotonic_ms: Some(9_990_000),
        };
        let a = assess_time(&readings(None), Some(g), &[]);
        assert_eq!(a.best.source, TimeSource::Gnss);
        assert_eq!(a.best.time_ms, 1_707_399_010_000);
        assert_eq!(a.device_clock_skew_ms, Some(990_000));
    }
}
