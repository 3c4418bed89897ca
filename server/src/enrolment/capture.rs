//! May this enrolled device submit this capture? The core decides (`check_enrolment`, the same
//! check an auditor's `tallyseal verify` makes); this module hands it the enrolment records of
//! the capture's election and turns a failure into `revoked-device` or `wrong-station`.

use tallyseal_core::keys::SignatureBytes;
use tallyseal_core::manifest::CaptureManifest;

use crate::db::DeviceRow;
use crate::error::{ApiError, Problem};
use crate::provenance::{self, CheckId, EnrolledDevice, Outcome, VerificationContext};

/// Check `device` (the enrolment of the manifest's key) against the capture at `now_ms`, the time
/// the manifest is received. `manifest` is `manifest_bytes` opened with `signature`.
///
/// The core's records carry no election: only an enrolment for the capture's election is handed
/// to it, so a device enrolled for another election is not enrolled for this capture's station.
pub fn check_capture_device(
    manifest_bytes: &[u8],
    signature: &SignatureBytes,
    manifest: &CaptureManifest,
    device: &DeviceRow,
    now_ms: i64,
) -> Result<(), ApiError> {
    if device.election_id != manifest.election {
        return Err(ApiError::new(
            Problem::WrongStation,
            format!(
                "the device is enrolled for election {}, not {}",
                device.election_id, manifest.election
            ),
        ));
    }
    let ctx = VerificationContext {
        devices: vec![EnrolledDevice {
            key: manifest.device.key,
            constituency: device.constituency.clone(),
            station: u32::try_from(device.station).unwrap_or(u32::MAX),
            enrolled_at_ms: Some(device.enrolled_at_ms),
            revoked_at_ms: device.revoked_at_ms,
        }],
        received_at_ms: Some(now_ms),
        now_ms,
        ..Default::default()
    };
    let report = provenance::verify_capture(manifest_bytes, signature, None, &ctx);
    let Some(check) = report.check(CheckId::DeviceEnrolled) else {
        return Err(ApiError::internal(
            "enrolment check",
            "the core made no enrolment check",
        ));
    };
    match check.outcome {
        Outcome::Pass => Ok(()),
        Outcome::Fail if check.measured.contains_key("revoked_at_ms") => Err(ApiError::new(
            Problem::RevokedDevice,
            format!("this device key has been revoked: {}", check.reason),
        )),
        Outcome::Fail => Err(ApiError::new(Problem::WrongStation, check.reason.clone())),
        Outcome::Warn => Err(ApiError::internal(
            "enrolment check",
            format!("not checked: {}", check.reason),
        )),
    }
}
