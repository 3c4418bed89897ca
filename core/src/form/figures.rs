//! The figures a Presiding Officer enters from a Form-45 (Result of the Count) or a Form-46
//! (Ballot Paper Account): plain data, as signed in the capture manifest.
//!
//! Types only: the rules that check them are in [`super::form45_rules`] and
//! [`super::form46_rules`]; nothing here may change how figures serialize (they are signed).

use serde::{Deserialize, Serialize};

use crate::model::GenderCounts;

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
