//! `EvidenceBundle::from_bytes` on arbitrary bytes, then — when it parses — the whole verifier on
//! it (manifest parsing, signature, EXIF, time, geofence, phash, receipts, anchors, figures),
//! twice: with an empty context, and with the demo's (its package, enrolled phone, and server key
//! for receipts and anchors), so the checks that need keys and a package are reached too. An
//! error or a failed report is fine, a panic, hang or runaway allocation is not.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::demo;
use tallyseal_core::verify::{VerificationContext, verify_bundle};

static DEMO: OnceLock<VerificationContext> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = EvidenceBundle::from_bytes(data) {
        let empty = VerificationContext {
            now_ms: 1_707_400_000_000,
            ..Default::default()
        };
        let _ = verify_bundle(&bundle, &empty);
        let with_keys = DEMO.get_or_init(|| demo::context().expect("demo context"));
        let _ = verify_bundle(&bundle, with_keys);
    }
});
