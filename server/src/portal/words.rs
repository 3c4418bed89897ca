//! What the portal's pages share: their paths, the station number of a path (checked: 400, never
//! echoed), the election's clock, percentages and the labels of states and decisions (the
//! catalogue's words, the console's where the console already names the same thing).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::review::reasons::{RECAPTURE_REASONS, REJECT_REASONS};
use crate::stations::CaptureState;
use crate::web::format::{LocalClock, count};

/// The highest station number a path may name (a polling scheme has a few hundred).
pub const MAX_STATION: u32 = 99_999;

/// A station number from a path: 1 to [`MAX_STATION`], digits only.
pub fn station_number(value: &str) -> Result<u32, ApiError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_STATION).contains(n) && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            ApiError::new(
                Problem::BadRequest,
                format!("the station must be a number from 1 to {MAX_STATION}"),
            )
        })
}

/// `/portal/elections/{election}`.
pub fn election_path(election: &str) -> String {
    format!("/portal/elections/{election}")
}

/// `/portal/elections/{election}/constituencies/{code}`.
pub fn constituency_path(election: &str, code: &str) -> String {
    format!("/portal/elections/{election}/constituencies/{code}")
}

/// `/portal/elections/{election}/constituencies/{code}/stations/{n}`.
pub fn station_path(election: &str, code: &str, station: u32) -> String {
    format!("{}/stations/{station}", constituency_path(election, code))
}

/// The election's clock (its `time_zone`, the offset of its `poll_close`).
pub fn clock_of(election: &tallyseal_core::model::Election) -> LocalClock {
    LocalClock::new(&election.time_zone, &election.poll_close)
}

/// An RFC 3339 time as Unix ms (`None` when unreadable).
pub fn rfc3339_ms(text: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// A date, time or range of times kept left to right inside a right-to-left sentence (Unicode
/// LEFT-TO-RIGHT ISOLATE … POP DIRECTIONAL ISOLATE): digits alone would take the sentence's
/// direction and `2024-02-08 17:00` would read `17:00 2024-02-08` in Urdu.
pub fn ltr(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("\u{2066}{text}\u{2069}")
    }
}

/// A per-mille value as a percentage with one decimal (`12.3 %`), or `—`.
pub fn percent(tr: &Tr, permille: Option<u64>) -> String {
    match permille {
        Some(p) => tr.t1("portal-percent", "value", &format!("{}.{}", p / 10, p % 10)),
        None => "—".to_owned(),
    }
}

/// `part` of `whole` in per mille (none when `whole` is 0).
pub fn permille(part: u64, whole: u64) -> Option<u64> {
    (whole > 0).then(|| part.saturating_mul(1000) / whole)
}

/// A count in the reader's grouping.
pub fn n(tr: &Tr, value: u64) -> String {
    count(tr.lang, value)
}

/// A capture or form state's label and its CSS class.
pub fn state(tr: &Tr, s: &str) -> (String, String) {
    let label = match CaptureState::parse(s) {
        Some(c) => crate::web::board_view::state_label(tr, c),
        None => tr.t(&format!("portal-state-{s}")),
    };
    (label, format!("s-{s}"))
}

/// The words of a decision's action (`accept`, `reject`, `recapture`).
pub fn decision(tr: &Tr, action: &str) -> String {
    tr.t(&format!("review-action-{action}"))
}

fn known(list: &[(&str, &str)], code: &str) -> bool {
    list.iter().any(|(c, _)| *c == code)
}

/// The words of a decision's reason code.
pub fn reason(tr: &Tr, action: &str, code: Option<&str>) -> String {
    match (action, code) {
        ("reject", Some(c)) if known(REJECT_REASONS, c) => tr.t(&format!("review-reject-{c}")),
        ("recapture", Some(c)) if known(RECAPTURE_REASONS, c) => {
            tr.t(&format!("review-recapture-{c}"))
        }
        _ => String::new(),
    }
}

/// The first 12 hex digits of a hash, for tables (the whole hash is in the link).
pub fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn station_numbers_are_bounded() {
        assert_eq!(station_number("12").unwrap(), 12);
        for bad in ["0", "-1", "+1", "100000", "abc", "", "1e3", " 1"] {
            assert!(station_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percentages_and_times() {
        let tr = Tr::new(Lang::En);
        assert_eq!(percent(&tr, Some(95)), "\u{2068}9.5\u{2069} %");
        assert_eq!(percent(&tr, None), "—");
        assert_eq!(permille(1, 3), Some(333));
        assert_eq!(permille(1, 0), None);
        assert_eq!(
            rfc3339_ms("2024-02-08T17:00:00+05:00"),
            Some(1_707_393_600_000)
        );
        assert_eq!(rfc3339_ms("no"), None);
        assert_eq!(ltr("2024-02-08 17:00"), "\u{2066}2024-02-08 17:00\u{2069}");
        assert_eq!(ltr(""), "");
    }
}
