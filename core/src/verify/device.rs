//! The capturing device: its enrolment for the claimed station and its chain of captures.
//! Like every check, it must never do I/O, read the clock or panic on what a capture holds.

use serde_json::json;

use super::context::{EnrolledDevice, VerificationContext};
use super::format::fmt_ms;
use super::report::{CheckId, Checks};
use crate::hash::Sha256Digest;
use crate::manifest::CaptureManifest;

pub(super) fn check_enrolment(m: &CaptureManifest, ctx: &VerificationContext, c: &mut Checks) {
    if ctx.devices.is_empty() {
        c.warn(
            CheckId::DeviceEnrolled,
            "no enrolment records in the context: the device key was not checked",
            json!({"device_key": m.device.key}),
        );
        return;
    }
    let records: Vec<&EnrolledDevice> = ctx
        .devices
        .iter()
        .filter(|d| d.key == m.device.key)
        .collect();
    let reference_ms = ctx.received_at_ms.unwrap_or(ctx.now_ms);
    let here = records
        .iter()
        .find(|d| d.constituency == m.constituency && d.station == m.station);
    match (records.is_empty(), here) {
        (true, _) => c.fail(
            CheckId::DeviceEnrolled,
            "the device key is not enrolled for any station",
            json!({"device_key": m.device.key}),
        ),
        (false, None) => {
            let d = records[0];
            c.fail(
                CheckId::DeviceEnrolled,
                format!(
                    "the device is enrolled for {} station {}, but the capture claims {} station {}",
                    d.constituency, d.station, m.constituency, m.station
                ),
                json!({"device_key": m.device.key, "enrolled_constituency": d.constituency, "enrolled_station": d.station}),
            )
        }
        (false, Some(d)) => match d.revoked_at_ms {
            Some(r) if r <= reference_ms => c.fail(
                CheckId::DeviceEnrolled,
                format!("the device key was revoked at {} (before the capture was received)", fmt_ms(r)),
                json!({"device_key": m.device.key, "revoked_at_ms": r, "reference_ms": reference_ms}),
            ),
            _ => c.pass(
                CheckId::DeviceEnrolled,
                format!("the device key is enrolled for {} station {}", d.constituency, d.station),
                json!({"device_key": m.device.key, "enrolled_at_ms": d.enrolled_at_ms}),
            ),
        },
    }
}

pub(super) fn check_sequence(
    m: &CaptureManifest,
    manifest_hash: &Sha256Digest,
    ctx: &VerificationContext,
    c: &mut Checks,
) {
    let seq = m.device.seq;
    let measured =
        json!({"seq": seq, "prev": m.device.prev, "known_captures": ctx.prior_captures.len()});
    if let Some(fork) = ctx
        .prior_captures
        .iter()
        .find(|p| p.seq == seq && &p.manifest_hash != manifest_hash)
    {
        c.fail(
            CheckId::CaptureSequence,
            format!("the device already produced a different capture with sequence number {seq}"),
            json!({"seq": seq, "other_manifest": fork.manifest_hash}),
        );
        return;
    }
    if seq == 1 {
        c.pass(
            CheckId::CaptureSequence,
            "the device's first capture",
            measured,
        );
        return;
    }
    // Of several captures numbered `seq - 1` (a fork, flagged on the later of them), the one
    // this capture names, whatever order they are known in.
    let mut before = ctx.prior_captures.iter().filter(|p| p.seq == seq - 1);
    let linked = before
        .clone()
        .find(|p| Some(p.manifest_hash) == m.device.prev);
    match linked.or_else(|| before.next()) {
        Some(p) if Some(p.manifest_hash) == m.device.prev => c.pass(
            CheckId::CaptureSequence,
            format!("capture {seq} follows capture {} of this device", seq - 1),
            measured,
        ),
        Some(p) => c.fail(
            CheckId::CaptureSequence,
            format!("the chain is broken: capture {} of this device is {}, not the one this capture names", seq - 1, p.manifest_hash),
            measured,
        ),
        None => {
            let known_below = ctx.prior_captures.iter().filter(|p| p.seq < seq).map(|p| p.seq).max();
            let missing_from = known_below.map_or(1, |k| k + 1);
            c.warn(
                CheckId::CaptureSequence,
                format!(
                    "gap in the device's captures: {} not received",
                    if missing_from == seq - 1 {
                        format!("capture {missing_from}")
                    } else {
                        format!("captures {missing_from}..{}", seq - 1)
                    }
                ),
                json!({"seq": seq, "missing_from": missing_from, "missing_to": seq - 1}),
            );
        }
    }
}
