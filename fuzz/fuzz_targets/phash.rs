//! The perceptual hash on arbitrary bytes: never panics, hangs or allocates without bound, and
//! when the fast DC-only path answers, that is the answer `dhash` gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallyseal_core::phash::{dhash, dhash_fast};

fuzz_target!(|data: &[u8]| {
    let fast = dhash_fast(data);
    let any = dhash(data);
    if fast.is_some() {
        assert_eq!(fast, any);
    }
});
