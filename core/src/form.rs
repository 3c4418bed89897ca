//! Form-45 (Result of the Count) and Form-46 (Ballot Paper Account) figures, and the consistency
//! rules a sheet must satisfy. Rules follow `docs/form45.md` (from `FORM45_FIELDS.md`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Candidate, GenderCounts, PollingStation, StationType};

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

impl FormRule {
    /// Every rule, in the order [`validate`] checks them.
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

/// Turnout in tenths of a percent (per mille), rounded down: `polled * 1000 / registered`.
/// `None` when `registered` is 0. Never overflows.
pub fn turnout_permille(polled: u64, registered: u64) -> Option<u64> {
    if registered == 0 {
        return None;
    }
    let p = u128::from(polled) * 1000 / u128::from(registered);
    Some(u64::try_from(p).unwrap_or(u64::MAX))
}

/// A number with thousands separators, e.g. `1,203` or `-27`.
pub fn format_count(n: i128) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn fc(n: u64) -> String {
    format_count(i128::from(n))
}

/// Clamp into the `i64` of [`RuleViolation::values`].
fn iv(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Signed difference `a - b`, clamped into `i64`.
fn diff(a: u64, b: u64) -> i64 {
    let d = i128::from(a) - i128::from(b);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

fn turnout_text(polled: u64, registered: u64) -> String {
    match turnout_permille(polled, registered) {
        Some(pm) => format!("turnout {}.{} %", fc(pm / 10), pm % 10),
        None => "no registered voters".to_string(),
    }
}

struct Violation {
    rule: FormRule,
    detail: String,
    values: BTreeMap<String, i64>,
}

impl Violation {
    fn new(rule: FormRule, detail: String) -> Self {
        Self {
            rule,
            detail,
            values: BTreeMap::new(),
        }
    }
    fn value(mut self, name: &str, v: i64) -> Self {
        self.values.insert(name.to_string(), v);
        self
    }
    fn done(self) -> RuleViolation {
        RuleViolation {
            rule: self.rule,
            detail: self.detail,
            values: self.values,
        }
    }
}

/// Check a Form-45 against its rules. `station` and `candidates` come from the election package
/// when available; rules that need them are skipped when they are `None`.
///
/// Every broken rule yields exactly one [`RuleViolation`], in the order of [`FormRule::ALL`].
/// The candidate-list rule always checks that the sheet's ballot numbers run 1..n in order without
/// duplicates; with `candidates` it also compares them with the package's ballot.
pub fn validate_form45(
    figures: &Form45Figures,
    station: Option<&PollingStation>,
    candidates: Option<&[Candidate]>,
) -> Vec<RuleViolation> {
    let mut out = Vec::new();
    let total_valid = u64::from(figures.total_valid);
    let rejected = u64::from(figures.rejected);
    let total_polled = u64::from(figures.total_polled);

    // 1. sum(candidate votes) == total valid
    let candidate_sum: u64 = figures
        .candidate_votes
        .iter()
        .fold(0u64, |acc, c| acc.saturating_add(u64::from(c.votes)));
    if candidate_sum != total_valid {
        out.push(
            Violation::new(
                FormRule::CandidateSumEqualsTotalValid,
                format!(
                    "candidate votes add up to {} but total valid votes is {} (difference {})",
                    fc(candidate_sum),
                    fc(total_valid),
                    fc(candidate_sum.abs_diff(total_valid))
                ),
            )
            .value("candidate_sum", iv(candidate_sum))
            .value("total_valid", iv(total_valid))
            .value("difference", diff(candidate_sum, total_valid))
            .done(),
        );
    }

    // 2. valid + rejected == total polled
    let valid_plus_rejected = total_valid + rejected;
    if valid_plus_rejected != total_polled {
        out.push(
            Violation::new(
                FormRule::ValidPlusRejectedEqualsPolled,
                format!(
                    "total valid votes {} plus rejected ballot papers {} make {} but total votes polled is {} (difference {})",
                    fc(total_valid),
                    fc(rejected),
                    fc(valid_plus_rejected),
                    fc(total_polled),
                    fc(valid_plus_rejected.abs_diff(total_polled))
                ),
            )
            .value("total_valid", iv(total_valid))
            .value("rejected", iv(rejected))
            .value("valid_plus_rejected", iv(valid_plus_rejected))
            .value("total_polled", iv(total_polled))
            .value("difference", diff(valid_plus_rejected, total_polled))
            .done(),
        );
    }

    // 3. polled by gender == total polled
    let p = &figures.polled;
    let polled_sum = p.total();
    if polled_sum != total_polled {
        out.push(
            Violation::new(
                FormRule::PolledByGenderEqualsTotalPolled,
                format!(
                    "votes polled by gender (male {} + female {} + transgender {}) add up to {} but total votes polled is {} (difference {})",
                    fc(u64::from(p.male)),
                    fc(u64::from(p.female)),
                    fc(u64::from(p.transgender)),
                    fc(polled_sum),
                    fc(total_polled),
                    fc(polled_sum.abs_diff(total_polled))
                ),
            )
            .value("polled_male", i64::from(p.male))
            .value("polled_female", i64::from(p.female))
            .value("polled_transgender", i64::from(p.transgender))
            .value("polled_by_gender_sum", iv(polled_sum))
            .value("total_polled", iv(total_polled))
            .value("difference", diff(polled_sum, total_polled))
            .done(),
        );
    }

    // 4. polled <= registered, per gender and in total
    if let Some(v) = polled_not_above_registered(&figures.registered, &figures.polled, total_polled)
    {
        out.push(v);
    }

    // 5. station type matches the gender columns
    if let Some(st) = station
        && let Some(v) = station_type_matches(st.station_type, &figures.registered, &figures.polled)
    {
        out.push(v);
    }

    // 6. candidate entries match the ballot
    if let Some(v) = candidates_match_ballot(&figures.candidate_votes, candidates) {
        out.push(v);
    }

    // 7. registered on the sheet == roll in the package
    if let Some(roll) = station.and_then(|s| s.registered.as_ref())
        && let Some(v) = registered_matches_roll(&figures.registered, roll)
    {
        out.push(v);
    }

    out
}

fn polled_not_above_registered(
    registered: &GenderCounts,
    polled: &GenderCounts,
    total_polled: u64,
) -> Option<RuleViolation> {
    let mut parts = Vec::new();
    let mut values = BTreeMap::new();
    let genders = [
        ("male", polled.male, registered.male),
        ("female", polled.female, registered.female),
        ("transgender", polled.transgender, registered.transgender),
    ];
    for (gender, pol, reg) in genders {
        let (pol, reg) = (u64::from(pol), u64::from(reg));
        if pol > reg {
            parts.push(format!(
                "{gender} votes polled {} exceed {gender} registered voters {} ({})",
                fc(pol),
                fc(reg),
                turnout_text(pol, reg)
            ));
            values.insert(format!("polled_{gender}"), iv(pol));
            values.insert(format!("registered_{gender}"), iv(reg));
            if let Some(pm) = turnout_permille(pol, reg) {
                values.insert(format!("turnout_{gender}_permille"), iv(pm));
            }
        }
    }
    let reg_total = registered.total();
    if total_polled > reg_total {
        parts.push(format!(
            "total votes polled {} exceed total registered voters {} ({})",
            fc(total_polled),
            fc(reg_total),
            turnout_text(total_polled, reg_total)
        ));
        values.insert("total_polled".to_string(), iv(total_polled));
        values.insert("registered_total".to_string(), iv(reg_total));
        if let Some(pm) = turnout_permille(total_polled, reg_total) {
            values.insert("turnout_total_permille".to_string(), iv(pm));
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(RuleViolation {
        rule: FormRule::PolledNotAboveRegistered,
        detail: parts.join("; "),
        values,
    })
}

fn station_type_matches(
    station_type: StationType,
    registered: &GenderCounts,
    polled: &GenderCounts,
) -> Option<RuleViolation> {
    let (kind, other, reg, pol) = match station_type {
        StationType::Combined => return None,
        StationType::Male => ("male", "female", registered.female, polled.female),
        StationType::Female => ("female", "male", registered.male, polled.male),
    };
    if reg == 0 && pol == 0 {
        return None;
    }
    Some(
        Violation::new(
            FormRule::StationTypeMatchesGenders,
            format!(
                "the station is a {kind} station but the sheet shows {other} registered voters {} and {other} votes polled {} (both must be 0)",
                fc(u64::from(reg)),
                fc(u64::from(pol))
            ),
        )
        .value(&format!("registered_{other}"), i64::from(reg))
        .value(&format!("polled_{other}"), i64::from(pol))
        .done(),
    )
}

/// At most this many numbers are quoted in a sentence.
const MAX_LISTED: usize = 10;

fn list_numbers(ns: &[u32]) -> String {
    let mut s: Vec<String> = ns
        .iter()
        .take(MAX_LISTED)
        .map(|n| fc(u64::from(*n)))
        .collect();
    if ns.len() > MAX_LISTED {
        s.push(format!("and {} more", ns.len() - MAX_LISTED));
    }
    s.join(", ")
}

fn candidates_match_ballot(
    entries: &[CandidateVotes],
    candidates: Option<&[Candidate]>,
) -> Option<RuleViolation> {
    let sheet: Vec<u32> = entries.iter().map(|c| c.ballot_no).collect();
    let expected: Vec<u32> = match candidates {
        Some(cs) => cs.iter().map(|c| c.ballot_no).collect(),
        None => (1..=u32::try_from(sheet.len()).unwrap_or(u32::MAX)).collect(),
    };
    if sheet == expected {
        return None;
    }

    let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
    for n in &sheet {
        *seen.entry(*n).or_insert(0) += 1;
    }
    let expected_set: std::collections::BTreeSet<u32> = expected.iter().copied().collect();
    let duplicates: Vec<u32> = seen
        .iter()
        .filter(|(_, c)| **c > 1)
        .map(|(n, _)| *n)
        .collect();
    let missing: Vec<u32> = expected_set
        .iter()
        .filter(|n| !seen.contains_key(n))
        .copied()
        .collect();
    let unexpected: Vec<u32> = seen
        .keys()
        .filter(|n| !expected_set.contains(n))
        .copied()
        .collect();

    let mut parts = Vec::new();
    if candidates.is_some() && sheet.len() != expected.len() {
        parts.push(format!(
            "the sheet has {} candidate entries but the ballot has {} candidates",
            fc(sheet.len() as u64),
            fc(expected.len() as u64)
        ));
    }
    if !duplicates.is_empty() {
        parts.push(format!(
            "ballot numbers entered more than once: {}",
            list_numbers(&duplicates)
        ));
    }
    if !missing.is_empty() {
        parts.push(format!(
            "ballot numbers missing: {}",
            list_numbers(&missing)
        ));
    }
    if !unexpected.is_empty() {
        let what = if candidates.is_some() {
            "not on the ballot"
        } else {
            "out of range"
        };
        parts.push(format!(
            "ballot numbers {what}: {}",
            list_numbers(&unexpected)
        ));
    }
    let first_out_of_place = sheet.iter().zip(expected.iter()).position(|(a, b)| a != b);
    if parts.is_empty()
        && let Some(i) = first_out_of_place
    {
        parts.push(format!(
            "entries are not in ballot order (position {} holds ballot number {}, expected {})",
            i + 1,
            sheet[i],
            expected[i]
        ));
    }
    if parts.is_empty() {
        // Same multiset, same length, same order can only mean equal; unreachable in practice.
        parts.push("candidate entries do not match the ballot".to_string());
    }
    let mut v = Violation::new(FormRule::CandidatesMatchBallot, parts.join("; "))
        .value("sheet_entries", iv(sheet.len() as u64))
        .value("duplicates", iv(duplicates.len() as u64))
        .value("missing", iv(missing.len() as u64))
        .value("unexpected", iv(unexpected.len() as u64));
    if candidates.is_some() {
        v = v.value("ballot_candidates", iv(expected.len() as u64));
    }
    if let Some(i) = first_out_of_place {
        v = v.value("first_mismatch_position", iv(i as u64 + 1));
    }
    Some(v.done())
}

fn registered_matches_roll(sheet: &GenderCounts, roll: &GenderCounts) -> Option<RuleViolation> {
    if sheet == roll {
        return None;
    }
    let mut parts = Vec::new();
    let mut values = BTreeMap::new();
    for (gender, s, r) in [
        ("male", sheet.male, roll.male),
        ("female", sheet.female, roll.female),
        ("transgender", sheet.transgender, roll.transgender),
    ] {
        values.insert(format!("sheet_{gender}"), i64::from(s));
        values.insert(format!("roll_{gender}"), i64::from(r));
        if s != r {
            parts.push(format!(
                "{gender}: sheet {} but roll {} (difference {})",
                fc(u64::from(s)),
                fc(u64::from(r)),
                fc(u64::from(s.abs_diff(r)))
            ));
        }
    }
    Some(RuleViolation {
        rule: FormRule::RegisteredMatchesRoll,
        detail: format!(
            "registered voters on the sheet differ from the electoral roll in the election package: {}",
            parts.join("; ")
        ),
        values,
    })
}

/// Check a Form-46 against its rules.
pub fn validate_form46(figures: &Form46Figures) -> Vec<RuleViolation> {
    let mut out = Vec::new();
    let received = u64::from(figures.ballots_received);
    let issued = u64::from(figures.ballots_issued);
    let spoilt = u64::from(figures.ballots_spoilt);
    let tendered = u64::from(figures.ballots_tendered);
    let unused = u64::from(figures.ballots_unused);
    let in_boxes = u64::from(figures.ballots_in_boxes);

    let accounted = issued + spoilt + tendered + unused;
    if accounted != received {
        out.push(
            Violation::new(
                FormRule::BallotAccountBalances,
                format!(
                    "ballot papers received {} but issued {} + spoilt {} + tendered {} + unused {} make {} (difference {})",
                    fc(received),
                    fc(issued),
                    fc(spoilt),
                    fc(tendered),
                    fc(unused),
                    fc(accounted),
                    fc(accounted.abs_diff(received))
                ),
            )
            .value("received", iv(received))
            .value("issued", iv(issued))
            .value("spoilt", iv(spoilt))
            .value("tendered", iv(tendered))
            .value("unused", iv(unused))
            .value("accounted", iv(accounted))
            .value("difference", diff(accounted, received))
            .done(),
        );
    }
    if in_boxes > issued {
        out.push(
            Violation::new(
                FormRule::BallotsInBoxesNotAboveIssued,
                format!(
                    "ballot papers found in the boxes {} exceed ballot papers issued {} (by {})",
                    fc(in_boxes),
                    fc(issued),
                    fc(in_boxes - issued)
                ),
            )
            .value("in_boxes", iv(in_boxes))
            .value("issued", iv(issued))
            .value("difference", diff(in_boxes, issued))
            .done(),
        );
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_203), "1,203");
        assert_eq!(format_count(-27), "-27");
        assert_eq!(format_count(1_234_567), "1,234,567");
        assert_eq!(format_count(-100_000), "-100,000");
    }

    #[test]
    fn turnout() {
        assert_eq!(turnout_permille(500, 1000), Some(500));
        assert_eq!(turnout_permille(1, 3), Some(333));
        assert_eq!(turnout_permille(1, 0), None);
        assert_eq!(turnout_permille(u64::MAX, 1), Some(u64::MAX));
    }
}
