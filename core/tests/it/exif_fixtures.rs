//! `extract_exif` against what exiftool 12.57 (`-n`) read from the 45 real phone/camera images of
//! `testdata/images/` (`images_metadata.json`).
//!
//! Every field exiftool read is compared. Where our reading legitimately differs the file and
//! field are named in [`ALLOWED`] with the reason; an allow-list entry that no longer differs
//! fails the test too, so the list cannot go stale.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value as Json;
use tallyseal_core::exif::{ExifStatus, ExifSummary, codes, extract_exif};

use crate::support;

/// Files listed in `images_metadata.json` that are not in `testdata/images/`.
const MISSING: &[(&str, &str)] = &[
    (
        "images/phone_gps/apple_iphone6_hdr_YES.jpg",
        "listed in images_metadata.json but not copied into testdata/ (absent from MANIFEST.sha256 \
         and SOURCES.md); its twin apple_iphone6_hdr_NO.jpg is compared",
    ),
    (
        "images/phone_gps/huawei_ELE-L29_p30_gps_error.jpg",
        "listed in images_metadata.json but not copied into testdata/ (absent from MANIFEST.sha256 \
         and SOURCES.md)",
    ),
];

/// (file, field, reason) for each field where we legitimately differ from exiftool.
const ALLOWED: &[(&str, &str, &str)] = &[];

#[derive(Default)]
struct Tally {
    files: usize,
    fields: usize,
    allowed: Vec<(String, String)>,
    failures: Vec<String>,
    /// (files with EXIF pixel dimensions, of which equal to exiftool's ImageWidth/ImageHeight)
    dims: (usize, usize),
}

impl Tally {
    fn check(&mut self, file: &str, field: &str, ok: bool, what: impl FnOnce() -> String) {
        self.fields += 1;
        let allowed = ALLOWED.iter().any(|(f, fl, _)| *f == file && *fl == field);
        match (ok, allowed) {
            (true, false) => {}
            (true, true) => self.failures.push(format!(
                "{file}: {field} now agrees with exiftool; remove it from ALLOWED"
            )),
            (false, true) => self.allowed.push((file.into(), field.into())),
            (false, false) => self.failures.push(format!("{file}: {field}: {}", what())),
        }
    }
}

