//! Reading single fields (bounded by the pre-scan), cleaning their text, and the Make/Model/Software
//! strings with the editing-software list. Must never decode a field whose declared size the
//! pre-scan has not seen to be small.

use exif::{Exif, Field, In, Tag, Value};

use super::tiff_scan::TiffScan;
use super::{ExifSummary, Findings, MAX_STRING_CHARS, codes};
use crate::text::escape_unsafe;

/// Largest declared size of a text field we let kamadak-exif decode.
const MAX_TEXT_FIELD_BYTES: usize = 4096;
/// Largest declared size of a numeric field we let kamadak-exif decode.
const MAX_NUMERIC_FIELD_BYTES: usize = 256;

pub(super) struct FieldReader<'a> {
    pub(super) exif: &'a Exif,
    pub(super) scan: &'a TiffScan,
}

pub(super) fn tag_name(tag: Tag) -> String {
    tag.to_string()
}

impl<'a> FieldReader<'a> {
    /// The IFD0 field, if present and small enough to decode.
    pub(super) fn field(&self, tag: Tag, f: &mut Findings) -> Option<&'a Field> {
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
    pub(super) fn text(&self, tag: Tag, f: &mut Findings) -> Option<&'a [u8]> {
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

    pub(super) fn uint(&self, tag: Tag, f: &mut Findings) -> Option<u32> {
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
    pub(super) fn rationals(&self, tag: Tag, f: &mut Findings) -> Option<Vec<(f64, f64)>> {
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
pub(super) fn clean_text(raw: &[u8]) -> (String, bool) {
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

pub(super) fn read_strings(r: &FieldReader<'_>, s: &mut ExifSummary, f: &mut Findings) {
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
            format!(
                "Software \"{}\" names an image editor ({editor}): the image was re-saved",
                escape_unsafe(sw)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
