//! The Form-46 (Ballot Paper Account) consistency rules: [`validate_form46`].
//!
//! Checks only; it must never change the figures nor stop at the first broken rule.

use super::counts::{diff, fc, iv};
use super::figures::Form46Figures;
use super::rule::{FormRule, RuleViolation, Violation};

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
