//! The public portal's pages (`docs/portal.md`): read-only, no login, readable without
//! JavaScript. View models built from what the other domains decide — the open data's ledger and
//! results ([`crate::public`]), a capture's review ([`crate::review`]), the log's inclusion
//! ([`crate::log::publication`]) — with every word from the catalogue; the templates under
//! `server/templates/portal/` only loop over them.
//!
//! - [`context`]: the language (from the URL, so a shared cache can keep each page), the
//!   switch, the links and asset URLs every page shares.
//! - [`assets`]: the portal's stylesheet and its live-update script, at content-hashed URLs.
//! - [`national`]: the elections, and an election's overview (stations reporting by assembly and
//!   constituency, and hour by hour since the poll closed).
//! - [`constituency`]: the provisional result, Form-47 versions and deadline, turnout by gender
//!   (s.9 flag), the station ledger.
//! - [`station`]: a station's forms: images, confirmed figures, verdict and report, times,
//!   decisions, versions and corrections, the log entry.
//! - [`ledger_page`]: every station of the polling scheme and where each form stands.
//! - [`image`]: a capture's original image, as received.
//! - [`live`]: whether a constituency's page changed (announcements and confirmed results).
//! - [`words`]: labels, percentages and identifiers the pages share.
//!
//! Must never recompute a result or a state itself (it reads the services that decide them), nor
//! write anything.

pub mod assets;
pub mod constituency;
pub mod context;
pub mod image;
pub mod ledger_page;
pub mod live;
pub mod national;
pub mod rendition;
pub mod station;
pub mod words;
