//! EXIF extraction from untrusted image bytes (JPEG, HEIF/HEIC, TIFF, PNG, WebP) with kamadak-exif.
//!
//! Must never panic, hang or allocate without bound, whatever the input: a corrupt or hostile file
//! gives `status: unreadable` or `absent` and findings, never an error the caller has to handle.
//!
//! # How the work is split, and why
//!
//! 1. The container is recognised from its magic bytes and the raw EXIF block (a TIFF structure) is
//!    located by this module's own small, slice-based walkers for JPEG, PNG, WebP and HEIF. They
//!    mirror what `exif::Reader::read_from_container` does (a unit test checks that they return
//!    the very same bytes on every fixture), but they never copy more than the EXIF block itself
//!    and cap the HEIF extent list.
//! 2. Before kamadak-exif parses the TIFF structure, `TiffScan` walks the same IFD graph the
//!    same way kamadak-exif does, without allocating per entry, and counts it. kamadak-exif only
//!    refuses to revisit an IFD at the *same* offset, so a few kilobytes of EXIF whose IFD0 holds
//!    thousands of Exif-IFD pointers to overlapping IFDs make it allocate one `Field` per entry per
//!    IFD: quadratic in the input (hundreds of MB from a 64 KiB JPEG segment). The scan refuses any
//!    block that would produce more than [`MAX_IFD_ENTRIES`] entries.
//! 3. `exif::Reader::read_raw` (with `continue_on_error`) parses the block; partial results are
//!    kept and reported as a finding.
//! 4. Only the fields we need are decoded (`get_field`, lazily), and only when the scan saw that
//!    their declared size is small: kamadak-exif decodes an ASCII field into one `Vec` per NUL
//!    byte, i.e. 24 bytes of heap per byte of input.
//!
//! Findings carry stable snake_case codes (see [`codes`]); they are copied into capture manifests.

use std::collections::HashSet;

use exif::{Context, Exif, Field, In, Tag, Value};
use serde::{Deserialize, Serialize};

/// Whether EXIF could be read at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExifStatus {
    /// EXIF found and parsed (individual fields may still be missing or odd: see findings).
    Present,
    /// The file parsed as an image container but carries no EXIF.
    Absent,
    /// The file is not a readable image container, or its EXIF is corrupt.
    Unreadable,
}

/// GPS position recorded in EXIF, already converted to signed decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExifGps {
    pub lat: f64,
    pub lon: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude_m: Option<f64>,
    /// GPSDateStamp + GPSTimeStamp as Unix milliseconds (UTC), when both are present and valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_ms: Option<i64>,
}

/// Something odd about the EXIF, for the verifier and for people reading `tallyseal exif`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExifFinding {
    /// Stable, machine-readable code, e.g. `gps_latitude_out_of_range`.
    pub code: String,
    /// A sentence a person can read.
    pub detail: String,
}

/// What the verifier reads from an image's EXIF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExifSummary {
    pub status: ExifStatus,
    /// Container detected from the magic bytes: `jpeg`, `heif`, `tiff`, `png`, `webp`, or `unknown`.
    pub container: String,
    pub make: Option<String>,
    pub model: Option<String>,
    pub software: Option<String>,
    /// DateTimeOriginal exactly as written (`YYYY:MM:DD HH:MM:SS`).
    pub datetime_original: Option<String>,
    /// OffsetTimeOriginal exactly as written (`+05:00`).
    pub offset_time_original: Option<String>,
    /// DateTimeOriginal as Unix milliseconds, when it has an offset to place it in UTC.
    pub datetime_original_ms: Option<i64>,
    pub gps: Option<ExifGps>,
    pub pixel_width: Option<u32>,
    pub pixel_height: Option<u32>,
    pub findings: Vec<ExifFinding>,
}

