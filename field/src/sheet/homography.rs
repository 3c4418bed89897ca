//! The perspective of a photo: where the sheet's four corners land in the frame, and the map
//! back from a frame pixel to the point of the sheet it shows (a plane projective transform).

use super::canvas::Point;

/// A 3×3 projective map, row-major, `(x, y) → ((m0·x + m1·y + m2) / w, (m3·x + m4·y + m5) / w)`
/// with `w = m6·x + m7·y + m8`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Homography([f64; 9]);

impl Homography {
    /// The map from the unit square to the quadrilateral `corners` (top-left, top-right,
    /// bottom-right, bottom-left), after Heckbert's closed form.
    pub(crate) fn square_to_quad(corners: [Point; 4]) -> Homography {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] =
            corners.map(|(x, y)| (f64::from(x), f64::from(y)));
        let (sx, sy) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
        let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
        let det = dx1 * dy2 - dx2 * dy1;
        let (g, h) = if det.abs() < 1e-12 {
            (0.0, 0.0)
        } else {
            ((sx * dy2 - dx2 * sy) / det, (dx1 * sy - sx * dy1) / det)
        };
        Homography([
            x1 - x0 + g * x1,
            x3 - x0 + h * x3,
            x0,
            y1 - y0 + g * y1,
            y3 - y0 + h * y3,
            y0,
            g,
            h,
            1.0,
        ])
    }

    /// The inverse map (the adjugate: a scale factor does not change a projective map).
    pub(crate) fn inverse(&self) -> Homography {
        let [a, b, c, d, e, f, g, h, i] = self.0;
        Homography([
            e * i - f * h,
            c * h - b * i,
            b * f - c * e,
            f * g - d * i,
            a * i - c * g,
            c * d - a * f,
            d * h - e * g,
            b * g - a * h,
            a * e - b * d,
        ])
    }

    #[cfg(test)]
    pub(crate) fn apply(&self, p: Point) -> Point {
        let m = &self.0;
        let (x, y) = (f64::from(p.0), f64::from(p.1));
        let w = m[6] * x + m[7] * y + m[8];
        (
            ((m[0] * x + m[1] * y + m[2]) / w) as f32,
            ((m[3] * x + m[4] * y + m[5]) / w) as f32,
        )
    }

    /// The numerators and the denominator at `(0, y)` and their steps per pixel along x, to walk a
    /// row of the frame with additions only.
    pub(crate) fn row(&self, y: f32) -> ([f32; 3], [f32; 3]) {
        let m = self.0.map(|v| v as f32);
        (
            [m[1] * y + m[2], m[4] * y + m[5], m[7] * y + m[8]],
            [m[0], m[3], m[6]],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_map_to_corners_and_back() {
        let quad = [
            (100.0, 80.0),
            (1100.0, 120.0),
            (1150.0, 1500.0),
            (60.0, 1460.0),
        ];
        let h = Homography::square_to_quad(quad);
        for (uv, corner) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
            .iter()
            .zip(quad)
        {
            let p = h.apply(*uv);
            assert!(
                (p.0 - corner.0).abs() < 1e-3 && (p.1 - corner.1).abs() < 1e-3,
                "{p:?} {corner:?}"
            );
        }
        let back = h.inverse().apply(h.apply((0.3, 0.7)));
        assert!(
            (back.0 - 0.3).abs() < 1e-5 && (back.1 - 0.7).abs() < 1e-5,
            "{back:?}"
        );
    }
}
