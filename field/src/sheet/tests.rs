//! What a sheet photo must be: a JPEG a phone could have written (decodes, 1200×1600, the EXIF
//! the camera writes), one the verifier passes like any honest capture, different for every
//! seed and every station, and a form a person can read. Sample photos go to
//! `target/sheet-samples/` to be looked at.

use std::path::PathBuf;

use tallyseal_core::demo;
use tallyseal_core::exif::frame::jpeg_frame;
use tallyseal_core::exif::{ExifStatus, extract_exif};
use tallyseal_core::phash::{NEAR_DUPLICATE_MAX_DISTANCE, dhash, dhash_fast, distance};
use tallyseal_core::seal::ChainState;
use tallyseal_core::verify::{MIN_FRAME_SHORT_SIDE_PX, Outcome, Verdict, verify_capture};
use tallyseal_testkit::scenario::seal_demo_image;

use super::paper::{SHEET_H, SHEET_W, Sheet};
use super::rng::Rng;
use super::{SheetCandidate, SheetKind, SheetSpec, form45, form46, render};

const NAMES: [(&str, &str); 12] = [
    ("Muhammad Aslam Khan", "Pakistan Muslim League (N)"),
    ("Ayesha Siddiqa", "Pakistan Peoples Party Parliamentarians"),
    ("Rana Tariq Mehmood", "Independent"),
    ("Sardar Ali Raza", "Jamaat-e-Islami Pakistan"),
    ("Nadia Parveen", "Tehreek-e-Labbaik Pakistan"),
    ("Chaudhry Imran Ashraf", "Independent"),
    ("Syed Zeeshan Haider", "Istehkam-e-Pakistan Party"),
    ("Mian Abdul Ghaffar", "Pakistan Markazi Muslim League"),
    ("Khalid Mahmood Butt", "Independent"),
    ("Farah Naz", "Muttahida Qaumi Movement Pakistan"),
    ("Hafiz Muhammad Usman", "Jamiat Ulama-e-Islam (F)"),
    ("Malik Shahid Iqbal", "Independent"),
];

/// A station of NA-128 with `n` candidates on the ballot, photographed at the demo station.
pub(crate) fn spec_with(n: usize) -> SheetSpec {
    let candidates: Vec<SheetCandidate> = (0..n)
        .map(|i| SheetCandidate {
            name: NAMES[i % NAMES.len()].0.to_owned(),
            party: NAMES[i % NAMES.len()].1.to_owned(),
            votes: [412, 388, 57, 1093, 26, 9, 140, 301, 3, 75, 618, 44][i % 12],
        })
        .collect();
    let valid: u32 = candidates.iter().map(|c| c.votes).sum();
    let rejected = 37;
    let polled_male = (valid + rejected) * 3 / 5;
    SheetSpec {
        kind: SheetKind::Form45,
        election_name: "General Elections 2024".into(),
        constituency_code: "NA-128".into(),
        constituency_name: "Lahore-XII".into(),
        station_number: 57,
        station_name: "Govt. Boys High School Township (Combined)".into(),
        page: 1,
        pages: 1,
        candidates,
        registered: (4_812, 4_390),
        polled: (polled_male, valid + rejected - polled_male),
        rejected,
        presiding_officer: "Muhammad Saleem Akhtar".into(),
        lat: demo::STATION_1.lat,
        lon: demo::STATION_1.lon,
        time_ms: demo::CAPTURE_MS,
        seed: 7,
    }
}

fn samples_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/sheet-samples");
    std::fs::create_dir_all(&dir).expect("samples directory");
    dir
}

fn decode(jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(jpeg);
    let pixels = d.decode().expect("the photo decodes");
    let info = d.info().expect("frame info");
    (usize::from(info.width), usize::from(info.height), pixels)
}

