//! Synthetic result-sheet photos with EXIF that matches the chosen position and clock
//! (`tallyseal-testkit`'s camera).

use tallyseal_testkit::camera::{PhotoSpec, photograph};

/// A photo of roughly `target_kb` KiB (within a factor of ~1.5), taken at `lat, lon` at
/// `time_ms` (UTC+05:00 in EXIF), different for every `seed`.
pub fn synthetic_photo(lat: f64, lon: f64, time_ms: i64, seed: u64, target_kb: u32) -> Vec<u8> {
    let mut spec = PhotoSpec::phone(lat, lon, time_ms, 300, seed);
    let (w, h, noise) = match target_kb {
        0..=150 => (600, 800, 6),
        151..=400 => (900, 1200, 8),
        401..=900 => (1200, 1600, 10),
        _ => return photograph(&spec.with_size_mb(target_kb.div_ceil(1024))),
    };
    spec.width = w;
    spec.height = h;
    spec.noise = noise;
    spec.exif.pixel_width = Some(u32::from(w));
    spec.exif.pixel_height = Some(u32::from(h));
    photograph(&spec)
}
