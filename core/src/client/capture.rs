//! What the Presiding Officer captures, and what the phone says back.
//!
//! A capture set is one form (Form-45 or Form-46) photographed as pages 1..n. Each page is sealed
//! on its own (one signed manifest, one device sequence number) and is written durably to the
//! outbox the moment it is sealed, before the next page and before anything is sent: the unit
//! that a crash cannot tear is the sealed page. A set interrupted between pages shows in the
//! outbox as "page 1 of 2"; nothing sealed is ever lost.

use crate::form::{FormFigures, FormKind, RuleViolation};
use crate::hash::Sha256Digest;
use crate::manifest::Supersedes;
use crate::seal::LocationFix;
use crate::verify::VerificationReport;

/// One photographed page.
#[derive(Debug, Clone)]
pub struct PageInput {
    pub image: Vec<u8>,
    pub media_type: String,
    pub fix: Option<LocationFix>,
}

/// A capture set to seal.
#[derive(Debug, Clone)]
pub struct CaptureRequest {
    pub form: FormKind,
    /// The figures the Presiding Officer typed (checked, never blocked: the sheet says what it says).
    pub figures: Option<FormFigures>,
    pub pages: Vec<PageInput>,
    /// Set when this capture corrects an earlier one.
    pub supersedes: Option<Supersedes>,
}

/// One sealed, durable page and what the self-check found.
#[derive(Debug, Clone)]
pub struct SealedPage {
    pub seq: u64,
    pub page: u32,
    pub pages: u32,
    pub manifest_hash: Sha256Digest,
    pub image_sha256: Sha256Digest,
    /// The core verifier run on the phone (image checks included; receipt not yet).
    pub self_check: VerificationReport,
    /// QR text for polling agents ([`crate::client::agent_copy`]).
    pub agent_copy: String,
}

/// The result of a capture: every page is already durable in the outbox.
#[derive(Debug, Clone)]
pub struct CaptureOutcome {
    pub capture_set: String,
    pub pages: Vec<SealedPage>,
    /// Form arithmetic problems in the typed figures (also in each page's self-check).
    pub figure_problems: Vec<RuleViolation>,
}
