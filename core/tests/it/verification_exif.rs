//! The verifier's reading of the image itself: EXIF dates by the extractor's one rule, invalid
//! EXIF GPS blocks, and the JPEG frame's real size against its EXIF and the legible minimum.

use serde_json::Value;
use tallyseal_core::demo;
use tallyseal_core::exif::{codes, extract_exif};
use tallyseal_core::seal::{ChainState, SealedCapture};
use tallyseal_core::verify::{
    CheckId, CheckResult, MIN_FRAME_SHORT_SIDE_PX, Outcome, VerificationReport, verify_capture,
};
use tallyseal_testkit::camera::{PhotoSpec, photograph};
use tallyseal_testkit::exif_writer::{GpsSpec, RawGps};
use tallyseal_testkit::scenario::seal_demo_image;

use crate::support::read_testdata;

/// The demo phone's photo at station 1, before `change` is applied to it.
fn photo_spec(seed: u64) -> PhotoSpec {
    let st = demo::STATION_1;
    PhotoSpec::phone(st.lat, st.lon, demo::CAPTURE_MS, 300, seed)
}

fn sealed(image: Vec<u8>) -> SealedCapture {
    seal_demo_image(image, demo::STATION_1, &ChainState::genesis()).unwrap()
}

/// Verify with the image, and with the manifest only (image not yet received).
fn verify_both(s: &SealedCapture) -> (VerificationReport, VerificationReport) {
    let ctx = demo::context().unwrap();
    (
        verify_capture(&s.manifest_bytes, &s.signature, Some(&s.image), &ctx),
        verify_capture(&s.manifest_bytes, &s.signature, None, &ctx),
    )
}

fn check(r: &VerificationReport, id: CheckId) -> &CheckResult {
    r.check(id)
        .unwrap_or_else(|| panic!("no {id:?} check in {r:#?}"))
}

#[test]
fn exif_dates_are_read_by_the_extractors_rule() {
    // `-` separators: valid for the extractor, and now for the verifier too.
    let mut spec = photo_spec(31);
    let written = spec.exif.datetime_original.clone().unwrap();
    spec.exif.datetime_original = Some(written.replacen(':', "-", 2));
    let image = photograph(&spec);
    let e = extract_exif(&image);
    assert!(e.datetime_original_ms.is_some(), "{e:?}");
    let (r, manifest_only) = verify_both(&sealed(image));
    for r in [&r, &manifest_only] {
        let c = check(r, CheckId::ExifDatetime);
        assert_eq!(c.outcome, Outcome::Pass, "{c:?}");
    }

    // Text after the seconds: invalid for the extractor, and now for the verifier too.
    let mut spec = photo_spec(32);
    spec.exif.datetime_original = Some(format!("{written} junk"));
    let image = photograph(&spec);
    assert!(extract_exif(&image).has_finding(codes::DATETIME_INVALID));
    let (r, manifest_only) = verify_both(&sealed(image));
    for r in [&r, &manifest_only] {
        let c = check(r, CheckId::ExifDatetime);
        assert_eq!(c.outcome, Outcome::Warn, "{c:?}");
        assert!(c.reason.contains("not a valid date"), "{}", c.reason);
    }
}

/// A photo whose EXIF GPS block is `gps` (valid lat/lon 213/74 written by the writer) or `raw`.
fn photo_with_gps(seed: u64, gps: Option<GpsSpec>, raw: Option<RawGps>) -> Vec<u8> {
    let mut spec = photo_spec(seed);
    spec.exif.gps = gps;
    spec.exif.gps_raw = raw;
    photograph(&spec)
}

fn lahore_raw() -> RawGps {
    RawGps {
        lat_ref: "N".into(),
        lat: vec![(31, 1), (31, 1), (13, 1)],
        lon_ref: "E".into(),
        lon: vec![(74, 1), (21, 1), (31, 1)],
    }
}

#[test]
fn an_invalid_exif_gps_block_warns_naming_the_findings() {
    let latitude_213 = photo_with_gps(
        41,
        Some(GpsSpec {
            lat: 213.0,
            lon: 74.3587,
            altitude_m: None,
            time_ms: None,
        }),
        None,
    );
    let zero_over_zero = photo_with_gps(
        42,
        None,
        Some(RawGps {
            lat: vec![(0, 0), (0, 0), (0, 0)],
            ..lahore_raw()
        }),
    );
    let empty_refs = photo_with_gps(
        43,
        None,
        Some(RawGps {
            lat_ref: String::new(),
            lon_ref: String::new(),
            ..lahore_raw()
        }),
    );
    for (image, code, value) in [
        (latitude_213, codes::GPS_LATITUDE_OUT_OF_RANGE, Some("213")),
        (zero_over_zero, codes::GPS_RATIONAL_INVALID, None),
        (empty_refs, codes::GPS_REF_INVALID, Some("31.5")),
    ] {
        let e = extract_exif(&image);
        assert!(e.gps.is_none() && e.has_finding(code), "{code}: {e:?}");
        let (r, manifest_only) = verify_both(&sealed(image));
        for r in [&r, &manifest_only] {
            let c = check(r, CheckId::ExifGps);
            assert_eq!(c.outcome, Outcome::Warn, "{code}: {c:?}");
            assert!(c.reason.contains(code), "{code}: {}", c.reason);
            let found = c.measured["exif_gps_findings"].as_array().unwrap();
            assert!(found.contains(&Value::from(code)), "{c:?}");
        }
        // With the image, the verifier also shows what it read.
        let c = check(&r, CheckId::ExifGps);
        let details = c.measured["exif_gps_details"].to_string();
        if let Some(v) = value {
            assert!(details.contains(v), "{code}: {details}");
        }
    }

    // No GPS block at all is still a pass, and so is an empty GPS IFD (no fix on the phone).
    let none = photo_with_gps(44, None, None);
    let (r, _) = verify_both(&sealed(none));
    assert_eq!(check(&r, CheckId::ExifGps).outcome, Outcome::Pass);
    let image = read_testdata("images/phone_nogps/motorola_XT1068_gps_ifd_without_coords.jpg");
    assert!(extract_exif(&image).has_finding(codes::GPS_NO_COORDINATES));
    let (r, _) = verify_both(&sealed(image));
    assert_eq!(check(&r, CheckId::ExifGps).outcome, Outcome::Pass);
}

