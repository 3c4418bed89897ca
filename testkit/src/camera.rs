//! The synthetic camera: renders a result-sheet-like picture (paper, ruled table, pen strokes,
//! sensor noise), encodes it as a baseline JPEG and inserts an EXIF block.

use crate::exif_writer::{ExifSpec, GpsSpec, exif_datetime, exif_offset, insert_exif};

/// What to photograph and how.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoSpec {
    pub width: u16,
    pub height: u16,
    /// Varies the pen strokes and noise: two seeds give two different pictures.
    pub seed: u64,
    /// Sensor-noise amplitude (0-64); more noise means a larger file.
    pub noise: u8,
    /// JPEG quality, 1-100.
    pub quality: u8,
    pub exif: ExifSpec,
}

impl PhotoSpec {
    /// A typical phone photo of a sheet, with EXIF saying it was taken at `time_ms` (UTC offset
    /// `offset_min`) at `lat, lon` by a Samsung phone.
    pub fn phone(lat: f64, lon: f64, time_ms: i64, offset_min: i32, seed: u64) -> PhotoSpec {
        PhotoSpec {
            width: 1200,
            height: 1600,
            seed,
            noise: 6,
            quality: 85,
            exif: ExifSpec {
                make: Some("samsung".into()),
                model: Some("SM-A155F".into()),
                software: Some("A155FXXU1AXA1".into()),
                datetime_original: Some(exif_datetime(time_ms, offset_min)),
                offset_time_original: Some(exif_offset(offset_min)),
                gps: Some(GpsSpec {
                    lat,
                    lon,
                    altitude_m: Some(214.0),
                    time_ms: Some(time_ms),
                }),
                pixel_width: Some(1200),
                pixel_height: Some(1600),
                orientation: None,
                gps_raw: None,
            },
        }
    }

    /// Same picture size as a ~`megabytes` MB phone photo (noise and quality tuned for it).
    pub fn with_size_mb(mut self, megabytes: u32) -> PhotoSpec {
        // Measured with this renderer: 12 MP at quality 85 with noise 11 is 2.01 MB; at
        // quality 90 noise 8 is ~3.2 MB and noise 10 is 4.2 MB.
        let (w, h, noise, quality) = match megabytes {
            0..=1 => (2000, 2600, 12, 85),
            2 => (3000, 4000, 11, 85),
            3 => (3000, 4000, 8, 90),
            _ => (3000, 4000, 10, 90),
        };
        self.width = w;
        self.height = h;
        self.noise = noise;
        self.quality = quality;
        self.exif.pixel_width = Some(u32::from(w));
        self.exif.pixel_height = Some(u32::from(h));
        self
    }
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Render, encode and tag a photo. Deterministic for a given spec.
pub fn photograph(spec: &PhotoSpec) -> Vec<u8> {
    let (w, h) = (
        usize::from(spec.width.max(16)),
        usize::from(spec.height.max(16)),
    );
    let mut rng = XorShift(spec.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut px = vec![0u8; w * h * 3];
    // Every photograph is framed and lit differently: the sheet sits at a seed-dependent offset
    // and the light falls from a seed-dependent side.
    let jx = rng.below((w / 10) as u64) as usize;
    let jy = rng.below((h / 10) as u64) as usize;
    let light = rng.below(4);
    // Paper with a lighting gradient.
    for y in 0..h {
        for x in 0..w {
            let (gx, gy) = match light {
                0 => (x, y),
                1 => (w - 1 - x, y),
                2 => (x, h - 1 - y),
                _ => (w - 1 - x, h - 1 - y),
            };
            let shade = 235 - ((gx + gy) * 60 / (w + h)) as i32;
            let i = (y * w + x) * 3;
            px[i] = shade as u8;
            px[i + 1] = (shade - 3) as u8;
            px[i + 2] = (shade - 12) as u8;
        }
    }
    let dark = |px: &mut [u8], x: usize, y: usize, v: u8| {
        if x < w && y < h {
            let i = (y * w + x) * 3;
            px[i] = v;
            px[i + 1] = v;
            px[i + 2] = v.saturating_add(40);
        }
    };
    // Ruled table: 14 rows x 4 columns in the middle of the sheet.
    let (left, right, top, bottom) = (w / 20 + jx, w - w / 6 + jx, h / 8 + jy, h - h / 5 + jy);
    let rows = 14;
    for r in 0..=rows {
        let y = top + (bottom - top) * r / rows;
        for x in left..right {
            dark(&mut px, x, y, 40);
            dark(&mut px, x, y + 1, 40);
        }
    }
    for c in [0usize, 1, 3, 4] {
        let x = left + (right - left) * c / 4;
        for y in top..bottom {
            dark(&mut px, x, y, 40);
            dark(&mut px, x + 1, y, 40);
        }
    }
    // Pen strokes ("figures") in the last column and names in the second.
    for r in 0..rows {
        let cy = top + (bottom - top) * r / rows + (bottom - top) / rows / 2;
        for col in [1usize, 3] {
            let x0 = left + (right - left) * col / 4 + 10;
            let strokes = 3 + rng.below(6) as usize;
            for s in 0..strokes {
                let sx = x0 + s * (w / 60).max(4);
                let len = (h / 80).max(4);
                let slant = rng.below(5) as usize;
                for t in 0..len {
                    dark(&mut px, sx + t * slant / len, cy - len / 2 + t, 25);
                    dark(&mut px, sx + 1 + t * slant / len, cy - len / 2 + t, 25);
                }
            }
        }
    }
    // Sensor noise.
    if spec.noise > 0 {
        let amp = u64::from(spec.noise) * 2 + 1;
        for v in px.iter_mut() {
            let n = rng.below(amp) as i32 - i32::from(spec.noise);
            *v = (i32::from(*v) + n).clamp(0, 255) as u8;
        }
    }
    let mut jpeg = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut jpeg, spec.quality.clamp(1, 100));
    if encoder
        .encode(&px, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .is_err()
    {
        return Vec::new();
    }
    insert_exif(&jpeg, &spec.exif)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tallyseal_core::exif::{ExifStatus, extract_exif};

    #[test]
    fn photo_carries_the_exif_we_wrote() {
        let t = 1_707_396_000_000;
        let jpeg = photograph(&PhotoSpec::phone(31.5204, 74.3587, t, 300, 7));
        assert_eq!(&jpeg[..2], &[0xff, 0xd8]);
        let e = extract_exif(&jpeg);
        assert_eq!(e.status, ExifStatus::Present, "{e:?}");
        assert_eq!(e.make.as_deref(), Some("samsung"));
        assert_eq!(e.model.as_deref(), Some("SM-A155F"));
        assert_eq!(e.datetime_original.as_deref(), Some("2024:02:08 17:40:00"));
        assert_eq!(e.datetime_original_ms, Some(t));
        let g = e.gps.expect("gps");
        assert!(
            (g.lat - 31.5204).abs() < 1e-6 && (g.lon - 74.3587).abs() < 1e-6,
            "{g:?}"
        );
        assert_eq!(g.timestamp_ms, Some(t));
    }

    #[test]
    fn seeds_change_the_picture() {
        let a = photograph(&PhotoSpec::phone(31.5, 74.3, 0, 0, 1));
        let b = photograph(&PhotoSpec::phone(31.5, 74.3, 0, 0, 2));
        assert_ne!(a, b);
        assert_eq!(a, photograph(&PhotoSpec::phone(31.5, 74.3, 0, 0, 1)));
    }
}