fn et_str(e: &Json, key: &str) -> Option<String> {
    match e.get(key)? {
        Json::String(s) => Some(
            s.trim_matches(|c: char| c == '\0' || c.is_whitespace())
                .into(),
        ),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn et_num(e: &Json, key: &str) -> Option<f64> {
    e.get(key)?.as_f64()
}

fn ours_str(s: &Option<String>) -> Option<String> {
    s.as_deref().map(|s| s.trim().to_string())
}

fn compare(t: &mut Tally, file: &str, e: &Json, s: &ExifSummary) {
    // Informational only: exiftool's ImageWidth/ImageHeight are the frame size of the image
    // itself, while EXIF PixelX/YDimension are what the camera wrote (editors often leave them
    // stale, and rotation may swap them).
    if let (Some(w), Some(h)) = (s.pixel_width, s.pixel_height) {
        t.dims.0 += 1;
        let et = (et_num(e, "et_ImageWidth"), et_num(e, "et_ImageHeight"));
        if et == (Some(f64::from(w)), Some(f64::from(h))) {
            t.dims.1 += 1;
        }
    }
    t.check(file, "status", s.status == ExifStatus::Present, || {
        format!("status {:?}, findings {:?}", s.status, s.findings)
    });
    for (key, ours) in [
        ("et_Make", &s.make),
        ("et_Model", &s.model),
        ("et_Software", &s.software),
        ("et_DateTimeOriginal", &s.datetime_original),
        ("et_OffsetTimeOriginal", &s.offset_time_original),
    ] {
        let et = et_str(e, key).filter(|v| !v.is_empty());
        let ours = ours_str(ours);
        // Where exiftool read nothing we may still read something (e.g. a blank offset), but
        // where it read a value we must read the same.
        if et.is_some() {
            t.check(file, key, ours == et, || {
                format!("ours {ours:?}, exiftool {et:?}")
            });
        }
    }

    let et_lat = et_num(e, "et_GPSLatitude");
    let et_lon = et_num(e, "et_GPSLongitude");
    match (et_lat, et_lon) {
        (Some(lat), Some(lon)) => {
            let ok = s
                .gps
                .is_some_and(|g| (g.lat - lat).abs() < 1e-6 && (g.lon - lon).abs() < 1e-6);
            t.check(file, "gps", ok, || {
                format!(
                    "ours {:?}, exiftool {lat},{lon}, findings {:?}",
                    s.gps, s.findings
                )
            });
            match e.get("et_GPSAltitude") {
                Some(Json::Number(n)) => {
                    let alt = n.as_f64().unwrap_or(f64::NAN);
                    let ours = s.gps.and_then(|g| g.altitude_m);
                    t.check(
                        file,
                        "et_GPSAltitude",
                        ours.is_some_and(|a| (a - alt).abs() < 0.01),
                        || format!("ours {ours:?}, exiftool {alt}"),
                    );
                }
                // exiftool prints "undef" for a 0/0 rational: we must not invent an altitude.
                Some(Json::String(u)) => {
                    let ours = s.gps.and_then(|g| g.altitude_m);
                    t.check(
                        file,
                        "et_GPSAltitude",
                        ours.is_none() && s.has_finding(codes::GPS_RATIONAL_INVALID),
                        || format!("ours {ours:?}, exiftool {u:?}"),
                    );
                }
                _ => {}
            }
        }
        _ => {
            // No GPS according to exiftool: we must not report a position.
            t.check(file, "gps", s.gps.is_none(), || {
                format!("ours {:?}, exiftool has none", s.gps)
            });
        }
    }
}

#[test]
fn exif_agrees_with_exiftool_on_fixtures() {
    let meta: Json =
        serde_json::from_slice(&support::read_testdata("images/images_metadata.json")).unwrap();
    let entries = meta.as_array().unwrap();
    assert_eq!(entries.len(), 45);
    let mut t = Tally::default();
    let mut missing = 0;
    for e in entries {
        let file = e["file"].as_str().unwrap();
        if !support::testdata().join(file).exists() {
            assert!(
                MISSING.iter().any(|(f, _)| *f == file),
                "{file} is missing from testdata/ and not in MISSING"
            );
            missing += 1;
            continue;
        }
        assert!(
            MISSING.iter().all(|(f, _)| *f != file),
            "{file} is in MISSING but exists"
        );
        let bytes = support::read_testdata(file);
        let s = extract_exif(&bytes);
        t.files += 1;
        println!(
            "{file}: {:?} {} make={:?} model={:?} sw={:?} dto={:?} off={:?} ms={:?} gps={:?} \
             {}x{} findings={:?}",
            s.status,
            s.container,
            s.make,
            s.model,
            s.software,
            s.datetime_original,
            s.offset_time_original,
            s.datetime_original_ms,
            s.gps,
            s.pixel_width.unwrap_or(0),
            s.pixel_height.unwrap_or(0),
            s.findings
                .iter()
                .map(|f| f.code.as_str())
                .collect::<Vec<_>>()
        );
        compare(&mut t, file, e, &s);
    }
    println!(
        "exif fixtures: {} files compared ({missing} listed but missing), {} field comparisons, \
         {} allowed differences: {:?}",
        t.files,
        t.fields,
        t.allowed.len(),
        t.allowed
    );
    println!(
        "exif fixtures: EXIF pixel dimensions equal exiftool's image size on {} of {} files \
         (informational)",
        t.dims.1, t.dims.0
    );
    assert!(
        t.failures.is_empty(),
        "{} mismatches:\n{}",
        t.failures.len(),
        t.failures.join("\n")
    );
    assert_eq!(t.allowed.len(), ALLOWED.len());
    assert_eq!(t.files + missing, entries.len());
}
