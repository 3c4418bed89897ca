//! (in progress)
pub struct CaptureManifest;
