//! Form-45 / Form-46 consistency rules: each rule broken on purpose names itself with the numbers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tallyseal_core::form::{
    CandidateVotes, Form45Figures, Form46Figures, FormFigures, FormRule, RuleViolation,
    format_count, turnout_permille, validate, validate_form45, validate_form46,
};
use tallyseal_core::model::{GenderCounts, StationType};

use tallyseal_testkit::fixtures::{ballot, station, votes};

/// A consistent sheet of a combined station: 3 candidates, 1,230 valid, 20 rejected.
fn good() -> Form45Figures {
    Form45Figures {
        registered: GenderCounts {
            male: 1_000,
            female: 900,
            transgender: 2,
        },
        polled: GenderCounts {
            male: 650,
            female: 599,
            transgender: 1,
        },
        candidate_votes: votes(&[700, 500, 30]),
        total_valid: 1_230,
        rejected: 20,
        total_polled: 1_250,
    }
}

fn rules(v: &[RuleViolation]) -> Vec<FormRule> {
    v.iter().map(|x| x.rule).collect()
}

fn only(v: Vec<RuleViolation>, rule: FormRule) -> RuleViolation {
    assert_eq!(rules(&v), vec![rule], "{v:#?}");
    v.into_iter().next().unwrap()
}

fn val(v: &RuleViolation, k: &str) -> i64 {
    *v.values
        .get(k)
        .unwrap_or_else(|| panic!("no value {k} in {:?}", v.values))
}

#[test]
fn a_correct_sheet_passes_every_rule() {
    let f = good();
    assert_eq!(validate_form45(&f, None, None), vec![]);
    let roll = GenderCounts {
        male: 1_000,
        female: 900,
        transgender: 2,
    };
    let st = station(StationType::Combined, Some(roll));
    assert_eq!(validate_form45(&f, Some(&st), Some(&ballot(3))), vec![]);
    assert_eq!(
        validate(&FormFigures::Form45(f), Some(&st), Some(&ballot(3))),
        vec![]
    );
}

#[test]
fn candidate_sum_rule() {
    let mut f = good();
    f.candidate_votes = votes(&[700, 473, 30]); // 1,203
    let v = only(
        validate_form45(&f, None, None),
        FormRule::CandidateSumEqualsTotalValid,
    );
    assert_eq!(
        v.detail,
        "candidate votes add up to 1,203 but total valid votes is 1,230 (difference 27)"
    );
    assert_eq!(val(&v, "candidate_sum"), 1_203);
    assert_eq!(val(&v, "total_valid"), 1_230);
    assert_eq!(val(&v, "difference"), -27);
}

#[test]
fn valid_plus_rejected_rule() {
    let mut f = good();
    f.rejected = 30;
    // 1,230 + 30 = 1,260 but polled stays 1,250 (and the gender columns still add to 1,250)
    let v = only(
        validate_form45(&f, None, None),
        FormRule::ValidPlusRejectedEqualsPolled,
    );
    assert!(v.detail.contains("1,230") && v.detail.contains("30") && v.detail.contains("1,260"));
    assert!(
        v.detail.contains("1,250") && v.detail.contains("difference 10"),
        "{}",
        v.detail
    );
    assert_eq!(val(&v, "valid_plus_rejected"), 1_260);
    assert_eq!(val(&v, "total_polled"), 1_250);
    assert_eq!(val(&v, "difference"), 10);
}

#[test]
fn polled_by_gender_rule() {
    let mut f = good();
    f.polled.female = 589; // 650 + 589 + 1 = 1,240
    let v = only(
        validate_form45(&f, None, None),
        FormRule::PolledByGenderEqualsTotalPolled,
    );
    assert_eq!(
        v.detail,
        "votes polled by gender (male 650 + female 589 + transgender 1) add up to 1,240 but total votes polled is 1,250 (difference 10)"
    );
    assert_eq!(val(&v, "polled_by_gender_sum"), 1_240);
    assert_eq!(val(&v, "difference"), -10);
}

