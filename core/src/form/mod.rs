//! Form-45 (Result of the Count) and Form-46 (Ballot Paper Account) figures, and the consistency
//! rules a sheet must satisfy. Rules follow `docs/form45.md` (from `FORM45_FIELDS.md`).
//!
//! - [`figures`]: the figures as entered and signed ([`Form45Figures`], [`Form46Figures`],
//!   [`FormFigures`]);
//! - [`rule`]: the rules' stable identifiers and what a broken rule reports;
//! - [`form45_rules`], [`form46_rules`]: the checks, one file per form;
//! - [`counts`]: turnout and numbers as the rules quote them.
//!
//! Pure: no I/O, no clock; a rule never panics on any figures.

pub mod counts;
pub mod figures;
pub mod form45_rules;
pub mod form46_rules;
pub mod rule;

pub use counts::{format_count, turnout_permille};
pub use figures::{CandidateVotes, Form45Figures, Form46Figures, FormFigures, FormKind};
pub use form45_rules::validate_form45;
pub use form46_rules::validate_form46;
pub use rule::{FormRule, RuleViolation};

use crate::model::{Candidate, PollingStation};

/// Check figures of either kind.
pub fn validate(
    figures: &FormFigures,
    station: Option<&PollingStation>,
    candidates: Option<&[Candidate]>,
) -> Vec<RuleViolation> {
    match figures {
        FormFigures::Form45(f) => validate_form45(f, station, candidates),
        FormFigures::Form46(f) => validate_form46(f),
    }
}
