//! The Presiding Officer's round rubber stamp: two rings, the office on the upper arc, the
//! polling station on the lower one, the constituency across the middle, pressed at a slant
//! and inked unevenly.

use super::canvas::{Layer, Point};
use super::font::{self, Type};
use super::rng::{Rng, value_noise};

/// What the stamp says.
#[derive(Debug, Clone)]
pub(crate) struct StampText<'a> {
    pub(crate) upper: &'a str,
    pub(crate) middle: &'a str,
    pub(crate) lower: &'a str,
}

/// Press the stamp at `centre`, `radius` pixels across its outer ring.
pub(crate) fn press(
    layer: &mut Layer,
    rng: &mut Rng,
    centre: Point,
    radius: f32,
    text: &StampText,
) {
    let turn = rng.jitter(0.5);
    let ring = |layer: &mut Layer, r: f32, weight: f32| {
        let points: Vec<Point> = (0..=96)
            .map(|i| {
                let a = i as f32 / 96.0 * std::f32::consts::TAU;
                (centre.0 + r * a.sin(), centre.1 - r * a.cos())
            })
            .collect();
        layer.polyline(&points, weight, 1.0);
    };
    ring(layer, radius, radius * 0.028);
    ring(layer, radius * 0.94, radius * 0.012);
    let inner = radius * 0.66;
    ring(layer, inner, radius * 0.016);
    let band = radius * 0.94 - inner;
    let ty = Type::new(band * 0.5, band * 0.045);
    let fit = |s: &str, ty: Type| {
        // Shrink a long name until it fits on its arc (about 150 degrees of the ring).
        let room = (inner + band * 0.2) * 2.6;
        let w = font::width(s, ty);
        if w > room {
            Type::new(ty.cap * room / w, ty.weight)
        } else {
            ty
        }
    };
    font::ring(
        layer,
        text.upper,
        centre,
        inner + band * 0.22,
        turn,
        fit(text.upper, ty),
        true,
    );
    let lower = fit(text.lower, ty);
    font::ring(
        layer,
        text.lower,
        centre,
        inner + band * 0.22 + lower.cap,
        turn + std::f32::consts::PI,
        lower,
        false,
    );
    // The middle line, turned with the stamp.
    let mid = Type::new(inner * 0.32, inner * 0.03);
    let mid = {
        let w = font::width(text.middle, mid);
        if w > inner * 1.6 {
            Type::new(mid.cap * inner * 1.6 / w, mid.weight)
        } else {
            mid
        }
    };
    font::turned(layer, text.middle, centre, mid, turn);
    // Rubber on paper: uneven ink, paler towards one side.
    let seed = rng.next_u64();
    let side = rng.range(0.0, std::f32::consts::TAU);
    let (x0, y0) = (
        (centre.0 - radius - 4.0).max(0.0) as usize,
        (centre.1 - radius - 4.0).max(0.0) as usize,
    );
    let x1 = ((centre.0 + radius + 4.0) as usize).min(layer.width);
    let y1 = ((centre.1 + radius + 4.0) as usize).min(layer.height);
    for y in y0..y1 {
        for x in x0..x1 {
            let (fx, fy) = (x as f32, y as f32);
            let tilt = ((fx - centre.0) * side.cos() + (fy - centre.1) * side.sin()) / radius;
            let blotch = value_noise(fx, fy, radius * 0.18, seed) * 0.6
                + value_noise(fx, fy, 3.0, seed ^ 7) * 0.4;
            let keep = (0.35 + 0.9 * blotch - 0.25 * tilt).clamp(0.0, 1.0);
            let i = y * layer.width + x;
            layer.coverage[i] = (f32::from(layer.coverage[i]) * keep) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_is_round_and_stays_in_its_circle() {
        let mut l = Layer::new(300, 300);
        let text = StampText {
            upper: "PRESIDING OFFICER",
            middle: "NA-128",
            lower: "POLLING STATION 57",
        };
        press(&mut l, &mut Rng::new(5), (150.0, 150.0), 100.0, &text);
        let inked = l.coverage.iter().filter(|&&c| c > 60).count();
        assert!(inked > 1500, "{inked}");
        assert!(
            (0..300).all(|i| l.at(i, 20) == 0 && l.at(20, i) == 0),
            "nothing outside the ring"
        );
    }
}
