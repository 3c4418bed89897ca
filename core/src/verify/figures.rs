//! The figures entered with the capture, against the form's consistency rules.
//! Like every check, it must never do I/O, read the clock or panic on what a capture holds.

use serde_json::json;

use super::report::{CheckId, Checks};
use crate::form::{FormFigures, validate};
use crate::manifest::CaptureManifest;
use crate::model::{Constituency, PollingStation};

pub(super) fn check_figures(
    m: &CaptureManifest,
    constituency: Option<&Constituency>,
    station: Option<&PollingStation>,
    c: &mut Checks,
) {
    let Some(figures) = &m.figures else {
        if m.page == 1 {
            c.warn(
                CheckId::FormArithmetic,
                "no figures were entered with this capture",
                json!({}),
            );
        } else {
            c.pass(
                CheckId::FormArithmetic,
                "figures travel with page 1",
                json!({}),
            );
        }
        return;
    };
    let candidates = constituency.map(|k| k.candidates.as_slice());
    let violations = validate(figures, station, candidates);
    let summary = match figures {
        FormFigures::Form45(f) => {
            json!({"total_valid": f.total_valid, "rejected": f.rejected, "total_polled": f.total_polled})
        }
        FormFigures::Form46(f) => {
            json!({"ballots_received": f.ballots_received, "ballots_issued": f.ballots_issued})
        }
    };
    if violations.is_empty() {
        c.pass(
            CheckId::FormArithmetic,
            "the figures satisfy every consistency rule",
            summary,
        );
    } else {
        let reason = violations
            .iter()
            .map(|v| v.detail.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        c.fail(
            CheckId::FormArithmetic,
            reason,
            json!({"figures": summary, "violations": violations}),
        );
    }
}
