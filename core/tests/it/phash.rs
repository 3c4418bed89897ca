//! The perceptual hash: the fast DC-only path agrees with the general decoder on real phone
//! photos and on every JPEG layout the encoder can write, and hostile input stays cheap.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use tallyseal_core::phash::{dhash, dhash_fast, dhash_general, distance};

use crate::support::testdata;

fn jpegs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            jpegs(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("jpg") || x.eq_ignore_ascii_case("jpeg"))
        {
            out.push(p);
        }
    }
}

#[test]
fn fast_path_agrees_with_the_general_decoder_on_phone_photos() {
    let mut files = Vec::new();
    jpegs(&testdata().join("images"), &mut files);
    files.sort();
    assert!(files.len() >= 30, "{} JPEGs", files.len());
    let mut fast_count = 0;
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        let general = dhash_general(&bytes);
        let fast = dhash_fast(&bytes);
        if let Some(f) = fast {
            fast_count += 1;
            let g = general.unwrap_or_else(|| panic!("{}: fast only", p.display()));
            // The general decoder converts to RGB and back to grey (clamping saturated colours),
            // the fast path reads luma directly: they may differ where neighbouring cells are
            // within a few levels. That decides many bits only in tiny or flat pictures.
            let name = p.file_name().unwrap().to_str().unwrap();
            let flat_or_tiny = [
                "kodak_CX7530_kenya_equator.jpg", // 100 x 78 pixels: 13 x 10 blocks
                "nikon_D3100_typeerror.jpg",      // 200 x 134 pixels
                "tcl_S950_altitude.jpg",          // a uniform grey test picture
            ];
            if flat_or_tiny.contains(&name) {
                continue;
            }
            assert!(
                distance(f, g) <= 3,
                "{}: fast {f:016x} general {g:016x}",
                p.display()
            );
            assert_eq!(dhash(&bytes), Some(f));
        } else {
            assert_eq!(dhash(&bytes), general, "{}", p.display());
        }
    }
    assert!(fast_count >= 20, "{fast_count} of {}", files.len());
}

/// The frame type (SOFn marker) of a JPEG and whether it has an Adobe APP14 segment.
fn frame_kind(jpeg: &[u8]) -> Option<(u8, bool)> {
    let mut pos = 2;
    let mut adobe = false;
    loop {
        while *jpeg.get(pos)? == 0xff {
            pos += 1;
        }
        let marker = *jpeg.get(pos)?;
        let len = usize::from(u16::from_be_bytes([
            *jpeg.get(pos + 1)?,
            *jpeg.get(pos + 2)?,
        ]));
        // Adobe APP14 with a transform other than YCbCr (1).
        if marker == 0xee
            && jpeg.get(pos + 3..pos + 8) == Some(b"Adobe")
            && jpeg.get(pos + 14) != Some(&1)
        {
            adobe = true;
        }
        if (0xc0..=0xcf).contains(&marker) && ![0xc4, 0xc8, 0xcc].contains(&marker) {
            return Some((marker, adobe));
        }
        pos += 1 + len;
    }
}

#[test]
fn every_baseline_fixture_takes_the_fast_path() {
    let mut files = Vec::new();
    jpegs(&testdata().join("images"), &mut files);
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        if dhash_general(&bytes).is_none() {
            continue;
        }
        let (sof, adobe) = frame_kind(&bytes).unwrap();
        let baseline = matches!(sof, 0xc0 | 0xc1) && !adobe;
        assert_eq!(
            dhash_fast(&bytes).is_some(),
            baseline,
            "{}: SOF {sof:02x}, Adobe {adobe}",
            p.display()
        );
    }
}

/// A picture with structure at the dHash's scale: gradient, bars and a disc.
fn picture(w: u16, h: u16, channels: usize) -> Vec<u8> {
    let (w, h) = (usize::from(w), usize::from(h));
    let mut px = Vec::with_capacity(w * h * channels);
    for y in 0..h {
        for x in 0..w {
            let mut v = (40 + 150 * x / w + 40 * y / h) as i32;
            if (x * 7 / w) % 2 == 0 && (y * 5 / h) % 2 == 1 {
                v -= 60;
            }
            let (dx, dy) = (x as i64 - w as i64 / 3, y as i64 - h as i64 / 2);
            if dx * dx + dy * dy < (w as i64 / 5).pow(2) {
                v += 50;
            }
            let v = v.clamp(0, 255) as u8;
            for c in 0..channels {
                px.push(v.saturating_sub(c as u8 * 20));
            }
        }
    }
    px
}

