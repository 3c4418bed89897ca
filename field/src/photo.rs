//! Synthetic result-sheet photos with EXIF that matches the chosen position and clock
//! (`tallyseal-testkit`'s camera).

use tallyseal_testkit::camera::{PhotoSpec, photograph};

/// A photo of roughly `target_kb` KiB (within a factor of ~1.5), taken at `lat, lon` at
/// `time_ms` (UTC+05:00 in EXIF), different for every `seed`.
pub fn synthetic_photo(lat: f64, lon: f64, time_ms: i64, seed: u64, target_kb: u32) -> Vec<u8> {
    let mut spec = PhotoSpec::phone(lat, lon, time_ms, 300, seed);
    let (w, h, noise) = match target_kb {
        0..=150 => (800, 1067, 3),
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

#[cfg(test)]
mod tests {
    use super::*;
    use tallyseal_core::exif::frame::jpeg_frame;
    use tallyseal_core::verify::MIN_FRAME_SHORT_SIDE_PX;

    /// Every size class is large enough for the verifier's `image_frame` check: a simulated
    /// phone sends what a real one would, not a thumbnail the server flags.
    #[test]
    fn every_size_class_meets_the_frame_minimum() {
        for kb in [100u32, 300, 800] {
            let photo = synthetic_photo(31.5, 74.3, 1_700_000_000_000, 7, kb);
            let frame = jpeg_frame(&photo).expect("a JPEG frame header");
            let short = u32::from(frame.width.min(frame.height));
            assert!(
                short >= MIN_FRAME_SHORT_SIDE_PX,
                "{kb} KiB class: {short} px"
            );
        }
    }
}
