//! The sheet of paper the form is printed and written on: its three inks (print, pen, stamp)
//! as coverage layers, the Presiding Officer's hand, and the paper itself — off-white, mottled,
//! folded for the envelope, each panel catching the light at its own angle — into which the inks are laid as colour.

use super::canvas::Layer;
use super::figures::Hand;
use super::pen::Pen;
use super::rng::{Rng, value_noise};

/// Sheet width and height in pixels: A4 at about 127 dpi, close to the size it has in the photo.
pub(crate) const SHEET_W: usize = 1050;
pub(crate) const SHEET_H: usize = 1485;

/// A sheet being filled in.
#[derive(Debug, Clone)]
pub(crate) struct Sheet {
    pub(crate) print: Layer,
    pub(crate) pen: Layer,
    pub(crate) stamp: Layer,
    /// The Presiding Officer's hand, which writes every figure on the sheet.
    pub(crate) hand: Hand,
    pub(crate) rng: Rng,
}

/// An RGB picture, 3 bytes a pixel, row by row.
#[derive(Debug, Clone)]
pub(crate) struct Rgb {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) pixels: Vec<u8>,
}

impl Sheet {
    pub(crate) fn new(rng: &mut Rng) -> Sheet {
        let mut own = rng.fork(0x5ee7);
        let pen = Pen {
            radius: own.range(1.0, 1.5),
            flow: own.range(0.85, 1.0),
        };
        Sheet {
            print: Layer::new(SHEET_W, SHEET_H),
            pen: Layer::new(SHEET_W, SHEET_H),
            stamp: Layer::new(SHEET_W, SHEET_H),
            hand: Hand::new(&mut own, pen),
            rng: own,
        }
    }

    /// Paper and inks as colour.
    pub(crate) fn compose(&mut self) -> Rgb {
        let rng = &mut self.rng;
        let paper = [
            rng.range(236.0, 248.0),
            rng.range(234.0, 244.0),
            rng.range(222.0, 236.0),
        ];
        let print_ink = [
            rng.range(20.0, 40.0),
            rng.range(20.0, 40.0),
            rng.range(25.0, 45.0),
        ];
        let pen_ink = [
            rng.range(15.0, 40.0),
            rng.range(30.0, 55.0),
            rng.range(110.0, 150.0),
        ];
        let stamp_ink = if rng.unit() < 0.6 {
            [
                rng.range(80.0, 110.0),
                rng.range(40.0, 70.0),
                rng.range(140.0, 170.0),
            ]
        } else {
            [
                rng.range(30.0, 50.0),
                rng.range(60.0, 90.0),
                rng.range(150.0, 180.0),
            ]
        };
        // Mottling, sampled on a coarse grid and interpolated (smooth at this scale anyway).
        const STEP: usize = 16;
        let seed = rng.next_u64();
        let (gw, gh) = (SHEET_W / STEP + 2, SHEET_H / STEP + 2);
        let grid: Vec<f32> = (0..gw * gh)
            .map(|i| {
                let (x, y) = (((i % gw) * STEP) as f32, ((i / gw) * STEP) as f32);
                1.0 + 0.035 * (value_noise(x, y, 90.0, seed) - 0.5)
                    + 0.02 * (value_noise(x, y, 25.0, seed ^ 3) - 0.5)
            })
            .collect();
        let rows_lit = folds(SHEET_H, &[0.5, 0.333, 0.667], rng);
        let columns_lit = folds(SHEET_W, &[0.5], rng);
        let mut pixels = vec![0u8; SHEET_W * SHEET_H * 3];
        for (y, &crease) in rows_lit.iter().enumerate() {
            let gy = y / STEP;
            let ty = (y % STEP) as f32 / STEP as f32;
            for (x, &column_lit) in columns_lit.iter().enumerate() {
                let gx = x / STEP;
                let tx = (x % STEP) as f32 / STEP as f32;
                let g = |dx: usize, dy: usize| grid[(gy + dy) * gw + gx + dx];
                let mottle = (g(0, 0) * (1.0 - tx) + g(1, 0) * tx) * (1.0 - ty)
                    + (g(0, 1) * (1.0 - tx) + g(1, 1) * tx) * ty;
                let i = y * SHEET_W + x;
                let cp = f32::from(self.print.coverage[i]) / 255.0;
                let cn = f32::from(self.pen.coverage[i]) / 255.0 * 0.93;
                let cs = f32::from(self.stamp.coverage[i]) / 255.0 * 0.8;
                for ch in 0..3 {
                    let mut v = paper[ch] * mottle * crease * column_lit;
                    // Inks filter the light the paper reflects: they darken what lies under them.
                    v *= 1.0 - cp * (1.0 - print_ink[ch] / 255.0);
                    v *= 1.0 - cn * (1.0 - pen_ink[ch] / 255.0);
                    v *= 1.0 - cs * (1.0 - stamp_ink[ch] / 255.0);
                    pixels[i * 3 + ch] = v.clamp(0.0, 255.0) as u8;
                }
            }
        }
        Rgb {
            width: SHEET_W,
            height: SHEET_H,
            pixels,
        }
    }
}

/// How brightly each line across `n` pixels is lit once the sheet has been folded: some of the
/// `creases` (fractions of `n`) are folded, each panel between two folds tilts to the light by
/// its own amount, and a fold itself shows as a thin dark line.
fn folds(n: usize, creases: &[f32], rng: &mut Rng) -> Vec<f32> {
    let mut at = Vec::new();
    for c in creases {
        if rng.unit() < 0.6 {
            at.push((c + rng.jitter(0.02)) * n as f32);
        }
    }
    at.sort_by(f32::total_cmp);
    let tilt: Vec<f32> = (0..=at.len()).map(|_| rng.range(0.86, 1.06)).collect();
    let depth = rng.range(0.03, 0.08);
    (0..n)
        .map(|i| {
            let p = i as f32;
            let panel = at.iter().filter(|&&c| c <= p).count();
            // Blend into the neighbouring panel within a few pixels of the fold.
            let mut lit = tilt[panel];
            let mut line = 1.0;
            for (k, &c) in at.iter().enumerate() {
                let d = p - c;
                if d.abs() < 6.0 {
                    let t = (d + 6.0) / 12.0;
                    lit = tilt[k] + (tilt[k + 1] - tilt[k]) * t;
                }
                line -= depth * (-(d / 2.5).powi(2)).exp();
            }
            lit * line
        })
        .collect()
}
