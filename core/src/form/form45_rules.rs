//! The Form-45 (Result of the Count) consistency rules: [`validate_form45`].
//!
//! Checks only; it must never change the figures nor stop at the first broken rule (every broken
//! rule is reported, in the order of [`FormRule::ALL`]).

use std::collections::BTreeMap;

use super::counts::{diff, fc, iv, turnout_permille, turnout_text};
use super::figures::{CandidateVotes, Form45Figures};
use super::rule::{FormRule, RuleViolation, Violation};
use crate::model::{Candidate, GenderCounts, PollingStation, StationType};

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
