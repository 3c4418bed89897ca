//! Figures written by hand: each digit a few strokes through points of its shape (in a unit box,
//! y down, baseline at 1), jittered, slanted, sized and spaced the way one person writes, and
//! drawn with a ballpoint. Not a font: the same digit never comes out the same twice.

use super::canvas::{Layer, Point};
use super::pen::{Pen, ink, smooth};
use super::rng::{Rng, lattice};

type Shape = &'static [&'static [(f32, f32)]];

fn shape(digit: char) -> Shape {
    match digit {
        '0' => &[&[
            (0.55, 0.02),
            (0.15, 0.2),
            (0.05, 0.62),
            (0.35, 1.0),
            (0.8, 0.85),
            (0.95, 0.4),
            (0.7, 0.02),
            (0.42, 0.1),
        ]],
        '1' => &[&[(0.2, 0.25), (0.55, 0.0)], &[(0.55, 0.0), (0.5, 1.0)]],
        '2' => &[
            &[
                (0.08, 0.25),
                (0.4, 0.0),
                (0.82, 0.12),
                (0.8, 0.42),
                (0.4, 0.75),
                (0.05, 1.0),
            ],
            &[(0.05, 1.0), (0.5, 0.96), (0.95, 0.98)],
        ],
        '3' => &[
            &[(0.1, 0.12), (0.5, 0.0), (0.85, 0.2), (0.45, 0.47)],
            &[(0.45, 0.47), (0.9, 0.7), (0.6, 1.0), (0.08, 0.88)],
        ],
        '4' => &[
            &[(0.6, 0.0), (0.05, 0.68)],
            &[(0.05, 0.68), (0.95, 0.66)],
            &[(0.74, 0.3), (0.7, 1.0)],
        ],
        '5' => &[
            &[(0.25, 0.02), (0.15, 0.45)],
            &[
                (0.15, 0.45),
                (0.6, 0.36),
                (0.9, 0.65),
                (0.7, 0.97),
                (0.1, 0.9),
            ],
            &[(0.25, 0.02), (0.9, 0.0)],
        ],
        '6' => &[&[
            (0.75, 0.0),
            (0.3, 0.3),
            (0.1, 0.75),
            (0.4, 1.0),
            (0.85, 0.8),
            (0.7, 0.5),
            (0.22, 0.62),
        ]],
        '7' => &[&[(0.05, 0.04), (0.95, 0.02)], &[(0.95, 0.02), (0.4, 1.0)]],
        '8' => &[&[
            (0.8, 0.15),
            (0.5, 0.0),
            (0.15, 0.15),
            (0.3, 0.4),
            (0.75, 0.6),
            (0.85, 0.85),
            (0.5, 1.0),
            (0.15, 0.85),
            (0.3, 0.6),
            (0.7, 0.35),
            (0.8, 0.12),
        ]],
        '9' => &[
            &[
                (0.86, 0.2),
                (0.5, 0.0),
                (0.12, 0.18),
                (0.25, 0.45),
                (0.65, 0.42),
                (0.86, 0.2),
            ],
            &[(0.86, 0.2), (0.82, 0.6), (0.68, 1.0)],
        ],
        _ => &[&[(0.1, 0.5), (0.9, 0.5)]],
    }
}

/// One person's way of writing figures.
#[derive(Debug, Clone)]
pub(crate) struct Hand {
    slant: f32,
    /// Digit width as a share of its height.
    narrow: f32,
    /// How far points stray from the model shape, as a share of the height.
    wobble: f32,
    spacing: f32,
    pen: Pen,
    rng: Rng,
}

impl Hand {
    pub(crate) fn new(rng: &mut Rng, pen: Pen) -> Hand {
        Hand {
            slant: rng.range(0.05, 0.32),
            narrow: rng.range(0.5, 0.68),
            wobble: rng.range(0.035, 0.07),
            spacing: rng.range(0.12, 0.3),
            pen,
            rng: rng.fork(0x4a4d),
        }
    }

    pub(crate) fn pen(&self) -> Pen {
        self.pen
    }

    /// About how wide `figures` come out at digit height `h`.
    pub(crate) fn width(&self, figures: &str, h: f32) -> f32 {
        figures.chars().count() as f32 * h * (self.narrow + self.spacing)
    }

    /// Write `figures` with their baseline starting at `(x, baseline)`, digits `h` tall.
    pub(crate) fn write(
        &mut self,
        layer: &mut Layer,
        figures: &str,
        x: f32,
        baseline: f32,
        h: f32,
    ) {
        let drift = self.rng.jitter(0.06) * h;
        let mut pen_x = x;
        let n = figures.chars().count().max(1) as f32;
        for (i, c) in figures.chars().enumerate() {
            let size = h * self.rng.range(0.9, 1.08);
            let base = baseline + drift * i as f32 / n + self.rng.jitter(0.05) * h;
            let slant = self.slant + self.rng.jitter(0.08);
            let seed = self.rng.next_u64();
            let width = size * self.narrow;
            for stroke in shape(c) {
                let points: Vec<Point> = stroke
                    .iter()
                    .map(|&(u, v)| {
                        // The same model point strays the same way within one digit, so strokes
                        // that meet in the model still meet on paper.
                        let key = ((u * 1000.0) as i32, (v * 1000.0) as i32);
                        let ju = (lattice(key.0, key.1, seed) - 0.5) * 2.0 * self.wobble;
                        let jv = (lattice(key.1, key.0, seed ^ 1) - 0.5) * 2.0 * self.wobble;
                        let (u, v) = (u + ju / self.narrow, v + jv);
                        (
                            pen_x + u * width + slant * (1.0 - v) * size,
                            base - (1.0 - v) * size,
                        )
                    })
                    .collect();
                let path = smooth(&points, 7);
                ink(layer, &path, self.pen, &mut self.rng);
            }
            pen_x += width + size * self.spacing * self.rng.range(0.8, 1.2);
        }
    }

    /// Write `figures` so that they end near `right`.
    pub(crate) fn write_right(
        &mut self,
        layer: &mut Layer,
        figures: &str,
        right: f32,
        baseline: f32,
        h: f32,
    ) {
        let x = right - self.width(figures, h) - self.rng.range(0.0, 0.6) * h;
        self.write(layer, figures, x, baseline, h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(seed: u64) -> Layer {
        let mut rng = Rng::new(seed);
        let mut hand = Hand::new(
            &mut rng,
            Pen {
                radius: 1.3,
                flow: 1.0,
            },
        );
        let mut l = Layer::new(200, 60);
        hand.write(&mut l, "1234567890", 10.0, 45.0, 24.0);
        l
    }

    #[test]
    fn every_digit_leaves_ink_and_two_hands_differ() {
        let a = written(1);
        let inked = a.coverage.iter().filter(|&&c| c > 100).count();
        assert!(inked > 400, "{inked}");
        assert_ne!(a.coverage, written(2).coverage);
        assert_eq!(a.coverage, written(1).coverage);
    }
}
