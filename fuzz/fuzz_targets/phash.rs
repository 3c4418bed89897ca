//! The perceptual hash on arbitrary bytes: neither the DC-only fast path nor the general decoder
//! may panic, hang or allocate without bound. Both are called on every input (through `dhash`
//! alone the general decoder would only see what the fast path refuses).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallyseal_core::phash::{dhash_fast, dhash_general};

fuzz_target!(|data: &[u8]| {
    let _ = dhash_fast(data);
    let _ = dhash_general(data);
});