impl ExifSummary {
    /// Whether a finding with this code was reported.
    pub fn has_finding(&self, code: &str) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

/// The finding codes [`extract_exif`] can report. They are stable: verifiers and manifests key on
/// them.
pub mod codes {
    /// The bytes are not a JPEG, HEIF, TIFF, PNG or WebP container.
    pub const UNKNOWN_CONTAINER: &str = "unknown_container";
    /// The container was read to its end and holds no EXIF block.
    pub const NO_EXIF: &str = "no_exif";
    /// The container or the EXIF block could not be parsed (detail has the parser's error).
    pub const EXIF_UNREADABLE: &str = "exif_unreadable";
    /// The EXIF block parsed, but parts of it are corrupt and were skipped.
    pub const EXIF_PARTIALLY_CORRUPT: &str = "exif_partially_corrupt";
    /// The EXIF block declares more IFD entries than any camera writes; not parsed.
    pub const EXIF_TOO_COMPLEX: &str = "exif_too_complex";
    /// A field we read declares an absurd size; it was skipped.
    pub const EXIF_FIELD_OVERSIZED: &str = "exif_field_oversized";
    /// A field we read has a type the EXIF specification does not allow for it; it was skipped.
    pub const EXIF_FIELD_WRONG_TYPE: &str = "exif_field_wrong_type";
    /// A text field was longer than we keep and was cut.
    pub const EXIF_STRING_TRUNCATED: &str = "exif_string_truncated";
    /// Make is present but empty.
    pub const MAKE_EMPTY: &str = "make_empty";
    /// Model is present but empty.
    pub const MODEL_EMPTY: &str = "model_empty";
    /// Software is present but empty.
    pub const SOFTWARE_EMPTY: &str = "software_empty";
    /// Software names a photo editor or a program that re-saves images.
    pub const EDITING_SOFTWARE: &str = "editing_software";
    /// DateTimeOriginal is present but empty or blank.
    pub const DATETIME_EMPTY: &str = "datetime_original_empty";
    /// DateTimeOriginal is `0000:00:00 00:00:00`.
    pub const DATETIME_ZERO: &str = "datetime_original_zero";
    /// DateTimeOriginal is not a valid `YYYY:MM:DD HH:MM:SS` date.
    pub const DATETIME_INVALID: &str = "datetime_original_invalid";
    /// DateTimeOriginal is after the year 2100.
    pub const DATETIME_FAR_FUTURE: &str = "datetime_original_far_future";
    /// DateTimeOriginal is before 1990.
    pub const DATETIME_TOO_OLD: &str = "datetime_original_before_1990";
    /// OffsetTimeOriginal is not a valid `+HH:MM` offset.
    pub const OFFSET_INVALID: &str = "offset_time_original_invalid";
    /// The primary image has a GPS IFD but no usable latitude/longitude in it.
    pub const GPS_NO_COORDINATES: &str = "gps_no_coordinates";
    /// GPSLatitudeRef / GPSLongitudeRef is missing, empty, or not N/S resp. E/W.
    pub const GPS_REF_INVALID: &str = "gps_ref_invalid";
    /// A GPS rational has a zero denominator or is not a finite number.
    pub const GPS_RATIONAL_INVALID: &str = "gps_rational_invalid";
    /// GPS minutes or seconds are 60 or more (or negative).
    pub const GPS_DMS_OUT_OF_RANGE: &str = "gps_dms_out_of_range";
    /// Latitude outside -90..=90 degrees.
    pub const GPS_LATITUDE_OUT_OF_RANGE: &str = "gps_latitude_out_of_range";
    /// Longitude outside -180..=180 degrees.
    pub const GPS_LONGITUDE_OUT_OF_RANGE: &str = "gps_longitude_out_of_range";
    /// Position is exactly 0,0 ("null island"), a typical placeholder for "no fix".
    pub const GPS_NULL_ISLAND: &str = "gps_null_island";
    /// GPSAltitudeRef is neither 0 (above sea level) nor 1 (below).
    pub const GPS_ALTITUDE_REF_INVALID: &str = "gps_altitude_ref_invalid";
    /// Altitude below -500 m or above 9,000 m.
    pub const GPS_ALTITUDE_IMPLAUSIBLE: &str = "gps_altitude_implausible";
    /// GPSDateStamp is not a valid `YYYY:MM:DD` date.
    pub const GPS_DATESTAMP_INVALID: &str = "gps_datestamp_invalid";
    /// GPSTimeStamp is not a valid time of day.
    pub const GPS_TIMESTAMP_INVALID: &str = "gps_timestamp_invalid";
}

/// Longest text we copy out of a field, in characters.
pub const MAX_STRING_CHARS: usize = 256;
/// Most IFD entries (all IFDs together) we let kamadak-exif parse. Phones write well under 300.
pub const MAX_IFD_ENTRIES: usize = 8192;
/// Budget for IFD-pointer values kamadak-exif decodes while walking (a pointer is 4 bytes).
const MAX_POINTER_BYTES: usize = 64 * 1024;
/// Largest declared size of a text field we let kamadak-exif decode.
const MAX_TEXT_FIELD_BYTES: usize = 4096;
/// Largest declared size of a numeric field we let kamadak-exif decode.
const MAX_NUMERIC_FIELD_BYTES: usize = 256;
/// Largest EXIF block we assemble from HEIF extents (the same limit as kamadak-exif).
const MAX_HEIF_EXIF_BYTES: usize = 131_070;
/// Most extents we accept for the HEIF Exif item (cameras write one).
const MAX_HEIF_EXTENTS: usize = 64;

/// Read the EXIF of `bytes`. Never panics; see the module documentation.
pub fn extract_exif(bytes: &[u8]) -> ExifSummary {
    let container = detect_container(bytes);
    let mut s = ExifSummary {
        status: ExifStatus::Unreadable,
        container: container.name().into(),
        make: None,
        model: None,
        software: None,
        datetime_original: None,
        offset_time_original: None,
        datetime_original_ms: None,
        gps: None,
        pixel_width: None,
        pixel_height: None,
        findings: Vec::new(),
    };
    let mut f = Findings::default();

    let blob = match locate_exif(bytes, container) {
        Located::Found(blob) => blob,
        Located::Absent => {
            s.status = ExifStatus::Absent;
            f.push(
                codes::NO_EXIF,
                format!("the {} container holds no EXIF block", container.name()),
            );
            s.findings = f.0;
            return s;
        }
        Located::Corrupt(why) => {
            let code = if container == Container::Unknown {
                codes::UNKNOWN_CONTAINER
            } else {
                codes::EXIF_UNREADABLE
            };
            f.push(code, why);
            s.findings = f.0;
            return s;
        }
    };

    let scan = match TiffScan::run(&blob) {
        Ok(scan) => scan,
        Err(over) => {
            f.push(codes::EXIF_TOO_COMPLEX, over);
            s.findings = f.0;
            return s;
        }
    };

    let exif = match exif::Reader::new().continue_on_error(true).read_raw(blob) {
        Ok(exif) => exif,
        Err(exif::Error::PartialResult(partial)) => {
            let (exif, errors) = partial.into_inner();
            let n = errors.len();
            let mut list: Vec<String> = errors.iter().take(3).map(|e| e.to_string()).collect();
            if n > 3 {
                list.push(format!("and {} more", n - 3));
            }
            let list = list.join("; ");
            if exif.fields().len() == 0 {
                f.push(
                    codes::EXIF_UNREADABLE,
                    format!("EXIF block is corrupt: {list}"),
                );
                s.findings = f.0;
                return s;
            }
            f.push(
                codes::EXIF_PARTIALLY_CORRUPT,
                format!("parts of the EXIF block are corrupt and were skipped: {list}"),
            );
            exif
        }
        Err(e) => {
            f.push(
                codes::EXIF_UNREADABLE,
                format!("EXIF block is unreadable: {e}"),
            );
            s.findings = f.0;
            return s;
        }
    };
    s.status = ExifStatus::Present;

    let r = FieldReader {
        exif: &exif,
        scan: &scan,
    };
    read_strings(&r, &mut s, &mut f);
    read_datetime(&r, &mut s, &mut f);
    s.gps = read_gps(&r, &scan, &mut f);
    s.pixel_width = r
        .uint(Tag::PixelXDimension, &mut f)
        .or_else(|| r.uint(Tag::ImageWidth, &mut f));
    s.pixel_height = r
        .uint(Tag::PixelYDimension, &mut f)
        .or_else(|| r.uint(Tag::ImageLength, &mut f));
    s.findings = f.0;
    s
}

// ---------------------------------------------------------------------------------------------
// Findings

#[derive(Default)]
struct Findings(Vec<ExifFinding>);

impl Findings {
    fn push(&mut self, code: &str, detail: impl Into<String>) {
        // One finding per code is enough for a reader, and keeps the list bounded.
        if self.0.iter().any(|f| f.code == code) {
            return;
        }
        self.0.push(ExifFinding {
            code: code.into(),
            detail: detail.into(),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Containers

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Jpeg,
    Heif,
    Tiff,
    Png,
    Webp,
    Unknown,
}

impl Container {
    fn name(self) -> &'static str {
        match self {
            Container::Jpeg => "jpeg",
            Container::Heif => "heif",
            Container::Tiff => "tiff",
            Container::Png => "png",
            Container::Webp => "webp",
            Container::Unknown => "unknown",
        }
    }
}

const PNG_SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
const EXIF_ID: &[u8] = b"Exif\0\0";
/// Brands of the HEIF family (HEIC, HEIF image/sequence, AVIF), major or compatible.
const HEIF_BRANDS: &[&[u8; 4]] = &[
    b"mif1", b"msf1", b"mif2", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm",
    b"hevs", b"avif", b"avis",
];

fn detect_container(b: &[u8]) -> Container {
    if b.starts_with(b"MM\0\x2a") || b.starts_with(b"II\x2a\0") {
        Container::Tiff
    } else if b.starts_with(&[0xff, 0xd8]) {
        Container::Jpeg
    } else if b.starts_with(PNG_SIG) {
        Container::Png
    } else if is_heif(b) {
        Container::Heif
    } else if b.len() >= 12 && b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        Container::Webp
    } else {
        Container::Unknown
    }
}

fn is_heif(b: &[u8]) -> bool {
    if b.get(4..8) != Some(b"ftyp") {
        return false;
    }
    let mut top = Boxes::new(b);
    let Ok((_, mut body)) = top.child_box() else {
        return false;
    };
    // major brand, minor version, compatible brands
    let Ok(major) = body.array4() else {
        return false;
    };
    if HEIF_BRANDS.contains(&&major) {
        return true;
    }
    if body.slice(4).is_err() {
        return false;
    }
    while let Ok(brand) = body.array4() {
        if HEIF_BRANDS.contains(&&brand) {
            return true;
        }
    }
    false
}

enum Located {
    Found(Vec<u8>),
    Absent,
    Corrupt(String),
}

/// Find the TIFF-structured EXIF block in the container.
fn locate_exif(b: &[u8], container: Container) -> Located {
    let r = match container {
        Container::Tiff => return Located::Found(b.to_vec()),
        Container::Jpeg => jpeg_exif(b).map(|o| o.map(<[u8]>::to_vec)),
        Container::Png => png_exif(b).map(|o| o.map(strip_exif_id)),
        Container::Webp => webp_exif(b).map(|o| o.map(strip_exif_id)),
        Container::Heif => heif_exif(b),
        Container::Unknown => {
            return Located::Corrupt(
                "not a JPEG, HEIF, TIFF, PNG or WebP file (unrecognised magic bytes)".into(),
            );
        }
    };
    match r {
        Ok(Some(blob)) => Located::Found(blob),
        Ok(None) => Located::Absent,
        Err(why) => Located::Corrupt(format!(
            "{} container is unreadable: {why}",
            container.name()
        )),
    }
}

/// Some writers put the JPEG `Exif\0\0` prefix in PNG/WebP EXIF chunks too.
fn strip_exif_id(chunk: &[u8]) -> Vec<u8> {
    chunk.strip_prefix(EXIF_ID).unwrap_or(chunk).to_vec()
}

/// The body of the first APP1 `Exif\0\0` segment, scanning like kamadak-exif (which, unlike a
/// strict JPEG parser, keeps scanning for markers after SOS).
fn jpeg_exif(b: &[u8]) -> Result<Option<&[u8]>, &'static str> {
    const BROKEN: &str = "Broken JPEG file";
    if !b.starts_with(&[0xff, 0xd8]) {
        return Err("Not a JPEG file");
    }
    let mut i = 2;
    loop {
        // Skip to just after the next 0xFF.
        let rest = b.get(i..).ok_or(BROKEN)?;
        let p = rest.iter().position(|&x| x == 0xff).ok_or(BROKEN)?;
        i += p + 1;
        // Fill bytes.
        let code = loop {
            let c = *b.get(i).ok_or(BROKEN)?;
            i += 1;
            if c != 0xff {
                break c;
            }
        };
        match code {
            0x00 | 0x01 | 0xd0..=0xd7 => continue,
            0xd8 => return Err("Unexpected SOI"),
            0xd9 => return Ok(None),
            _ => {}
        }
        let len = b.get(i..i + 2).ok_or(BROKEN)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]))
            .checked_sub(2)
            .ok_or("Invalid segment length")?;
        i += 2;
        let seg = b.get(i..i + len).ok_or(BROKEN)?;
        i += len;
        if code == 0xe1
            && let Some(tiff) = seg.strip_prefix(EXIF_ID)
        {
            return Ok(Some(tiff));
        }
    }
}

