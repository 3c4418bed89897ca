//! Form-46, the Ballot Paper Account: how many ballot papers the station received, issued,
//! spoilt, returned unused, found in the boxes and excluded from the count, and the electors.
//!
//! The account follows from the spec: ballot papers come in books of 100, so the station
//! received enough whole books for its roll; a few were spoilt (how many comes from the seed);
//! every voter who polled was issued one and it was found in the boxes; the rest were returned
//! unused. [`ballot_account`] gives these figures, so a phone can seal what its sheet shows.

use super::attestation::sign_off;
use super::font;
use super::form::{BODY, LABEL, LEFT, RIGHT, RULE, electors, fit, header, identification};
use super::identity;
use super::paper::Sheet;
use super::rng::Rng;
use crate::sheet::SheetSpec;
use tallyseal_core::form::Form46Figures;

const COLS: [f32; 4] = [LEFT, LEFT + 64.0, LEFT + 730.0, RIGHT];
const FOOT: f32 = 1235.0;

/// The Form-46 figures the sheet of `spec` shows; they satisfy core's Form-46 rules.
pub fn ballot_account(spec: &SheetSpec) -> Form46Figures {
    let issued = spec.polled.0.saturating_add(spec.polled.1);
    let spoilt = Rng::new(spec.seed ^ identity(spec) ^ 0x5b01_1ed0).below(4);
    let roll = spec.registered.0.saturating_add(spec.registered.1);
    let received = roll
        .max(issued.saturating_add(spoilt))
        .div_ceil(100)
        .max(1)
        .saturating_mul(100);
    Form46Figures {
        ballots_received: received,
        ballots_issued: issued,
        ballots_spoilt: spoilt,
        ballots_tendered: 0,
        ballots_unused: received.saturating_sub(issued).saturating_sub(spoilt),
        ballots_in_boxes: issued,
    }
}

/// The account's lines, in the form's order.
fn lines(spec: &SheetSpec) -> Vec<(&'static str, u32)> {
    let f = ballot_account(spec);
    vec![
        (
            "BALLOT PAPERS RECEIVED FOR THE POLLING STATION",
            f.ballots_received,
        ),
        ("BALLOT PAPERS ISSUED TO VOTERS", f.ballots_issued),
        (
            "SPOILT BALLOT PAPERS (CANCELLED AND REPLACED)",
            f.ballots_spoilt,
        ),
        ("TENDERED BALLOT PAPERS", f.ballots_tendered),
        ("UNUSED BALLOT PAPERS RETURNED", f.ballots_unused),
        (
            "BALLOT PAPERS FOUND IN THE BALLOT BOXES",
            f.ballots_in_boxes,
        ),
        ("BALLOT PAPERS EXCLUDED FROM THE COUNT", spec.rejected),
        (
            "BALLOT PAPERS COUNTED AS VALID",
            f.ballots_in_boxes.saturating_sub(spec.rejected),
        ),
    ]
}

pub(crate) fn draw(sheet: &mut Sheet, spec: &SheetSpec) {
    let top = header(sheet, spec, "FORM-46", "BALLOT PAPER ACCOUNT");
    let top = identification(sheet, spec, top + 12.0) + 16.0;
    let lines = lines(spec);
    let head_h = 42.0;
    let row_h = 48.0;
    let bottom = top + head_h + row_h * lines.len() as f32;
    let p = &mut sheet.print;
    p.fill(LEFT, top, RIGHT, top + head_h, 0.09);
    p.frame(LEFT, top, RIGHT, bottom, RULE * 1.2);
    for x in &COLS[1..3] {
        p.rule((*x, top), (*x, bottom), RULE * 0.8);
    }
    p.rule((LEFT, top + head_h), (RIGHT, top + head_h), RULE);
    font::centred(p, "S.NO", (COLS[0] + COLS[1]) / 2.0, top + 27.0, LABEL);
    font::centred(
        p,
        "PARTICULARS",
        (COLS[1] + COLS[2]) / 2.0,
        top + 27.0,
        LABEL,
    );
    font::centred(p, "NUMBER", (COLS[2] + COLS[3]) / 2.0, top + 19.0, LABEL);
    font::centred(
        p,
        "(IN FIGURES)",
        (COLS[2] + COLS[3]) / 2.0,
        top + 35.0,
        LABEL,
    );
    for (i, (label, value)) in lines.iter().enumerate() {
        let y = top + head_h + row_h * (i as f32 + 1.0);
        if i + 1 < lines.len() {
            sheet.print.rule((LEFT, y), (RIGHT, y), RULE * 0.7);
        }
        let base = y - (row_h - BODY.cap) / 2.0;
        font::centred(
            &mut sheet.print,
            &(i + 1).to_string(),
            (COLS[0] + COLS[1]) / 2.0,
            base,
            BODY,
        );
        font::text(
            &mut sheet.print,
            label,
            COLS[1] + 10.0,
            base,
            fit(label, BODY, COLS[2] - COLS[1] - 20.0),
        );
        sheet.hand.write_right(
            &mut sheet.pen,
            &value.to_string(),
            COLS[3] - 18.0,
            y - 13.0,
            26.0,
        );
    }
    electors(sheet, spec, bottom + 24.0);
    sign_off(sheet, spec, FOOT);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::tests::spec_with;
    use tallyseal_core::form::validate_form46;

    #[test]
    fn the_account_balances_and_passes_the_form46_rules() {
        for seed in 0..20 {
            let mut spec = spec_with(5);
            spec.seed = seed;
            let f = ballot_account(&spec);
            assert_eq!(f.ballots_received % 100, 0);
            assert!(f.ballots_received >= spec.registered.0 + spec.registered.1);
            assert!(f.ballots_spoilt < 4);
            assert!(
                validate_form46(&f).is_empty(),
                "{f:?}: {:?}",
                validate_form46(&f)
            );
        }
        // More voters than the roll (a planted problem): the account still balances.
        let mut spec = spec_with(3);
        spec.registered = (10, 10);
        assert!(validate_form46(&ballot_account(&spec)).is_empty());
    }
}
