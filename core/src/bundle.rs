//! (in progress)
pub struct EvidenceBundle;
