//! EXIF dates: the one parser of DateTimeOriginal and OffsetTimeOriginal, used by the extractor
//! (for its findings and `datetime_original_ms`) and by the verifier (for the `exif_datetime`
//! check), so both read a date the same way.
//!
//! The rule:
//! - DateTimeOriginal is `YYYY:MM:DD HH:MM:SS` (EXIF 2.32 §4.6.5). Also accepted, because real
//!   writers produce them: `-` as the date separator (the same one twice), `T` between date and
//!   time, and a `.fraction` of any length after the seconds (ignored). Leading and trailing
//!   NULs and white space are ignored. Anything else after the seconds makes the value invalid.
//! - The date must exist in the calendar, hours 0-23, minutes and seconds 0-59.
//! - A value of only separators (`    :  :     :  :  `) is *empty*; all zeros is *zero*: neither
//!   is a date.
//! - OffsetTimeOriginal is `+HH:MM` or `-HH:MM`, at most 14 hours, minutes 0-59, NULs and white
//!   space around it ignored.
//!
//! Must never panic, whatever the text.

use exif::Tag;

use super::fields::{FieldReader, clean_text};
use super::{ExifSummary, Findings, codes};
use crate::text::escape_unsafe;

/// A calendar date and time of day, as written (no zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CivilDateTime {
    pub(super) year: i32,
    pub(super) month: u8,
    pub(super) day: u8,
    pub(super) hour: u8,
    pub(super) minute: u8,
    pub(super) second: u8,
}

/// What a DateTimeOriginal value is, by the rule of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DateParse {
    Empty,
    Zero,
    Invalid,
    Ok(CivilDateTime),
}

/// A DateTimeOriginal value at a UTC offset (seconds east) as Unix milliseconds; `None` when the
/// value is empty, zero or invalid by the rule of this module.
pub fn datetime_original_ms(raw: &str, offset_s: i32) -> Option<i64> {
    match parse_exif_datetime(raw) {
        DateParse::Ok(dt) => unix_ms(dt, offset_s, 0),
        DateParse::Empty | DateParse::Zero | DateParse::Invalid => None,
    }
}

/// An OffsetTimeOriginal value (`+05:00`, `-04:30`) in seconds east of UTC; `None` when it is not
/// a valid offset by the rule of this module.
pub fn offset_seconds(raw: &str) -> Option<i32> {
    parse_offset(raw)
}

