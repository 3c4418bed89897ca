//! The tallyseal server: enrolment, resumable intake, provenance verification, durable storage and
//! signed receipts.
//!
//! Three layers: **routes** parse, authorise, call a service and map its result; **services**
//! own the rules and call `tallyseal-core` for every verification through [`provenance`];
//! **storage** ([`db`], [`store`]) holds what they decide. Routes → services → storage; services
//! and background workers never import a route (only [`startup`] wires the routes).
//!
//! Map of the modules:
//! - [`config`]: [`ServerConfig`] from defaults, a TOML file and `TALLYSEAL_*` variables.
//! - [`startup`]: [`Application::build`] binds the listener, migrates the database, starts the
//!   workers and returns a running app and its port; [`run`] is what `tallyseal serve` calls.
//! - [`routes`]: the HTTP adapters (elections, enrolment, captures, tus uploads, health, keys,
//!   time anchors).
//! - Services: [`intake`] (manifest, uploads, part files, completion, receipts, status),
//!   [`elections`] (packages), [`enrolment`] (codes, devices, revocation, a capture's device).
//! - Background workers: [`analysis`] (near-duplicate analysis after the verified receipt) and
//!   [`sweep`] (part files nobody will finish).
//! - [`log`]: the public transparency log (leaves in their events' transactions, the sequencer
//!   publishing tiles and checkpoints, witness cosignatures).
//! - [`provenance`]: the one door to `tallyseal-core`'s verification and signing (manifests,
//!   receipts, time anchors, packages, upload authorisations, capture verification).
//! - [`db`]: the database (SQLite or PostgreSQL through `sqlx::any`, one set of queries), a file
//!   per table; reads are functions on the read pool, writes are [`db::Database`] methods.
//! - [`store`]: the [`store::ObjectStore`] trait with the local-filesystem, S3 and in-memory backends.
//! - [`secrets`]: the commission signing key and the admin token (generated on first run).
//! - [`state`]: what handlers and workers share.
//! - [`allocator`]: one C-allocator arena per core (bounds memory under large uploads).
//! - `body_timeout`, `connection_limits`: stalled or trickling bodies are cut; connections per
//!   client address are capped.
//! - `cors`: which browser origins may read and write; `bearer_challenge`: `WWW-Authenticate` on 401.
//! - [`error`]: RFC 9457 problem+json errors with stable `type` URIs.
//! - `text_fields`: free text people type is refused with control or bidi characters.
//! - [`access_log`]: one log line per request, with an `X-Request-Id`; the request metrics.
//! - [`metrics`]: Prometheus metrics at `GET /metrics`.
//! - [`landing`]: the landing page at `/`.
//! - [`figures`]: the RO console's figures: blind double entry, corrections, quarantine, Forms
//!   47/48/49; [`review`]: which captures the RO accepted (read through one function).
//! - [`stations`]: the one definition of a polling station's state, the arrival board, the
//!   national summary and live board announcements.
//! - [`review`]: the Returning Officer's review of a capture (what it shows, the map) and the
//!   append-only decisions (accept, reject, ask for a new capture).
//! - [`accounts`]: console users, roles and the one authorisation decision (role and constituency);
//!   argon2id passwords, sign-in with lock-out, sessions kept in the database.
//! - [`web`]: the pages' shell: the console's session layer (the `Actor` of each request, the
//!   anti-forgery checks), cookies, the layout and error pages, the built-in CSS and htmx.
//! - [`i18n`]: the one Fluent catalogue of every page (English and Urdu).
//!
//! The server never derives a storage key from the administrative hierarchy, never overwrites an
//! object and never updates or deletes an audit event.

pub mod access_log;
pub mod accounts;
pub mod allocator;
pub mod analysis;
mod bearer_challenge;
mod body_timeout;
pub mod config;
mod connection_limits;
mod cors;
pub mod db;
pub mod elections;
pub mod enrolment;
pub mod error;
pub mod figures;
pub mod i18n;
pub mod intake;
pub mod landing;
pub mod log;
pub mod metrics;
pub mod portal;
pub mod provenance;
pub mod public;
pub mod review;
pub mod routes;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod stations;
pub mod store;
pub mod sweep;
mod text_fields;
pub mod web;

pub use config::ServerConfig;
pub use startup::{Application, StartupError, run};

/// Milliseconds since the Unix epoch, from the system clock (defined once, in core's `system`).
pub use tallyseal_core::system::now_ms;

/// `n` random bytes from the operating system, as lowercase hex.
pub fn random_hex(n: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf)?;
    Ok(hex::encode(buf))
}
