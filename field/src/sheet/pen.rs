//! A ballpoint in a hand: smooth curves through a few points (Catmull-Rom), drawn with a width
//! that follows the pressure — lighter where the pen lands and lifts, wavering in between — and
//! ink that flows a little unevenly.

use super::canvas::{Layer, Point};
use super::rng::Rng;

/// The pen a hand holds: its nominal radius in sheet pixels and how dark its ink lies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pen {
    pub(crate) radius: f32,
    pub(crate) flow: f32,
}

/// Points along the Catmull-Rom curve through `points`, `per_span` per span between two of them.
pub(crate) fn smooth(points: &[Point], per_span: usize) -> Vec<Point> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let n = points.len();
    let at = |i: isize| points[i.clamp(0, n as isize - 1) as usize];
    let mut out = Vec::with_capacity((n - 1) * per_span + 1);
    for i in 0..n as isize - 1 {
        let (p0, p1, p2, p3) = (at(i - 1), at(i), at(i + 1), at(i + 2));
        for k in 0..per_span {
            let t = k as f32 / per_span as f32;
            let (t2, t3) = (t * t, t * t * t);
            let f = |a: f32, b: f32, c: f32, d: f32| {
                0.5 * (2.0 * b
                    + (c - a) * t
                    + (2.0 * a - 5.0 * b + 4.0 * c - d) * t2
                    + (3.0 * b - a - 3.0 * c + d) * t3)
            };
            out.push((f(p0.0, p1.0, p2.0, p3.0), f(p0.1, p1.1, p2.1, p3.1)));
        }
    }
    out.push(points[n - 1]);
    out
}

/// Draw `path` with `pen`: tapered at both ends, pressure wavering along the way.
pub(crate) fn ink(layer: &mut Layer, path: &[Point], pen: Pen, rng: &mut Rng) {
    let n = path.len();
    if n == 0 {
        return;
    }
    let flow = (pen.flow * rng.range(0.85, 1.0)).min(1.0);
    let phase = rng.range(0.0, std::f32::consts::TAU);
    let wave = rng.range(0.15, 0.45);
    let width_at = |i: usize| {
        let t = i as f32 / (n.max(2) - 1) as f32;
        let taper = (t * 6.0).min(1.0) * 0.45 + 0.55;
        let lift = ((1.0 - t) * 5.0).min(1.0) * 0.35 + 0.65;
        pen.radius * taper * lift * (1.0 + 0.18 * (phase + i as f32 * wave).sin())
    };
    if n == 1 {
        layer.stroke(path[0], path[0], pen.radius, pen.radius, flow);
        return;
    }
    for i in 0..n - 1 {
        layer.stroke(path[i], path[i + 1], width_at(i), width_at(i + 1), flow);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_passes_through_its_points() {
        let pts = [(0.0, 0.0), (10.0, 5.0), (20.0, 0.0), (30.0, 5.0)];
        let c = smooth(&pts, 8);
        assert_eq!(c.len(), 3 * 8 + 1);
        assert_eq!(c[0], pts[0]);
        assert_eq!(c[8], pts[1]);
        assert_eq!(c[24], pts[3]);
    }
}
