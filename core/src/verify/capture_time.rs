//! When the capture was taken: the best time estimate against the poll window, and the device
//! clock's skew.
//! Like every check, it must never do I/O, read the clock or panic on what a capture holds.

use serde_json::json;

use super::context::VerificationContext;
use super::format::{fmt_duration, fmt_ms, parse_rfc3339_ms};
use super::report::{CheckId, Checks};
use crate::manifest::CaptureManifest;
use crate::time::{GnssReading, TimeAssessment, TimeSource, assess_time};

pub(super) fn check_time(
    m: &CaptureManifest,
    ctx: &VerificationContext,
    c: &mut Checks,
) -> TimeAssessment {
    let gnss = m.fix.as_ref().filter(|f| !f.mock).and_then(|f| {
        f.gnss_time_ms.map(|t| GnssReading {
            gnss_time_ms: t,
            fix_monotonic_ms: f.fix_monotonic_ms,
        })
    });
    let t = assess_time(&m.clock, gnss, &ctx.anchor_keys);
    let best = t.best;
    let unc = best.uncertainty_ms.map_or(0, |u| u as i64);
    let reference_ms = ctx.received_at_ms.unwrap_or(ctx.now_ms);
    let mut measured = json!({
        "capture_time": fmt_ms(best.time_ms),
        "capture_time_ms": best.time_ms,
        "source": best.source,
        "uncertainty_ms": best.uncertainty_ms,
        "reference_time": fmt_ms(reference_ms),
    });
    let window = ctx.package.as_ref().and_then(|p| {
        Some((
            parse_rfc3339_ms(&p.election.poll_close)?,
            parse_rfc3339_ms(&p.election.results_deadline),
        ))
    });
    if let Some((close, _)) = window {
        measured["poll_close"] = json!(fmt_ms(close));
    }
    let future_by = best.time_ms - unc - reference_ms;
    if future_by > ctx.policy.future_tolerance_ms {
        c.fail(
            CheckId::CaptureTime,
            format!(
                "the capture time {} is {} after it was received",
                fmt_ms(best.time_ms),
                fmt_duration(future_by)
            ),
            measured,
        );
    } else if let Some((close, deadline)) = window {
        if best.time_ms + unc < close {
            c.fail(
                CheckId::CaptureTime,
                format!(
                    "taken {} before the poll closed: the result of the count cannot exist yet",
                    fmt_duration(close - best.time_ms)
                ),
                measured,
            );
        } else if best.time_ms < close {
            c.warn(
                CheckId::CaptureTime,
                "the capture time is within its uncertainty of the poll closing time",
                measured,
            );
        } else if best.source == TimeSource::DeviceClock {
            c.warn(
                CheckId::CaptureTime,
                "after poll close by the device clock, which is not trustworthy: no GNSS time and no usable time anchor",
                measured,
            );
        } else if deadline.is_some_and(|d| best.time_ms > d) {
            c.warn(
                CheckId::CaptureTime,
                "taken after the results deadline (late, but not impossible)",
                measured,
            );
        } else {
            c.pass(
                CheckId::CaptureTime,
                format!(
                    "taken {} after poll close (by {:?} time)",
                    fmt_duration(best.time_ms - close),
                    best.source
                ),
                measured,
            );
        }
    } else {
        c.warn(
            CheckId::CaptureTime,
            "poll times unknown to the verifier: the time window was not checked",
            measured,
        );
    }

    let mut sk = json!({
        "device_time": fmt_ms(m.clock.device_time_ms),
        "device_clock_skew_ms": t.device_clock_skew_ms,
        "clock_moved_ms": t.clock_moved_ms,
        "anchor_problem": t.anchor_problem,
    });
    if let Some(moved) = t
        .clock_moved_ms
        .filter(|d| d.abs() > crate::time::CLOCK_MOVED_THRESHOLD_MS)
    {
        sk["clock_moved_ms"] = json!(moved);
        c.warn(
            CheckId::ClockSkew,
            format!(
                "the device clock was moved by {} after the last time anchor",
                fmt_duration(moved)
            ),
            sk,
        );
    } else if let Some(skew) = t.device_clock_skew_ms {
        if skew.abs() > ctx.policy.clock_skew_warn_ms {
            c.warn(
                CheckId::ClockSkew,
                format!("the device clock is off by {}", fmt_duration(skew)),
                sk,
            );
        } else {
            c.pass(
                CheckId::ClockSkew,
                format!(
                    "the device clock is within {} of the best time",
                    fmt_duration(skew)
                ),
                sk,
            );
        }
    } else {
        let why = t
            .anchor_problem
            .clone()
            .unwrap_or_else(|| "no GNSS time and no time anchor".into());
        c.warn(
            CheckId::ClockSkew,
            format!("the device clock could not be checked: {why}"),
            sk,
        );
    }
    t
}