/// The `eXIf` chunk of a PNG file.
fn png_exif(b: &[u8]) -> Result<Option<&[u8]>, &'static str> {
    const BROKEN: &str = "Broken PNG file";
    let mut i = PNG_SIG.len();
    loop {
        if i >= b.len() {
            return Ok(None);
        }
        let head = b.get(i..i + 8).ok_or(BROKEN)?;
        let len = be_u32(head, 0).ok_or(BROKEN)? as usize;
        i += 8;
        if &head[4..8] == b"eXIf" {
            return b.get(i..i.saturating_add(len)).ok_or(BROKEN).map(Some);
        }
        i = i
            .checked_add(len)
            .and_then(|i| i.checked_add(4))
            .ok_or(BROKEN)?;
        if i > b.len() {
            return Err(BROKEN);
        }
    }
}

/// The `EXIF` chunk of a WebP (RIFF) file.
fn webp_exif(b: &[u8]) -> Result<Option<&[u8]>, &'static str> {
    const BROKEN: &str = "Broken WebP file";
    const OVERFLOW: &str = "Chunk overflowing parent";
    let mut file_size = le_u32(b, 4)
        .ok_or(BROKEN)?
        .checked_sub(4)
        .ok_or("Invalid header file size")? as usize;
    let mut i = 12usize;
    while file_size > 0 {
        file_size = file_size.checked_sub(8).ok_or(OVERFLOW)?;
        let fourcc = b.get(i..i + 4).ok_or(BROKEN)?;
        let mut size = le_u32(b, i + 4).ok_or(BROKEN)? as usize;
        i += 8;
        file_size = file_size.checked_sub(size).ok_or(OVERFLOW)?;
        if fourcc == b"EXIF" {
            return b.get(i..i.saturating_add(size)).ok_or(BROKEN).map(Some);
        }
        if !size.is_multiple_of(2) && file_size > 0 {
            file_size -= 1;
            size = size.saturating_add(1);
        }
        i = i.saturating_add(size);
        if i > b.len() {
            return Err(BROKEN);
        }
    }
    Ok(None)
}