#[test]
fn the_photo_is_a_phone_jpeg_with_the_cameras_exif() {
    let spec = spec_with(12);
    let jpeg = render(&spec);
    let (w, h, pixels) = decode(&jpeg);
    assert_eq!((w, h), (1200, 1600));
    assert_eq!(pixels.len(), w * h * 3);
    let kb = jpeg.len() / 1024;
    assert!((200..=600).contains(&kb), "{kb} KiB");
    let e = extract_exif(&jpeg);
    assert_eq!(e.status, ExifStatus::Present, "{e:?}");
    assert_eq!(e.make.as_deref(), Some("samsung"));
    assert_eq!(e.model.as_deref(), Some("SM-A155F"));
    assert_eq!(e.datetime_original_ms, Some(spec.time_ms));
    assert_eq!((e.pixel_width, e.pixel_height), (Some(1200), Some(1600)));
    let gps = e.gps.expect("EXIF GPS");
    assert!(
        (gps.lat - spec.lat).abs() < 1e-6 && (gps.lon - spec.lon).abs() < 1e-6,
        "{gps:?}"
    );
    let frame = jpeg_frame(&jpeg).expect("frame header");
    assert!(u32::from(frame.width.min(frame.height)) >= MIN_FRAME_SHORT_SIDE_PX);
}

/// Sealed as the demo phone's capture, the photo passes every check an honest capture passes,
/// the image frame and EXIF checks included.
#[test]
fn the_verifier_passes_a_sealed_sheet_like_any_honest_capture() {
    let jpeg = render(&spec_with(8));
    let sealed = seal_demo_image(jpeg, demo::STATION_1, &ChainState::genesis()).expect("sealed");
    let ctx = demo::context().expect("demo context");
    let report = verify_capture(
        &sealed.manifest_bytes,
        &sealed.signature,
        Some(&sealed.image),
        &ctx,
    );
    let not_passed: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .collect();
    assert!(not_passed.is_empty(), "{not_passed:#?}");
    assert_eq!(report.verdict, Verdict::Verified);
}

#[test]
fn seeds_and_stations_give_different_photos_the_same_spec_the_same_bytes() {
    let a = spec_with(6);
    let mut b = a.clone();
    b.seed = 8;
    let mut c = a.clone();
    c.station_number = 58;
    let (ja, jb, jc) = (render(&a), render(&b), render(&c));
    assert_ne!(ja, jb);
    assert_ne!(ja, jc);
    assert_eq!(ja, render(&a));
    let (_, _, pa) = decode(&ja);
    let (_, _, pb) = decode(&jb);
    let differing = pa
        .iter()
        .zip(&pb)
        .filter(|(x, y)| x.abs_diff(**y) > 40)
        .count();
    assert!(
        differing > pa.len() / 20,
        "only {differing} values differ much"
    );
}

/// Where and when the photo is taken goes into the EXIF only: the same sheet photographed at
/// another place and time is the same picture (a print of one station's sheet sent from another).
#[test]
fn place_and_time_change_the_exif_not_the_picture() {
    let a = spec_with(5);
    let mut b = a.clone();
    b.lat += 0.02;
    b.time_ms += 3_600_000;
    let (ja, jb) = (render(&a), render(&b));
    assert_ne!(ja, jb);
    assert_eq!(decode(&ja).2, decode(&jb).2);
    assert_eq!(extract_exif(&jb).datetime_original_ms, Some(b.time_ms));
}

/// Photos of different stations' sheets must not look like one photo sent twice to the
/// verifier's near-duplicate check, though every sheet has the same printed layout (the
/// distribution over many more photos is in `docs/benchmarks.md`).
#[test]
fn different_stations_are_not_near_duplicates() {
    let mut hashes = Vec::new();
    for station in 1..=12u32 {
        let mut spec = spec_with(4 + station as usize % 9);
        spec.station_number = station;
        spec.seed = u64::from(station % 2);
        if station % 3 == 0 {
            spec.kind = SheetKind::Form46;
        }
        let jpeg = render(&spec);
        assert_eq!(
            dhash_fast(&jpeg),
            dhash(&jpeg),
            "the fast path reads the photo"
        );
        hashes.push(dhash(&jpeg).expect("dhash"));
    }
    for (i, a) in hashes.iter().enumerate() {
        for b in &hashes[i + 1..] {
            let d = distance(*a, *b);
            assert!(
                d > NEAR_DUPLICATE_MAX_DISTANCE,
                "{a:016x} {b:016x}: {d} bits"
            );
        }
    }
}

