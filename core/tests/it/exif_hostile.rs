//! Deterministic hostile inputs for `extract_exif`: truncations and byte flips of every fixture,
//! hand-built TIFF/EXIF structures with out-of-range values, huge declared lengths, IFD loops and
//! an overlapping-IFD allocation bomb. Everything must return a summary (never panic), quickly,
//! with the right findings, and within a bounded amount of memory.
//!
//! The memory checks use a counting wrapper around the system allocator (per thread, so the other
//! tests of this binary running in parallel do not disturb the numbers). It only counts; every
//! call goes straight to `System`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use tallyseal_core::exif::{ExifStatus, ExifSummary, codes, extract_exif};

use crate::support;

// ---------------------------------------------------------------------------------------------
// Allocation accounting

struct CountingAlloc;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note_alloc(n: usize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + n as isize;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

fn note_free(n: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get() - n as isize));
}

#[allow(unsafe_code)]
// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the counters
// are plain thread-local cells with const initialisers (no allocation, no destructor).
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_free(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_free(layout.size());
        note_alloc(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// `extract_exif` plus the peak heap it used on this thread, in bytes.
fn extract_measured(bytes: &[u8]) -> (ExifSummary, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let s = extract_exif(bytes);
    let peak = PEAK.with(Cell::get) - start;
    (s, peak.max(0) as usize)
}

/// The bound we promise: a small multiple of the input plus a fixed allowance.
fn assert_bounded(what: &str, input: usize, peak: usize) {
    let limit = 3 * input + (2 << 20);
    assert!(
        peak <= limit,
        "{what}: peak heap {peak} B for {input} B of input (limit {limit})"
    );
}

// ---------------------------------------------------------------------------------------------
// Invariants every summary must satisfy

fn check_invariants(what: &str, s: &ExifSummary) {
    if let Some(g) = s.gps {
        assert!(
            g.lat.is_finite() && (-90.0..=90.0).contains(&g.lat),
            "{what}: {g:?}"
        );
        assert!(
            g.lon.is_finite() && (-180.0..=180.0).contains(&g.lon),
            "{what}: {g:?}"
        );
        assert!(g.altitude_m.is_none_or(f64::is_finite), "{what}: {g:?}");
        assert_eq!(s.status, ExifStatus::Present, "{what}");
    }
    for t in [
        &s.make,
        &s.model,
        &s.software,
        &s.datetime_original,
        &s.offset_time_original,
    ]
    .into_iter()
    .flatten()
    {
        assert!(t.chars().count() <= 256, "{what}: {t:?}");
        assert!(!t.chars().any(char::is_control), "{what}: {t:?}");
    }
    if s.status != ExifStatus::Present {
        assert!(!s.findings.is_empty(), "{what}: {s:?}");
        assert!(s.make.is_none() && s.gps.is_none(), "{what}: {s:?}");
    }
    for f in &s.findings {
        assert!(
            !f.code.is_empty()
                && f.code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{what}: {f:?}"
        );
    }
    assert!(
        ["jpeg", "heif", "tiff", "png", "webp", "unknown"].contains(&s.container.as_str()),
        "{what}: {}",
        s.container
    );
}

// ---------------------------------------------------------------------------------------------
// Fixtures and wrappers

fn fixture_files() -> Vec<String> {
    let mut v = Vec::new();
    for sub in ["phone_gps", "phone_nogps", "camera_gps", "heic"] {
        for e in std::fs::read_dir(support::testdata().join("images").join(sub)).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            v.push(format!("images/{sub}/{name}"));
        }
    }
    v.sort();
    assert!(v.len() >= 43);
    v
}

/// The TIFF block of a JPEG's first APP1 `Exif` segment (a test-side parser, independent of
/// the one under test).
fn jpeg_tiff_block(jpeg: &[u8]) -> Option<Vec<u8>> {
    let mut i = 2;
    while i + 4 <= jpeg.len() {
        if jpeg[i] != 0xff {
            return None;
        }
        let marker = jpeg[i + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        let seg = jpeg.get(i + 4..i + 2 + len)?;
        if marker == 0xe1 && seg.starts_with(b"Exif\0\0") {
            return Some(seg[6..].to_vec());
        }
        if marker == 0xda {
            return None;
        }
        i += 2 + len;
    }
    None
}

fn be32(n: usize) -> [u8; 4] {
    u32::try_from(n).unwrap().to_be_bytes()
}

fn wrap_jpeg(tiff: &[u8]) -> Vec<u8> {
    let mut v = vec![0xff, 0xd8, 0xff, 0xe1];
    v.extend_from_slice(&u16::try_from(tiff.len() + 8).unwrap().to_be_bytes());
    v.extend_from_slice(b"Exif\0\0");
    v.extend_from_slice(tiff);
    v.extend_from_slice(&[0xff, 0xd9]);
    v
}

fn png_chunk(v: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    v.extend_from_slice(&be32(data.len()));
    v.extend_from_slice(kind);
    v.extend_from_slice(data);
    v.extend_from_slice(&[0, 0, 0, 0]); // CRC (not checked by readers of EXIF)
}

fn wrap_png(tiff: &[u8]) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut v, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    png_chunk(&mut v, b"eXIf", tiff);
    png_chunk(&mut v, b"IEND", &[]);
    v
}

fn wrap_webp(tiff: &[u8]) -> Vec<u8> {
    let mut body = b"WEBP".to_vec();
    for (kind, data) in [(b"VP8X", &[0u8; 10][..]), (b"EXIF", tiff)] {
        body.extend_from_slice(kind);
        body.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
        body.extend_from_slice(data);
        if data.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut v = b"RIFF".to_vec();
    v.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    v.extend_from_slice(&body);
    v
}

fn bmff_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = be32(body.len() + 8).to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

/// A minimal HEIF: ftyp, meta { iinf { infe Exif id 1 }, iloc, idat } with the EXIF item stored
/// in `idat` (construction method 1) or after the meta box in the file (method 0).
fn wrap_heif(tiff: &[u8], in_idat: bool) -> Vec<u8> {
    let ftyp = bmff_box(b"ftyp", b"heic\0\0\0\0mif1heic");
    let mut item = vec![0, 0, 0, 0]; // offset of the TIFF header within the item
    item.extend_from_slice(tiff);
    let infe = bmff_box(b"infe", &[2, 0, 0, 0, 0, 1, 0, 0, b'E', b'x', b'i', b'f']);
    let mut iinf_body = vec![0, 0, 0, 0, 0, 1];
    iinf_body.extend_from_slice(&infe);
    let iinf = bmff_box(b"iinf", &iinf_body);
    let build = |offset: usize| {
        // version 1, offset_size 4, length_size 4, base_offset_size 0, index_size 0
        let mut b = vec![1, 0, 0, 0, 0x44, 0x00, 0, 1];
        b.extend_from_slice(&[0, 1]); // item id
        b.extend_from_slice(&[0, if in_idat { 1 } else { 0 }]); // construction method
        b.extend_from_slice(&[0, 0]); // data reference index
        b.extend_from_slice(&[0, 1]); // extent count
        b.extend_from_slice(&be32(offset));
        b.extend_from_slice(&be32(item.len()));
        let iloc = bmff_box(b"iloc", &b);
        let mut meta = vec![0, 0, 0, 0];
        meta.extend_from_slice(&iinf);
        meta.extend_from_slice(&iloc);
        if in_idat {
            meta.extend_from_slice(&bmff_box(b"idat", &item));
        }
        bmff_box(b"meta", &meta)
    };
    let meta_len = build(0).len();
    let mut v = ftyp.clone();
    if in_idat {
        v.extend_from_slice(&build(0));
    } else {
        let mdat_at = ftyp.len() + meta_len + 8;
        v.extend_from_slice(&build(mdat_at));
        v.extend_from_slice(&bmff_box(b"mdat", &item));
    }
    v
}

/// Tiny deterministic PRNG (xorshift64*).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

// ---------------------------------------------------------------------------------------------
// A small TIFF/EXIF builder

const ASCII: u16 = 2;
const BYTE: u16 = 1;
const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;

#[derive(Clone)]
struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    data: Vec<u8>, // already in the file's byte order
}

#[derive(Clone)]
struct Exif {
    le: bool,
    ifd0: Vec<Entry>,
    exif: Vec<Entry>,
    gps: Option<Vec<Entry>>,
}

impl Exif {
    fn new(le: bool) -> Self {
        Exif {
            le,
            ifd0: Vec::new(),
            exif: Vec::new(),
            gps: None,
        }
    }
    fn u16b(&self, v: u16) -> [u8; 2] {
        if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    }
    fn u32b(&self, v: u32) -> [u8; 4] {
        if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    }
    fn ascii(&self, tag: u16, s: &[u8]) -> Entry {
        let mut data = s.to_vec();
        data.push(0);
        Entry {
            tag,
            typ: ASCII,
            count: data.len() as u32,
            data,
        }
    }
    fn rationals(&self, tag: u16, parts: &[(u32, u32)]) -> Entry {
        let mut data = Vec::new();
        for &(n, d) in parts {
            data.extend_from_slice(&self.u32b(n));
            data.extend_from_slice(&self.u32b(d));
        }
        Entry {
            tag,
            typ: RATIONAL,
            count: parts.len() as u32,
            data,
        }
    }
    fn byte(&self, tag: u16, v: u8) -> Entry {
        Entry {
            tag,
            typ: BYTE,
            count: 1,
            data: vec![v],
        }
    }
    fn short(&self, tag: u16, v: u16) -> Entry {
        Entry {
            tag,
            typ: SHORT,
            count: 1,
            data: self.u16b(v).to_vec(),
        }
    }
    fn set(list: &mut Vec<Entry>, e: Entry) {
        list.retain(|x| x.tag != e.tag);
        list.push(e);
        list.sort_by_key(|x| x.tag);
    }
    fn ifd0(mut self, e: Entry) -> Self {
        Self::set(&mut self.ifd0, e);
        self
    }
    fn exif(mut self, e: Entry) -> Self {
        Self::set(&mut self.exif, e);
        self
    }
    fn gps(mut self, e: Entry) -> Self {
        let mut g = self.gps.take().unwrap_or_default();
        Self::set(&mut g, e);
        self.gps = Some(g);
        self
    }
    fn without_gps(mut self, tag: u16) -> Self {
        if let Some(g) = &mut self.gps {
            g.retain(|e| e.tag != tag);
        }
        self
    }

    /// A photo-like EXIF: make, model, software, a date with an offset, a GPS fix.
    fn phone(le: bool) -> Self {
        let b = Exif::new(le);
        let (make, model, sw) = (
            b.ascii(0x010f, b"Acme"),
            b.ascii(0x0110, b"Phone 9"),
            b.ascii(0x0131, b"1.0"),
        );
        let (dto, off) = (
            b.ascii(0x9003, b"2024:02:08 17:45:03"),
            b.ascii(0x9011, b"+05:00"),
        );
        let (latref, lat) = (
            b.ascii(1, b"N"),
            b.rationals(2, &[(33, 1), (41, 1), (3050, 100)]),
        );
        let (lonref, lon) = (
            b.ascii(3, b"E"),
            b.rationals(4, &[(73, 1), (3, 1), (1525, 100)]),
        );
        let (altref, alt) = (b.byte(5, 0), b.rationals(6, &[(5405, 10)]));
        let (gtime, gdate) = (
            b.rationals(7, &[(12, 1), (45, 1), (303, 100)]),
            b.ascii(0x1d, b"2024:02:08"),
        );
        b.ifd0(make)
            .ifd0(model)
            .ifd0(sw)
            .exif(dto)
            .exif(off)
            .gps(latref)
            .gps(lat)
            .gps(lonref)
            .gps(lon)
            .gps(altref)
            .gps(alt)
            .gps(gtime)
            .gps(gdate)
    }

    /// Serialise: header, IFD0, Exif IFD, GPS IFD, then the out-of-line values.
    fn build(&self) -> Vec<u8> {
        let ifd_len = |n: usize| 2 + 12 * n + 4;
        let n0 = self.ifd0.len() + 1 + usize::from(self.gps.is_some());
        let exif_at = 8 + ifd_len(n0);
        let gps_at = exif_at + ifd_len(self.exif.len());
        let mut data_at = gps_at + self.gps.as_ref().map_or(0, |g| ifd_len(g.len()));
        let mut ifd0 = self.ifd0.clone();
        let pointer = |tag: u16, at: usize| Entry {
            tag,
            typ: LONG,
            count: 1,
            data: self.u32b(at as u32).to_vec(),
        };
        ifd0.push(pointer(0x8769, exif_at));
        if self.gps.is_some() {
            ifd0.push(pointer(0x8825, gps_at));
        }
        ifd0.sort_by_key(|e| e.tag);

        let mut out = if self.le {
            b"II\x2a\0".to_vec()
        } else {
            b"MM\0\x2a".to_vec()
        };
        out.extend_from_slice(&self.u32b(8));
        let mut tail = Vec::new();
        let mut lists = vec![&ifd0, &self.exif];
        lists.extend(self.gps.as_ref());
        for list in lists {
            out.extend_from_slice(&self.u16b(list.len() as u16));
            for e in list {
                out.extend_from_slice(&self.u16b(e.tag));
                out.extend_from_slice(&self.u16b(e.typ));
                out.extend_from_slice(&self.u32b(e.count));
                if e.data.len() <= 4 {
                    let mut v = e.data.clone();
                    v.resize(4, 0);
                    out.extend_from_slice(&v);
                } else {
                    out.extend_from_slice(&self.u32b(data_at as u32));
                    tail.extend_from_slice(&e.data);
                    data_at += e.data.len();
                    if e.data.len() % 2 == 1 {
                        tail.push(0);
                        data_at += 1;
                    }
                }
            }
            out.extend_from_slice(&[0, 0, 0, 0]);
        }
        out.extend_from_slice(&tail);
        out
    }
}

/// Run `extract_exif` on the TIFF and on the same block wrapped in every container; all must
/// agree (apart from `container`). Returns the TIFF summary.
fn extract_everywhere(what: &str, tiff: &[u8]) -> ExifSummary {
    let (base, peak) = extract_measured(tiff);
    check_invariants(what, &base);
    assert_bounded(what, tiff.len(), peak);
    assert_eq!(base.container, "tiff");
    for (name, bytes) in [
        ("jpeg", wrap_jpeg(tiff)),
        ("png", wrap_png(tiff)),
        ("webp", wrap_webp(tiff)),
        ("heif", wrap_heif(tiff, true)),
        ("heif", wrap_heif(tiff, false)),
    ] {
        let (mut s, peak) = extract_measured(&bytes);
        check_invariants(&format!("{what} in {name}"), &s);
        assert_bounded(&format!("{what} in {name}"), bytes.len(), peak);
        assert_eq!(s.container, name, "{what}");
        s.container = "tiff".into();
        assert_eq!(s, base, "{what} wrapped in {name}");
    }
    base
}

// ---------------------------------------------------------------------------------------------
// Tests: hand-built EXIF

#[test]
fn handmade_phone_exif_reads_back_in_every_container() {
    for le in [true, false] {
        let s = extract_everywhere("phone", &Exif::phone(le).build());
        assert_eq!(s.status, ExifStatus::Present);
        assert_eq!(s.make.as_deref(), Some("Acme"));
        assert_eq!(s.model.as_deref(), Some("Phone 9"));
        assert_eq!(s.software.as_deref(), Some("1.0"));
        assert_eq!(s.datetime_original.as_deref(), Some("2024:02:08 17:45:03"));
        assert_eq!(s.offset_time_original.as_deref(), Some("+05:00"));
        // 2024-02-08T17:45:03+05:00
        assert_eq!(s.datetime_original_ms, Some(1_707_396_303_000));
        let g = s.gps.unwrap();
        assert!((g.lat - (33.0 + 41.0 / 60.0 + 30.5 / 3600.0)).abs() < 1e-12);
        assert!((g.lon - (73.0 + 3.0 / 60.0 + 15.25 / 3600.0)).abs() < 1e-12);
        assert_eq!(g.altitude_m, Some(540.5));
        assert_eq!(g.timestamp_ms, Some(1_707_396_303_030));
        assert!(s.findings.is_empty(), "{:?}", s.findings);
    }
}

#[test]
fn out_of_range_and_odd_gps() {
    let p = Exif::phone(true);
    let cases: Vec<(&str, Exif, &[&str], bool)> = vec![
        (
            "latitude 213",
            p.clone().gps(p.rationals(2, &[(213, 1), (0, 1), (0, 1)])),
            &[codes::GPS_LATITUDE_OUT_OF_RANGE],
            false,
        ),
        (
            "longitude 200 W",
            p.clone()
                .gps(p.rationals(4, &[(200, 1), (0, 1), (0, 1)]))
                .gps(p.ascii(3, b"W")),
            &[codes::GPS_LONGITUDE_OUT_OF_RANGE],
            false,
        ),
        (
            "empty latitude ref",
            p.clone().gps(p.ascii(1, b"")),
            &[codes::GPS_REF_INVALID],
            false,
        ),
        (
            "latitude ref X",
            p.clone().gps(p.ascii(1, b"X")),
            &[codes::GPS_REF_INVALID],
            false,
        ),
        (
            "missing longitude ref",
            p.clone().without_gps(3),
            &[codes::GPS_REF_INVALID],
            false,
        ),
        (
            "0/0 seconds",
            p.clone().gps(p.rationals(2, &[(33, 1), (41, 1), (0, 0)])),
            &[codes::GPS_RATIONAL_INVALID],
            false,
        ),
        (
            "5/0 degrees",
            p.clone().gps(p.rationals(4, &[(5, 0), (0, 1), (0, 1)])),
            &[codes::GPS_RATIONAL_INVALID],
            false,
        ),
        (
            "empty latitude",
            p.clone().gps(p.rationals(2, &[])),
            &[codes::GPS_NO_COORDINATES],
            false,
        ),
        (
            "null island",
            p.clone()
                .gps(p.rationals(2, &[(0, 1), (0, 1), (0, 1)]))
                .gps(p.rationals(4, &[(0, 1), (0, 1), (0, 1)])),
            &[codes::GPS_NULL_ISLAND],
            true,
        ),
        (
            "75 minutes",
            p.clone().gps(p.rationals(2, &[(33, 1), (75, 1), (0, 1)])),
            &[codes::GPS_DMS_OUT_OF_RANGE],
            true,
        ),
        (
            "60 seconds",
            p.clone()
                .gps(p.rationals(4, &[(73, 1), (3, 1), (6000, 100)])),
            &[codes::GPS_DMS_OUT_OF_RANGE],
            true,
        ),
        (
            "GPS IFD without coordinates",
            p.clone().without_gps(2).without_gps(4),
            &[codes::GPS_NO_COORDINATES],
            false,
        ),
        (
            "latitude as SHORT",
            p.clone().gps(p.short(2, 33)),
            &[codes::EXIF_FIELD_WRONG_TYPE],
            false,
        ),
        (
            "altitude 0/0",
            p.clone().gps(p.rationals(6, &[(0, 0)])),
            &[codes::GPS_RATIONAL_INVALID],
            true,
        ),
        (
            "altitude absurd",
            p.clone().gps(p.rationals(6, &[(4_294_967_284, 1)])),
            &[codes::GPS_ALTITUDE_IMPLAUSIBLE],
            true,
        ),
        (
            "altitude ref 7",
            p.clone().gps(p.byte(5, 7)),
            &[codes::GPS_ALTITUDE_REF_INVALID],
            true,
        ),
        (
            "GPS date 2014:09:259",
            p.clone().gps(p.ascii(0x1d, b"2014:09:259")),
            &[codes::GPS_DATESTAMP_INVALID],
            true,
        ),
        (
            "GPS time 25h",
            p.clone().gps(p.rationals(7, &[(25, 1), (0, 1), (0, 1)])),
            &[codes::GPS_TIMESTAMP_INVALID],
            true,
        ),
    ];
    for (what, exif, expected, has_gps) in cases {
        let s = extract_everywhere(what, &exif.build());
        assert_eq!(s.status, ExifStatus::Present, "{what}");
        for code in expected {
            assert!(
                s.has_finding(code),
                "{what}: expected {code}, got {:?}",
                s.findings
            );
        }
        assert_eq!(
            s.gps.is_some(),
            has_gps,
            "{what}: {:?} {:?}",
            s.gps,
            s.findings
        );
        // The rest of the EXIF is still read.
        assert_eq!(s.make.as_deref(), Some("Acme"), "{what}");
    }

    // Below sea level.
    let s = extract_everywhere("altitude ref 1", &p.clone().gps(p.byte(5, 1)).build());
    assert_eq!(s.gps.unwrap().altitude_m, Some(-540.5));
    // No date stamp: no GPS timestamp, no finding.
    let s = extract_everywhere("no GPS date", &p.clone().without_gps(0x1d).build());
    assert_eq!(s.gps.unwrap().timestamp_ms, None);
    assert!(s.findings.is_empty(), "{:?}", s.findings);
    // Southern/western hemisphere signs.
    let s = extract_everywhere(
        "S/W",
        &p.clone()
            .gps(p.ascii(1, b"S"))
            .gps(p.ascii(3, b"W"))
            .build(),
    );
    let g = s.gps.unwrap();
    assert!(g.lat < -33.0 && g.lon < -73.0, "{g:?}");
}

#[test]
fn odd_dates_and_strings() {
    let p = Exif::phone(false);
    let cases: Vec<(&str, Exif, &[&str])> = vec![
        (
            "zero date",
            p.clone().exif(p.ascii(0x9003, b"0000:00:00 00:00:00")),
            &[codes::DATETIME_ZERO],
        ),
        (
            "empty date",
            p.clone().exif(p.ascii(0x9003, b"")),
            &[codes::DATETIME_EMPTY],
        ),
        (
            "blank date",
            p.clone().exif(p.ascii(0x9003, b"    :  :     :  :  ")),
            &[codes::DATETIME_EMPTY],
        ),
        (
            "garbage date",
            p.clone().exif(p.ascii(0x9003, b"last tuesday")),
            &[codes::DATETIME_INVALID],
        ),
        (
            "30 February",
            p.clone().exif(p.ascii(0x9003, b"2024:02:30 10:00:00")),
            &[codes::DATETIME_INVALID],
        ),
        (
            "year 2150",
            p.clone().exif(p.ascii(0x9003, b"2150:01:01 00:00:00")),
            &[codes::DATETIME_FAR_FUTURE],
        ),
        (
            "year 1985",
            p.clone().exif(p.ascii(0x9003, b"1985:06:01 12:00:00")),
            &[codes::DATETIME_TOO_OLD],
        ),
        (
            "bad offset",
            p.clone().exif(p.ascii(0x9011, b"+5h")),
            &[codes::OFFSET_INVALID],
        ),
        (
            "empty make",
            p.clone().ifd0(p.ascii(0x010f, b"")),
            &[codes::MAKE_EMPTY],
        ),
        (
            "blank model",
            p.clone().ifd0(p.ascii(0x0110, b"   ")),
            &[codes::MODEL_EMPTY],
        ),
        (
            "empty software",
            p.clone().ifd0(p.ascii(0x0131, b"")),
            &[codes::SOFTWARE_EMPTY],
        ),
        (
            "GIMP",
            p.clone().ifd0(p.ascii(0x0131, b"GIMP 2.10.34")),
            &[codes::EDITING_SOFTWARE],
        ),
        (
            "Snapseed",
            p.clone().ifd0(p.ascii(0x0131, b"Snapseed 2.19")),
            &[codes::EDITING_SOFTWARE],
        ),
        (
            "Windows Photo Viewer",
            p.clone()
                .ifd0(p.ascii(0x0131, b"Microsoft Windows Photo Viewer 6.1.7600.16385")),
            &[codes::EDITING_SOFTWARE],
        ),
        (
            "Lightroom",
            p.clone()
                .ifd0(p.ascii(0x0131, b"Adobe Lightroom 7.0 (Windows)")),
            &[codes::EDITING_SOFTWARE],
        ),
        (
            "300-char make",
            p.clone().ifd0(p.ascii(0x010f, &[b'M'; 300])),
            &[codes::EXIF_STRING_TRUNCATED],
        ),
        (
            "5000-byte make",
            p.clone().ifd0(p.ascii(0x010f, &[b'M'; 5000])),
            &[codes::EXIF_FIELD_OVERSIZED],
        ),
        (
            "make as SHORT",
            p.clone().ifd0(p.short(0x010f, 7)),
            &[codes::EXIF_FIELD_WRONG_TYPE],
        ),
        (
            "make with control characters",
            p.clone().ifd0(p.ascii(0x010f, b"Ac\x1b[31mme\x07")),
            &[],
        ),
    ];
    for (what, exif, expected) in cases {
        let s = extract_everywhere(what, &exif.build());
        assert_eq!(s.status, ExifStatus::Present, "{what}");
        assert_eq!(s.findings.len(), expected.len(), "{what}: {:?}", s.findings);
        for code in expected {
            assert!(
                s.has_finding(code),
                "{what}: expected {code}, got {:?}",
                s.findings
            );
        }
        assert!(s.gps.is_some(), "{what}");
    }

    let get = |e: Exif| extract_exif(&e.build());
    let s = get(p.clone().exif(p.ascii(0x9003, b"0000:00:00 00:00:00")));
    assert_eq!(s.datetime_original.as_deref(), Some("0000:00:00 00:00:00"));
    assert_eq!(s.datetime_original_ms, None);
    let s = get(p.clone().exif(p.ascii(0x9003, b"")));
    assert_eq!(s.datetime_original, None);
    let s = get(p.clone().ifd0(p.ascii(0x010f, b"")));
    assert_eq!(s.make, None);
    let s = get(p.clone().ifd0(p.ascii(0x010f, &[b'M'; 300])));
    assert_eq!(s.make.unwrap().len(), 256);
    let s = get(p.clone().ifd0(p.ascii(0x010f, &[b'M'; 5000])));
    assert_eq!(s.make, None);
    let s = get(p.clone().ifd0(p.ascii(0x0110, b"Phone 9  \0\0  ")));
    assert_eq!(s.model.as_deref(), Some("Phone 9"));
    let s = get(p.clone().ifd0(p.ascii(0x010f, b"Ac\x1b[31mme\x07")));
    assert_eq!(s.make.as_deref(), Some("Ac\u{fffd}[31mme\u{fffd}"));
    // No offset: no absolute time.
    let s = get(Exif::phone(true).exif(p.ascii(0x9011, b"      ")));
    assert_eq!(s.datetime_original_ms, None);
    assert_eq!(s.offset_time_original, None);
    assert!(s.findings.is_empty(), "{:?}", s.findings);
    // Negative offset.
    let s = get(Exif::phone(true).exif(p.ascii(0x9011, b"-04:30")));
    assert_eq!(
        s.datetime_original_ms,
        Some(1_707_396_303_000 + (9 * 3600 + 1800) * 1000)
    );
    // An ASCII field made of NULs (below the size cap) is harmless.
    let s = get(p.clone().ifd0(p.ascii(0x0131, &[0; 4000])));
    assert!(s.has_finding(codes::SOFTWARE_EMPTY), "{:?}", s.findings);
}

// ---------------------------------------------------------------------------------------------
// Tests: structural attacks

/// `II*\0`, IFD0 at 8, then `body`.
fn tiff_le(body: &[u8]) -> Vec<u8> {
    let mut v = b"II\x2a\0\x08\0\0\0".to_vec();
    v.extend_from_slice(body);
    v
}

fn entry_le(tag: u16, typ: u16, count: u32, value: u32) -> Vec<u8> {
    let mut v = tag.to_le_bytes().to_vec();
    v.extend_from_slice(&typ.to_le_bytes());
    v.extend_from_slice(&count.to_le_bytes());
    v.extend_from_slice(&value.to_le_bytes());
    v
}

fn quick(what: &str, bytes: &[u8]) -> ExifSummary {
    let t = Instant::now();
    let (s, peak) = extract_measured(bytes);
    let took = t.elapsed();
    check_invariants(what, &s);
    assert_bounded(what, bytes.len(), peak);
    assert!(took < Duration::from_secs(2), "{what}: took {took:?}");
    s
}

#[test]
fn empty_and_huge_inputs() {
    let s = quick("empty", b"");
    assert_eq!(
        (s.status, s.container.as_str()),
        (ExifStatus::Unreadable, "unknown")
    );
    assert!(s.has_finding(codes::UNKNOWN_CONTAINER));

    let zeros = vec![0u8; 10 << 20];
    let s = quick("10 MB of zeros", &zeros);
    assert_eq!(
        (s.status, s.container.as_str()),
        (ExifStatus::Unreadable, "unknown")
    );

    // A JPEG made of 10 MB of fill bytes, and one of 10 MB of zeros: scanned, never found.
    let mut ff = vec![0xffu8; 10 << 20];
    ff[1] = 0xd8;
    let s = quick("JPEG of fill bytes", &ff);
    assert_eq!(
        (s.status, s.container.as_str()),
        (ExifStatus::Unreadable, "jpeg")
    );
    let mut jz = vec![0u8; 10 << 20];
    jz[..2].copy_from_slice(&[0xff, 0xd8]);
    assert!(quick("JPEG of zeros", &jz).has_finding(codes::EXIF_UNREADABLE));

    // A TIFF header followed by 10 MB of zeros: an empty IFD0, nothing to read.
    let mut tz = tiff_le(&[]);
    tz.resize(10 << 20, 0);
    let s = quick("TIFF of zeros", &tz);
    assert_eq!(s.status, ExifStatus::Present);
    assert!(s.make.is_none() && s.gps.is_none());

    // Every container, just its magic.
    for magic in [
        &b"\xff\xd8"[..],
        b"\xff\xd8\xff",
        b"II\x2a\0",
        b"MM\0\x2a",
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\0\0\0\0WEBP",
        b"RIFF\x04\0\0\0WEBP",
        b"\0\0\0\x10ftypheic\0\0\0\0",
        b"\0\0\0\x14ftypheic\0\0\0\0mif1",
    ] {
        let s = quick("magic only", magic);
        assert_ne!(s.status, ExifStatus::Present, "{magic:?}");
    }
    // A JPEG with no EXIF at all.
    let s = quick("bare JPEG", b"\xff\xd8\xff\xdb\0\x04\0\0\xff\xd9");
    assert_eq!(s.status, ExifStatus::Absent);
    assert!(s.has_finding(codes::NO_EXIF));
}

#[test]
fn jpeg_segment_lengths() {
    // APP1 declaring 65535 bytes with 20 present.
    let mut j = b"\xff\xd8\xff\xe1\xff\xffExif\0\0II\x2a\0\x08\0\0\0".to_vec();
    j.extend_from_slice(&[0; 6]);
    let s = quick("huge APP1", &j);
    assert_eq!(s.status, ExifStatus::Unreadable);
    assert!(s.has_finding(codes::EXIF_UNREADABLE), "{:?}", s.findings);
    // Segment length below 2.
    for len in [0u8, 1] {
        let s = quick(
            "short segment",
            &[0xff, 0xd8, 0xff, 0xe1, 0, len, 0xff, 0xd9],
        );
        assert_eq!(s.status, ExifStatus::Unreadable);
    }
    // A second SOI.
    let s = quick("second SOI", b"\xff\xd8\xff\xd8\xff\xd9");
    assert_eq!(s.status, ExifStatus::Unreadable);
    // An APP1 Exif segment with an empty body.
    let s = quick("empty Exif", b"\xff\xd8\xff\xe1\0\x08Exif\0\0\xff\xd9");
    assert_eq!(s.status, ExifStatus::Unreadable);
    // Thousands of tiny segments before the Exif one.
    let mut many = b"\xff\xd8".to_vec();
    for _ in 0..50_000 {
        many.extend_from_slice(b"\xff\xe2\0\x02");
    }
    many.extend_from_slice(&wrap_jpeg(&Exif::phone(true).build())[2..]);
    let s = quick("many segments", &many);
    assert_eq!(s.make.as_deref(), Some("Acme"));
}

#[test]
fn tiff_counts_offsets_and_loops() {
    // IFD count 65535 with three entries present.
    let mut b = 0xffffu16.to_le_bytes().to_vec();
    for _ in 0..3 {
        b.extend(entry_le(0x010f, ASCII, 4, u32::from_le_bytes(*b"Abc\0")));
    }
    let s = quick("count 65535", &tiff_le(&b));
    assert_eq!(s.make.as_deref(), Some("Abc"));
    assert!(
        s.has_finding(codes::EXIF_PARTIALLY_CORRUPT),
        "{:?}",
        s.findings
    );

    // IFD0 offset past the end / at u32::MAX.
    for off in [0x10u32, 0xffff_fff0, u32::MAX] {
        let mut t = b"II\x2a\0".to_vec();
        t.extend_from_slice(&off.to_le_bytes());
        let s = quick("IFD0 past the end", &t);
        assert_eq!(s.status, ExifStatus::Unreadable, "{s:?}");
    }

    // Entries whose values point past the end, with counts near u32::MAX.
    let mut b = 5u16.to_le_bytes().to_vec();
    b.extend(entry_le(0x010f, ASCII, 100, 0xffff_0000));
    b.extend(entry_le(0x0110, ASCII, u32::MAX, 8));
    b.extend(entry_le(0x0131, RATIONAL, u32::MAX / 8 + 1, 8));
    b.extend(entry_le(0x8769, LONG, u32::MAX, 8));
    b.extend(entry_le(0x8825, LONG, 1, 0xffff_fff0));
    b.extend_from_slice(&[0, 0, 0, 0]);
    let s = quick("pointers past the end", &tiff_le(&b));
    assert!(s.make.is_none() && s.model.is_none(), "{s:?}");

    // IFD0 whose next-IFD offset points back to itself, and an Exif IFD pointing to IFD0.
    let mut b = 2u16.to_le_bytes().to_vec();
    b.extend(entry_le(0x010f, ASCII, 4, u32::from_le_bytes(*b"Abc\0")));
    b.extend(entry_le(0x8769, LONG, 1, 8));
    b.extend_from_slice(&8u32.to_le_bytes());
    let s = quick("IFD loop", &tiff_le(&b));
    assert_eq!(s.status, ExifStatus::Present);
    assert_eq!(s.make.as_deref(), Some("Abc"));
    assert!(
        s.has_finding(codes::EXIF_PARTIALLY_CORRUPT),
        "{:?}",
        s.findings
    );

    // A chain of IFDs (IFD0 -> IFD1 -> ... ) longer than 8.
    let mut b = Vec::new();
    for k in 0..20u32 {
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend(entry_le(0x010f, ASCII, 4, u32::from_le_bytes(*b"Abc\0")));
        b.extend_from_slice(&(8 + 18 * (k + 1)).to_le_bytes());
    }
    let s = quick("long IFD chain", &tiff_le(&b));
    assert_eq!(s.make.as_deref(), Some("Abc"));

    // GPS pointer of type SHORT / BYTE / unknown type 13 (IFD), and a zero-count pointer.
    for (typ, count) in [(SHORT, 1), (BYTE, 1), (13, 1), (LONG, 0)] {
        let mut b = 2u16.to_le_bytes().to_vec();
        b.extend(entry_le(0x010f, ASCII, 4, u32::from_le_bytes(*b"Abc\0")));
        b.extend(entry_le(0x8825, typ, count, 8));
        b.extend_from_slice(&[0, 0, 0, 0]);
        let s = quick("odd pointer types", &tiff_le(&b));
        assert_eq!(s.make.as_deref(), Some("Abc"));
        assert!(s.gps.is_none());
    }
}

/// IFD0 holds `n` Exif-IFD pointers to distinct, overlapping IFDs of 256 entries each: kamadak-exif
/// (which only refuses to revisit an identical offset) would build `n * 256` fields, e.g. over a
/// million from a 64 KiB JPEG segment. We must refuse it quickly.
fn overlapping_ifd_bomb(n: usize) -> Vec<u8> {
    let region_at = 8 + 2 + 12 * n + 4;
    let mut b = u16::try_from(n).unwrap().to_le_bytes().to_vec();
    for i in 0..n {
        b.extend(entry_le(0x8769, LONG, 1, (region_at + 2 * i) as u32));
    }
    b.extend_from_slice(&[0, 0, 0, 0]);
    for _ in 0..n + 1600 {
        b.extend_from_slice(&[0x00, 0x01]); // every u16 reads 256
    }
    tiff_le(&b)
}

#[test]
fn overlapping_ifd_bomb_is_refused() {
    let t = overlapping_ifd_bomb(4400);
    assert!(t.len() < 65_000);
    let jpeg = wrap_jpeg(&t);
    for (what, bytes) in [
        ("TIFF", t.clone()),
        ("JPEG", jpeg),
        ("HEIF", wrap_heif(&t, true)),
        ("TIFF 65535", overlapping_ifd_bomb(65_535)),
    ] {
        let s = quick(what, &bytes);
        assert_eq!(s.status, ExifStatus::Unreadable, "{what}");
        assert!(
            s.has_finding(codes::EXIF_TOO_COMPLEX),
            "{what}: {:?}",
            s.findings
        );
    }
    // A pointer whose value is a huge LONG array (decoded whole by kamadak-exif), many times.
    let mut b = 2000u16.to_le_bytes().to_vec();
    let data_at = 8 + 2 + 12 * 2000 + 4;
    for _ in 0..2000 {
        b.extend(entry_le(0x8825, LONG, 16_000, data_at as u32));
    }
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.resize(b.len() + 64_000, 0);
    let s = quick("huge pointer arrays", &tiff_le(&b));
    assert!(s.has_finding(codes::EXIF_TOO_COMPLEX), "{:?}", s.findings);
    // Thousands of Make entries pointing at the same 4000 NULs.
    let mut b = 3000u16.to_le_bytes().to_vec();
    let data_at = 8 + 2 + 12 * 3000 + 4;
    for _ in 0..3000 {
        b.extend(entry_le(0x010f, ASCII, 4000, data_at as u32));
    }
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.resize(b.len() + 4000, 0);
    let s = quick("duplicate NUL makes", &tiff_le(&b));
    assert!(s.has_finding(codes::MAKE_EMPTY), "{:?}", s.findings);
}

/// The guard is not theoretical: kamadak-exif on its own, given a smaller bomb, allocates tens of
/// megabytes (and the counting allocator sees it), while `extract_exif` stays small.
#[test]
fn bomb_would_blow_up_kamadak_alone() {
    let t = overlapping_ifd_bomb(1000);
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let r = exif::Reader::new()
        .continue_on_error(true)
        .read_raw(t.clone());
    let fields = match &r {
        Err(e) => e.to_string(),
        Ok(e) => format!("{} fields", e.fields().len()),
    };
    drop(r);
    let kamadak_peak = (PEAK.with(Cell::get) - start).max(0) as usize;
    let (s, ours) = extract_measured(&t);
    println!(
        "bomb of {} B: kamadak-exif alone peaks at {kamadak_peak} B ({fields}); \
         extract_exif peaks at {ours} B",
        t.len()
    );
    assert!(kamadak_peak > 10 << 20, "{kamadak_peak}");
    assert!(ours < 1 << 20, "{ours}");
    assert!(s.has_finding(codes::EXIF_TOO_COMPLEX));
}

#[test]
fn heif_structures() {
    let tiff = Exif::phone(true).build();
    let good = wrap_heif(&tiff, true);
    // Truncated and corrupted box sizes.
    for cut in 0..good.len() {
        quick("truncated HEIF", &good[..cut]);
    }
    // ftyp without a HEIF brand is not HEIF.
    let mut mp4 = good.clone();
    mp4[8..12].copy_from_slice(b"isom");
    mp4[16..24].copy_from_slice(b"isomiso2");
    assert_eq!(quick("mp4", &mp4).container, "unknown");
    // meta before ftyp.
    let ftyp_len = bmff_box(b"ftyp", b"heic\0\0\0\0mif1heic").len();
    let mut swapped = good[ftyp_len..].to_vec();
    swapped.extend_from_slice(&good[..ftyp_len]);
    quick("meta first", &swapped);
    // Box size 0 ("to the end") and 1 (64-bit size) on the meta box, and absurd 64-bit sizes.
    for size in [0u32, 1] {
        let mut v = good.clone();
        v[ftyp_len..ftyp_len + 4].copy_from_slice(&size.to_be_bytes());
        quick("meta size 0/1", &v);
    }
    // An iloc with 65535 zero-size extents for the Exif item.
    let mut b = vec![1, 0, 0, 0, 0x00, 0x00, 0, 1, 0, 1, 0, 1, 0, 0, 0xff, 0xff];
    b.extend_from_slice(&[0; 16]);
    let iloc = bmff_box(b"iloc", &b);
    let infe = bmff_box(b"infe", &[2, 0, 0, 0, 0, 1, 0, 0, b'E', b'x', b'i', b'f']);
    let mut iinf = vec![0, 0, 0, 0, 0, 1];
    iinf.extend_from_slice(&infe);
    let mut meta = vec![0, 0, 0, 0];
    meta.extend_from_slice(&bmff_box(b"iinf", &iinf));
    meta.extend_from_slice(&iloc);
    meta.extend_from_slice(&bmff_box(b"idat", &[0; 8]));
    let mut v = bmff_box(b"ftyp", b"heic\0\0\0\0mif1heic");
    v.extend_from_slice(&bmff_box(b"meta", &meta));
    let s = quick("65535 extents", &v);
    assert_eq!(s.status, ExifStatus::Unreadable);
    // An iinf declaring 4 billion entries.
    let mut meta = vec![0, 0, 0, 0];
    meta.extend_from_slice(&bmff_box(b"iinf", &[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
    let mut v = bmff_box(b"ftyp", b"heic\0\0\0\0mif1heic");
    v.extend_from_slice(&bmff_box(b"meta", &meta));
    quick("huge iinf count", &v);
}

// ---------------------------------------------------------------------------------------------
// Tests: mutations of the real fixtures

#[test]
fn every_fixture_truncated() {
    let t0 = Instant::now();
    let mut calls = 0usize;
    for file in fixture_files() {
        let bytes = support::read_testdata(&file);
        let full = quick(&file, &bytes);
        assert_eq!(full.status, ExifStatus::Present, "{file}");
        // Every cut through the container header...
        let mut cuts: Vec<usize> = (0..bytes.len().min(256)).collect();
        // ...many through the IFDs of the EXIF block (wherever the container put it)...
        let exif_at = bytes
            .windows(8)
            .position(|w| w == b"Exif\0\0MM" || w == b"Exif\0\0II")
            .unwrap_or(0);
        let region = exif_at.saturating_sub(64)..bytes.len().min(exif_at + 16_384);
        cuts.extend(region.step_by(37));
        // ...and some evenly across the whole file.
        cuts.extend((1..64).map(|k| bytes.len() * k / 64));
        cuts.push(bytes.len() - 1);
        for cut in cuts {
            let (s, peak) = extract_measured(&bytes[..cut]);
            let what = format!("{file} cut at {cut}");
            check_invariants(&what, &s);
            assert_bounded(&what, cut, peak);
            calls += 1;
        }
    }
    println!("exif truncations: {calls} calls in {:?}", t0.elapsed());
}

#[test]
fn random_byte_flips() {
    let t0 = Instant::now();
    // Inputs: the small fixtures whole; for the others their EXIF block, re-wrapped in a JPEG
    // (flipping inside a 4 MB file would mostly hit pixels); and one block in each other container.
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for file in fixture_files() {
        let bytes = support::read_testdata(&file);
        if bytes.len() < 8_000 {
            inputs.push((file, bytes));
        } else if let Some(tiff) = jpeg_tiff_block(&bytes)
            && tiff.len() < 20_000
        {
            inputs.push((format!("{file} (EXIF block)"), wrap_jpeg(&tiff)));
        }
    }
    let sample = jpeg_tiff_block(&support::read_testdata(
        "images/phone_gps/apple_iphone7_exiftool_sample.jpg",
    ))
    .unwrap();
    inputs.push(("png".into(), wrap_png(&sample)));
    inputs.push(("webp".into(), wrap_webp(&sample)));
    inputs.push(("heif idat".into(), wrap_heif(&sample, true)));
    inputs.push(("heif mdat".into(), wrap_heif(&sample, false)));
    inputs.push(("tiff".into(), sample.clone()));
    inputs.push(("handmade".into(), Exif::phone(false).build()));
    assert!(inputs.len() >= 15, "{}", inputs.len());

    let mut calls = 0usize;
    for (seed, (name, input)) in inputs.iter().enumerate() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15 ^ (seed as u64 + 1));
        for round in 0..150 {
            let mut m = input.clone();
            let flips = 1 + rng.below(8);
            for _ in 0..flips {
                let at = rng.below(m.len());
                match rng.below(4) {
                    0 => m[at] ^= 1 << rng.below(8),
                    1 => m[at] = rng.next() as u8,
                    2 => m[at] = [0x00, 0xff, 0x7f, 0x80][rng.below(4)],
                    _ => {
                        // overwrite a 16/32-bit field with an extreme value
                        let v = [0u32, 1, 0xffff, 0xffff_ffff, 0x8000_0000][rng.below(5)];
                        for (k, b) in v.to_le_bytes().iter().enumerate() {
                            if let Some(x) = m.get_mut(at + k) {
                                *x = *b;
                            }
                        }
                    }
                }
            }
            let (s, peak) = extract_measured(&m);
            let what = format!("{name} round {round}");
            check_invariants(&what, &s);
            assert_bounded(&what, m.len(), peak);
            calls += 1;
        }
    }
    println!(
        "exif byte flips: {calls} calls on {} inputs in {:?}",
        inputs.len(),
        t0.elapsed()
    );
}
