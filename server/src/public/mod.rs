//! The public portal's open data (`docs/public-api.md`): read-only, no login. Every answer is
//! built from what the other domains decide, never recomputed here: a station's state is
//! [`crate::stations::constituency_states`] with the figures domain's states
//! ([`crate::figures::board_states`]); results are [`crate::figures::compile`] over
//! [`crate::figures::standing`] and the RO's signed Form-47 versions
//! ([`crate::figures::signing`]); a capture's bundle is core's evidence bundle assembled from
//! what the intake stored and the log's inclusion proof ([`crate::log::publication`]).
//!
//! Every read here runs on [`AppState::for_public_reads`](crate::state::AppState::for_public_reads):
//! the PostgreSQL read replica when `database_read_url` is set (a few hundred milliseconds
//! behind the primary at most, in the normal case), the primary otherwise; a replica that does
//! not answer makes these reads 503, never the primary's load (docs/deployment.md).
//!
//! - [`identifiers`]: the path parameters, checked (a malformed one is a 400, never a lookup).
//! - [`catalogue`]: the elections this server publishes.
//! - [`ledger`]: every station of the polling scheme and where each form stands, as JSON and CSV.
//! - [`results`]: a constituency's provisional result from confirmed figures, as JSON and CSV.
//! - [`bundle`]: a capture's evidence bundle.
//! - [`devices`]: the enrolment records of a constituency's phones (for verifiers).
//! - [`archive`]: every bundle of a constituency as one streamed tar file with a `SHA256SUMS`.
//! - [`documents`]: the documents the console's log leaves commit to by hash.
//! - [`memo`]: short-lived in-process copies of the results and the ledger (`public_cache_ms`).
//! - [`csv`]: RFC 4180 fields, safe to open in a spreadsheet.

pub mod archive;
pub mod bundle;
pub mod catalogue;
pub mod csv;
pub mod devices;
pub mod documents;
pub mod identifiers;
pub mod ledger;
pub mod memo;
pub mod results;
