//! Ink on the sheet: a coverage layer per ink (print, pen, stamp) and the one drawing primitive
//! everything else is made of, an anti-aliased stroke between two points whose width may change
//! along it (a capsule).

/// A point on the sheet, in sheet pixels (x right, y down).
pub(crate) type Point = (f32, f32);

/// How much of each sheet pixel one ink covers (0-255).
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) coverage: Vec<u8>,
}

impl Layer {
    pub(crate) fn new(width: usize, height: usize) -> Layer {
        Layer {
            width,
            height,
            coverage: vec![0; width * height],
        }
    }

    #[cfg(test)]
    pub(crate) fn at(&self, x: usize, y: usize) -> u8 {
        self.coverage[y * self.width + x]
    }

    /// A stroke from `a` to `b`, `ra` pixels thick (radius) at `a` and `rb` at `b`, laid down
    /// with `strength` (0-1: a pen running dry, a stamp pressed unevenly).
    pub(crate) fn stroke(&mut self, a: Point, b: Point, ra: f32, rb: f32, strength: f32) {
        let r = ra.max(rb);
        let x0 = (a.0.min(b.0) - r - 1.0).floor().max(0.0) as usize;
        let y0 = (a.1.min(b.1) - r - 1.0).floor().max(0.0) as usize;
        let x1 = ((a.0.max(b.0) + r + 2.0).ceil().max(0.0) as usize).min(self.width);
        let y1 = ((a.1.max(b.1) + r + 2.0).ceil().max(0.0) as usize).min(self.height);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let level = strength.clamp(0.0, 1.0) * 255.0;
        for y in y0..y1 {
            let py = y as f32 + 0.5 - a.1;
            let row = y * self.width;
            for x in x0..x1 {
                let px = x as f32 + 0.5 - a.0;
                let t = if len2 > 0.0 {
                    ((px * dx + py * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (ex, ey) = (px - t * dx, py - t * dy);
                let d = (ex * ex + ey * ey).sqrt();
                let radius = ra + (rb - ra) * t;
                let c = (radius + 0.5 - d).clamp(0.0, 1.0);
                if c > 0.0 {
                    let v = (c * level) as u8;
                    let cell = &mut self.coverage[row + x];
                    *cell = (*cell).max(v);
                }
            }
        }
    }

    /// Strokes through consecutive points, all `radius` thick.
    pub(crate) fn polyline(&mut self, points: &[Point], radius: f32, strength: f32) {
        if let [only] = points {
            self.stroke(*only, *only, radius, radius, strength);
        }
        for pair in points.windows(2) {
            self.stroke(pair[0], pair[1], radius, radius, strength);
        }
    }

    /// A straight rule from `a` to `b`.
    pub(crate) fn rule(&mut self, a: Point, b: Point, radius: f32) {
        self.stroke(a, b, radius, radius, 1.0);
    }

    /// The outline of a rectangle.
    pub(crate) fn frame(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, radius: f32) {
        self.polyline(
            &[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
            radius,
            1.0,
        );
    }

    /// Fill a rectangle at `level` (0-1): the shaded bands of a printed form.
    pub(crate) fn fill(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, level: f32) {
        let v = (level.clamp(0.0, 1.0) * 255.0) as u8;
        let clip = |v: f32, n: usize| (v.max(0.0) as usize).min(n);
        for y in clip(y0, self.height)..clip(y1, self.height) {
            let row = y * self.width;
            for cell in &mut self.coverage[row + clip(x0, self.width)..row + clip(x1, self.width)] {
                *cell = (*cell).max(v);
            }
        }
    }
}

/// A map from glyph or stroke units to sheet pixels: `(x, y) → (a·x + b·y + tx, c·x + d·y + ty)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Affine {
    pub(crate) a: f32,
    pub(crate) b: f32,
    pub(crate) c: f32,
    pub(crate) d: f32,
    pub(crate) tx: f32,
    pub(crate) ty: f32,
}

impl Affine {
    /// Scale by `s`, lean by `slant` (x shifts left as y grows: positive leans right), rotate by
    /// `angle` radians, then move the origin to `origin`.
    pub(crate) fn place(origin: Point, s: f32, slant: f32, angle: f32) -> Affine {
        let (sin, cos) = angle.sin_cos();
        // [cos -sin; sin cos] · [s, -slant·s; 0, s]
        Affine {
            a: cos * s,
            b: -cos * slant * s - sin * s,
            c: sin * s,
            d: -sin * slant * s + cos * s,
            tx: origin.0,
            ty: origin.1,
        }
    }

    pub(crate) fn apply(&self, p: Point) -> Point {
        (
            self.a * p.0 + self.b * p.1 + self.tx,
            self.c * p.0 + self.d * p.1 + self.ty,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stroke_covers_its_line_and_nothing_far_from_it() {
        let mut l = Layer::new(40, 20);
        l.stroke((5.0, 10.0), (35.0, 10.0), 1.5, 1.5, 1.0);
        assert_eq!(l.at(20, 10), 255);
        assert_eq!(l.at(20, 3), 0);
        assert_eq!(l.at(2, 10), 0);
        l.fill(0.0, 0.0, 4.0, 4.0, 0.5);
        assert_eq!(l.at(1, 1), 127);
    }

    #[test]
    fn placement_scales_and_moves() {
        let t = Affine::place((100.0, 50.0), 2.0, 0.0, 0.0);
        assert_eq!(t.apply((3.0, 4.0)), (106.0, 58.0));
    }
}