#[test]
fn polled_not_above_registered_rule_reports_turnout() {
    let mut f = good();
    f.registered.female = 550; // 599 polled of 550 registered: 108.9 %
    let v = only(
        validate_form45(&f, None, None),
        FormRule::PolledNotAboveRegistered,
    );
    assert_eq!(
        v.detail,
        "female votes polled 599 exceed female registered voters 550 (turnout 108.9 %)"
    );
    assert_eq!(val(&v, "polled_female"), 599);
    assert_eq!(val(&v, "registered_female"), 550);
    assert_eq!(val(&v, "turnout_female_permille"), 1_089);
    assert!(!v.values.contains_key("polled_male"));

    // Two genders and the total over: still one violation, naming all of them.
    let mut f = good();
    f.registered = GenderCounts {
        male: 600,
        female: 500,
        transgender: 0,
    };
    let v = only(
        validate_form45(&f, None, None),
        FormRule::PolledNotAboveRegistered,
    );
    assert!(
        v.detail
            .contains("male votes polled 650 exceed male registered voters 600 (turnout 108.3 %)"),
        "{}",
        v.detail
    );
    assert!(
        v.detail.contains(
            "female votes polled 599 exceed female registered voters 500 (turnout 119.8 %)"
        )
    );
    assert!(v.detail.contains(
        "transgender votes polled 1 exceed transgender registered voters 0 (no registered voters)"
    ));
    assert!(v.detail.contains(
        "total votes polled 1,250 exceed total registered voters 1,100 (turnout 113.6 %)"
    ));
    assert_eq!(val(&v, "turnout_total_permille"), 1_136);
}

#[test]
fn station_type_rule() {
    // A male station with women on the sheet.
    let f = good();
    let st = station(StationType::Male, None);
    let v = only(
        validate_form45(&f, Some(&st), None),
        FormRule::StationTypeMatchesGenders,
    );
    assert_eq!(
        v.detail,
        "the station is a male station but the sheet shows female registered voters 900 and female votes polled 599 (both must be 0)"
    );
    assert_eq!(val(&v, "registered_female"), 900);
    assert_eq!(val(&v, "polled_female"), 599);

    // A female station with men on the sheet.
    let st = station(StationType::Female, None);
    let v = only(
        validate_form45(&f, Some(&st), None),
        FormRule::StationTypeMatchesGenders,
    );
    assert!(v.detail.starts_with(
        "the station is a female station but the sheet shows male registered voters 1,000"
    ));

    // A proper female station sheet passes; registered-only or polled-only non-zero fails.
    let mut f = good();
    f.registered.male = 0;
    f.polled = GenderCounts {
        male: 0,
        female: 1_249,
        transgender: 1,
    };
    f.registered.female = 1_300;
    assert_eq!(validate_form45(&f, Some(&st), None), vec![]);
    f.registered.male = 3;
    let v = only(
        validate_form45(&f, Some(&st), None),
        FormRule::StationTypeMatchesGenders,
    );
    assert_eq!(val(&v, "registered_male"), 3);
    assert_eq!(val(&v, "polled_male"), 0);

    // Combined stations accept anything.
    assert_eq!(
        validate_form45(&good(), Some(&station(StationType::Combined, None)), None),
        vec![]
    );
}

