//! Times, durations and distances as they appear in reasons and measured values.

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

/// `+05:00` / `-04:30` → minutes east of UTC.
pub(super) fn parse_offset_minutes(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h: i32 = s.get(1..3)?.parse().ok()?;
    let m: i32 = s.get(4..6)?.parse().ok()?;
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

/// EXIF `YYYY:MM:DD HH:MM:SS` at a UTC offset → Unix ms.
pub(super) fn parse_exif_datetime_ms(raw: &str, offset_min: i32) -> Option<i64> {
    let s = raw.trim_end_matches('\0').trim();
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b':'
        || b[7] != b':'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i32>().ok();
    let month = time::Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(num(0..4)?, month, u8::try_from(num(8..10)?).ok()?).ok()?;
    let t = time::Time::from_hms(
        u8::try_from(num(11..13)?).ok()?,
        u8::try_from(num(14..16)?).ok()?,
        u8::try_from(num(17..19)?).ok()?,
    )
    .ok()?;
    let offset = time::UtcOffset::from_whole_seconds(offset_min.checked_mul(60)?).ok()?;
    let dt = time::PrimitiveDateTime::new(date, t).assume_offset(offset);
    i64::try_from(dt.unix_timestamp_nanos() / 1_000_000).ok()
}
