//! The tallyseal server: enrolment, resumable intake, provenance verification, durable storage and
//! signed receipts.
//!
//! Map of the modules:
//! - [`config`]: [`ServerConfig`] from defaults, a TOML file and `TALLYSEAL_*` variables.
//! - [`startup`]: [`Application::build`] binds the listener, migrates the database and returns a
//!   running app and its port; [`run`] is what `tallyseal serve` calls.
//! - [`db`]: the database (SQLite or PostgreSQL through `sqlx::any`, one set of queries).
//! - [`store`]: the [`store::ObjectStore`] trait with the local-filesystem, S3 and in-memory backends.
//! - [`secrets`]: the commission signing key and the admin token (generated on first run).
//! - [`analysis`]: the near-duplicate analysis that runs after the verified receipt.
//! - [`provenance`]: the one place the server talks to `tallyseal-core` about manifests, receipts,
//!   time anchors, packages and verification.
//! - [`allocator`]: one C-allocator arena per core (bounds memory under large uploads).
//! - [`error`]: RFC 9457 problem+json errors with stable `type` URIs.
//! - [`routes`]: HTTP handlers grouped by domain (elections, enrolment, captures, tus uploads).
//!
//! The server never derives a storage key from the administrative hierarchy, never overwrites an
//! object and never updates or deletes an audit event.

pub mod allocator;
pub mod analysis;
mod body_timeout;
pub mod config;
pub mod db;
pub mod elections;
pub mod enrolment;
pub mod error;
pub mod intake;
pub mod provenance;
pub mod routes;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod store;
pub mod sweep;

pub use config::ServerConfig;
pub use startup::{Application, StartupError, run};

/// Milliseconds since the Unix epoch, from the system clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `n` random bytes from the operating system, as lowercase hex.
pub fn random_hex(n: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf)?;
    Ok(hex::encode(buf))
}
