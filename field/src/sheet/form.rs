//! What every page of a result form carries: the Commission's header with the form's number,
//! title and page, the box naming the constituency and the polling station, and the electors'
//! box (registered voters and votes polled, by gender). Form-45 and Form-46 build on these.

use super::font::{self, Type};
use super::paper::Sheet;
use crate::sheet::SheetSpec;

/// Left and right margins of the printed area, in sheet pixels.
pub(crate) const LEFT: f32 = 60.0;
pub(crate) const RIGHT: f32 = 990.0;

/// Small print for labels, body type for printed values.
pub(crate) const LABEL: Type = Type::new(10.5, 0.75);
pub(crate) const BODY: Type = Type::new(14.0, 0.95);
pub(crate) const BOLD: Type = Type::new(14.0, 1.35);
/// Rules of the printed tables.
pub(crate) const RULE: f32 = 0.9;

/// `ty` shrunk (never grown) so that `s` fits in `room` pixels.
pub(crate) fn fit(s: &str, ty: Type, room: f32) -> Type {
    let w = font::width(s, ty);
    if w <= room {
        ty
    } else {
        let k = room / w;
        Type::new(ty.cap * k, (ty.weight * k.sqrt()).max(0.6))
    }
}

/// The Commission's header, the form's `number` and `title`, the election and the page; returns
/// the y under it.
pub(crate) fn header(sheet: &mut Sheet, spec: &SheetSpec, number: &str, title: &str) -> f32 {
    let p = &mut sheet.print;
    let cx = sheet_centre();
    font::right_aligned(
        p,
        &format!("PAGE {} OF {}", spec.page, spec.pages.max(spec.page)),
        RIGHT,
        48.0,
        LABEL,
    );
    font::text(p, "ECP", LEFT, 48.0, LABEL);
    font::centred(
        p,
        "ELECTION COMMISSION OF PAKISTAN",
        cx,
        88.0,
        Type::new(24.0, 1.7),
    );
    let election = spec.election_name.to_uppercase();
    font::centred(p, &election, cx, 118.0, fit(&election, BODY, RIGHT - LEFT));
    // The form's number on a shaded band, as the printed forms have it.
    p.fill(LEFT, 134.0, RIGHT, 214.0, 0.13);
    p.frame(LEFT, 134.0, RIGHT, 214.0, 1.2);
    font::centred(p, number, cx, 170.0, Type::new(28.0, 2.0));
    font::centred(p, title, cx, 200.0, Type::new(17.0, 1.3));
    224.0
}

fn sheet_centre() -> f32 {
    (LEFT + RIGHT) / 2.0
}

/// The station's type as the gender columns show it.
fn station_type(spec: &SheetSpec) -> &'static str {
    match spec.registered {
        (_, 0) => "MALE",
        (0, _) => "FEMALE",
        _ => "COMBINED",
    }
}

/// Constituency and polling station; returns the y under the box.
pub(crate) fn identification(sheet: &mut Sheet, spec: &SheetSpec, top: f32) -> f32 {
    let p = &mut sheet.print;
    let bottom = top + 96.0;
    p.frame(LEFT, top, RIGHT, bottom, RULE);
    p.rule((LEFT, top + 48.0), (RIGHT, top + 48.0), RULE * 0.8);
    let row = |p: &mut _, y: f32, label: &str, value: &str, x: f32, room: f32| {
        let end = font::text(p, label, x + 10.0, y, LABEL);
        let value = value.to_uppercase();
        font::text(
            p,
            &value,
            end + 10.0,
            y + 1.0,
            fit(&value, BOLD, room - (end - x) - 24.0),
        );
    };
    let constituency = format!("{} {}", spec.constituency_code, spec.constituency_name);
    row(
        p,
        top + 31.0,
        "CONSTITUENCY NO. AND NAME:",
        &constituency,
        LEFT,
        640.0,
    );
    let split = LEFT + 650.0;
    p.rule((split, top), (split, top + 48.0), RULE * 0.8);
    row(
        p,
        top + 31.0,
        "STATION TYPE:",
        station_type(spec),
        split,
        RIGHT - split,
    );
    let number_end = LEFT + 260.0;
    row(
        p,
        top + 79.0,
        "POLLING STATION NO.:",
        &spec.station_number.to_string(),
        LEFT,
        260.0,
    );
    p.rule((number_end, top + 48.0), (number_end, bottom), RULE * 0.8);
    row(
        p,
        top + 79.0,
        "NAME:",
        &spec.station_name,
        number_end,
        RIGHT - number_end,
    );
    bottom
}

/// Registered voters and votes polled, male / female / total, the figures in the Presiding
/// Officer's hand; returns the y under the box.
pub(crate) fn electors(sheet: &mut Sheet, spec: &SheetSpec, top: f32) -> f32 {
    let cols = [LEFT, LEFT + 390.0, LEFT + 570.0, LEFT + 750.0, RIGHT];
    let row_h = 44.0;
    let rows = [
        ("REGISTERED VOTERS", spec.registered),
        ("VOTES POLLED (BALLOT PAPERS ISSUED)", spec.polled),
    ];
    let bottom = top + 34.0 + row_h * rows.len() as f32;
    let p = &mut sheet.print;
    p.fill(LEFT, top, RIGHT, top + 34.0, 0.09);
    p.frame(LEFT, top, RIGHT, bottom, RULE);
    for x in &cols[1..4] {
        p.rule((*x, top), (*x, bottom), RULE * 0.8);
    }
    p.rule((LEFT, top + 34.0), (RIGHT, top + 34.0), RULE);
    font::text(p, "ELECTORS", LEFT + 10.0, top + 23.0, LABEL);
    for (i, head) in ["MALE", "FEMALE", "TOTAL"].iter().enumerate() {
        font::centred(
            p,
            head,
            (cols[i + 1] + cols[i + 2]) / 2.0,
            top + 23.0,
            LABEL,
        );
    }
    for (r, (label, (male, female))) in rows.iter().enumerate() {
        let y = top + 34.0 + row_h * (r as f32 + 1.0);
        if r + 1 < rows.len() {
            sheet.print.rule((LEFT, y), (RIGHT, y), RULE * 0.8);
        }
        font::text(
            &mut sheet.print,
            label,
            LEFT + 10.0,
            y - 16.0,
            fit(label, LABEL, 370.0),
        );
        let total = u64::from(*male) + u64::from(*female);
        for (i, v) in [u64::from(*male), u64::from(*female), total]
            .iter()
            .enumerate()
        {
            sheet.hand.write_right(
                &mut sheet.pen,
                &v.to_string(),
                cols[i + 2] - 14.0,
                y - 10.0,
                22.0,
            );
        }
    }
    bottom
}
