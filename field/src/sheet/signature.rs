//! Signatures: a quick looping scrawl with a flourish under it, different for every signer.

use super::canvas::{Layer, Point};
use super::pen::{Pen, ink, smooth};
use super::rng::Rng;

/// Sign in the box whose baseline runs from `x` to `x + w`, the scrawl about `h` tall.
pub(crate) fn sign(
    layer: &mut Layer,
    rng: &mut Rng,
    pen: Pen,
    x: f32,
    baseline: f32,
    w: f32,
    h: f32,
) {
    let slant = rng.range(0.1, 0.5);
    let humps = 3 + rng.below(5) as usize;
    let step = w * rng.range(0.55, 0.85) / humps as f32;
    let lean = |p: Point| (p.0 + slant * (baseline - p.1), p.1);
    // A capital-like opening loop.
    let x0 = x + rng.range(0.0, 0.1) * w;
    let mut points: Vec<Point> = vec![
        (x0 + step * 0.6, baseline - h * rng.range(0.1, 0.3)),
        (x0, baseline - h * rng.range(0.75, 1.0)),
        (x0 + step * 0.2, baseline + h * rng.range(0.0, 0.2)),
        (x0 + step * 0.7, baseline - h * rng.range(0.4, 0.8)),
    ];
    let mut cx = x0 + step;
    for _ in 0..humps {
        let up = baseline - h * rng.range(0.25, 0.75);
        let down = baseline + h * rng.jitter(0.1);
        points.push((cx + step * rng.range(0.1, 0.4), up));
        if rng.unit() < 0.3 {
            // A loop back, as in an 'l' or an 'e'.
            points.push((
                cx - step * rng.range(0.1, 0.3),
                baseline - h * rng.range(0.5, 0.9),
            ));
        }
        points.push((cx + step * rng.range(0.5, 0.9), down));
        cx += step;
    }
    let path: Vec<Point> = smooth(&points, 8).into_iter().map(lean).collect();
    ink(layer, &path, pen, rng);
    // The flourish: a fast stroke back under the name.
    let under = baseline + h * rng.range(0.15, 0.35);
    let flourish = [
        (cx, baseline - h * rng.range(0.0, 0.3)),
        (cx + step * 0.3, under),
        (x0 + (cx - x0) * 0.5, under + h * rng.jitter(0.1)),
        (
            x0 + rng.range(-0.1, 0.2) * w,
            under + h * rng.range(0.0, 0.2),
        ),
    ];
    ink(layer, &smooth(&flourish, 10), pen, rng);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_stay_near_their_line_and_differ() {
        let draw = |seed| {
            let mut l = Layer::new(300, 120);
            let mut rng = Rng::new(seed);
            sign(
                &mut l,
                &mut rng,
                Pen {
                    radius: 1.2,
                    flow: 1.0,
                },
                40.0,
                70.0,
                200.0,
                40.0,
            );
            l
        };
        let a = draw(3);
        assert!(a.coverage.iter().filter(|&&c| c > 100).count() > 200);
        assert!((0..300).all(|x| a.at(x, 2) == 0), "nothing at the top edge");
        assert_ne!(a.coverage, draw(4).coverage);
    }
}
