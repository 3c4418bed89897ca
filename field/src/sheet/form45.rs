//! Form-45, the Result of the Count: the candidates in ballot order with their votes in the
//! Presiding Officer's hand, the total of valid votes, and on the last page the electors, the
//! rejected ballot papers and the votes polled.
//!
//! `SheetSpec::candidates` is the whole ballot; page `page` of `pages` shows its share of the
//! rows (serial numbers run on across pages), and the totals close the last page.

use super::attestation::sign_off;
use super::canvas::Layer;
use super::font::{self, Type};
use super::form::{BODY, LABEL, LEFT, RIGHT, RULE, electors, fit, header, identification};
use super::paper::Sheet;
use crate::sheet::SheetSpec;

/// Table columns: serial, candidate, party, votes.
const COLS: [f32; 5] = [LEFT, LEFT + 64.0, LEFT + 470.0, LEFT + 730.0, RIGHT];
/// Where the attestation block starts (it runs to the foot of the page).
const FOOT: f32 = 1235.0;

/// The rows of the ballot this page shows, as (first index, rows).
fn share(spec: &SheetSpec) -> (usize, usize) {
    let pages = usize::from(spec.pages.max(1));
    let page = usize::from(spec.page.clamp(1, spec.pages.max(1)));
    let per_page = spec.candidates.len().div_ceil(pages).max(1);
    let first = (per_page * (page - 1)).min(spec.candidates.len());
    (first, per_page.min(spec.candidates.len() - first))
}

pub(crate) fn draw(sheet: &mut Sheet, spec: &SheetSpec) {
    let top = header(sheet, spec, "FORM-45", "RESULT OF THE COUNT");
    let top = identification(sheet, spec, top + 12.0);
    let last = spec.page >= spec.pages;
    let (first, rows) = share(spec);
    // Room for the rows: above the attestation, leaving the electors' box on the last page.
    let room = FOOT - (top + 16.0) - 42.0 - 44.0 - if last { 210.0 } else { 20.0 };
    let row_h = (room / rows.max(1) as f32).clamp(18.0, 46.0);
    let bottom = count(sheet, spec, top + 16.0, first, rows, row_h, last);
    if last {
        let bottom = electors(sheet, spec, bottom + 14.0);
        closing(sheet, spec, bottom + 10.0);
    } else {
        font::centred(
            &mut sheet.print,
            "CONTINUED ON THE NEXT PAGE",
            (LEFT + RIGHT) / 2.0,
            bottom + 26.0,
            LABEL,
        );
    }
    sign_off(sheet, spec, FOOT);
}

/// The candidates' table and its total row; returns the y under it.
fn count(
    sheet: &mut Sheet,
    spec: &SheetSpec,
    top: f32,
    first: usize,
    rows: usize,
    row_h: f32,
    last: bool,
) -> f32 {
    let head_h = 42.0;
    let total_h = 44.0;
    let body_top = top + head_h;
    let bottom = body_top + row_h * rows as f32 + total_h;
    let p = &mut sheet.print;
    p.fill(LEFT, top, RIGHT, body_top, 0.09);
    p.frame(LEFT, top, RIGHT, bottom, RULE * 1.2);
    for x in &COLS[1..4] {
        p.rule((*x, top), (*x, bottom - total_h), RULE * 0.8);
    }
    p.rule((COLS[3], bottom - total_h), (COLS[3], bottom), RULE * 0.8);
    p.rule((LEFT, body_top), (RIGHT, body_top), RULE);
    let heads: [(&str, &str); 4] = [
        ("S.NO", ""),
        ("NAME OF CONTESTING CANDIDATE", ""),
        ("PARTY AFFILIATION", "(OR INDEPENDENT)"),
        ("VOTES POLLED", "(IN FIGURES)"),
    ];
    for (i, (a, b)) in heads.iter().enumerate() {
        let cx = (COLS[i] + COLS[i + 1]) / 2.0;
        let room = COLS[i + 1] - COLS[i] - 8.0;
        let first_line = if b.is_empty() { top + 27.0 } else { top + 19.0 };
        font::centred(p, a, cx, first_line, fit(a, LABEL, room));
        font::centred(p, b, cx, top + 35.0, fit(b, LABEL, room));
    }
    let text = fit("M", BODY, f32::MAX);
    let text = Type::new(
        text.cap.min(row_h * 0.42),
        text.weight.min(row_h * 0.05).max(0.7),
    );
    let figure_h = (row_h * 0.6).min(26.0);
    for r in 0..rows {
        let c = &spec.candidates[first + r];
        let y = body_top + row_h * (r as f32 + 1.0);
        sheet.print.rule((LEFT, y), (RIGHT, y), RULE * 0.7);
        let base = y - (row_h - text.cap) / 2.0;
        let serial = (first + r + 1).to_string();
        font::centred(
            &mut sheet.print,
            &serial,
            (COLS[0] + COLS[1]) / 2.0,
            base,
            text,
        );
        let cell = |p: &mut Layer, s: &str, col: usize| {
            let room = COLS[col + 1] - COLS[col] - 20.0;
            cell_text(
                p,
                &s.to_uppercase(),
                COLS[col] + 10.0,
                base,
                text,
                room,
                row_h,
            );
        };
        cell(&mut sheet.print, &c.name, 1);
        cell(&mut sheet.print, &c.party, 2);
        let fig_base = y - (row_h - figure_h) / 2.0 - 1.0;
        sheet.hand.write_right(
            &mut sheet.pen,
            &c.votes.to_string(),
            COLS[4] - 18.0,
            fig_base,
            figure_h,
        );
    }
    let label = if last {
        "TOTAL VALID VOTES"
    } else {
        "TOTAL OF THIS PAGE"
    };
    let base = bottom - 15.0;
    font::right_aligned(
        &mut sheet.print,
        label,
        COLS[3] - 14.0,
        base,
        super::form::BOLD,
    );
    let shown = &spec.candidates[first..first + rows];
    let sum: u64 = if last {
        spec.candidates.iter()
    } else {
        shown.iter()
    }
    .map(|c| u64::from(c.votes))
    .sum();
    sheet.hand.write_right(
        &mut sheet.pen,
        &sum.to_string(),
        COLS[4] - 18.0,
        bottom - 10.0,
        26.0,
    );
    bottom
}

