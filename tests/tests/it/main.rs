//! End-to-end tests: the phone side (`tallyseal_core::client`, the field simulator) against the
//! real server started in-process on a free port with a fresh data directory.
//!
//! - [`vertical`]: enrol → capture → durable outbox → sync → receipt verified, and the
//!   needs-attention path (revoked device).
//! - [`kill`]: a child phone process killed with SIGKILL at random points, many runs; every
//!   capture reported sealed ends up received exactly once.
//! - [`recapture`]: a capture's log inclusion and a recapture request at the phone's next sync;
//!   the answer supersedes the old capture.
//! - [`slow_network`]: through a 2G proxy (~100 kbit/s, 400 ms each way) that cuts the connection
//!   mid-upload.
//!
//! The transparency log end to end (phone, server, two `tallyseal witness` processes,
//! `tallyseal verify` and `tallyseal log monitor`) is `cli/tests/log_end_to_end.rs`, where the
//! `tallyseal` binary is at hand.

// Test helpers outside #[test] functions (proxy, child runner) may unwrap like the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod docs_links;
mod kill;
mod proxy;
mod recapture;
mod slow_network;
mod vertical;
