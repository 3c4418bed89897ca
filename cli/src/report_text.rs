//! Human-readable rendering of a verification report.

use std::fmt::Write;

use tallyseal_core::verify::{Outcome, VerificationReport};

pub fn render(r: &VerificationReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "manifest {}", r.manifest_hash);
    if let (Some(c), Some(s)) = (&r.constituency, r.station) {
        let _ = writeln!(
            out,
            "capture  {} station {} page {}/{}",
            c,
            s,
            r.page.unwrap_or(1),
            r.pages.unwrap_or(1)
        );
    }
    for c in &r.checks {
        let mark = match c.outcome {
            Outcome::Pass => "pass",
            Outcome::Warn => "WARN",
            Outcome::Fail => "FAIL",
        };
        let _ = writeln!(out, "  [{mark}] {:<22} {}", c.check.as_str(), c.reason);
    }
    let _ = writeln!(out, "verdict: {}", r.verdict.as_str());
    out
}