/// A cursor over ISO-BMFF boxes.
struct Boxes<'a> {
    inner: &'a [u8],
}

impl<'a> Boxes<'a> {
    fn new(inner: &'a [u8]) -> Self {
        Boxes { inner }
    }

    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    fn slice(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        if n > self.inner.len() {
            return Err("Box too small");
        }
        let (head, rest) = self.inner.split_at(n);
        self.inner = rest;
        Ok(head)
    }

    fn array4(&mut self) -> Result<[u8; 4], &'static str> {
        let s = self.slice(4)?;
        Ok([s[0], s[1], s[2], s[3]])
    }

    fn u16(&mut self) -> Result<u16, &'static str> {
        let s = self.slice(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }

    fn u32(&mut self) -> Result<u32, &'static str> {
        Ok(u32::from_be_bytes(self.array4()?))
    }

    fn u64(&mut self) -> Result<u64, &'static str> {
        let hi = u64::from(self.u32()?);
        let lo = u64::from(self.u32()?);
        Ok(hi << 32 | lo)
    }

    /// A 0-, 4- or 8-byte unsigned integer (`None` for other sizes).
    fn size048(&mut self, size: usize) -> Result<Option<u64>, &'static str> {
        match size {
            0 => Ok(Some(0)),
            4 => self.u32().map(|v| Some(u64::from(v))),
            8 => self.u64().map(Some),
            _ => Ok(None),
        }
    }

    /// Version and flags of a full box.
    fn fullbox_header(&mut self) -> Result<(u32, u32), &'static str> {
        let v = self.u32()?;
        Ok((v >> 24, v & 0xff_ffff))
    }

    /// Type and body of the next box.
    fn child_box(&mut self) -> Result<([u8; 4], Boxes<'a>), &'static str> {
        let size = self.u32()?;
        let boxtype = self.array4()?;
        let body_len = match size {
            0 => Some(self.inner.len()),
            1 => usize::try_from(self.u64()?)
                .map_err(|_| "Box is larger than the address space")?
                .checked_sub(16),
            n => (n as usize).checked_sub(8),
        }
        .ok_or("Invalid box size")?;
        Ok((boxtype, Boxes::new(self.slice(body_len)?)))
    }
}

struct HeifLocation {
    construction_method: u8,
    base_offset: u64,
    /// (offset, length)
    extents: Vec<(u64, u64)>,
}

/// The EXIF block of the HEIF `Exif` item (after its 4-byte TIFF header offset).
fn heif_exif(b: &[u8]) -> Result<Option<Vec<u8>>, &'static str> {
    const BROKEN: &str = "Broken HEIF file";
    let mut top = Boxes::new(b);
    let mut ftyp_checked = false;
    while !top.is_empty() {
        let size = top.u32().map_err(|_| BROKEN)?;
        let boxtype = top.array4().map_err(|_| BROKEN)?;
        let body_len = match size {
            0 => Some(top.inner.len()),
            1 => usize::try_from(top.u64().map_err(|_| BROKEN)?)
                .map_err(|_| "Box is larger than the address space")?
                .checked_sub(16),
            n => (n as usize).checked_sub(8),
        }
        .ok_or("Invalid box size")?;
        let body = match top.slice(body_len) {
            Ok(body) => body,
            // A truncated box we would skip anyway ends the file.
            Err(_) if &boxtype != b"ftyp" && &boxtype != b"meta" => return Ok(None),
            Err(_) => return Err(BROKEN),
        };
        match &boxtype {
            b"ftyp" => {
                if !is_heif_ftyp(body) {
                    return Err("No compatible brand recognized in ISO base media file");
                }
                ftyp_checked = true;
            }
            b"meta" => {
                if !ftyp_checked {
                    return Err("MetaBox found before FileTypeBox");
                }
                return heif_meta(b, Boxes::new(body));
            }
            _ => {}
        }
    }
    Ok(None)
}

fn is_heif_ftyp(body: &[u8]) -> bool {
    body.len() >= 8
        && body
            .chunks_exact(4)
            .enumerate()
            .any(|(i, c)| i != 1 && HEIF_BRANDS.iter().any(|b| &b[..] == c))
}

