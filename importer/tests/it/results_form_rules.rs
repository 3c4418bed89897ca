//! Core's Form-45 consistency rules on rows of a real station results file read by the importer
//! (moved here from core's `form_rules` tests with the importer).

use tallyseal_core::form::{Form45Figures, FormRule, RuleViolation, validate_form45};
use tallyseal_core::model::{GenderCounts, StationType};
use tallyseal_import::parse_results_csv;

use crate::support::read_testdata;

use tallyseal_testkit::fixtures::{ballot, station, votes};

fn only(v: Vec<RuleViolation>, rule: FormRule) -> RuleViolation {
    let rules: Vec<FormRule> = v.iter().map(|x| x.rule).collect();
    assert_eq!(rules, vec![rule], "{v:#?}");
    v.into_iter().next().unwrap()
}

#[test]
fn real_na128_rows_pass_the_sum_rule_and_a_misread_digit_fails_it() {
    let t = parse_results_csv(
        "NA-128",
        &read_testdata("elections/pakistan/form45_2024_zlenner/NA-128.csv"),
    )
    .unwrap();
    let b = ballot(u32::try_from(t.parties.len()).unwrap());
    let mut checked = 0;
    for row in &t.rows {
        let Some(v) = row.votes.iter().copied().collect::<Option<Vec<u32>>>() else {
            continue;
        };
        let total: u32 = v.iter().sum();
        let f = Form45Figures {
            registered: GenderCounts {
                male: total,
                female: total,
                transgender: 0,
            },
            polled: GenderCounts {
                male: total,
                female: 0,
                transgender: 0,
            },
            candidate_votes: votes(&v),
            total_valid: total,
            rejected: 0,
            total_polled: total,
        };
        assert_eq!(
            validate_form45(&f, None, Some(&b)),
            vec![],
            "NA-128 line {}",
            row.line
        );
        checked += 1;
    }
    assert_eq!(checked, 433);

    // Station 1: PTI-IND 250, IPP 159 (409 valid). An OCR 3→8 misreading of one figure is caught.
    let row = &t.rows[0];
    assert_eq!(row.votes, vec![Some(250), Some(159)]);
    let f = Form45Figures {
        registered: GenderCounts {
            male: 800,
            female: 0,
            transgender: 0,
        },
        polled: GenderCounts {
            male: 409,
            female: 0,
            transgender: 0,
        },
        candidate_votes: votes(&[250, 159]),
        total_valid: 409,
        rejected: 0,
        total_polled: 409,
    };
    assert_eq!(
        validate_form45(&f, Some(&station(StationType::Male, None)), Some(&b)),
        vec![]
    );
    let misread = Form45Figures {
        candidate_votes: votes(&[250, 189]),
        ..f
    };
    let v = only(
        validate_form45(&misread, None, Some(&b)),
        FormRule::CandidateSumEqualsTotalValid,
    );
    assert_eq!(
        v.detail,
        "candidate votes add up to 439 but total valid votes is 409 (difference 30)"
    );
}
