//! (in progress)
pub struct VerificationContext;
pub struct VerificationReport;
pub fn verify_bundle() {}