fn heif_meta(file: &[u8], mut meta: Boxes<'_>) -> Result<Option<Vec<u8>>, &'static str> {
    let (version, _flags) = meta.fullbox_header()?;
    if version != 0 {
        return Err("Unsupported MetaBox");
    }
    let mut idat = None;
    let mut iloc = None;
    let mut item_id = None;
    while !meta.is_empty() {
        let (boxtype, mut body) = meta.child_box()?;
        match &boxtype {
            b"idat" => idat = Some(body.inner),
            b"iinf" => {
                let (version, _flags) = body.fullbox_header()?;
                let count = match version {
                    0 => u32::from(body.u16()?),
                    _ => body.u32()?,
                };
                for _ in 0..count {
                    let (boxtype, mut infe) = body.child_box()?;
                    if &boxtype != b"infe" {
                        continue;
                    }
                    let (version, _flags) = infe.fullbox_header()?;
                    let id = match version {
                        2 => u32::from(infe.u16()?),
                        3 => infe.u32()?,
                        // Versions 0 and 1 carry no item type.
                        _ => continue,
                    };
                    let _protection_index = infe.slice(2)?;
                    if &infe.array4()? == b"Exif" {
                        item_id = Some(id);
                    }
                }
            }
            b"iloc" => iloc = Some(body),
            _ => {}
        }
    }
    let Some(item_id) = item_id else {
        return Ok(None);
    };
    let loc = heif_iloc(iloc.ok_or("No ItemLocationBox")?, item_id)?
        .ok_or("No matching item in ItemLocationBox")?;
    let mut buf = Vec::new();
    let source = match loc.construction_method {
        0 => file,
        1 => idat.ok_or("No ItemDataBox")?,
        2 => return Err("Construction by item offset is not supported"),
        _ => return Err("Invalid construction_method"),
    };
    for &(off, len) in &loc.extents {
        let off = loc.base_offset.checked_add(off).ok_or("Invalid offset")?;
        let off = usize::try_from(off).map_err(|_| "Offset too large")?;
        let piece = if len == 0 {
            source.get(off..).unwrap_or(&[])
        } else {
            let end = usize::try_from(len)
                .ok()
                .and_then(|len| off.checked_add(len))
                .ok_or("Invalid length")?;
            source
                .get(off..end)
                .ok_or(if loc.construction_method == 0 {
                    "Broken HEIF file"
                } else {
                    "Out of ItemDataBox"
                })?
        };
        if buf.len() + piece.len() > MAX_HEIF_EXIF_BYTES {
            return Err("Exif data too large");
        }
        buf.extend_from_slice(piece);
    }
    if buf.len() < 4 {
        return Err("ExifDataBlock too small");
    }
    let offset = be_u32(&buf, 0).ok_or("ExifDataBlock too small")? as usize;
    if buf.len() - 4 < offset {
        return Err("Invalid Exif header offset");
    }
    buf.drain(..4 + offset);
    Ok(Some(buf))
}

fn heif_iloc(mut iloc: Boxes<'_>, item_id: u32) -> Result<Option<HeifLocation>, &'static str> {
    let (version, _flags) = iloc.fullbox_header()?;
    let sizes = usize::from(iloc.u16()?);
    let (offset_size, length_size, base_offset_size) =
        (sizes >> 12, sizes >> 8 & 0xf, sizes >> 4 & 0xf);
    let index_size = match version {
        1 | 2 => sizes & 0xf,
        _ => 0,
    };
    let count = match version {
        0 | 1 => u32::from(iloc.u16()?),
        2 => iloc.u32()?,
        _ => return Err("Unsupported ItemLocationBox"),
    };
    let mut found = None;
    for _ in 0..count {
        let id = match version {
            2 => iloc.u32()?,
            _ => u32::from(iloc.u16()?),
        };
        let construction_method = match version {
            0 => 0,
            _ => iloc.slice(2)?[1] & 0xf,
        };
        let data_ref_index = iloc.u16()?;
        if construction_method == 0 && data_ref_index != 0 {
            return Err("External data reference is not supported");
        }
        let base_offset = iloc
            .size048(base_offset_size)?
            .ok_or("Invalid base_offset_size")?;
        let extent_count = usize::from(iloc.u16()?);
        if id == item_id {
            if extent_count > MAX_HEIF_EXTENTS {
                return Err("Too many extents in the Exif item");
            }
            let mut extents = Vec::with_capacity(extent_count);
            for _ in 0..extent_count {
                iloc.size048(index_size)?.ok_or("Invalid index_size")?;
                let offset = iloc.size048(offset_size)?.ok_or("Invalid offset_size")?;
                let length = iloc.size048(length_size)?.ok_or("Invalid length_size")?;
                extents.push((offset, length));
            }
            found = Some(HeifLocation {
                construction_method,
                base_offset,
                extents,
            });
        } else {
            // (15 + 15 + 15) * 65535 cannot overflow.
            iloc.slice((index_size + offset_size + length_size) * extent_count)?;
        }
    }
    Ok(found)
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

// ---------------------------------------------------------------------------------------------
// TIFF pre-scan

/// A field of interest as declared in an IFD entry.
#[derive(Debug, Clone, Copy)]
struct Declared {
    ifd: u16,
    ctx: Context,
    tag: u16,
    typ: u16,
    /// Declared size of the value, bytes.
    bytes: usize,
}

/// Allocation-free walk of the IFD graph in the order kamadak-exif (with `continue_on_error`)
/// walks it: counts entries and records the declared size of the fields we will decode.
#[derive(Debug)]
struct TiffScan {
    entries: usize,
    pointer_bytes: usize,
    seen: HashSet<u32>,
    declared: Vec<Declared>,
    /// The primary image (IFD0) links a GPS IFD that has a readable entry count.
    gps_ifd_in_primary: bool,
}

enum ScanStop {
    /// This IFD is corrupt; kamadak-exif records an error and goes on with the parent.
    Corrupt,
    /// Over budget: refuse the whole block.
    Budget(String),
}

/// Tags whose declared size we record (the ones [`extract_exif`] decodes).
const WANTED: &[Tag] = &[
    Tag::Make,
    Tag::Model,
    Tag::Software,
    Tag::ImageWidth,
    Tag::ImageLength,
    Tag::DateTimeOriginal,
    Tag::OffsetTimeOriginal,
    Tag::PixelXDimension,
    Tag::PixelYDimension,
    Tag::GPSLatitudeRef,
    Tag::GPSLatitude,
    Tag::GPSLongitudeRef,
    Tag::GPSLongitude,
    Tag::GPSAltitudeRef,
    Tag::GPSAltitude,
    Tag::GPSTimeStamp,
    Tag::GPSDateStamp,
];

fn type_len(typ: u16) -> usize {
    match typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 => 4,
        5 | 10 | 12 => 8,
        _ => 0,
    }
}

impl TiffScan {
    fn run(data: &[u8]) -> Result<TiffScan, String> {
        let mut scan = TiffScan {
            entries: 0,
            pointer_bytes: 0,
            seen: HashSet::new(),
            declared: Vec::new(),
            gps_ifd_in_primary: false,
        };
        let le = match data.get(0..2) {
            Some(b"II") => true,
            Some(b"MM") => false,
            // kamadak-exif rejects the block outright.
            _ => return Ok(scan),
        };
        if data.len() < 8 || rd16(data, 2, le) != Some(42) {
            return Ok(scan);
        }
        let mut ifd_offset = rd32(data, 4, le).unwrap_or(0) as usize;
        let mut ifd_num: u16 = 0;
        while ifd_offset != 0 {
            if ifd_num >= 8 {
                break;
            }
            match scan.ifd(data, le, ifd_offset, Context::Tiff, ifd_num) {
                Ok(next) => ifd_offset = next,
                Err(ScanStop::Corrupt) => break,
                Err(ScanStop::Budget(why)) => return Err(why),
            }
            ifd_num += 1;
        }
        Ok(scan)
    }

    fn ifd(
        &mut self,
        data: &[u8],
        le: bool,
        mut offset: usize,
        ctx: Context,
        ifd_num: u16,
    ) -> Result<usize, ScanStop> {
        let count = rd16(data, offset, le).ok_or(ScanStop::Corrupt)?;
        if !self.seen.insert(offset as u32) {
            return Err(ScanStop::Corrupt);
        }
        if ctx == Context::Gps && ifd_num == 0 {
            self.gps_ifd_in_primary = true;
        }
        offset += 2;
        for _ in 0..count {
            if data.len() - offset < 12 {
                return Err(ScanStop::Corrupt);
            }
            self.entries += 1;
            if self.entries > MAX_IFD_ENTRIES {
                return Err(ScanStop::Budget(format!(
                    "EXIF block declares more than {MAX_IFD_ENTRIES} IFD entries \
                     (overlapping or looping IFDs); not parsed"
                )));
            }
            let at = offset;
            offset += 12;
            let (Some(tag), Some(typ), Some(cnt)) = (
                rd16(data, at, le),
                rd16(data, at + 2, le),
                rd32(data, at + 4, le),
            ) else {
                return Err(ScanStop::Corrupt);
            };
            let Some(vallen) = type_len(typ).checked_mul(cnt as usize) else {
                continue;
            };
            let valofs = if vallen <= 4 {
                at + 8
            } else {
                let ofs = rd32(data, at + 8, le).unwrap_or(u32::MAX) as usize;
                if data.len() < ofs || data.len() - ofs < vallen {
                    continue;
                }
                ofs
            };
            let child = match (ctx, tag) {
                (Context::Tiff, 0x8769) => Context::Exif,
                (Context::Tiff, 0x8825) => Context::Gps,
                (Context::Exif, 0xa005) => Context::Interop,
                _ => {
                    if WANTED.contains(&Tag(ctx, tag)) {
                        self.declared.push(Declared {
                            ifd: ifd_num,
                            ctx,
                            tag,
                            typ,
                            bytes: vallen,
                        });
                    }
                    continue;
                }
            };
            // kamadak-exif decodes the whole pointer value to read its first element.
            self.pointer_bytes = self.pointer_bytes.saturating_add(vallen);
            if self.pointer_bytes > MAX_POINTER_BYTES {
                return Err(ScanStop::Budget(format!(
                    "EXIF IFD pointers declare more than {MAX_POINTER_BYTES} bytes; not parsed"
                )));
            }
            if cnt == 0 {
                continue;
            }
            let ptr = match typ {
                1 => data.get(valofs).map(|&b| u32::from(b)),
                3 => rd16(data, valofs, le).map(u32::from),
                4 => rd32(data, valofs, le),
                _ => None,
            };
            let Some(ptr) = ptr else {
                continue;
            };
            match self.ifd(data, le, ptr as usize, child, ifd_num) {
                Ok(_) | Err(ScanStop::Corrupt) => {}
                Err(budget) => return Err(budget),
            }
        }
        rd32(data, offset, le)
            .map(|n| n as usize)
            .ok_or(ScanStop::Corrupt)
    }

    /// Largest declared size among the entries kamadak-exif may return for `tag` in IFD0.
    fn declared_bytes(&self, tag: Tag) -> Option<(usize, u16)> {
        self.declared
            .iter()
            .filter(|d| d.ifd == 0 && d.ctx == tag.context() && d.tag == tag.number())
            .map(|d| (d.bytes, d.typ))
            .max_by_key(|&(bytes, _)| bytes)
    }
}

fn rd16(d: &[u8], at: usize, le: bool) -> Option<u16> {
    let s = d.get(at..at.checked_add(2)?)?;
    let a = [s[0], s[1]];
    Some(if le {
        u16::from_le_bytes(a)
    } else {
        u16::from_be_bytes(a)
    })
}

fn rd32(d: &[u8], at: usize, le: bool) -> Option<u32> {
    let s = d.get(at..at.checked_add(4)?)?;
    let a = [s[0], s[1], s[2], s[3]];
    Some(if le {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    })
}

// ---------------------------------------------------------------------------------------------
// Field access

struct FieldReader<'a> {
    exif: &'a Exif,
    scan: &'a TiffScan,
}

fn tag_name(tag: Tag) -> String {
    tag.to_string()
}

impl<'a> FieldReader<'a> {
    /// The IFD0 field, if present and small enough to decode.
    fn field(&self, tag: Tag, f: &mut Findings) -> Option<&'a Field> {
        let (bytes, typ) = self.scan.declared_bytes(tag)?;
        let limit = if matches!(typ, 1 | 2 | 7) {
            MAX_TEXT_FIELD_BYTES
        } else {
            MAX_NUMERIC_FIELD_BYTES
        };
        if bytes > limit {
            f.push(
                codes::EXIF_FIELD_OVERSIZED,
                format!(
                    "{} declares {bytes} bytes (more than {limit}); skipped",
                    tag_name(tag)
                ),
            );
            return None;
        }
        self.exif.get_field(tag, In::PRIMARY)
    }

    /// Raw text of a text field: the first NUL-terminated string.
    fn text(&self, tag: Tag, f: &mut Findings) -> Option<&'a [u8]> {
        let field = self.field(tag, f)?;
        match &field.value {
            Value::Ascii(parts) => Some(parts.first().map(Vec::as_slice).unwrap_or(&[])),
            Value::Byte(b) | Value::Undefined(b, _) => {
                Some(b.split(|&c| c == 0).next().unwrap_or(&[]))
            }
            _ => {
                wrong_type(tag, f);
                None
            }
        }
    }

    fn uint(&self, tag: Tag, f: &mut Findings) -> Option<u32> {
        let field = self.field(tag, f)?;
        match &field.value {
            Value::Byte(_) | Value::Short(_) | Value::Long(_) => field.value.get_uint(0),
            _ => {
                wrong_type(tag, f);
                None
            }
        }
    }

    /// Rational (or signed rational) components as (numerator, denominator).
    fn rationals(&self, tag: Tag, f: &mut Findings) -> Option<Vec<(f64, f64)>> {
        let field = self.field(tag, f)?;
        match &field.value {
            Value::Rational(v) => Some(
                v.iter()
                    .map(|r| (f64::from(r.num), f64::from(r.denom)))
                    .collect(),
            ),
            Value::SRational(v) => Some(
                v.iter()
                    .map(|r| (f64::from(r.num), f64::from(r.denom)))
                    .collect(),
            ),
            _ => {
                wrong_type(tag, f);
                None
            }
        }
    }
}

