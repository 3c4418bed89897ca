//! Form-46, the Ballot Paper Account: how many ballot papers the station received, issued,
//! spoilt, returned unused, found in the boxes and excluded from the count, and the electors.
//!
//! The sheet carries what a Form-46 carries: ballot papers come in books of 100, so the station
//! received the registered total rounded up to a whole book; the number spoilt (a few, from the
//! seed) and the rest follow from the figures of the spec.

use super::attestation::sign_off;
use super::font;
use super::form::{BODY, LABEL, LEFT, RIGHT, RULE, electors, fit, header, identification};
use super::paper::Sheet;
use crate::sheet::SheetSpec;

const COLS: [f32; 4] = [LEFT, LEFT + 64.0, LEFT + 730.0, RIGHT];
const FOOT: f32 = 1235.0;

/// The account's lines, in the form's order.
fn account(spec: &SheetSpec, spoilt: u64) -> Vec<(&'static str, u64)> {
    let registered = u64::from(spec.registered.0) + u64::from(spec.registered.1);
    let issued = u64::from(spec.polled.0) + u64::from(spec.polled.1);
    let received = registered.div_ceil(100).max(1) * 100;
    let spoilt = spoilt.min(received.saturating_sub(issued));
    let rejected = u64::from(spec.rejected);
    vec![
        ("BALLOT PAPERS RECEIVED FOR THE POLLING STATION", received),
        ("BALLOT PAPERS ISSUED TO VOTERS", issued),
        ("SPOILT BALLOT PAPERS (CANCELLED AND REPLACED)", spoilt),
        (
            "UNUSED BALLOT PAPERS RETURNED",
            received.saturating_sub(issued + spoilt),
        ),
        ("BALLOT PAPERS FOUND IN THE BALLOT BOXES", issued),
        ("BALLOT PAPERS EXCLUDED FROM THE COUNT", rejected),
        (
            "BALLOT PAPERS COUNTED AS VALID",
            issued.saturating_sub(rejected),
        ),
    ]
}

pub(crate) fn draw(sheet: &mut Sheet, spec: &SheetSpec) {
    let top = header(sheet, spec, "FORM-46", "BALLOT PAPER ACCOUNT");
    let top = identification(sheet, spec, top + 12.0) + 16.0;
    let spoilt = u64::from(sheet.rng.below(5));
    let lines = account(spec, spoilt);
    let head_h = 42.0;
    let row_h = 52.0;
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

    #[test]
    fn the_account_balances() {
        let spec = spec_with(5);
        let lines = account(&spec, 3);
        let v = |i: usize| lines[i].1;
        assert_eq!(v(0) % 100, 0);
        assert!(v(0) >= u64::from(spec.registered.0 + spec.registered.1));
        assert_eq!(
            v(0),
            v(1) + v(2) + v(3),
            "received = issued + spoilt + unused"
        );
        assert_eq!(v(4), v(5) + v(6), "found = excluded + valid");
    }
}