fn encode(
    w: u16,
    h: u16,
    grey: bool,
    sampling: SamplingFactor,
    restart: u16,
    progressive: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out, 88);
    e.set_sampling_factor(sampling);
    e.set_restart_interval(restart);
    e.set_progressive(progressive);
    if grey {
        e.encode(&picture(w, h, 1), w, h, ColorType::Luma).unwrap();
    } else {
        e.encode(&picture(w, h, 3), w, h, ColorType::Rgb).unwrap();
    }
    out
}

#[test]
fn fast_path_handles_every_baseline_layout() {
    let samplings = [
        SamplingFactor::F_1_1,
        SamplingFactor::F_2_1,
        SamplingFactor::F_1_2,
        SamplingFactor::F_2_2,
        SamplingFactor::F_4_1,
        SamplingFactor::F_4_2,
        SamplingFactor::F_1_4,
        SamplingFactor::F_2_4,
    ];
    let mut reference = None;
    for (w, h) in [(640u16, 480u16), (1001, 777), (77, 65)] {
        for grey in [false, true] {
            for &sampling in &samplings {
                for restart in [0u16, 1, 7, 64] {
                    let jpeg = encode(w, h, grey, sampling, restart, false);
                    let what = format!("{w}x{h} grey={grey} {sampling:?} restart={restart}");
                    let fast = dhash_fast(&jpeg).unwrap_or_else(|| panic!("{what}: no fast hash"));
                    let general = dhash_general(&jpeg).unwrap();
                    if w < 100 {
                        continue; // 10 x 9 blocks: one block per cell, ties decide the bits
                    }
                    assert!(
                        distance(fast, general) <= 2,
                        "{what}: {fast:016x} vs {general:016x}"
                    );
                    if (w, h) == (640, 480) {
                        // Every encoding of one picture is a near-duplicate of every other.
                        let r = *reference.get_or_insert(fast);
                        assert!(distance(r, fast) <= 4, "{what}: {r:016x} vs {fast:016x}");
                    }
                }
            }
        }
    }
}

#[test]
fn progressive_jpegs_use_the_general_decoder() {
    let jpeg = encode(640, 480, false, SamplingFactor::F_2_2, 0, true);
    assert_eq!(dhash_fast(&jpeg), None);
    let baseline = dhash(&encode(640, 480, false, SamplingFactor::F_2_2, 0, false)).unwrap();
    let progressive = dhash(&jpeg).unwrap();
    assert!(distance(baseline, progressive) <= 2);
}

#[test]
fn damaged_jpegs_never_panic() {
    let jpeg = encode(320, 240, false, SamplingFactor::F_2_2, 4, false);
    for cut in (0..jpeg.len()).step_by(37) {
        let _ = dhash(&jpeg[..cut]);
    }
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..3000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut bad = jpeg.clone();
        let i = (x as usize) % bad.len();
        bad[i] ^= (x >> 32) as u8 | 1;
        let _ = dhash(&bad);
    }
}

#[test]
fn a_huge_frame_with_no_data_is_refused_cheaply() {
    // A real header whose frame claims 16384 x 16384, followed by almost no entropy data: the
    // fast path stops once it has read far past the end instead of walking 4 million blocks.
    let mut jpeg = encode(64, 64, true, SamplingFactor::F_1_1, 0, false);
    let sof = jpeg.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0x40, 0x00, 0x40, 0x00]);
    assert_eq!(dhash_fast(&jpeg), None);
}

