//! uniffi bindings of the tallyseal core for Kotlin and Swift (thin: everything real lives in
//! `tallyseal_core::client`).
//!
//! Surface (`docs/phone.md`):
//! - [`TallysealClient`], one object: enrol / station / check figures / capture / outbox / sync /
//!   retry / clear / bundle / agent copy / settings / recapture requests and answers / log
//!   inclusion;
//! - records of what the server says later about a capture ([`follow_up`]);
//! - records for the model and the reports ([`records`]);
//! - foreign traits the shells implement ([`platform`]): [`KeyCustody`] (Android Keystore, iOS
//!   Keychain), [`HttpTransport`] (OkHttp, URLSession: TLS is the platform's) and
//!   [`StatusListener`] (progress and state changes);
//! - one small error, [`TallysealError`] (`Network`, `InvalidInput`, `Storage`, `Server`, `Other`).
//!
//! Nothing exported is async (the shells call from a background thread / WorkManager /
//! BGTaskScheduler) and no panic crosses the boundary: every exported call runs under
//! `catch_unwind` and a panic becomes `TallysealError::Other`.

uniffi::setup_scaffolding!();

pub mod client;
pub mod error;
pub mod follow_up;
pub mod platform;
pub mod records;

pub use client::TallysealClient;
pub use error::TallysealError;
pub use platform::{HttpTransport, KeyCustody, StatusListener};
