//! The phone's photograph of the sheet: the sheet lying on a table, framed a little off-centre
//! and askew, seen in perspective, lit unevenly (a gradient, a vignette, sometimes the shadow of
//! the phone), with sensor noise, encoded as a phone encodes (baseline JPEG, 4:2:0) and tagged
//! with the EXIF the test kit's camera writes.

use tallyseal_testkit::exif_writer::{ExifSpec, insert_exif};

use super::canvas::Point;
use super::homography::Homography;
use super::light::Light;
use super::paper::Rgb;
use super::rng::{Rng, value_noise};

/// The frame a phone's camera writes at its lower resolution setting.
pub const FRAME_W: u16 = 1200;
pub const FRAME_H: u16 = 1600;
/// JPEG quality of the photo: close to what phones write.
const QUALITY: u8 = 88;

/// Where the sheet's corners land in the frame (top-left, top-right, bottom-right, bottom-left).
fn framing(sheet: &Rgb, rng: &mut Rng) -> [Point; 4] {
    let (fw, fh) = (f32::from(FRAME_W), f32::from(FRAME_H));
    let aspect = sheet.width as f32 / sheet.height as f32;
    let angle = rng.jitter(0.1);
    let keystone = rng.range(0.0, 0.07);
    let keystone_top = rng.unit() < 0.7;
    let side = rng.jitter(0.03);
    let mut scale = rng.range(0.8, 0.96);
    let shift = (rng.jitter(1.0), rng.jitter(1.0));
    let jitter: Vec<Point> = (0..4).map(|_| (rng.jitter(6.0), rng.jitter(6.0))).collect();
    loop {
        let h = fh * scale;
        let w = h * aspect;
        let centre = (
            fw / 2.0 + shift.0 * (fw - w).max(0.0) * 0.5,
            fh / 2.0 + shift.1 * (fh - h).max(0.0) * 0.5,
        );
        // The edge farther from the lens comes out shorter.
        let (top, bottom) = if keystone_top {
            (1.0 - keystone, 1.0)
        } else {
            (1.0, 1.0 - keystone)
        };
        let (left, right) = (1.0 - side.max(0.0), 1.0 + side.min(0.0));
        let local = [
            (-w / 2.0 * top, -h / 2.0 * left),
            (w / 2.0 * top, -h / 2.0 * right),
            (w / 2.0 * bottom, h / 2.0 * right),
            (-w / 2.0 * bottom, h / 2.0 * left),
        ];
        let (sin, cos) = angle.sin_cos();
        let corners: Vec<Point> = local
            .iter()
            .zip(&jitter)
            .map(|(&(x, y), &(jx, jy))| {
                (
                    centre.0 + x * cos - y * sin + jx,
                    centre.1 + x * sin + y * cos + jy,
                )
            })
            .collect();
        let inside = corners
            .iter()
            .all(|&(x, y)| (4.0..fw - 4.0).contains(&x) && (4.0..fh - 4.0).contains(&y));
        if inside || scale < 0.6 {
            return [corners[0], corners[1], corners[2], corners[3]];
        }
        scale *= 0.97;
    }
}

/// The surface the sheet lies on, at a frame pixel.
#[derive(Debug, Clone)]
struct Table {
    colour: [f32; 3],
    grain: f32,
    seed: u64,
    /// Fine streaks, one value per frame row (the boards run across the frame).
    fibres: Vec<f32>,
}

impl Table {
    fn new(rng: &mut Rng) -> Table {
        // Wood shows its grain; cloth and plastic hardly any.
        let (colour, grain) = match rng.below(5) {
            0 => (
                [
                    rng.range(100.0, 140.0),
                    rng.range(70.0, 95.0),
                    rng.range(45.0, 65.0),
                ],
                rng.range(0.08, 0.14),
            ),
            1 => (
                [
                    rng.range(120.0, 160.0),
                    rng.range(120.0, 160.0),
                    rng.range(115.0, 150.0),
                ],
                rng.range(0.02, 0.05),
            ),
            2 => (
                [
                    rng.range(40.0, 70.0),
                    rng.range(70.0, 100.0),
                    rng.range(55.0, 80.0),
                ],
                rng.range(0.02, 0.05),
            ),
            // A light wooden desk and a white plastic one: brighter than paper in the shade.
            3 => (
                [
                    rng.range(195.0, 225.0),
                    rng.range(165.0, 195.0),
                    rng.range(120.0, 150.0),
                ],
                rng.range(0.05, 0.1),
            ),
            _ => (
                [
                    rng.range(225.0, 250.0),
                    rng.range(225.0, 250.0),
                    rng.range(220.0, 245.0),
                ],
                rng.range(0.005, 0.02),
            ),
        };
        let seed = rng.next_u64();
        let fibres = (0..usize::from(FRAME_H))
            .map(|y| (value_noise(0.0, y as f32 * 2.0, 18.0, seed ^ 5) - 0.5) * 0.6)
            .collect();
        Table {
            colour,
            grain,
            seed,
            fibres,
        }
    }

