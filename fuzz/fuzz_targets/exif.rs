//! `extract_exif` on arbitrary bytes: must never panic, hang or blow up memory, and must keep the
//! invariants the verifier relies on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallyseal_core::exif::{ExifStatus, extract_exif};

fuzz_target!(|data: &[u8]| {
    let s = extract_exif(data);
    if let Some(g) = s.gps {
        assert!(g.lat.is_finite() && (-90.0..=90.0).contains(&g.lat));
        assert!(g.lon.is_finite() && (-180.0..=180.0).contains(&g.lon));
        assert!(g.altitude_m.is_none_or(f64::is_finite));
        assert_eq!(s.status, ExifStatus::Present);
    }
    for t in [
        &s.make,
        &s.model,
        &s.software,
        &s.datetime_original,
        &s.offset_time_original,
    ] {
        assert!(t.as_ref().is_none_or(|t| t.chars().count() <= 256));
    }
    if s.status != ExifStatus::Present {
        assert!(!s.findings.is_empty());
    }
    // The summary goes into manifests as JSON.
    let json = serde_json::to_vec(&s).unwrap_or_default();
    assert!(!json.is_empty());
});
