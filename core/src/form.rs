//! Form-45 (Result of the Count) and Form-46 (Ballot Paper Account) figures, and the consistency
//! rules a sheet must satisfy. Rules follow `docs/form45.md` (from `FORM45_FIELDS.md`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Candidate, GenderCounts, PollingStation};

/// Which paper form a capture photographs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    /// Result of the Count.
    Form45,
    /// Ballot Paper Account.
    Form46,
}

impl FormKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            FormKind::Form45 => "form45",
            FormKind::Form46 => "form46",
        }
    }
}

/// Valid votes for one candidate, identified by ballot position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateVotes {
    pub ballot_no: u32,
    pub votes: u32,
}

/// The figures on a Form-45, as the Presiding Officer entered them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form45Figures {
    /// Registered electors at the station, by gender.
    pub registered: GenderCounts,
    /// Votes polled (names struck off the roll), by gender.
    pub polled: GenderCounts,
    /// Valid votes per candidate, in ballot order.
    pub candidate_votes: Vec<CandidateVotes>,
    pub total_valid: u32,
    /// Ballot papers excluded from the count.
    pub rejected: u32,
    pub total_polled: u32,
}

/// The figures on a Form-46 (ballot paper account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form46Figures {
    /// Ballot papers received by the Presiding Officer.
    pub ballots_received: u32,
    /// Ballot papers issued to voters.
    pub ballots_issued: u32,
    /// Ballot papers spoilt and cancelled.
    pub ballots_spoilt: u32,
    /// Tendered ballot papers.
    pub ballots_tendered: u32,
    /// Ballot papers unused and returned.
    pub ballots_unused: u32,
    /// Ballot papers found in the ballot boxes.
    pub ballots_in_boxes: u32,
}

/// Figures of either form, tagged by form kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum FormFigures {
    Form45(Form45Figures),
    Form46(Form46Figures),
}

impl FormFigures {
    pub fn kind(&self) -> FormKind {
        match self {
            FormFigures::Form45(_) => FormKind::Form45,
            FormFigures::Form46(_) => FormKind::Form46,
        }
    }
}

/// Stable identifiers of the consistency rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormRule {
    /// sum(candidate valid votes) == total valid votes
    CandidateSumEqualsTotalValid,
    /// total valid + rejected == total polled
    ValidPlusRejectedEqualsPolled,
    /// polled by gender sums to total polled
    PolledByGenderEqualsTotalPolled,
    /// polled <= registered, per gender (turnout <= 100 %)
    PolledNotAboveRegistered,
    /// the station type (male/female/combined) matches the gender columns
    StationTypeMatchesGenders,
    /// one entry per candidate, ballot numbers 1..=n in order, matching the package
    CandidatesMatchBallot,
    /// the registered electors on the sheet match the electoral roll in the package
    RegisteredMatchesRoll,
    /// Form-46: received == issued + spoilt + tendered + unused
    BallotAccountBalances,
    /// Form-46: ballots found in the boxes do not exceed ballots issued
    BallotsInBoxesNotAboveIssued,
}

/// One broken rule, with the numbers involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleViolation {
    pub rule: FormRule,
    /// A sentence a person can read, quoting the numbers.
    pub detail: String,
    /// The numbers involved, by name.
    pub values: BTreeMap<String, i64>,
}

/// Check a Form-45 against its rules. `station` and `candidates` come from the election package
/// when available; rules that need them are skipped when they are `None`.
pub fn validate_form45(
    figures: &Form45Figures,
    station: Option<&PollingStation>,
    candidates: Option<&[Candidate]>,
) -> Vec<RuleViolation> {
    let _ = (figures, station, candidates);
    Vec::new()
}

/// Check a Form-46 against its rules.
pub fn validate_form46(figures: &Form46Figures) -> Vec<RuleViolation> {
    let _ = figures;
    Vec::new()
}

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