    fn at(&self, x: f32, y: usize) -> [f32; 3] {
        // Grain runs along the boards: long, gently wandering streaks.
        let fy = y as f32;
        let streak = (fy * 0.06 + 2.5 * value_noise(x, fy * 3.0, 260.0, self.seed)).sin() * 0.7
            + self.fibres[y.min(self.fibres.len() - 1)];
        let f = 1.0 + self.grain * streak;
        self.colour.map(|c| c * f)
    }
}

fn sample(sheet: &Rgb, u: f32, v: f32) -> [f32; 3] {
    let x = (u * sheet.width as f32 - 0.5).clamp(0.0, (sheet.width - 1) as f32);
    let y = (v * sheet.height as f32 - 0.5).clamp(0.0, (sheet.height - 1) as f32);
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = (
        (x0 + 1).min(sheet.width - 1),
        (y0 + 1).min(sheet.height - 1),
    );
    let (tx, ty) = (x - x0 as f32, y - y0 as f32);
    let p = |x: usize, y: usize, c: usize| f32::from(sheet.pixels[(y * sheet.width + x) * 3 + c]);
    [0, 1, 2].map(|c| {
        let top = p(x0, y0, c) * (1.0 - tx) + p(x1, y0, c) * tx;
        let bottom = p(x0, y1, c) * (1.0 - tx) + p(x1, y1, c) * tx;
        top + (bottom - top) * ty
    })
}

/// Photograph `sheet`; `exif` is written into the JPEG as the camera would.
pub(crate) fn photograph(sheet: &Rgb, rng: &mut Rng, exif: &ExifSpec) -> Vec<u8> {
    let (fw, fh) = (usize::from(FRAME_W), usize::from(FRAME_H));
    let corners = framing(sheet, rng);
    let to_sheet = Homography::square_to_quad(corners).inverse();
    let table = Table::new(rng);
    let light = Light::new(rng);
    let noise = rng.range(3.0, 6.0);
    let mut grain = Rng::new(rng.next_u64());
    // Size of one unit of the sheet in frame pixels, for the shadow the sheet casts.
    let sheet_px = (corners[1].0 - corners[0].0).abs().max(1.0);
    let mut frame = vec![0u8; fw * fh * 3];
    for y in 0..fh {
        let fy = y as f32 + 0.5;
        let (start, step) = to_sheet.row(fy);
        for x in 0..fw {
            let fx = x as f32 + 0.5;
            let w = start[2] + step[2] * fx;
            let (u, v) = ((start[0] + step[0] * fx) / w, (start[1] + step[1] * fx) / w);
            let colour = if (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v) {
                sample(sheet, u, v)
            } else {
                let out = (-u).max(u - 1.0).max(-v).max(v - 1.0).max(0.0) * sheet_px;
                let shade = 1.0 - 0.5 * (-out / 9.0).exp();
                table.at(fx, y).map(|c| c * shade)
            };
            let l = light.at(x, y);
            // One draw gives the pixel's luma noise and its three chroma noises.
            let bits = grain.next_u64();
            let part = |k: usize| ((bits >> (16 * k)) & 0xffff) as f32 / 32_767.5 - 1.0;
            let n = part(0) * noise;
            let i = (y * fw + x) * 3;
            for c in 0..3 {
                let chroma = part(c + 1) * noise * 0.3;
                frame[i + c] = (colour[c] * l * light.tint[c] + n + chroma).clamp(0.0, 255.0) as u8;
            }
        }
    }
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, QUALITY);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    if encoder
        .encode(&frame, FRAME_W, FRAME_H, jpeg_encoder::ColorType::Rgb)
        .is_err()
    {
        return Vec::new();
    }
    insert_exif(&jpeg, exif)
}