fn wrong_type(tag: Tag, f: &mut Findings) {
    f.push(
        codes::EXIF_FIELD_WRONG_TYPE,
        format!(
            "{} has a type the EXIF specification does not allow; skipped",
            tag_name(tag)
        ),
    );
}

/// Text for people and JSON: lossy UTF-8, control characters replaced, trailing NULs and
/// whitespace trimmed, at most [`MAX_STRING_CHARS`] characters. Returns the text and whether it
/// was cut.
fn clean_text(raw: &[u8]) -> (String, bool) {
    let raw = &raw[..raw.len().min(MAX_STRING_CHARS * 4)];
    let s = String::from_utf8_lossy(raw);
    let s = s.trim_end_matches(|c: char| c == '\0' || c.is_whitespace());
    let mut out = String::new();
    let mut cut = false;
    for (n, c) in s.chars().enumerate() {
        if n == MAX_STRING_CHARS {
            cut = true;
            break;
        }
        out.push(if c.is_control() { '\u{fffd}' } else { c });
    }
    (out, cut)
}

/// Programs whose name in Software means the image was edited or re-saved on a computer.
const EDITORS: &[&str] = &[
    "photoshop",
    "lightroom",
    "adobe",
    "gimp",
    "snapseed",
    "photo viewer",
    "photo gallery",
    "picasa",
    "paint.net",
    "paintshop",
    "paint shop",
    "pixelmator",
    "affinity",
    "capture one",
    "darktable",
    "rawtherapee",
    "photoscape",
    "facetune",
    "picsart",
    "vsco",
    "acdsee",
    "irfanview",
    "corel",
    "luminar",
    "iphoto",
    "fotor",
    "canva",
    "imagemagick",
    "graphicsmagick",
];

