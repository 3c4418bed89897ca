//! Counts as the rules quote them: turnout per mille, thousands separators, and the clamped
//! numbers a [`super::RuleViolation`] records. Never overflows, never panics.

/// Turnout in tenths of a percent (per mille), rounded down: `polled * 1000 / registered`.
/// `None` when `registered` is 0. Never overflows.
pub fn turnout_permille(polled: u64, registered: u64) -> Option<u64> {
    if registered == 0 {
        return None;
    }
    let p = u128::from(polled) * 1000 / u128::from(registered);
    Some(u64::try_from(p).unwrap_or(u64::MAX))
}

/// A number with thousands separators, e.g. `1,203` or `-27`.
pub fn format_count(n: i128) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub(super) fn fc(n: u64) -> String {
    format_count(i128::from(n))
}

/// Clamp into the `i64` of [`RuleViolation::values`].
pub(super) fn iv(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Signed difference `a - b`, clamped into `i64`.
pub(super) fn diff(a: u64, b: u64) -> i64 {
    let d = i128::from(a) - i128::from(b);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

pub(super) fn turnout_text(polled: u64, registered: u64) -> String {
    match turnout_permille(polled, registered) {
        Some(pm) => format!("turnout {}.{} %", fc(pm / 10), pm % 10),
        None => "no registered voters".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_203), "1,203");
        assert_eq!(format_count(-27), "-27");
        assert_eq!(format_count(1_234_567), "1,234,567");
        assert_eq!(format_count(-100_000), "-100,000");
    }

    #[test]
    fn turnout() {
        assert_eq!(turnout_permille(500, 1000), Some(500));
        assert_eq!(turnout_permille(1, 3), Some(333));
        assert_eq!(turnout_permille(1, 0), None);
        assert_eq!(turnout_permille(u64::MAX, 1), Some(u64::MAX));
    }
}
