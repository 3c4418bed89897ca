//! (in progress)
pub struct CaptureInput;
pub struct ChainState;
pub struct SealedCapture;
pub fn seal() {}
