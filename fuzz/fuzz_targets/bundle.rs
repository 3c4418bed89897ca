//! `EvidenceBundle::from_bytes` on arbitrary bytes, then — when it parses — the whole verifier on
//! it (manifest parsing, signature, EXIF, time, geofence, phash): an error or a failed report is
//! fine, a panic, hang or runaway allocation is not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::verify::{VerificationContext, verify_bundle};

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = EvidenceBundle::from_bytes(data) {
        let ctx = VerificationContext { now_ms: 1_707_400_000_000, ..Default::default() };
        let _ = verify_bundle(&bundle, &ctx);
    }
});