#[test]
fn candidates_match_ballot_rule() {
    let b = ballot(3);
    // One candidate missing from the sheet (the votes still add up).
    let mut f = good();
    f.candidate_votes = vec![
        CandidateVotes {
            ballot_no: 1,
            votes: 700,
        },
        CandidateVotes {
            ballot_no: 2,
            votes: 530,
        },
    ];
    let v = only(
        validate_form45(&f, None, Some(&b)),
        FormRule::CandidatesMatchBallot,
    );
    assert_eq!(
        v.detail,
        "the sheet has 2 candidate entries but the ballot has 3 candidates; ballot numbers missing: 3"
    );
    assert_eq!(val(&v, "sheet_entries"), 2);
    assert_eq!(val(&v, "ballot_candidates"), 3);
    assert_eq!(val(&v, "missing"), 1);

    // A duplicate.
    let mut f = good();
    f.candidate_votes[2].ballot_no = 2;
    let v = only(
        validate_form45(&f, None, Some(&b)),
        FormRule::CandidatesMatchBallot,
    );
    assert_eq!(
        v.detail,
        "ballot numbers entered more than once: 2; ballot numbers missing: 3"
    );
    // The duplicate is caught even without the package.
    let v = only(
        validate_form45(&f, None, None),
        FormRule::CandidatesMatchBallot,
    );
    assert_eq!(val(&v, "duplicates"), 1);

    // Out of order.
    let mut f = good();
    f.candidate_votes.swap(0, 1);
    let v = only(
        validate_form45(&f, None, Some(&b)),
        FormRule::CandidatesMatchBallot,
    );
    assert_eq!(
        v.detail,
        "entries are not in ballot order (position 1 holds ballot number 2, expected 1)"
    );
    assert_eq!(val(&v, "first_mismatch_position"), 1);

    // A ballot number that is not on the ballot.
    let mut f = good();
    f.candidate_votes[2].ballot_no = 9;
    let v = only(
        validate_form45(&f, None, Some(&b)),
        FormRule::CandidatesMatchBallot,
    );
    assert_eq!(
        v.detail,
        "ballot numbers missing: 3; ballot numbers not on the ballot: 9"
    );

    // More entries than candidates.
    let f = Form45Figures {
        candidate_votes: votes(&[700, 500, 30, 0]),
        ..good()
    };
    let v = only(
        validate_form45(&f, None, Some(&b)),
        FormRule::CandidatesMatchBallot,
    );
    assert!(
        v.detail
            .starts_with("the sheet has 4 candidate entries but the ballot has 3 candidates")
    );
    // Without the package 1..4 is a fine ballot.
    assert_eq!(validate_form45(&f, None, None), vec![]);
}

#[test]
fn registered_matches_roll_rule() {
    let roll = GenderCounts {
        male: 1_000,
        female: 950,
        transgender: 2,
    };
    let st = station(StationType::Combined, Some(roll));
    let v = only(
        validate_form45(&good(), Some(&st), None),
        FormRule::RegisteredMatchesRoll,
    );
    assert_eq!(
        v.detail,
        "registered voters on the sheet differ from the electoral roll in the election package: female: sheet 900 but roll 950 (difference 50)"
    );
    assert_eq!(val(&v, "sheet_female"), 900);
    assert_eq!(val(&v, "roll_female"), 950);
    // Without a roll in the package the rule is skipped.
    assert_eq!(
        validate_form45(&good(), Some(&station(StationType::Combined, None)), None),
        vec![]
    );
}

#[test]
fn several_rules_broken_at_once_are_each_reported_once_in_order() {
    let f = Form45Figures {
        registered: GenderCounts {
            male: 100,
            female: 0,
            transgender: 0,
        },
        polled: GenderCounts {
            male: 120,
            female: 5,
            transgender: 0,
        },
        candidate_votes: vec![
            CandidateVotes {
                ballot_no: 2,
                votes: 10,
            },
            CandidateVotes {
                ballot_no: 2,
                votes: 10,
            },
        ],
        total_valid: 100,
        rejected: 5,
        total_polled: 110,
    };
    let st = station(
        StationType::Male,
        Some(GenderCounts {
            male: 90,
            female: 0,
            transgender: 0,
        }),
    );
    let v = validate_form45(&f, Some(&st), Some(&ballot(2)));
    assert_eq!(rules(&v), FormRule::ALL[..7].to_vec());
}

