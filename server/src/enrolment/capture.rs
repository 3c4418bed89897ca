//! May this enrolled device submit this capture? The core decides (`device_enrolment_check`, the
//! same `device_enrolled` check an auditor's `tallyseal verify` makes); this module hands it the
//! enrolment records of the capture's election and turns a failure into `revoked-device` or
//! `wrong-station`.

use tallyseal_core::manifest::CaptureManifest;

use crate::db::DeviceRow;
use crate::error::{ApiError, Problem};
use crate::provenance::{self, CheckId, EnrolledDevice, Outcome, VerificationContext};

/// Check `device` (the enrolment of the manifest's key) against the capture at `now_ms`, the time
/// the manifest is received. `manifest` has been opened (its signature checked) already.
///
/// The core's records carry no election: only an enrolment for the capture's election is handed
/// to it, so a device enrolled for another election is not enrolled for this capture's station.
pub fn check_capture_device(
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
    let check = provenance::device_enrolment_check(manifest, &ctx);
    if check.check != CheckId::DeviceEnrolled {
        return Err(ApiError::internal(
            "enrolment check",
            "the core made no enrolment check",
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use tallyseal_core::demo;
    use tallyseal_core::seal::{ChainState, SealedCapture, seal};

    fn capture() -> SealedCapture {
        let image = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/images/camera_gps/nikon_P6000_DSCN0010.jpg"
        ))
        .unwrap();
        let input = demo::capture_input(image, None, demo::STATION_1).unwrap();
        seal(input, &demo::device_key(), &ChainState::genesis()).unwrap()
    }

    fn enrolment(c: &SealedCapture) -> DeviceRow {
        DeviceRow {
            device_key: c.manifest.device.key.into(),
            election_id: c.manifest.election.clone(),
            constituency: c.manifest.constituency.clone(),
            station: i64::from(c.manifest.station),
            officer_name: "PO".into(),
            enrolled_at_ms: 1,
            revoked_at_ms: None,
        }
    }

    fn problem(c: &SealedCapture, device: &DeviceRow, now: i64) -> Option<Problem> {
        check_capture_device(&c.manifest, device, now)
            .err()
            .map(|e| e.problem)
    }

    /// The core's enrolment rules decide: the station first, then revocation of that enrolment
    /// up to the time received; an enrolment for another election is none for this capture.
    #[test]
    fn the_core_decides_which_devices_may_submit() {
        let c = capture();
        let now = 1_000;
        let here = enrolment(&c);
        assert_eq!(problem(&c, &here, now), None);

        let revoked = DeviceRow {
            revoked_at_ms: Some(now),
            ..here.clone()
        };
        assert_eq!(problem(&c, &revoked, now), Some(Problem::RevokedDevice));
        let revoked_later = DeviceRow {
            revoked_at_ms: Some(now + 1),
            ..here.clone()
        };
        assert_eq!(problem(&c, &revoked_later, now), None);

        let elsewhere = DeviceRow {
            station: here.station + 1,
            ..here.clone()
        };
        assert_eq!(problem(&c, &elsewhere, now), Some(Problem::WrongStation));
        // Revoked and elsewhere: the station is checked first (the server used to answer
        // revoked-device here, before the check became the core's).
        let revoked_elsewhere = DeviceRow {
            revoked_at_ms: Some(now),
            ..elsewhere
        };
        assert_eq!(
            problem(&c, &revoked_elsewhere, now),
            Some(Problem::WrongStation)
        );
        let other_election = DeviceRow {
            election_id: "another-election".into(),
            ..here
        };
        assert_eq!(
            problem(&c, &other_election, now),
            Some(Problem::WrongStation)
        );
    }
}
