//! The phone's photograph of the sheet: the sheet lying on a table, framed a little off-centre
//! and askew, seen in perspective, lit unevenly (a gradient, a vignette, sometimes the shadow of
//! the phone), with sensor noise, encoded as a phone encodes (baseline JPEG, 4:2:0) and tagged
//! with the EXIF the test kit's camera writes.

use tallyseal_testkit::exif_writer::{ExifSpec, insert_exif};

use super::canvas::Point;
use super::homography::Homography;
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
    let angle = rng.jitter(0.055);
    let keystone = rng.range(0.0, 0.07);
    let keystone_top = rng.unit() < 0.7;
    let side = rng.jitter(0.03);
    let mut scale = rng.range(0.84, 0.95);
    let shift = (rng.jitter(1.0), rng.jitter(1.0));
    let jitter: Vec<Point> = (0..4).map(|_| (rng.jitter(6.0), rng.jitter(6.0))).collect();
    loop {
        let h = fh * scale;
        let w = h * aspect;
        let centre = (
            fw / 2.0 + shift.0 * (fw - w).max(0.0) * 0.3,
            fh / 2.0 + shift.1 * (fh - h).max(0.0) * 0.3,
        );
        // The edge farther from the lens comes out shorter.
        let (top, bottom) = if keystone_top { (1.0 - keystone, 1.0) } else { (1.0, 1.0 - keystone) };
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
            .map(|(&(x, y), &(jx, jy))| (centre.0 + x * cos - y * sin + jx, centre.1 + x * sin + y * cos + jy))
            .collect();
        let inside = corners.iter().all(|&(x, y)| (4.0..fw - 4.0).contains(&x) && (4.0..fh - 4.0).contains(&y));
        if inside || scale < 0.6 {
            return [corners[0], corners[1], corners[2], corners[3]];
        }
        scale *= 0.97;
    }
}

/// The surface the sheet lies on, at a frame pixel.
#[derive(Debug, Clone, Copy)]
struct Table {
    colour: [f32; 3],
    grain: f32,
    seed: u64,
}

impl Table {
    fn new(rng: &mut Rng) -> Table {
        let colour = match rng.below(3) {
            0 => [rng.range(100.0, 140.0), rng.range(70.0, 95.0), rng.range(45.0, 65.0)],
            1 => [rng.range(120.0, 160.0), rng.range(120.0, 160.0), rng.range(115.0, 150.0)],
            _ => [rng.range(40.0, 70.0), rng.range(70.0, 100.0), rng.range(55.0, 80.0)],
        };
        Table { colour, grain: rng.range(0.04, 0.14), seed: rng.next_u64() }
    }

    fn at(&self, x: f32, y: f32) -> [f32; 3] {
        let streak = (y * 0.09 + 9.0 * value_noise(x, y, 140.0, self.seed)).sin();
        let f = 1.0 + self.grain * streak;
        self.colour.map(|c| c * f)
    }
}

/// The light falling on the scene: a gradient from one side, a vignette and perhaps a shadow.
#[derive(Debug, Clone, Copy)]
struct Light {
    exposure: f32,
    gradient: (f32, f32),
    vignette: f32,
    /// Centre, radii and depth of the phone's soft shadow (depth 0: none).
    shadow: (Point, Point, f32),
    tint: [f32; 3],
}

impl Light {
    fn new(rng: &mut Rng) -> Light {
        let a = rng.range(0.0, std::f32::consts::TAU);
        let g = rng.range(0.12, 0.32);
        let (fw, fh) = (f32::from(FRAME_W), f32::from(FRAME_H));
        let shadow_depth = if rng.unit() < 0.5 { rng.range(0.08, 0.22) } else { 0.0 };
        let edge = rng.below(4);
        let along = rng.unit();
        let centre = match edge {
            0 => (along * fw, -50.0),
            1 => (fw + 50.0, along * fh),
            2 => (along * fw, fh + 50.0),
            _ => (-50.0, along * fh),
        };
        let warm = rng.unit();
        Light {
            exposure: rng.range(0.9, 1.04),
            gradient: (g * a.cos(), g * a.sin()),
            vignette: rng.range(0.12, 0.32),
            shadow: (centre, (rng.range(250.0, 500.0), rng.range(250.0, 500.0)), shadow_depth),
            tint: [1.0, 1.0 - 0.04 * warm, 1.0 - 0.12 * warm + 0.04 * (1.0 - warm)],
        }
    }

    fn at(&self, x: f32, y: f32) -> f32 {
        let (nx, ny) = (x / f32::from(FRAME_W) - 0.5, y / f32::from(FRAME_H) - 0.5);
        let mut l = self.exposure * (1.0 + self.gradient.0 * nx + self.gradient.1 * ny);
        l *= 1.0 - self.vignette * (nx * nx + ny * ny) * 2.0;
        let ((cx, cy), (rx, ry), depth) = self.shadow;
        if depth > 0.0 {
            let d = (((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2)).sqrt();
            let t = ((1.3 - d) / 0.7).clamp(0.0, 1.0);
            l *= 1.0 - depth * t * t * (3.0 - 2.0 * t);
        }
        l
    }
}

fn sample(sheet: &Rgb, u: f32, v: f32) -> [f32; 3] {
    let x = (u * sheet.width as f32 - 0.5).clamp(0.0, (sheet.width - 1) as f32);
    let y = (v * sheet.height as f32 - 0.5).clamp(0.0, (sheet.height - 1) as f32);
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(sheet.width - 1), (y0 + 1).min(sheet.height - 1));
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
                table.at(fx, fy).map(|c| c * shade)
            };
            let l = light.at(fx, fy);
            let n = grain.jitter(noise);
            let i = (y * fw + x) * 3;
            for c in 0..3 {
                let chroma = grain.jitter(noise * 0.3);
                frame[i + c] = (colour[c] * l * light.tint[c] + n + chroma).clamp(0.0, 255.0) as u8;
            }
        }
    }
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, QUALITY);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    if encoder.encode(&frame, FRAME_W, FRAME_H, jpeg_encoder::ColorType::Rgb).is_err() {
        return Vec::new();
    }
    insert_exif(&jpeg, exif)
}
