//! The self-check: the same verifier the server runs, on the phone, right after sealing, so the
//! Presiding Officer sees what would be flagged (outside the geofence, mock location, bad sums,
//! clock problems) while still at the station and able to retake the picture.

use crate::client::enrol::Enrolment;
use crate::hash::Sha256Digest;
use crate::package::ElectionPackage;
use crate::seal::SealedCapture;
use crate::verify::{
    EnrolledDevice, PriorCapture, VerificationContext, VerificationReport, verify_capture,
};

/// The verification context the phone can build from what it holds.
pub fn phone_context(
    enrolment: &Enrolment,
    package: &ElectionPackage,
    previous: Option<(u64, Sha256Digest)>,
    now_ms: i64,
) -> VerificationContext {
    VerificationContext {
        package: Some(package.clone()),
        package_hash: Some(enrolment.package_hash),
        devices: vec![EnrolledDevice {
            key: enrolment.device_key,
            constituency: enrolment.constituency.clone(),
            station: enrolment.station,
            enrolled_at_ms: Some(enrolment.enrolled_at_ms),
            revoked_at_ms: None,
        }],
        anchor_keys: vec![enrolment.commission_key],
        receipt_keys: vec![enrolment.commission_key],
        received_at_ms: None,
        now_ms,
        prior_captures: previous
            .map(|(seq, manifest_hash)| vec![PriorCapture { seq, manifest_hash }])
            .unwrap_or_default(),
        ..VerificationContext::default()
    }
}

/// Run the verifier on a sealed page.
pub fn self_check(sealed: &SealedCapture, ctx: &VerificationContext) -> VerificationReport {
    verify_capture(
        &sealed.manifest_bytes,
        &sealed.signature,
        Some(&sealed.image),
        ctx,
    )
}