/// Text read from an image reaches a check's reason escaped: a bidirectional override in
/// GPSLatitudeRef cannot reorder the reason around it.
#[test]
fn image_text_in_a_reason_is_escaped() {
    let image = photo_with_gps(
        45,
        None,
        Some(RawGps {
            lat_ref: "N\u{202E}evil".into(),
            ..lahore_raw()
        }),
    );
    let (r, _) = verify_both(&sealed(image));
    let c = check(&r, CheckId::ExifGps);
    assert_eq!(c.outcome, Outcome::Warn, "{c:?}");
    assert!(
        c.reason.contains("GPSLatitudeRef is \"N\\u{202E}evil\""),
        "{}",
        c.reason
    );
    assert!(!c.reason.contains('\u{202E}'), "{:?}", c.reason);
    let measured = serde_json::to_string(&c.measured).unwrap();
    assert!(!measured.contains('\u{202E}'), "{measured}");
}

/// A photo of `w`×`h` pixels whose EXIF says `exif_w`×`exif_h` (orientation `orientation`).
fn photo_sized(w: u16, h: u16, exif_w: u32, exif_h: u32, orientation: Option<u16>) -> Vec<u8> {
    let mut spec = photo_spec(u64::from(w) * 7 + u64::from(h));
    spec.width = w;
    spec.height = h;
    spec.exif.pixel_width = Some(exif_w);
    spec.exif.pixel_height = Some(exif_h);
    spec.exif.orientation = orientation;
    photograph(&spec)
}

fn frame_check(image: Vec<u8>) -> CheckResult {
    let (r, manifest_only) = verify_both(&sealed(image));
    // The frame is measured only in an image the verifier holds.
    assert!(manifest_only.check(CheckId::ImageFrame).is_none());
    check(&r, CheckId::ImageFrame).clone()
}

#[test]
fn the_frame_size_comes_from_the_jpeg_not_from_its_exif() {
    // A tiny picture that kept a phone camera's EXIF (the camera renders at least 16×16).
    let c = frame_check(photo_sized(16, 16, 3024, 2268, None));
    assert_eq!(c.outcome, Outcome::Warn, "{c:?}");
    assert!(
        c.reason.contains("16×16") && c.reason.contains("3024×2268"),
        "{}",
        c.reason
    );
    assert!(c.reason.contains("legible"), "{}", c.reason);
    assert_eq!(c.measured["frame_width"], 16);
    assert_eq!(c.measured["frame_height"], 16);
    assert_eq!(c.measured["exif_pixel_width"], 3024);

    // The size EXIF gives but too small to read.
    let c = frame_check(photo_sized(600, 800, 600, 800, None));
    assert_eq!(c.outcome, Outcome::Warn, "{c:?}");
    assert!(!c.reason.contains("EXIF says"), "{}", c.reason);
    assert_eq!(c.measured["min_short_side_px"], MIN_FRAME_SHORT_SIDE_PX);

    // Width and height swapped: fine when the orientation turns the frame a quarter, not else.
    let c = frame_check(photo_sized(1200, 1600, 1600, 1200, Some(6)));
    assert_eq!(c.outcome, Outcome::Pass, "{c:?}");
    let c = frame_check(photo_sized(1200, 1600, 1600, 1200, Some(1)));
    assert_eq!(c.outcome, Outcome::Warn, "{c:?}");

    // The testkit camera's own photos are large enough and say their size.
    let spec = photo_spec(1);
    assert!(u32::from(spec.width.min(spec.height)) >= MIN_FRAME_SHORT_SIDE_PX);
    let c = frame_check(photograph(&spec));
    assert_eq!(c.outcome, Outcome::Pass, "{c:?}");

    // A real camera photo resized to 730×547 that kept its 3648×2736 EXIF.
    let c = frame_check(read_testdata("images/camera_gps/sony_DSC-HX5V.jpg"));
    assert_eq!(c.outcome, Outcome::Warn, "{c:?}");
    assert!(
        c.reason.contains("730×547") && c.reason.contains("3648×2736"),
        "{}",
        c.reason
    );
    // A real full-size phone photo.
    let c = frame_check(read_testdata(
        "images/phone_gps/samsung_SM-G935L_galaxy_s7edge.jpg",
    ));
    assert_eq!(c.outcome, Outcome::Pass, "{c:?}");
    // Not a JPEG: not measured, said so.
    let c = frame_check(read_testdata("images/heic/apple_iphone15pro.heic"));
    assert_eq!(c.outcome, Outcome::Pass, "{c:?}");
    assert!(c.reason.contains("heif"), "{}", c.reason);
}