#[test]
fn form46_rules() {
    let good = Form46Figures {
        ballots_received: 1_500,
        ballots_issued: 1_250,
        ballots_spoilt: 10,
        ballots_tendered: 2,
        ballots_unused: 238,
        ballots_in_boxes: 1_250,
    };
    assert_eq!(validate_form46(&good), vec![]);
    assert_eq!(
        validate(&FormFigures::Form46(good.clone()), None, None),
        vec![]
    );

    let f = Form46Figures {
        ballots_unused: 230,
        ..good.clone()
    };
    let v = only(validate_form46(&f), FormRule::BallotAccountBalances);
    assert_eq!(
        v.detail,
        "ballot papers received 1,500 but issued 1,250 + spoilt 10 + tendered 2 + unused 230 make 1,492 (difference 8)"
    );
    assert_eq!(val(&v, "accounted"), 1_492);
    assert_eq!(val(&v, "difference"), -8);

    let f = Form46Figures {
        ballots_in_boxes: 1_260,
        ..good
    };
    let v = only(validate_form46(&f), FormRule::BallotsInBoxesNotAboveIssued);
    assert_eq!(
        v.detail,
        "ballot papers found in the boxes 1,260 exceed ballot papers issued 1,250 (by 10)"
    );
    assert_eq!(val(&v, "difference"), 10);
}

#[test]
fn overflow_size_inputs_do_not_panic() {
    let m = u32::MAX;
    let f = Form45Figures {
        registered: GenderCounts {
            male: 0,
            female: 0,
            transgender: 0,
        },
        polled: GenderCounts {
            male: m,
            female: m,
            transgender: m,
        },
        candidate_votes: (1..=1000)
            .map(|i| CandidateVotes {
                ballot_no: i,
                votes: m,
            })
            .collect(),
        total_valid: m,
        rejected: m,
        total_polled: m,
    };
    let v = validate_form45(
        &f,
        Some(&station(
            StationType::Female,
            Some(GenderCounts {
                male: m,
                female: m,
                transgender: m,
            }),
        )),
        Some(&ballot(3)),
    );
    assert_eq!(rules(&v), FormRule::ALL[..7].to_vec());
    let sum = only(
        v.iter()
            .filter(|x| x.rule == FormRule::CandidateSumEqualsTotalValid)
            .cloned()
            .collect(),
        FormRule::CandidateSumEqualsTotalValid,
    );
    assert_eq!(val(&sum, "candidate_sum"), 1000 * i64::from(m));
    assert_eq!(val(&v[1], "valid_plus_rejected"), 2 * i64::from(m));
    assert_eq!(val(&v[2], "polled_by_gender_sum"), 3 * i64::from(m));

    let f = Form46Figures {
        ballots_received: 0,
        ballots_issued: m,
        ballots_spoilt: m,
        ballots_tendered: m,
        ballots_unused: m,
        ballots_in_boxes: m,
    };
    let v = validate_form46(&f);
    assert_eq!(val(&v[0], "accounted"), 4 * i64::from(m));
    let f = Form46Figures {
        ballots_issued: 0,
        ..f
    };
    assert_eq!(
        rules(&validate_form46(&f)),
        vec![
            FormRule::BallotAccountBalances,
            FormRule::BallotsInBoxesNotAboveIssued
        ]
    );

    // Ballot numbers at the extremes.
    let f = Form45Figures {
        candidate_votes: vec![
            CandidateVotes {
                ballot_no: u32::MAX,
                votes: 1_230,
            },
            CandidateVotes {
                ballot_no: 0,
                votes: 0,
            },
        ],
        ..good()
    };
    let v = only(
        validate_form45(&f, None, Some(&[])),
        FormRule::CandidatesMatchBallot,
    );
    assert!(v.detail.contains("4,294,967,295"), "{}", v.detail);

    assert_eq!(turnout_permille(u64::MAX, 1), Some(u64::MAX));
    assert_eq!(
        format_count(i128::from(u64::MAX)),
        "18,446,744,073,709,551,615"
    );
}

#[test]
fn rule_ids_are_stable() {
    for r in FormRule::ALL {
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, format!("\"{}\"", r.as_str()));
        assert!(!r.summary().is_empty());
    }
    assert_eq!(
        FormRule::CandidateSumEqualsTotalValid.as_str(),
        "candidate_sum_equals_total_valid"
    );
}
