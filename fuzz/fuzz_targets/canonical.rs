//! Canonical JSON on arbitrary bytes. Two properties:
//! - bytes that `from_canonical_bytes` accepts re-encode to themselves;
//! - any JSON that serde_json reads and `to_canonical_bytes` encodes is accepted back by
//!   `from_canonical_bytes` and encodes the same again (the encoder's output is canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tallyseal_core::canonical::{from_canonical_bytes, to_canonical_bytes};

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = from_canonical_bytes::<Value>(data) {
        assert_eq!(to_canonical_bytes(&value).expect("re-encodes"), data);
    }
    if let Ok(value) = serde_json::from_slice::<Value>(data)
        && let Ok(bytes) = to_canonical_bytes(&value)
    {
        let again: Value = from_canonical_bytes(&bytes).expect("canonical output is canonical");
        assert_eq!(to_canonical_bytes(&again).expect("re-encodes"), bytes);
    }
});
