//! The GPS IFD: coordinates, altitude and GPS time, with findings for every invalid part. Must
//! never return a position outside ±90°/±180° or one built from a non-finite number.

use exif::{Tag, Value};

use super::dates::{CivilDateTime, parse_date, unix_ms};
use super::fields::{FieldReader, clean_text, tag_name};
use super::tiff_scan::TiffScan;
use super::{ExifGps, Findings, codes};
use crate::text::escape_unsafe;

/// Why a rational-based GPS value could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RationalError {
    /// No components at all.
    Empty,
    /// Zero denominator or non-finite result.
    NotFinite,
}

/// Degrees from 1 to 3 (degrees, minutes, seconds) components. Extra components are ignored.
/// Also says whether minutes or seconds were outside `0..60`.
fn dms_to_degrees(parts: &[(f64, f64)]) -> Result<(f64, bool), RationalError> {
    if parts.is_empty() {
        return Err(RationalError::Empty);
    }
    let mut deg = 0.0;
    let mut odd = false;
    for (i, &(num, den)) in parts.iter().take(3).enumerate() {
        if den == 0.0 {
            return Err(RationalError::NotFinite);
        }
        let v = num / den;
        if !v.is_finite() {
            return Err(RationalError::NotFinite);
        }
        if i > 0 && !(0.0..60.0).contains(&v) {
            odd = true;
        }
        deg += v / [1.0, 60.0, 3600.0][i];
    }
    if deg.is_finite() {
        Ok((deg, odd))
    } else {
        Err(RationalError::NotFinite)
    }
}

/// Sign for a GPS reference letter: `Some(1.0)` for N/E, `Some(-1.0)` for S/W, `None` otherwise.
fn ref_sign(r: &str, positive: char, negative: char) -> Option<f64> {
    let t = r.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    let mut chars = t.chars();
    let c = chars.next()?.to_ascii_uppercase();
    if chars.next().is_some() {
        return None;
    }
    if c == positive {
        Some(1.0)
    } else if c == negative {
        Some(-1.0)
    } else {
        None
    }
}

/// `YYYY:MM:DD` GPS date + `[h, m, s]` time → Unix milliseconds (UTC).
fn gps_timestamp_ms(date: &[u8], time: &[(f64, f64)]) -> Result<i64, &'static str> {
    let date = parse_date(date).ok_or("date")?;
    let [h, m, s] = match time {
        [h, m, s, ..] => [*h, *m, *s],
        _ => return Err("time"),
    }
    .map(|(n, d)| if d == 0.0 { f64::NAN } else { n / d });
    if !(0.0..24.0).contains(&h)
        || !(0.0..60.0).contains(&m)
        || !(0.0..61.0).contains(&s)
        || h.fract() != 0.0
        || m.fract() != 0.0
    {
        return Err("time");
    }
    let ms_of_day = (h * 3_600_000.0 + m * 60_000.0 + s * 1000.0).round() as i64;
    let dt = CivilDateTime {
        year: date.year(),
        month: u8::from(date.month()),
        day: date.day(),
        hour: 0,
        minute: 0,
        second: 0,
    };
    unix_ms(dt, 0, ms_of_day).ok_or("date")
}

/// One coordinate: value and reference → signed degrees, or `None` with findings.
fn read_coordinate(
    r: &FieldReader<'_>,
    f: &mut Findings,
    value_tag: Tag,
    ref_tag: Tag,
    (positive, negative): (char, char),
) -> Option<f64> {
    let parts = r.rationals(value_tag, f)?;
    let (deg, odd) = match dms_to_degrees(&parts) {
        Ok(v) => v,
        Err(RationalError::Empty) => {
            f.push(
                codes::GPS_NO_COORDINATES,
                format!("{} is empty", tag_name(value_tag)),
            );
            return None;
        }
        Err(RationalError::NotFinite) => {
            f.push(
                codes::GPS_RATIONAL_INVALID,
                format!(
                    "{} has a zero denominator or is not a finite number",
                    tag_name(value_tag)
                ),
            );
            return None;
        }
    };
    if odd {
        f.push(
            codes::GPS_DMS_OUT_OF_RANGE,
            format!(
                "{} has minutes or seconds outside 0..60",
                tag_name(value_tag)
            ),
        );
    }
    let reference = r.text(ref_tag, f).map(|raw| clean_text(raw).0);
    match reference
        .as_deref()
        .map(|t| (t, ref_sign(t, positive, negative)))
    {
        Some((_, Some(sign))) => Some(sign * deg),
        Some((t, None)) => {
            f.push(
                codes::GPS_REF_INVALID,
                format!(
                    "{} is \"{}\", not {positive} or {negative}; {} {deg} cannot be placed",
                    tag_name(ref_tag),
                    escape_unsafe(t),
                    tag_name(value_tag)
                ),
            );
            None
        }
        None => {
            f.push(
                codes::GPS_REF_INVALID,
                format!(
                    "{} is missing; {} {deg} cannot be placed",
                    tag_name(ref_tag),
                    tag_name(value_tag)
                ),
            );
            None
        }
    }
}

