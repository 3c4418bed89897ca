//! Enrolment: one-time codes issued for a polling station, a phone's key bound to that station
//! with a code, revocation, and whether an enrolled device may submit a given capture.
//!
//! Every rule about a capture's device is the core's (`check_enrolment`, reached through
//! [`crate::provenance::verify_capture`]); this module only picks the enrolment records that apply
//! and maps the core's outcome onto the API's problems. It never reads HTTP requests (the routes
//! parse and authorise) and never imports a route.

pub mod capture;
pub mod codes;
pub mod devices;

pub use capture::check_capture_device;
pub use codes::{IssuedCode, code_hash, issue_code};
pub use devices::{Enrolled, enrol, revoke};