/// The editor named by a Software string, if any.
pub fn editing_software(software: &str) -> Option<&'static str> {
    let lower = software.to_ascii_lowercase();
    EDITORS.iter().copied().find(|e| lower.contains(e))
}

fn read_strings(r: &FieldReader<'_>, s: &mut ExifSummary, f: &mut Findings) {
    let fields: [(Tag, &str, &mut Option<String>); 3] = [
        (Tag::Make, codes::MAKE_EMPTY, &mut s.make),
        (Tag::Model, codes::MODEL_EMPTY, &mut s.model),
        (Tag::Software, codes::SOFTWARE_EMPTY, &mut s.software),
    ];
    for (tag, empty_code, slot) in fields {
        let Some(raw) = r.text(tag, f) else {
            continue;
        };
        let (text, cut) = clean_text(raw);
        if cut {
            f.push(
                codes::EXIF_STRING_TRUNCATED,
                format!(
                    "{} is longer than {MAX_STRING_CHARS} characters; cut",
                    tag_name(tag)
                ),
            );
        }
        if text.trim().is_empty() {
            f.push(
                empty_code,
                format!("{} is present but empty", tag_name(tag)),
            );
        } else {
            *slot = Some(text);
        }
    }
    if let Some(sw) = &s.software
        && let Some(editor) = editing_software(sw)
    {
        f.push(
            codes::EDITING_SOFTWARE,
            format!("Software \"{sw}\" names an image editor ({editor}): the image was re-saved"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Dates

/// A calendar date and time of day, as written (no zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CivilDateTime {
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateParse {
    Empty,
    Zero,
    Invalid,
    Ok(CivilDateTime),
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
fn parse_date(s: &[u8]) -> Option<::time::Date> {
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
fn parse_exif_datetime(raw: &str) -> DateParse {
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
fn unix_ms(dt: CivilDateTime, offset_s: i32, extra_ms: i64) -> Option<i64> {
    let month = ::time::Month::try_from(dt.month).ok()?;
    let date = ::time::Date::from_calendar_date(dt.year, month, dt.day).ok()?;
    let time = ::time::Time::from_hms(dt.hour, dt.minute, dt.second).ok()?;
    let offset = ::time::UtcOffset::from_whole_seconds(offset_s).ok()?;
    let secs = ::time::PrimitiveDateTime::new(date, time)
        .assume_offset(offset)
        .unix_timestamp();
    secs.checked_mul(1000)?.checked_add(extra_ms)
}

fn read_datetime(r: &FieldReader<'_>, s: &mut ExifSummary, f: &mut Findings) {
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
                    format!("DateTimeOriginal is zero (\"{text}\")"),
                );
                s.datetime_original = Some(text);
            }
            DateParse::Invalid => {
                f.push(
                    codes::DATETIME_INVALID,
                    format!("DateTimeOriginal \"{text}\" is not a valid YYYY:MM:DD HH:MM:SS date"),
                );
                s.datetime_original = Some(text);
            }
            DateParse::Ok(dt) => {
                if dt.year > 2100 {
                    f.push(
                        codes::DATETIME_FAR_FUTURE,
                        format!("DateTimeOriginal \"{text}\" is after the year 2100"),
                    );
                } else if dt.year < 1990 {
                    f.push(
                        codes::DATETIME_TOO_OLD,
                        format!("DateTimeOriginal \"{text}\" is before 1990"),
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
                    format!("OffsetTimeOriginal \"{text}\" is not a valid +HH:MM offset"),
                ),
            }
            s.offset_time_original = Some(text);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GPS

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
                    "{} is \"{t}\", not {positive} or {negative}; {} {deg} cannot be placed",
                    tag_name(ref_tag),
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

fn read_gps(r: &FieldReader<'_>, scan: &TiffScan, f: &mut Findings) -> Option<ExifGps> {
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
                clean_text(d).0
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

// ---------------------------------------------------------------------------------------------

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

    #[test]
    fn text_cleaning() {
        assert_eq!(clean_text(b"Apple  \0\0"), ("Apple".into(), false));
        assert_eq!(clean_text(b"a\x1bb"), ("a\u{fffd}b".into(), false));
        let long = vec![b'x'; 5000];
        let (t, cut) = clean_text(&long);
        assert_eq!(t.len(), MAX_STRING_CHARS);
        assert!(cut);
    }

    #[test]
    fn editors() {
        assert_eq!(
            editing_software("Adobe Photoshop CC 2019 (Macintosh)"),
            Some("photoshop")
        );
        assert_eq!(editing_software("GIMP 2.8.16"), Some("gimp"));
        assert!(editing_software("Microsoft Windows Photo Viewer 10.0.19041.1").is_some());
        assert!(editing_software("Snapseed 2.0").is_some());
        assert!(editing_software("Adobe Lightroom").is_some());
        assert_eq!(editing_software("HDR+ 1.0.570503588zd"), None);
        assert_eq!(editing_software("G935LKLU1APL1"), None);
        assert_eq!(editing_software("17.1"), None);
    }

    #[test]
    fn containers() {
        assert_eq!(detect_container(b"\xff\xd8\xff\xe0"), Container::Jpeg);
        assert_eq!(detect_container(b"II\x2a\0\x08\0\0\0"), Container::Tiff);
        assert_eq!(detect_container(b"MM\0\x2a\0\0\0\x08"), Container::Tiff);
        assert_eq!(detect_container(b"\x89PNG\r\n\x1a\n...."), Container::Png);
        assert_eq!(detect_container(b"RIFF\0\0\0\0WEBPVP8 "), Container::Webp);
        assert_eq!(
            detect_container(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            Container::Heif
        );
        assert_eq!(
            detect_container(b"\0\0\0\x14ftypisom\0\0\0\0mp41"),
            Container::Unknown
        );
        assert_eq!(detect_container(b""), Container::Unknown);
        assert_eq!(detect_container(b"GIF89a"), Container::Unknown);
    }

    /// Our container walkers return exactly the bytes kamadak-exif's `read_from_container` finds,
    /// and our IFD scan never counts fewer entries than kamadak-exif parses.
    #[test]
    fn locate_agrees_with_kamadak_on_fixtures() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/images");
        let mut n = 0;
        for sub in ["phone_gps", "phone_nogps", "camera_gps", "heic"] {
            for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let ours = locate_exif(&bytes, detect_container(&bytes));
                let theirs = exif::Reader::new()
                    .continue_on_error(true)
                    .read_from_container(&mut std::io::Cursor::new(&bytes))
                    .or_else(|e| e.distill_partial_result(|_| {}));
                match (ours, theirs) {
                    (Located::Found(blob), Ok(ex)) => {
                        assert_eq!(blob.as_slice(), ex.buf(), "{}", path.display());
                        let scan = TiffScan::run(&blob).unwrap();
                        assert!(scan.entries >= ex.fields().len(), "{}", path.display());
                    }
                    (Located::Absent, Err(exif::Error::NotFound(_))) => {}
                    (o, t) => panic!(
                        "{}: ours {} theirs {:?}",
                        path.display(),
                        match o {
                            Located::Found(_) => "found".to_string(),
                            Located::Absent => "absent".to_string(),
                            Located::Corrupt(e) => e,
                        },
                        t.err()
                    ),
                }
                n += 1;
            }
        }
        assert!(n >= 43, "{n}");
    }
}
