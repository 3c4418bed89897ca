//! The consistency rules' stable identifiers ([`FormRule`]) and what a broken rule reports
//! ([`RuleViolation`]).
//!
//! Identifiers are part of the signed and stored reports: never rename or renumber one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::figures::FormKind;

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

impl FormRule {
    /// Every rule, in the order [`validate`](super::validate) checks them.
    pub const ALL: [FormRule; 9] = [
        FormRule::CandidateSumEqualsTotalValid,
        FormRule::ValidPlusRejectedEqualsPolled,
        FormRule::PolledByGenderEqualsTotalPolled,
        FormRule::PolledNotAboveRegistered,
        FormRule::StationTypeMatchesGenders,
        FormRule::CandidatesMatchBallot,
        FormRule::RegisteredMatchesRoll,
        FormRule::BallotAccountBalances,
        FormRule::BallotsInBoxesNotAboveIssued,
    ];

    /// The stable identifier (the same snake_case string the JSON form uses).
    pub fn as_str(&self) -> &'static str {
        match self {
            FormRule::CandidateSumEqualsTotalValid => "candidate_sum_equals_total_valid",
            FormRule::ValidPlusRejectedEqualsPolled => "valid_plus_rejected_equals_polled",
            FormRule::PolledByGenderEqualsTotalPolled => "polled_by_gender_equals_total_polled",
            FormRule::PolledNotAboveRegistered => "polled_not_above_registered",
            FormRule::StationTypeMatchesGenders => "station_type_matches_genders",
            FormRule::CandidatesMatchBallot => "candidates_match_ballot",
            FormRule::RegisteredMatchesRoll => "registered_matches_roll",
            FormRule::BallotAccountBalances => "ballot_account_balances",
            FormRule::BallotsInBoxesNotAboveIssued => "ballots_in_boxes_not_above_issued",
        }
    }

    /// Which form the rule applies to.
    pub fn form(&self) -> FormKind {
        match self {
            FormRule::BallotAccountBalances | FormRule::BallotsInBoxesNotAboveIssued => {
                FormKind::Form46
            }
            _ => FormKind::Form45,
        }
    }

    /// One line saying what the rule requires.
    pub fn summary(&self) -> &'static str {
        match self {
            FormRule::CandidateSumEqualsTotalValid => {
                "the candidates' valid votes add up to the total valid votes"
            }
            FormRule::ValidPlusRejectedEqualsPolled => {
                "total valid votes plus rejected ballot papers equal the total votes polled"
            }
            FormRule::PolledByGenderEqualsTotalPolled => {
                "votes polled by male, female and transgender voters add up to the total votes polled"
            }
            FormRule::PolledNotAboveRegistered => {
                "for each gender, and in total, votes polled do not exceed registered voters (turnout at most 100 %)"
            }
            FormRule::StationTypeMatchesGenders => {
                "a male station has no female voters and a female station has no male voters"
            }
            FormRule::CandidatesMatchBallot => {
                "one entry per candidate on the ballot, ballot numbers 1..n in order, no duplicates"
            }
            FormRule::RegisteredMatchesRoll => {
                "registered voters on the sheet equal the electoral roll in the election package"
            }
            FormRule::BallotAccountBalances => {
                "ballot papers received equal issued + spoilt + tendered + unused"
            }
            FormRule::BallotsInBoxesNotAboveIssued => {
                "ballot papers found in the ballot boxes do not exceed ballot papers issued"
            }
        }
    }
}

impl std::fmt::Display for FormRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Builder of a [`RuleViolation`] for the rule modules.
pub(super) struct Violation {
    rule: FormRule,
    detail: String,
    values: BTreeMap<String, i64>,
}

impl Violation {
    pub(super) fn new(rule: FormRule, detail: String) -> Self {
        Self {
            rule,
            detail,
            values: BTreeMap::new(),
        }
    }
    pub(super) fn value(mut self, name: &str, v: i64) -> Self {
        self.values.insert(name.to_string(), v);
        self
    }
    pub(super) fn done(self) -> RuleViolation {
        RuleViolation {
            rule: self.rule,
            detail: self.detail,
            values: self.values,
        }
    }
}
