//! The exported functions the page calls (`server/static/portal-verify.js`), with no bindings
//! generator: numbers in, numbers out, bytes through the module's memory.
//!
//! 1. `tallyseal_input(slot, len)` returns where to write `len` bytes of input `slot`
//!    (0 the bundle, 1 the keys' JSON, 2 the context's JSON), or 0 when `len` is beyond
//!    [`MAX_INPUT_BYTES`] or memory is short; the page copies its bytes there.
//! 2. `tallyseal_describe()` (what the bundle says it is) or `tallyseal_verify(now_ms)` writes a
//!    JSON answer into the output buffer and returns its length;
//! 3. `tallyseal_output()` returns where that answer is.
//!
//! The page must read the memory again after each call (memory may have grown). The module is
//! single-threaded; the buffers are kept between calls and replaced by the next input.
//! `tallyseal_abi_version()` names this contract; a change to it takes the next number.

use std::sync::{Mutex, MutexGuard};

use serde::Serialize;

/// The version of this calling contract.
pub const ABI_VERSION: u32 = 1;

/// The largest input accepted: a bundle's image may be 64 MiB, plus its other sections.
pub const MAX_INPUT_BYTES: u32 = 66 * 1024 * 1024;

struct Buffers {
    inputs: [Vec<u8>; 3],
    output: Vec<u8>,
}

static BUFFERS: Mutex<Buffers> = Mutex::new(Buffers {
    inputs: [Vec::new(), Vec::new(), Vec::new()],
    output: Vec::new(),
});

fn buffers() -> MutexGuard<'static, Buffers> {
    // A panic while holding the lock aborts the module on wasm32; natively the buffers are
    // still whole bytes, so the guard is taken back.
    BUFFERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Replace input `slot` by `len` zero bytes and return where they are (null if refused).
pub fn input(slot: u32, len: u32) -> *mut u8 {
    let mut b = buffers();
    let Some(buf) = b.inputs.get_mut(slot as usize) else {
        return std::ptr::null_mut();
    };
    if len > MAX_INPUT_BYTES {
        return std::ptr::null_mut();
    }
    let mut fresh = Vec::new();
    if fresh.try_reserve_exact(len as usize).is_err() {
        return std::ptr::null_mut();
    }
    fresh.resize(len as usize, 0);
    *buf = fresh;
    buf.as_mut_ptr()
}

fn answer(value: &impl Serialize) -> u32 {
    let json = serde_json::to_vec(value).unwrap_or_else(|e| {
        format!(r#"{{"verdict":"failed","error":"the answer cannot be encoded: {e}"}}"#)
            .into_bytes()
    });
    let len = json.len() as u32;
    buffers().output = json;
    len
}

/// Write what the bundle in slot 0 says it is into the output; return its length.
pub fn describe() -> u32 {
    let result = {
        let b = buffers();
        crate::describe(&b.inputs[0])
    };
    match result {
        Ok(d) => answer(&d),
        Err(e) => answer(&serde_json::json!({ "error": e })),
    }
}

/// Verify the bundle in slot 0 against the keys in slot 1 and the context in slot 2; write the
/// answer into the output and return its length.
pub fn verify(now_ms: f64) -> u32 {
    let result = {
        let b = buffers();
        crate::verify(&b.inputs[0], &b.inputs[1], &b.inputs[2], now_ms as i64)
    };
    answer(&result)
}

/// Where the last answer is.
pub fn output() -> *const u8 {
    buffers().output.as_ptr()
}

// The exports. `no_mangle` is what makes a function visible to the page; it is the only reason
// this crate allows `unsafe_code`, and the bodies are safe Rust.

#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn tallyseal_abi_version() -> u32 {
    ABI_VERSION
}

#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn tallyseal_input(slot: u32, len: u32) -> *mut u8 {
    input(slot, len)
}

#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn tallyseal_describe() -> u32 {
    describe()
}

#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn tallyseal_verify(now_ms: f64) -> u32 {
    verify(now_ms)
}

#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn tallyseal_output() -> *const u8 {
    output()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output_bytes() -> Vec<u8> {
        buffers().output.clone()
    }

    #[test]
    fn inputs_are_bounded_and_answers_are_json() {
        assert!(input(3, 1).is_null());
        assert!(input(0, MAX_INPUT_BYTES + 1).is_null());
        assert!(!input(0, 4).is_null());
        let len = describe();
        let answer: serde_json::Value = serde_json::from_slice(&output_bytes()).unwrap_or_default();
        assert_eq!(len as usize, output_bytes().len());
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.contains("evidence bundle")),
            "{answer}"
        );
        let len = verify(0.0);
        let answer: serde_json::Value = serde_json::from_slice(&output_bytes()).unwrap_or_default();
        assert_eq!(len as usize, output_bytes().len());
        assert_eq!(answer["verdict"], "failed");
        assert_eq!(answer["format"], "tallyseal.browser-verification");
    }
}
