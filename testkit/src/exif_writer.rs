//! A minimal EXIF (TIFF, big-endian) writer: IFD0 (Make, Model, Software, Orientation, ExifIFD and
//! GPS pointers), the Exif IFD (DateTimeOriginal, OffsetTimeOriginal, PixelX/YDimension) and the
//! GPS IFD — a valid one from [`GpsSpec`], or exactly the references and rationals of a
//! [`RawGps`], to write the invalid GPS blocks real tools produce.

/// What to write into the EXIF block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExifSpec {
    pub make: Option<String>,
    pub model: Option<String>,
    pub software: Option<String>,
    /// `YYYY:MM:DD HH:MM:SS`, local time.
    pub datetime_original: Option<String>,
    /// `+05:00`.
    pub offset_time_original: Option<String>,
    pub gps: Option<GpsSpec>,
    pub pixel_width: Option<u32>,
    pub pixel_height: Option<u32>,
    /// Orientation (1-8; 5-8 mean the stored frame is turned a quarter).
    pub orientation: Option<u16>,
    /// Written instead of `gps` when set: GPS fields as given, valid or not.
    pub gps_raw: Option<RawGps>,
}

/// GPS latitude and longitude written verbatim: references (`"N"`, `""`, …) and
/// (numerator, denominator) rationals (`(0, 0)` is a zero denominator).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawGps {
    pub lat_ref: String,
    pub lat: Vec<(u32, u32)>,
    pub lon_ref: String,
    pub lon: Vec<(u32, u32)>,
}

/// A GPS position; written as degrees/minutes/seconds rationals with N/S/E/W references.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpsSpec {
    pub lat: f64,
    pub lon: f64,
    pub altitude_m: Option<f64>,
    /// UTC time of the fix, Unix ms (written as GPSDateStamp + GPSTimeStamp).
    pub time_ms: Option<i64>,
}

enum Value {
    Ascii(String),
    Long(u32),
    Short(u16),
    Byte(u8),
    Rationals(Vec<(u32, u32)>),
}

struct Entry {
    tag: u16,
    value: Value,
}

impl Value {
    fn kind_count_bytes(&self) -> (u16, u32, Vec<u8>) {
        match self {
            Value::Ascii(s) => {
                let mut b = s.as_bytes().to_vec();
                b.push(0);
                (2, b.len() as u32, b)
            }
            Value::Long(v) => (4, 1, v.to_be_bytes().to_vec()),
            Value::Short(v) => (3, 1, v.to_be_bytes().to_vec()),
            Value::Byte(v) => (1, 1, vec![*v]),
            Value::Rationals(rs) => {
                let mut b = Vec::new();
                for (n, d) in rs {
                    b.extend_from_slice(&n.to_be_bytes());
                    b.extend_from_slice(&d.to_be_bytes());
                }
                (5, rs.len() as u32, b)
            }
        }
    }
}

/// Serialize one IFD at `offset` (from the TIFF header); returns its bytes (entries + overflow data).
fn ifd_bytes(entries: &mut [Entry], offset: u32) -> Vec<u8> {
    entries.sort_by_key(|e| e.tag);
    let table_len = 2 + 12 * entries.len() as u32 + 4;
    let mut table = Vec::new();
    let mut data = Vec::new();
    table.extend_from_slice(&(entries.len() as u16).to_be_bytes());
    for e in entries.iter() {
        let (kind, count, bytes) = e.value.kind_count_bytes();
        table.extend_from_slice(&e.tag.to_be_bytes());
        table.extend_from_slice(&kind.to_be_bytes());
        table.extend_from_slice(&count.to_be_bytes());
        if bytes.len() <= 4 {
            let mut v = bytes.clone();
            v.resize(4, 0);
            table.extend_from_slice(&v);
        } else {
            let at = offset + table_len + data.len() as u32;
            table.extend_from_slice(&at.to_be_bytes());
            data.extend_from_slice(&bytes);
            if data.len() % 2 == 1 {
                data.push(0);
            }
        }
    }
    table.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    table.extend_from_slice(&data);
    table
}