fn digits(s: &[u8]) -> Option<u32> {
    if !is_digits(s) {
        return None;
    }
    // Checked: a fraction of seconds may have any number of digits.
    s.iter().try_fold(0u32, |n, &d| {
        n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

fn is_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

/// `YYYY:MM:DD` (the EXIF form; `-` accepted too), validated as a calendar date.
pub(super) fn parse_date(s: &[u8]) -> Option<::time::Date> {
    if s.len() != 10 || s[4] != s[7] || !matches!(s[4], b':' | b'-') {
        return None;
    }
    let year = i32::try_from(digits(&s[0..4])?).ok()?;
    let month = u8::try_from(digits(&s[5..7])?).ok()?;
    let day = u8::try_from(digits(&s[8..10])?).ok()?;
    let month = ::time::Month::try_from(month).ok()?;
    ::time::Date::from_calendar_date(year, month, day).ok()
}

/// Parse a DateTimeOriginal value: `YYYY:MM:DD HH:MM:SS`, optionally followed by `.fraction`.
pub(super) fn parse_exif_datetime(raw: &str) -> DateParse {
    let t = raw.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if t.chars().all(|c| matches!(c, ':' | ' ' | '-')) {
        return DateParse::Empty;
    }
    let b = t.as_bytes();
    if b.len() < 19 || !b.is_ascii() {
        return DateParse::Invalid;
    }
    let (main, rest) = b.split_at(19);
    if !(rest.is_empty() || (rest[0] == b'.' && is_digits(&rest[1..]))) {
        return DateParse::Invalid;
    }
    if main.iter().all(|&c| matches!(c, b'0' | b':' | b' ' | b'-')) {
        return DateParse::Zero;
    }
    if !matches!(main[10], b' ' | b'T') || main[13] != b':' || main[16] != b':' {
        return DateParse::Invalid;
    }
    let Some(date) = parse_date(&main[0..10]) else {
        return DateParse::Invalid;
    };
    let hms = [&main[11..13], &main[14..16], &main[17..19]].map(digits);
    let [Some(h), Some(m), Some(sec)] = hms else {
        return DateParse::Invalid;
    };
    if h > 23 || m > 59 || sec > 59 {
        return DateParse::Invalid;
    }
    DateParse::Ok(CivilDateTime {
        year: date.year(),
        month: u8::from(date.month()),
        day: date.day(),
        hour: h as u8,
        minute: m as u8,
        second: sec as u8,
    })
}

/// Parse an EXIF offset (`+05:00`, `-04:30`) into seconds east of UTC.
fn parse_offset(raw: &str) -> Option<i32> {
    let b = raw
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = digits(&b[1..3])?;
    let m = digits(&b[4..6])?;
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h as i32 * 3600 + m as i32 * 60))
}

/// Unix milliseconds of a civil date-time at a UTC offset (seconds east) plus extra milliseconds.
pub(super) fn unix_ms(dt: CivilDateTime, offset_s: i32, extra_ms: i64) -> Option<i64> {
    let month = ::time::Month::try_from(dt.month).ok()?;
    let date = ::time::Date::from_calendar_date(dt.year, month, dt.day).ok()?;
    let time = ::time::Time::from_hms(dt.hour, dt.minute, dt.second).ok()?;
    let offset = ::time::UtcOffset::from_whole_seconds(offset_s).ok()?;
    let secs = ::time::PrimitiveDateTime::new(date, time)
        .assume_offset(offset)
        .unix_timestamp();
    secs.checked_mul(1000)?.checked_add(extra_ms)
}

pub(super) fn read_datetime(r: &FieldReader<'_>, s: &mut ExifSummary, f: &mut Findings) {
    let mut parsed = None;
    if let Some(raw) = r.text(Tag::DateTimeOriginal, f) {
        let (text, _) = clean_text(raw);
        match parse_exif_datetime(&text) {
            DateParse::Empty => {
                f.push(
                    codes::DATETIME_EMPTY,
                    "DateTimeOriginal is present but empty",
                );
            }
            DateParse::Zero => {
                f.push(
                    codes::DATETIME_ZERO,
                    format!("DateTimeOriginal is zero (\"{}\")", escape_unsafe(&text)),
                );
                s.datetime_original = Some(text);
            }
            DateParse::Invalid => {
                f.push(
                    codes::DATETIME_INVALID,
                    format!(
                        "DateTimeOriginal \"{}\" is not a valid YYYY:MM:DD HH:MM:SS date",
                        escape_unsafe(&text)
                    ),
                );
                s.datetime_original = Some(text);
            }
            DateParse::Ok(dt) => {
                if dt.year > 2100 {
                    f.push(
                        codes::DATETIME_FAR_FUTURE,
                        format!(
                            "DateTimeOriginal \"{}\" is after the year 2100",
                            escape_unsafe(&text)
                        ),
                    );
                } else if dt.year < 1990 {
                    f.push(
                        codes::DATETIME_TOO_OLD,
                        format!(
                            "DateTimeOriginal \"{}\" is before 1990",
                            escape_unsafe(&text)
                        ),
                    );
                }
                parsed = Some(dt);
                s.datetime_original = Some(text);
            }
        }
    }
    if let Some(raw) = r.text(Tag::OffsetTimeOriginal, f) {
        let (text, _) = clean_text(raw);
        if text.trim().is_empty() {
            // Blank offsets are common ("      "); they just mean "unknown".
        } else {
            match parse_offset(&text) {
                Some(offset) => {
                    s.datetime_original_ms = parsed.and_then(|dt| unix_ms(dt, offset, 0));
                }
                None => f.push(
                    codes::OFFSET_INVALID,
                    format!(
                        "OffsetTimeOriginal \"{}\" is not a valid +HH:MM offset",
                        escape_unsafe(&text)
                    ),
                ),
            }
            s.offset_time_original = Some(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_parsing() {
        let ok = parse_exif_datetime("2024:02:08 17:45:03");
        assert_eq!(
            ok,
            DateParse::Ok(CivilDateTime {
                year: 2024,
                month: 2,
                day: 8,
                hour: 17,
                minute: 45,
                second: 3
            })
        );
        assert!(matches!(
            parse_exif_datetime("2024-02-08 17:45:03.123"),
            DateParse::Ok(_)
        ));
        // Any number of fraction digits (no overflow; the fraction is not used).
        assert!(matches!(
            parse_exif_datetime("2024:02:08 17:45:03.12345678901234567890"),
            DateParse::Ok(_)
        ));
        assert_eq!(parse_exif_datetime("0000:00:00 00:00:00"), DateParse::Zero);
        assert_eq!(parse_exif_datetime(""), DateParse::Empty);
        assert_eq!(parse_exif_datetime("    :  :     :  :  "), DateParse::Empty);
        for bad in [
            "2024:02:30 10:00:00",
            "2024:13:01 10:00:00",
            "2024:02:08 24:00:00",
            "2024:02:08 10:60:00",
            "2024:02:08",
            "2024:02:08 10:00:00 extra",
            "2024/02/08 10:00:00",
            "20x4:02:08 10:00:00",
            "2024:02-08 10:00:00",
            "yesterday",
        ] {
            assert_eq!(parse_exif_datetime(bad), DateParse::Invalid, "{bad}");
        }
        assert_eq!(parse_offset("+05:00"), Some(5 * 3600));
        assert_eq!(parse_offset("-04:30"), Some(-(4 * 3600 + 1800)));
        assert_eq!(parse_offset("+00:00"), Some(0));
        assert_eq!(parse_offset("05:00"), None);
        assert_eq!(parse_offset("+25:00"), None);
        assert_eq!(parse_offset("+05:60"), None);
        assert_eq!(parse_offset("Z"), None);
        let DateParse::Ok(dt) = parse_exif_datetime("2024:02:08 17:45:03") else {
            panic!()
        };
        // 2024-02-08T17:45:03+05:00 = 2024-02-08T12:45:03Z
        assert_eq!(unix_ms(dt, 5 * 3600, 0), Some(1_707_396_303_000));
    }

    /// The verifier's date assertions (`exif_datetime` check), now against the one parser.
    #[test]
    fn datetimes_for_the_verifier() {
        assert_eq!(datetime_original_ms("1970:01:01 00:00:10", 0), Some(10_000));
        assert_eq!(
            datetime_original_ms("1970:01:01 05:00:00", 300 * 60),
            Some(0)
        );
        assert_eq!(datetime_original_ms("0000:00:00 00:00:00", 0), None);
        assert_eq!(datetime_original_ms("", 0), None);
        assert_eq!(datetime_original_ms("2024:13:01 00:00:00", 0), None);
        assert_eq!(offset_seconds("+05:00"), Some(300 * 60));
        assert_eq!(offset_seconds("-04:30"), Some(-270 * 60));
        assert_eq!(offset_seconds("5"), None);
        // Where the two parsers used to disagree: the extractor's rule now decides.
        assert_eq!(
            datetime_original_ms("2024-02-08 17:45:03", 5 * 3600),
            Some(1_707_396_303_000)
        );
        assert_eq!(
            datetime_original_ms("2024:02:08 17:45:03.250", 5 * 3600),
            Some(1_707_396_303_000)
        );
        assert_eq!(datetime_original_ms("2024:02:08 17:45:03 extra", 0), None);
        assert_eq!(datetime_original_ms("2024:02:08 17:45:03Z", 0), None);
        assert_eq!(offset_seconds("+05:00\0"), Some(5 * 3600));
    }
}
