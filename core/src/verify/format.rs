//! Times, durations and distances as they appear in reasons and measured values, and RFC 3339
//! text to Unix ms (the package's poll times). Must never panic: a time out of range is shown as
//! its number of milliseconds.

pub(super) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Unix ms → RFC 3339 UTC text (or the number, if out of range).
pub fn fmt_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{ms} ms"))
}

pub(super) fn fmt_duration(ms: i64) -> String {
    let s = ms.unsigned_abs() / 1000;
    let sign = if ms < 0 { "-" } else { "" };
    match s {
        0..=119 => format!("{sign}{s} s"),
        120..=7199 => format!("{sign}{} min", s / 60),
        7200..=172_799 => format!("{sign}{:.1} h", s as f64 / 3600.0),
        _ => format!("{sign}{:.1} days", s as f64 / 86_400.0),
    }
}

/// RFC 3339 text → Unix ms.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}
