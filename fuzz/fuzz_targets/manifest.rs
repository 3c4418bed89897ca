//! `CaptureManifest::parse` on arbitrary bytes: an error is fine, a panic is not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallyseal_core::manifest::CaptureManifest;

fuzz_target!(|data: &[u8]| {
    let _ = CaptureManifest::parse(data);
});