fn luma_mean(sheet: &super::paper::Rgb, x0: usize, y0: usize, x1: usize, y1: usize) -> f32 {
    let mut sum = 0u64;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = (y * sheet.width + x) * 3;
            sum += u64::from(sheet.pixels[i]) * 3
                + u64::from(sheet.pixels[i + 1]) * 6
                + u64::from(sheet.pixels[i + 2]);
        }
    }
    sum as f32 / 10.0 / ((x1 - x0) * (y1 - y0)) as f32
}

/// Where the form has print, the sheet is darker than blank paper; the figures are in blue
/// ballpoint and the stamp in its own ink.
#[test]
fn the_form_is_printed_written_and_stamped_where_it_should_be() {
    for kind in [SheetKind::Form45, SheetKind::Form46] {
        let mut spec = spec_with(10);
        spec.kind = kind;
        let mut sheet = Sheet::new(&mut Rng::new(3));
        match kind {
            SheetKind::Form45 => form45::draw(&mut sheet, &spec),
            SheetKind::Form46 => form46::draw(&mut sheet, &spec),
        }
        let rgb = sheet.compose();
        assert_eq!((rgb.width, rgb.height), (SHEET_W, SHEET_H));
        let blank = luma_mean(&rgb, 100, 8, 950, 30);
        let header = luma_mean(&rgb, 100, 60, 950, 214);
        assert!(blank > 170.0, "blank paper {blank}");
        assert!(
            header < blank - 15.0,
            "{kind:?}: header {header}, blank {blank}"
        );
        // Pen ink (blue over red) in the right-hand column where the figures are written.
        let blue = |x0: usize, y0: usize, x1: usize, y1: usize| {
            (y0..y1)
                .flat_map(|y| (x0..x1).map(move |x| (y * SHEET_W + x) * 3))
                .filter(|&i| i32::from(rgb.pixels[i + 2]) - i32::from(rgb.pixels[i]) > 50)
                .count()
        };
        let figures = blue(800, 340, 990, 1000);
        assert!(
            figures > 800,
            "{kind:?}: {figures} pen pixels in the figures column"
        );
        assert_eq!(blue(100, 8, 950, 30), 0, "no ink in the top margin");
        let stamp = sheet.stamp.coverage.iter().filter(|&&c| c > 60).count();
        assert!(stamp > 2000, "{kind:?}: stamp {stamp}");
    }
}

/// Odd specs still give a photo: no candidates, page 0 of 0, empty and non-Latin text, the
/// largest figures, a very long ballot.
#[test]
fn odd_specs_still_give_a_photo() {
    let mut empty = spec_with(0);
    empty.page = 0;
    empty.pages = 0;
    empty.station_name = String::new();
    empty.presiding_officer = "محمد سلیم".into();
    let mut huge = spec_with(3);
    huge.candidates[0].votes = u32::MAX;
    huge.registered = (u32::MAX, u32::MAX);
    huge.polled = (u32::MAX, 1);
    huge.rejected = u32::MAX;
    huge.candidates[1].name = "A".repeat(300);
    let mut long = spec_with(45);
    long.pages = 2;
    let mut form46 = huge.clone();
    form46.kind = SheetKind::Form46;
    for spec in [empty, huge, long, form46] {
        let (w, h, _) = decode(&render(&spec));
        assert_eq!((w, h), (1200, 1600));
    }
}

/// Sample photos to look at (Form-45 of one and two pages, Form-46), as JPEG and PNG.
#[test]
fn sample_photos_are_written_for_a_person_to_look_at() {
    let dir = samples_dir();
    let mut form46 = spec_with(7);
    form46.kind = SheetKind::Form46;
    form46.seed = 11;
    let mut two_pages = spec_with(22);
    two_pages.pages = 2;
    two_pages.seed = 5;
    let mut second = two_pages.clone();
    second.page = 2;
    for (name, spec) in [
        ("form45-12-candidates", spec_with(12)),
        ("form45-page-1-of-2", two_pages),
        ("form45-page-2-of-2", second),
        ("form46", form46),
    ] {
        let jpeg = render(&spec);
        std::fs::write(dir.join(format!("{name}.jpg")), &jpeg).expect("sample written");
        assert!(dir.join(format!("{name}.jpg")).exists());
    }
}