pub(super) fn read_gps(r: &FieldReader<'_>, scan: &TiffScan, f: &mut Findings) -> Option<ExifGps> {
    let has_lat = scan.declared_bytes(Tag::GPSLatitude).is_some();
    let has_lon = scan.declared_bytes(Tag::GPSLongitude).is_some();
    if !has_lat || !has_lon {
        if scan.gps_ifd_in_primary || has_lat || has_lon {
            f.push(
                codes::GPS_NO_COORDINATES,
                "the image has a GPS IFD without latitude and longitude",
            );
        }
        return None;
    }
    let lat = read_coordinate(r, f, Tag::GPSLatitude, Tag::GPSLatitudeRef, ('N', 'S'));
    let lon = read_coordinate(r, f, Tag::GPSLongitude, Tag::GPSLongitudeRef, ('E', 'W'));
    let (lat, lon) = (lat?, lon?);
    let mut in_range = true;
    if !(-90.0..=90.0).contains(&lat) {
        f.push(
            codes::GPS_LATITUDE_OUT_OF_RANGE,
            format!("latitude {lat} is outside -90..90"),
        );
        in_range = false;
    }
    if !(-180.0..=180.0).contains(&lon) {
        f.push(
            codes::GPS_LONGITUDE_OUT_OF_RANGE,
            format!("longitude {lon} is outside -180..180"),
        );
        in_range = false;
    }
    if !in_range {
        return None;
    }
    if lat == 0.0 && lon == 0.0 {
        f.push(
            codes::GPS_NULL_ISLAND,
            "GPS position is exactly 0,0 (\"null island\"), a placeholder for a missing fix",
        );
    }
    Some(ExifGps {
        lat,
        lon,
        altitude_m: read_altitude(r, f),
        timestamp_ms: read_gps_time(r, f),
    })
}

fn read_altitude(r: &FieldReader<'_>, f: &mut Findings) -> Option<f64> {
    let parts = r.rationals(Tag::GPSAltitude, f)?;
    let &(num, den) = parts.first()?;
    let alt = num / den;
    if den == 0.0 || !alt.is_finite() {
        f.push(
            codes::GPS_RATIONAL_INVALID,
            "GPSAltitude has a zero denominator or is not a finite number",
        );
        return None;
    }
    let below = match r.field(Tag::GPSAltitudeRef, f).map(|fl| &fl.value) {
        None => false,
        Some(Value::Byte(b) | Value::Undefined(b, _)) if b.first() == Some(&0) => false,
        Some(Value::Byte(b) | Value::Undefined(b, _)) if b.first() == Some(&1) => true,
        Some(v) => {
            f.push(
                codes::GPS_ALTITUDE_REF_INVALID,
                format!("GPSAltitudeRef is {v:?}, not 0 or 1; taken as above sea level"),
            );
            v.get_uint(0) == Some(1)
        }
    };
    // `+ 0.0` turns the -0.0 of "0 m below sea level" into 0.0.
    let alt = if below { -alt } else { alt } + 0.0;
    if !(-500.0..=9000.0).contains(&alt) {
        f.push(
            codes::GPS_ALTITUDE_IMPLAUSIBLE,
            format!("GPS altitude {alt} m is outside -500..9000 m"),
        );
    }
    Some(alt)
}

