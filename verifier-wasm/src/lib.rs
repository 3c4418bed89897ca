//! The core's bundle verifier for the visitor's browser: the same `verify_bundle_with_log` the
//! phone, the server and `tallyseal verify` run, compiled to `wasm32-unknown-unknown` and embedded
//! in the server (`server/build.rs`), served at `/static/verifier.wasm` and driven by
//! `server/static/portal-verify.js` (`docs/portal-verifier.md`).
//!
//! Files: `published` (the server's published keys, the election's signed package and the
//! enrolment records turned into core's context and log policy; the answer the page reads) and
//! `abi` (the exported functions: input buffers, `describe`, `verify`, the output buffer).
//! It must never hold verification logic of its own: every check is core's.

pub mod abi;
pub mod published;

pub use published::{
    BrowserVerification, BundleDescription, PublishedContext, Trust, TrustSummary, describe, trust,
    verify,
};

/// Verification draws no randomness; nothing in this module may (a key or a seal made in a
/// page would be no evidence). getrandom's `custom` source for `wasm32-unknown-unknown` (core's
/// `Cargo.toml`) refuses, so no JavaScript glue is needed.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn no_randomness(_buf: &mut [u8]) -> Result<(), getrandom::Error> {
    Err(getrandom::Error::UNSUPPORTED)
}
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
getrandom::register_custom_getrandom!(no_randomness);
