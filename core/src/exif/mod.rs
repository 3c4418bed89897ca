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
//!
//! # Files
//! `container` (magic bytes; JPEG, PNG, WebP walkers), `heif`, `tiff_scan` (step 2), `fields`
//! (step 4; Make, Model, Software and the editor list), [`dates`] (the one EXIF date rule), `gps`,
//! [`codes`]; besides extraction, [`frame`] (the JPEG frame size, for the verifier and the
//! perceptual hash) and `record` ([`ManifestExif`], the one EXIF record that manifests sign and the
//! verifier reads). [`ExifSummary`] is the extractor's fuller reading (container, finding details,
//! GPS in degrees, pixel size, orientation); [`ManifestExif::from_summary`] is the only way from it
//! to the record.

use exif::Tag;
use serde::{Deserialize, Serialize};

pub mod codes;
mod container;
pub mod dates;
mod fields;
pub mod frame;
mod gps;
mod heif;
mod record;
mod tiff_scan;

use container::{Container, Located, detect_container, locate_exif};
use dates::read_datetime;
pub use fields::editing_software;
use fields::{FieldReader, read_strings};
use gps::read_gps;
pub use record::ManifestExif;
use tiff_scan::TiffScan;

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
    /// Orientation (1-8) as written; 5-8 mean the stored frame is turned a quarter.
    #[serde(default)]
    pub orientation: Option<u16>,
    pub findings: Vec<ExifFinding>,
}

impl ExifSummary {
    /// Whether a finding with this code was reported.
    pub fn has_finding(&self, code: &str) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

/// Longest text we copy out of a field, in characters.
pub const MAX_STRING_CHARS: usize = 256;
/// Most IFD entries (all IFDs together) we let kamadak-exif parse. Phones write well under 300.
pub const MAX_IFD_ENTRIES: usize = 8192;

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
        orientation: None,
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
    // Read for the verifier's frame check only: an odd Orientation adds no finding, so what
    // manifests record stays what it was before Orientation was read.
    s.orientation = r
        .uint(Tag::Orientation, &mut Findings::default())
        .and_then(|v| u16::try_from(v).ok());
    s.findings = f.0;
    s
}

// ---------------------------------------------------------------------------------------------
// Findings

#[derive(Default)]
pub(super) struct Findings(Vec<ExifFinding>);

impl Findings {
    pub(super) fn push(&mut self, code: &str, detail: impl Into<String>) {
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