fn read_gps_time(r: &FieldReader<'_>, f: &mut Findings) -> Option<i64> {
    let date = r.text(Tag::GPSDateStamp, f);
    let time = r.rationals(Tag::GPSTimeStamp, f);
    if let Some(d) = date
        && parse_date(clean_text(d).0.as_bytes()).is_none()
    {
        f.push(
            codes::GPS_DATESTAMP_INVALID,
            format!(
                "GPSDateStamp \"{}\" is not a valid YYYY:MM:DD date",
                escape_unsafe(&clean_text(d).0)
            ),
        );
        return None;
    }
    let (date, time) = (date?, time?);
    match gps_timestamp_ms(clean_text(date).0.as_bytes(), &time) {
        Ok(ms) => Some(ms),
        Err(_) => {
            f.push(
                codes::GPS_TIMESTAMP_INVALID,
                "GPSTimeStamp is not a valid time of day",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn dms_conversion() {
        let (d, odd) = dms_to_degrees(&[(41.0, 1.0), (51.0, 1.0), (1080.0, 100.0)]).unwrap();
        assert!(close(d, 41.0 + 51.0 / 60.0 + 10.8 / 3600.0));
        assert!(!odd);
        // decimal minutes only
        let (d, _) = dms_to_degrees(&[(12.0, 1.0), (293_330.0, 10_000.0)]).unwrap();
        assert!(close(d, 12.0 + 29.333 / 60.0));
        // decimal degrees only
        let (d, _) = dms_to_degrees(&[(123_456.0, 1000.0)]).unwrap();
        assert!(close(d, 123.456));
        // minutes/seconds >= 60 are flagged but still summed (like exiftool)
        let (d, odd) = dms_to_degrees(&[(10.0, 1.0), (75.0, 1.0), (0.0, 1.0)]).unwrap();
        assert!(odd);
        assert!(close(d, 11.25));
        let (_, odd) = dms_to_degrees(&[(10.0, 1.0), (0.0, 1.0), (60.0, 1.0)]).unwrap();
        assert!(odd);
        assert_eq!(dms_to_degrees(&[]), Err(RationalError::Empty));
        assert_eq!(
            dms_to_degrees(&[(1.0, 1.0), (0.0, 0.0), (0.0, 1.0)]),
            Err(RationalError::NotFinite)
        );
        assert_eq!(dms_to_degrees(&[(5.0, 0.0)]), Err(RationalError::NotFinite));
    }

    #[test]
    fn gps_refs() {
        assert_eq!(ref_sign("N", 'N', 'S'), Some(1.0));
        assert_eq!(ref_sign("S", 'N', 'S'), Some(-1.0));
        assert_eq!(ref_sign("s\0", 'N', 'S'), Some(-1.0));
        assert_eq!(ref_sign(" W ", 'E', 'W'), Some(-1.0));
        assert_eq!(ref_sign("E", 'E', 'W'), Some(1.0));
        assert_eq!(ref_sign("", 'N', 'S'), None);
        assert_eq!(ref_sign(" ", 'N', 'S'), None);
        assert_eq!(ref_sign("E", 'N', 'S'), None);
        assert_eq!(ref_sign("NS", 'N', 'S'), None);
        assert_eq!(ref_sign("North", 'N', 'S'), None);
    }

    #[test]
    fn gps_time() {
        let t = [(12.0, 1.0), (45.0, 1.0), (303.0, 100.0)];
        assert_eq!(gps_timestamp_ms(b"2024:02:08", &t), Ok(1_707_396_303_030));
        assert_eq!(gps_timestamp_ms(b"2014:09:259", &t), Err("date"));
        assert_eq!(gps_timestamp_ms(b"2014:02:30", &t), Err("date"));
        assert_eq!(
            gps_timestamp_ms(b"2024:02:08", &[(24.0, 1.0), (0.0, 1.0), (0.0, 1.0)]),
            Err("time")
        );
        assert_eq!(
            gps_timestamp_ms(b"2024:02:08", &[(1.0, 0.0), (0.0, 1.0), (0.0, 1.0)]),
            Err("time")
        );
        assert_eq!(gps_timestamp_ms(b"2024:02:08", &[(1.0, 1.0)]), Err("time"));
    }
}
