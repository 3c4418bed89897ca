//! The light falling on the scene the phone photographs: a gradient from one side, a lamp's
//! bright spot, the room's uneven light, a weak vignette and sometimes the phone's own shadow.
//! Smooth everywhere, so it is computed on a coarse grid and interpolated.

use super::canvas::Point;
use super::photograph::{FRAME_H, FRAME_W};
use super::rng::{Rng, value_noise};

/// Grid step of the precomputed light, in frame pixels.
const STEP: usize = 16;

/// What lights the scene.
#[derive(Debug, Clone, Copy)]
struct Lamp {
    exposure: f32,
    gradient: (f32, f32),
    vignette: f32,
    /// Centre, radii and depth of the phone's soft shadow (depth 0: none).
    shadow: (Point, Point, f32),
    tint: [f32; 3],
    /// Centre, radius and strength of the lamp's bright spot.
    hotspot: (Point, f32, f32),
    /// Strength, feature size and seed of the room's uneven light.
    uneven: (f32, f32, u64),
}

impl Lamp {
    fn new(rng: &mut Rng) -> Lamp {
        let a = rng.range(0.0, std::f32::consts::TAU);
        let g = rng.range(0.1, 0.3);
        let (fw, fh) = (f32::from(FRAME_W), f32::from(FRAME_H));
        let shadow_depth = if rng.unit() < 0.7 {
            rng.range(0.1, 0.3)
        } else {
            0.0
        };
        let edge = rng.below(4);
        let along = rng.unit();
        let centre = match edge {
            0 => (along * fw, -50.0),
            1 => (fw + 50.0, along * fh),
            2 => (along * fw, fh + 50.0),
            _ => (-50.0, along * fh),
        };
        let warm = rng.unit();
        Lamp {
            exposure: rng.range(0.9, 1.04),
            gradient: (g * a.cos(), g * a.sin()),
            vignette: rng.range(0.02, 0.1),
            shadow: (
                centre,
                (rng.range(250.0, 500.0), rng.range(250.0, 500.0)),
                shadow_depth,
            ),
            tint: [
                1.0,
                1.0 - 0.04 * warm,
                1.0 - 0.12 * warm + 0.04 * (1.0 - warm),
            ],
            hotspot: (
                (rng.range(0.0, fw), rng.range(0.0, fh)),
                rng.range(250.0, 600.0),
                rng.range(0.0, 0.25),
            ),
            uneven: (
                rng.range(0.12, 0.22),
                rng.range(150.0, 300.0),
                rng.next_u64(),
            ),
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
        let ((hx, hy), hr, strength) = self.hotspot;
        let d2 = ((x - hx).powi(2) + (y - hy).powi(2)) / (hr * hr);
        let (amount, size, seed) = self.uneven;
        l * (1.0 + strength * (-d2).exp())
            * (1.0 + amount * (value_noise(x, y, size, seed) - 0.5) * 2.0)
    }
}

/// The light at every frame pixel, and its colour.
#[derive(Debug, Clone)]
pub(crate) struct Light {
    grid: Vec<f32>,
    columns: usize,
    pub(crate) tint: [f32; 3],
}

impl Light {
    pub(crate) fn new(rng: &mut Rng) -> Light {
        let lamp = Lamp::new(rng);
        let columns = usize::from(FRAME_W) / STEP + 2;
        let rows = usize::from(FRAME_H) / STEP + 2;
        let grid = (0..columns * rows)
            .map(|i| lamp.at(((i % columns) * STEP) as f32, ((i / columns) * STEP) as f32))
            .collect();
        Light {
            grid,
            columns,
            tint: lamp.tint,
        }
    }

    /// The light at frame pixel `(x, y)`.
    pub(crate) fn at(&self, x: usize, y: usize) -> f32 {
        let (gx, gy) = (x / STEP, y / STEP);
        let (tx, ty) = (
            (x % STEP) as f32 / STEP as f32,
            (y % STEP) as f32 / STEP as f32,
        );
        let g = |dx: usize, dy: usize| self.grid[(gy + dy) * self.columns + gx + dx];
        let top = g(0, 0) + (g(1, 0) - g(0, 0)) * tx;
        let bottom = g(0, 1) + (g(1, 1) - g(0, 1)) * tx;
        top + (bottom - top) * ty
    }
}