fn dms(deg: f64) -> Vec<(u32, u32)> {
    let a = deg.abs();
    let d = a.floor();
    let m = ((a - d) * 60.0).floor();
    let s = ((a - d) * 60.0 - m) * 60.0;
    vec![
        (d as u32, 1),
        (m as u32, 1),
        ((s * 10_000.0).round() as u32, 10_000),
    ]
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm.
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY:MM:DD HH:MM:SS` for Unix ms at a UTC offset (minutes east).
pub fn exif_datetime(ms: i64, offset_min: i32) -> String {
    let local_s = ms.div_euclid(1000) + i64::from(offset_min) * 60;
    let (y, mo, d) = civil_from_days(local_s.div_euclid(86_400));
    let sod = local_s.rem_euclid(86_400);
    format!(
        "{y:04}:{mo:02}:{d:02} {:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

/// `+05:00` for an offset in minutes.
pub fn exif_offset(offset_min: i32) -> String {
    let sign = if offset_min < 0 { '-' } else { '+' };
    let a = offset_min.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 60, a % 60)
}

/// The TIFF bytes of an EXIF block (without the `Exif\0\0` prefix).
pub fn tiff_bytes(spec: &ExifSpec) -> Vec<u8> {
    let mut ifd0 = Vec::new();
    if let Some(v) = &spec.make {
        ifd0.push(Entry {
            tag: 0x010f,
            value: Value::Ascii(v.clone()),
        });
    }
    if let Some(v) = &spec.model {
        ifd0.push(Entry {
            tag: 0x0110,
            value: Value::Ascii(v.clone()),
        });
    }
    if let Some(v) = &spec.software {
        ifd0.push(Entry {
            tag: 0x0131,
            value: Value::Ascii(v.clone()),
        });
    }
    if let Some(v) = spec.orientation {
        ifd0.push(Entry {
            tag: 0x0112,
            value: Value::Short(v),
        });
    }
    let mut exif = Vec::new();
    if let Some(v) = &spec.datetime_original {
        exif.push(Entry {
            tag: 0x9003,
            value: Value::Ascii(v.clone()),
        });
    }
    if let Some(v) = &spec.offset_time_original {
        exif.push(Entry {
            tag: 0x9011,
            value: Value::Ascii(v.clone()),
        });
    }
    if let Some(w) = spec.pixel_width {
        exif.push(Entry {
            tag: 0xa002,
            value: Value::Long(w),
        });
    }
    if let Some(h) = spec.pixel_height {
        exif.push(Entry {
            tag: 0xa003,
            value: Value::Long(h),
        });
    }
    let mut gps = Vec::new();
    if let Some(raw) = &spec.gps_raw {
        gps.extend(
            [
                (0x0001, Value::Ascii(raw.lat_ref.clone())),
                (0x0002, Value::Rationals(raw.lat.clone())),
                (0x0003, Value::Ascii(raw.lon_ref.clone())),
                (0x0004, Value::Rationals(raw.lon.clone())),
            ]
            .map(|(tag, value)| Entry { tag, value }),
        );
    } else if let Some(g) = spec.gps {
        gps.push(Entry {
            tag: 0x0001,
            value: Value::Ascii(if g.lat < 0.0 { "S" } else { "N" }.into()),
        });
        gps.push(Entry {
            tag: 0x0002,
            value: Value::Rationals(dms(g.lat)),
        });
        gps.push(Entry {
            tag: 0x0003,
            value: Value::Ascii(if g.lon < 0.0 { "W" } else { "E" }.into()),
        });
        gps.push(Entry {
            tag: 0x0004,
            value: Value::Rationals(dms(g.lon)),
        });
        if let Some(a) = g.altitude_m {
            gps.push(Entry {
                tag: 0x0005,
                value: Value::Byte(u8::from(a < 0.0)),
            });
            gps.push(Entry {
                tag: 0x0006,
                value: Value::Rationals(vec![((a.abs() * 100.0).round() as u32, 100)]),
            });
        }
        if let Some(t) = g.time_ms {
            let dt = exif_datetime(t, 0);
            let (date, time) = dt.split_at(10);
            let hms: Vec<u32> = time
                .trim()
                .split(':')
                .filter_map(|p| p.parse().ok())
                .collect();
            if hms.len() == 3 {
                gps.push(Entry {
                    tag: 0x0007,
                    value: Value::Rationals(vec![(hms[0], 1), (hms[1], 1), (hms[2], 1)]),
                });
            }
            gps.push(Entry {
                tag: 0x001d,
                value: Value::Ascii(date.to_owned()),
            });
        }
    }
    // Layout: header(8) | IFD0 | Exif IFD | GPS IFD. Pointer entries have fixed size, so compute
    // IFD0's length with placeholders first.
    let has_exif = !exif.is_empty();
    let has_gps = !gps.is_empty();
    if has_exif {
        ifd0.push(Entry {
            tag: 0x8769,
            value: Value::Long(0),
        });
    }
    if has_gps {
        ifd0.push(Entry {
            tag: 0x8825,
            value: Value::Long(0),
        });
    }
    let ifd0_len = ifd_bytes(&mut ifd0, 8).len() as u32;
    let exif_at = 8 + ifd0_len;
    let exif_block = if has_exif {
        ifd_bytes(&mut exif, exif_at)
    } else {
        Vec::new()
    };
    let gps_at = exif_at + exif_block.len() as u32;
    let gps_block = if has_gps {
        ifd_bytes(&mut gps, gps_at)
    } else {
        Vec::new()
    };
    for e in ifd0.iter_mut() {
        match e.tag {
            0x8769 => e.value = Value::Long(exif_at),
            0x8825 => e.value = Value::Long(gps_at),
            _ => {}
        }
    }
    let mut out = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    out.extend_from_slice(&ifd_bytes(&mut ifd0, 8));
    out.extend_from_slice(&exif_block);
    out.extend_from_slice(&gps_block);
    out
}

/// Insert an APP1 EXIF segment into a JPEG right after SOI (and after a JFIF APP0 if present).
pub fn insert_exif(jpeg: &[u8], spec: &ExifSpec) -> Vec<u8> {
    let tiff = tiff_bytes(spec);
    let mut seg = vec![0xff, 0xe1];
    seg.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&tiff);
    let mut at = 2;
    if jpeg.len() > 6 && jpeg[2] == 0xff && jpeg[3] == 0xe0 {
        at = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    }
    let mut out = Vec::with_capacity(jpeg.len() + seg.len());
    out.extend_from_slice(&jpeg[..at.min(jpeg.len())]);
    out.extend_from_slice(&seg);
    out.extend_from_slice(&jpeg[at.min(jpeg.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_formatting() {
        assert_eq!(exif_datetime(0, 0), "1970:01:01 00:00:00");
        assert_eq!(exif_datetime(1_707_393_600_000, 300), "2024:02:08 17:00:00");
        assert_eq!(exif_offset(300), "+05:00");
        assert_eq!(exif_offset(-270), "-04:30");
    }
}
