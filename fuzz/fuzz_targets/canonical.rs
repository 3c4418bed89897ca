//! Canonical JSON on arbitrary bytes: `from_canonical_bytes` must not panic, and any JSON that
//! serde_json reads and `to_canonical_bytes` encodes must be accepted back by
//! `from_canonical_bytes` and encode the same again (the encoder's output is canonical). That
//! accepted bytes re-encode to themselves, `from_canonical_bytes` checks itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tallyseal_core::canonical::{from_canonical_bytes, to_canonical_bytes};

fuzz_target!(|data: &[u8]| {
    let _ = from_canonical_bytes::<Value>(data);
    if let Ok(value) = serde_json::from_slice::<Value>(data)
        && let Ok(bytes) = to_canonical_bytes(&value)
    {
        let again: Value = from_canonical_bytes(&bytes).expect("canonical output is canonical");
        assert_eq!(to_canonical_bytes(&again).expect("re-encodes"), bytes);
    }
});
