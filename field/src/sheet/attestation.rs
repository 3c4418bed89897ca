//! The foot of every page: the certificate, the Presiding Officer's signature, name and round
//! stamp, and the signatures of the polling agents present.

use super::font;
use super::form::{LABEL, LEFT, RIGHT, RULE, fit};
use super::paper::Sheet;
use super::pen::Pen;
use super::signature::sign;
use super::stamp::{StampText, press};
use crate::sheet::SheetSpec;

const CERTIFICATE: &str = "CERTIFIED THAT THE COUNT ABOVE WAS MADE IN THE PRESENCE OF THE CANDIDATES OR THEIR POLLING AGENTS.";

/// Sign and stamp the page from `top` down to the foot of the sheet.
pub(crate) fn sign_off(sheet: &mut Sheet, spec: &SheetSpec, top: f32) {
    font::text(
        &mut sheet.print,
        CERTIFICATE,
        LEFT,
        top + 14.0,
        fit(CERTIFICATE, LABEL, RIGHT - LEFT),
    );
    // The Presiding Officer.
    let line_y = top + 120.0;
    let po_right = LEFT + 420.0;
    sheet.print.rule((LEFT, line_y), (po_right, line_y), 0.7);
    font::text(
        &mut sheet.print,
        "SIGNATURE OF THE PRESIDING OFFICER",
        LEFT,
        line_y + 18.0,
        LABEL,
    );
    let name = format!("NAME: {}", spec.presiding_officer.to_uppercase());
    font::text(
        &mut sheet.print,
        &name,
        LEFT,
        line_y + 38.0,
        fit(&name, LABEL, po_right - LEFT),
    );
    let mut rng = sheet.rng.fork(0x51c9);
    let pen = sheet.hand.pen();
    let x = LEFT + rng.range(10.0, 60.0);
    sign(&mut sheet.pen, &mut rng, pen, x, line_y - 12.0, 260.0, 55.0);
    let stamp_text = StampText {
        upper: "PRESIDING OFFICER",
        middle: &spec.constituency_code.to_uppercase(),
        lower: &format!("POLLING STATION {}", spec.station_number),
    };
    let centre = (
        LEFT + rng.range(250.0, 330.0),
        line_y - rng.range(20.0, 60.0),
    );
    let radius = rng.range(66.0, 76.0);
    press(&mut sheet.stamp, &mut rng, centre, radius, &stamp_text);
    // The polling agents.
    let agents_left = LEFT + 500.0;
    font::text(
        &mut sheet.print,
        "POLLING AGENTS PRESENT",
        agents_left,
        top + 48.0,
        LABEL,
    );
    let signed = 1 + rng.below(3);
    for k in 0..3u32 {
        let y = top + 100.0 + 50.0 * k as f32;
        font::text(
            &mut sheet.print,
            &format!("{}.", k + 1),
            agents_left,
            y,
            LABEL,
        );
        sheet
            .print
            .rule((agents_left + 24.0, y + 2.0), (RIGHT, y + 2.0), RULE * 0.6);
        if k < signed {
            let mut own = rng.fork(u64::from(k));
            let agent_pen = Pen {
                radius: own.range(0.9, 1.5),
                flow: own.range(0.7, 1.0),
            };
            let x = agents_left + own.range(40.0, 160.0);
            let (w, h) = (own.range(140.0, 230.0), own.range(26.0, 38.0));
            sign(&mut sheet.pen, &mut own, agent_pen, x, y - 4.0, w, h);
        }
    }
}
