//! Human-readable rendering of a verification report. Every text that came from the report (and
//! so possibly from an image or a manifest) is written through
//! [`tallyseal_core::text::escape_unsafe`]: a control or bidirectional-formatting character shows
//! as `\u{XXXX}` and cannot rearrange the terminal line around it.

use std::fmt::Write;

use tallyseal_core::text::escape_unsafe;
use tallyseal_core::verify::{Outcome, VerificationReport};

pub fn render(r: &VerificationReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "manifest {}", r.manifest_hash);
    if let (Some(c), Some(s)) = (&r.constituency, r.station) {
        let _ = writeln!(
            out,
            "capture  {} station {} page {}/{}",
            escape_unsafe(c),
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
        let _ = writeln!(
            out,
            "  [{mark}] {:<22} {}",
            c.check.as_str(),
            escape_unsafe(&c.reason)
        );
    }
    let _ = writeln!(out, "verdict: {}", r.verdict.as_str());
    out
}
