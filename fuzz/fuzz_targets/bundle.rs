//! `EvidenceBundle::from_bytes` on arbitrary bytes: an error is fine, a panic is not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallyseal_core::bundle::EvidenceBundle;

fuzz_target!(|data: &[u8]| {
    let _ = EvidenceBundle::from_bytes(data);
});