/// `s` in a table cell `room` wide whose single line would sit on `base`: on one line when it
/// fits without shrinking much, else on two lines broken at the space nearest its middle.
fn cell_text(p: &mut Layer, s: &str, x: f32, base: f32, ty: Type, room: f32, row_h: f32) {
    let one = fit(s, ty, room);
    let two_fit = row_h >= ty.cap * 2.4;
    let middle = s.len() / 2;
    let split = s
        .match_indices(' ')
        .map(|(i, _)| i)
        .min_by_key(|i| i.abs_diff(middle));
    match split {
        Some(at) if one.cap < ty.cap * 0.8 && two_fit => {
            let small = Type::new(ty.cap * 0.85, ty.weight);
            let (a, b) = (&s[..at], &s[at + 1..]);
            // Centre the two lines in the row.
            let row_bottom = base + (row_h - ty.cap) / 2.0;
            let gap = small.cap * 0.5;
            let top = row_bottom - row_h + (row_h - 2.0 * small.cap - gap) / 2.0;
            font::text(p, a, x, top + small.cap, fit(a, small, room));
            font::text(p, b, x, top + 2.0 * small.cap + gap, fit(b, small, room));
        }
        _ => {
            font::text(p, s, x, base, one);
        }
    }
}

/// Rejected ballot papers and the votes polled (valid + rejected), in the hand.
fn closing(sheet: &mut Sheet, spec: &SheetSpec, top: f32) -> f32 {
    let row_h = 40.0;
    // As the Presiding Officer entered them: a sheet whose sums disagree shows them disagreeing.
    let polled = u64::from(spec.polled.0) + u64::from(spec.polled.1);
    let rows = [
        (
            "BALLOT PAPERS EXCLUDED FROM THE COUNT (REJECTED)",
            u64::from(spec.rejected),
        ),
        ("TOTAL VOTES POLLED (VALID + REJECTED)", polled),
    ];
    let bottom = top + row_h * rows.len() as f32;
    let p = &mut sheet.print;
    p.frame(LEFT, top, RIGHT, bottom, RULE);
    p.rule((COLS[3], top), (COLS[3], bottom), RULE * 0.8);
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = top + row_h * (i as f32 + 1.0);
        if i + 1 < rows.len() {
            sheet.print.rule((LEFT, y), (RIGHT, y), RULE * 0.7);
        }
        font::text(
            &mut sheet.print,
            label,
            LEFT + 10.0,
            y - 14.0,
            fit(label, LABEL, COLS[3] - LEFT - 20.0),
        );
        sheet.hand.write_right(
            &mut sheet.pen,
            &value.to_string(),
            COLS[4] - 18.0,
            y - 9.0,
            22.0,
        );
    }
    bottom
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::tests::spec_with;

    #[test]
    fn pages_share_the_ballot_and_serials_run_on() {
        let mut spec = spec_with(11);
        spec.pages = 2;
        spec.page = 1;
        assert_eq!(share(&spec), (0, 6));
        spec.page = 2;
        assert_eq!(share(&spec), (6, 5));
        spec.pages = 1;
        spec.page = 1;
        assert_eq!(share(&spec), (0, 11));
    }
}
