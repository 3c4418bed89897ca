//! How the pages write times and numbers: times in the election's local time (the UTC offset of
//! its `poll_close`, named with its `time_zone`: Pakistan keeps one offset all year), counts
//! grouped as the reader's language groups them (English `1,234,567`; Urdu, as CLDR's `ur`,
//! `12,34,567`, Latin digits as Pakistan writes them). Pure: no clock, no I/O.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::i18n::Lang;

/// The election's local clock.
#[derive(Debug, Clone)]
pub struct LocalClock {
    offset: UtcOffset,
    /// The IANA name and the offset, e.g. `Asia/Karachi (UTC+05:00)`.
    pub label: String,
}

impl LocalClock {
    /// From the election's `time_zone` and an RFC 3339 time of the election with its local offset
    /// (unreadable: UTC).
    pub fn new(time_zone: &str, local_example: &str) -> LocalClock {
        let offset = OffsetDateTime::parse(local_example, &Rfc3339)
            .map(|t| t.offset())
            .unwrap_or(UtcOffset::UTC);
        let (h, m, _) = offset.as_hms();
        let sign = if offset.is_negative() { '-' } else { '+' };
        LocalClock {
            offset,
            label: format!(
                "{time_zone} (UTC{sign}{:02}:{:02})",
                h.unsigned_abs(),
                m.unsigned_abs()
            ),
        }
    }

    /// `2024-02-08 17:42:05` in local time (empty for an unreadable time).
    pub fn time(&self, ms: i64) -> String {
        let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
            return String::new();
        };
        let t = t.to_offset(self.offset);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// [`Self::time`] of an optional time (empty when absent).
    pub fn maybe(&self, ms: Option<i64>) -> String {
        ms.map(|ms| self.time(ms)).unwrap_or_default()
    }
}

/// A count as the reader's language writes it.
pub fn count(lang: Lang, n: u64) -> String {
    let digits = n.to_string();
    let bytes = digits.as_bytes();
    let len = bytes.len();
    let mut out = String::with_capacity(len + len / 2);
    for (i, d) in bytes.iter().enumerate() {
        let left = len - i;
        let boundary = match lang {
            Lang::En => left.is_multiple_of(3),
            // The last three digits, then pairs (lakh, crore).
            Lang::Ur => left >= 3 && (left - 3).is_multiple_of(2),
        };
        if i > 0 && boundary {
            out.push(',');
        }
        out.push(char::from(*d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_uses_the_election_offset() {
        let clock = LocalClock::new("Asia/Karachi", "2024-02-08T17:00:00+05:00");
        assert_eq!(clock.label, "Asia/Karachi (UTC+05:00)");
        // 2024-02-08T12:00:00Z is 17:00 in Karachi.
        assert_eq!(clock.time(1_707_393_600_000), "2024-02-08 17:00:00");
        assert_eq!(clock.maybe(None), "");
        let utc = LocalClock::new("UTC", "not a time");
        assert_eq!(utc.time(0), "1970-01-01 00:00:00");
        let west = LocalClock::new("America/St_Johns", "2024-02-08T17:00:00-03:30");
        assert_eq!(west.label, "America/St_Johns (UTC-03:30)");
    }

    #[test]
    fn counts_are_grouped_by_language() {
        assert_eq!(count(Lang::En, 0), "0");
        assert_eq!(count(Lang::En, 999), "999");
        assert_eq!(count(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(count(Lang::Ur, 999), "999");
        assert_eq!(count(Lang::Ur, 1_234), "1,234");
        assert_eq!(count(Lang::Ur, 123_456), "1,23,456");
        assert_eq!(count(Lang::Ur, 1_234_567), "12,34,567");
    }
}