/// The `phash` fuzz target's committed seeds (`fuzz/seeds/phash/`: small JPEGs of every layout)
/// still exercise the fast path. `TALLYSEAL_WRITE_FUZZ_SEEDS=1` rewrites them first.
#[test]
fn phash_fuzz_seeds_cover_the_fast_path() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/phash");
    let layouts = [
        (false, SamplingFactor::F_2_2, 0u16),
        (false, SamplingFactor::F_2_1, 3),
        (false, SamplingFactor::F_1_1, 1),
        (false, SamplingFactor::F_4_2, 0),
        (true, SamplingFactor::F_1_1, 5),
    ];
    if std::env::var("TALLYSEAL_WRITE_FUZZ_SEEDS").as_deref() == Ok("1") {
        std::fs::create_dir_all(&dir).unwrap();
        for (i, &(grey, sampling, restart)) in layouts.iter().enumerate() {
            let jpeg = encode(96, 80, grey, sampling, restart, false);
            std::fs::write(dir.join(format!("layout-{i}.jpg")), jpeg).unwrap();
        }
        let jpeg = encode(96, 80, false, SamplingFactor::F_2_2, 0, true);
        std::fs::write(dir.join("progressive.jpg"), jpeg).unwrap();
    }
    for i in 0..layouts.len() {
        let seed = std::fs::read(dir.join(format!("layout-{i}.jpg"))).unwrap();
        assert!(dhash_fast(&seed).is_some(), "layout-{i}.jpg");
    }
    let progressive = std::fs::read(dir.join("progressive.jpg")).unwrap();
    assert!(dhash_fast(&progressive).is_none() && dhash(&progressive).is_some());
}

/// Hostile files the general decoder is never given: a lossless frame (decoded at full size
/// whatever the scaling: 59 bytes took 4.7 GB and 38 s), a progressive frame of 16384 × 16384
/// (its coefficients are kept at full size), and a progressive file of a hundred empty
/// refinement scans (each walks every block). Each is refused from its markers.
#[test]
fn decompression_bombs_are_refused_from_their_markers() {
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let lossless = hex(
        "ffd8ffc30011084000400003011100021100031100ffc40014000100000000000000000000000000000000ffda000c03010002000300010000ffd9",
    );
    assert_eq!(dhash(&lossless), None);

    // A real small progressive file, its frame turned into 16384 x 16384.
    let mut huge = encode(64, 64, false, SamplingFactor::F_1_1, 0, true);
    let sof = huge.windows(2).position(|w| w == [0xff, 0xc2]).unwrap();
    huge[sof + 5..sof + 9].copy_from_slice(&[0x40, 0x00, 0x40, 0x00]);
    assert_eq!(dhash(&huge), None);

    // A real progressive file with its last scan repeated a hundred times (the general decoder
    // accepts that, walking every block each time), and one with an extra scan header that has
    // no data after it (accepted too).
    let good = encode(64, 64, false, SamplingFactor::F_1_1, 0, true);
    assert!(dhash(&good).is_some());
    let last_scan = last_scan_of(&good);
    let mut many = good[..good.len() - 2].to_vec();
    for _ in 0..100 {
        many.extend_from_slice(last_scan);
    }
    many.extend_from_slice(&[0xff, 0xd9]);
    assert_eq!(dhash(&many), None, "more than 32 scans");
    let header_len = 2 + usize::from(u16::from_be_bytes([last_scan[2], last_scan[3]]));
    let mut empty = good[..good.len() - 2].to_vec();
    empty.extend_from_slice(&last_scan[..header_len]);
    empty.extend_from_slice(&[0xff, 0xd9]);
    assert_eq!(dhash(&empty), None, "a scan without data");
}

/// The last scan of a JPEG: its SOS segment and entropy-coded data, up to the next marker.
fn last_scan_of(jpeg: &[u8]) -> &[u8] {
    let start = jpeg.windows(2).rposition(|w| w == [0xff, 0xda]).unwrap();
    let header = 2 + usize::from(u16::from_be_bytes([jpeg[start + 2], jpeg[start + 3]]));
    let mut end = start + header;
    while !(jpeg[end] == 0xff && jpeg[end + 1] != 0 && !(0xd0..=0xd7).contains(&jpeg[end + 1])) {
        end += 1;
    }
    &jpeg[start..end]
}

/// Three components with the ids the general decoder takes for RGB: the fast path (which would
/// hash the red channel as luma) leaves them to the general decoder.
#[test]
fn rgb_component_ids_leave_the_fast_path() {
    let mut jpeg = encode(320, 240, false, SamplingFactor::F_1_1, 0, false);
    assert!(dhash_fast(&jpeg).is_some());
    let sof = jpeg.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
    let sos = jpeg.windows(2).position(|w| w == [0xff, 0xda]).unwrap();
    for (i, id) in [b'R', b'G', b'B'].into_iter().enumerate() {
        jpeg[sof + 10 + 3 * i] = id; // the frame's component ids
        jpeg[sos + 5 + 2 * i] = id; // and the scan's references to them
    }
    assert_eq!(dhash_fast(&jpeg), None);
    assert!(dhash(&jpeg).is_some());
}
