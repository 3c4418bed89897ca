//! The phone side of tallyseal (feature `client`): everything a Presiding Officer's phone does,
//! written once in Rust and used by the Android/iOS shells (through `tallyseal-mobile`), the field
//! simulator (`tallyseal-field`) and the end-to-end tests.
//!
//! This is, with [`crate::system`] (the wall clock and directory fsync it shares with the server and
//! the CLI), the only part of the core that does I/O, and it does it in two narrow places:
//! - **files**, through [`fsio`] (write temp, fsync, rename, fsync the directory) for the
//!   [`outbox`] and the device state in one app-private directory;
//! - **HTTP**, through the [`http::HttpTransport`] trait: [`api`] and [`tus`] build requests and
//!   interpret responses without doing any I/O themselves; [`http::StdHttpTransport`] is a small
//!   pure-std HTTP/1.1 client for `http://` (simulator, tests), and the shells supply OkHttp or
//!   URLSession (TLS) through the same trait.
//!
//! It must never: send or acknowledge anything before the capture is durable in the outbox;
//! delete an image before the server's signed receipt for it has been verified; delete an
//! evidence bundle unless the Presiding Officer clears it; link a C library (the phone build is
//! pure Rust: `cargo check --target aarch64-linux-android`).
//!
//! Map:
//! - [`phone`]: [`PhoneClient`], the one object the shells and the simulator use.
//! - [`custody`]: the [`custody::KeyCustody`] trait (Keystore/Keychain in the shells; a file for
//!   the simulator) and the device key.
//! - [`enrol`]: enrolment payloads (QR) and the enrolment record kept on the phone.
//! - [`anchors`]: server time anchors and the phone's clocks ([`clock`]).
//! - [`capture`]: the capture request and outcome (figures, pages, self-check).
//! - [`selfcheck`]: the core verifier run on the phone before sending.
//! - [`outbox`]: the crash-safe on-disk outbox and each item's state.
//! - [`uploader`]: the per-item state machine (manifest first, then the image over tus),
//!   backoff with jitter, "needs attention".
//! - [`follow_up`]: at every sync, what the server says later about each capture (its log
//!   inclusion, a recapture request); [`recapture`]: pending requests and answering them.
//! - [`agent_copy`]: the QR payload polling agents scan.
//! - [`error`]: [`ClientError`] and the server's problem+json.

pub mod agent_copy;
pub mod anchors;
pub mod api;
pub mod backoff;
pub mod capture;
pub mod clock;
pub mod custody;
pub mod enrol;
pub mod error;
pub mod follow_up;
pub mod fsio;
pub mod http;
pub mod outbox;
pub mod phone;
pub mod recapture;
pub mod selfcheck;
pub mod tus;
pub mod uploader;

pub use error::{ClientError, ClientResult, Problem};
pub use phone::{PhoneClient, PhoneOptions, Settings};
