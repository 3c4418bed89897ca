//! The printed type: a stroke font written for this simulator — Latin capitals, digits and the
//! punctuation a result sheet uses — drawn as pen strokes on a grid 8 units wide and 12 units
//! tall (y down, baseline at 12). Lower case is printed as capitals, as forms are; anything else
//! prints as `?`.
//!
//! A stroke font rather than a font file: no binary blob and licence to carry, no new
//! dependency, and the same strokes can be scaled, slanted and turned along the stamp's ring.

use super::canvas::{Affine, Layer, Point};

type Strokes = &'static [&'static [(i8, i8)]];

/// Cap height of the grid, in units.
const CAP: f32 = 12.0;
/// Space between glyphs and the width of a space, in units.
const GAP: f32 = 3.5;
const SPACE: f32 = 6.0;

const O: &[(i8, i8)] = &[
    (2, 0),
    (6, 0),
    (8, 2),
    (8, 10),
    (6, 12),
    (2, 12),
    (0, 10),
    (0, 2),
    (2, 0),
];

fn strokes(c: char) -> Strokes {
    match c {
        'A' => &[&[(0, 12), (4, 0), (8, 12)], &[(1, 9), (7, 9)]],
        'B' => &[
            &[(0, 0), (0, 12), (6, 12), (8, 10), (8, 8), (6, 6), (0, 6)],
            &[(0, 0), (5, 0), (7, 2), (7, 4), (5, 6)],
        ],
        'C' => &[&[
            (8, 2),
            (6, 0),
            (2, 0),
            (0, 2),
            (0, 10),
            (2, 12),
            (6, 12),
            (8, 10),
        ]],
        'D' => &[&[(0, 0), (0, 12), (5, 12), (8, 9), (8, 3), (5, 0), (0, 0)]],
        'E' => &[&[(8, 0), (0, 0), (0, 12), (8, 12)], &[(0, 6), (6, 6)]],
        'F' => &[&[(8, 0), (0, 0), (0, 12)], &[(0, 6), (6, 6)]],
        'G' => &[&[
            (8, 2),
            (6, 0),
            (2, 0),
            (0, 2),
            (0, 10),
            (2, 12),
            (6, 12),
            (8, 10),
            (8, 7),
            (5, 7),
        ]],
        'H' => &[&[(0, 0), (0, 12)], &[(8, 0), (8, 12)], &[(0, 6), (8, 6)]],
        'I' => &[&[(2, 0), (2, 12)], &[(0, 0), (4, 0)], &[(0, 12), (4, 12)]],
        'J' => &[&[(8, 0), (8, 9), (6, 12), (2, 12), (0, 9)]],
        'K' => &[&[(0, 0), (0, 12)], &[(8, 0), (0, 7)], &[(3, 5), (8, 12)]],
        'L' => &[&[(0, 0), (0, 12), (8, 12)]],
        'M' => &[&[(0, 12), (0, 0), (4, 8), (8, 0), (8, 12)]],
        'N' => &[&[(0, 12), (0, 0), (8, 12), (8, 0)]],
        'O' | '0' => &[O],
        'P' => &[&[(0, 12), (0, 0), (6, 0), (8, 2), (8, 4), (6, 6), (0, 6)]],
        'Q' => &[O, &[(5, 9), (8, 13)]],
        'R' => &[
            &[(0, 12), (0, 0), (6, 0), (8, 2), (8, 4), (6, 6), (0, 6)],
            &[(4, 6), (8, 12)],
        ],
        'S' => &[&[
            (8, 2),
            (6, 0),
            (2, 0),
            (0, 2),
            (0, 4),
            (2, 6),
            (6, 6),
            (8, 8),
            (8, 10),
            (6, 12),
            (2, 12),
            (0, 10),
        ]],
        'T' => &[&[(0, 0), (8, 0)], &[(4, 0), (4, 12)]],
        'U' => &[&[(0, 0), (0, 10), (2, 12), (6, 12), (8, 10), (8, 0)]],
        'V' => &[&[(0, 0), (4, 12), (8, 0)]],
        'W' => &[&[(0, 0), (2, 12), (4, 4), (6, 12), (8, 0)]],
        'X' => &[&[(0, 0), (8, 12)], &[(8, 0), (0, 12)]],
        'Y' => &[&[(0, 0), (4, 6), (8, 0)], &[(4, 6), (4, 12)]],
        'Z' => &[&[(0, 0), (8, 0), (0, 12), (8, 12)]],
        '1' => &[&[(1, 2), (4, 0), (4, 12)], &[(1, 12), (7, 12)]],
        '2' => &[&[(0, 2), (2, 0), (6, 0), (8, 2), (8, 4), (0, 12), (8, 12)]],
        '3' => &[
            &[(0, 1), (2, 0), (6, 0), (8, 2), (8, 4), (6, 6), (3, 6)],
            &[(6, 6), (8, 8), (8, 10), (6, 12), (2, 12), (0, 11)],
        ],
        '4' => &[&[(6, 12), (6, 0), (0, 8), (8, 8)]],
        '5' => &[&[
            (8, 0),
            (0, 0),
            (0, 5),
            (5, 5),
            (8, 7),
            (8, 10),
            (6, 12),
            (2, 12),
            (0, 10),
        ]],
        '6' => &[&[
            (7, 0),
            (3, 0),
            (0, 4),
            (0, 10),
            (2, 12),
            (6, 12),
            (8, 10),
            (8, 8),
            (6, 6),
            (2, 6),
            (0, 8),
        ]],
        '7' => &[&[(0, 0), (8, 0), (3, 12)]],
        '8' => &[&[
            (2, 6),
            (0, 4),
            (0, 2),
            (2, 0),
            (6, 0),
            (8, 2),
            (8, 4),
            (6, 6),
            (2, 6),
            (0, 8),
            (0, 10),
            (2, 12),
            (6, 12),
            (8, 10),
            (8, 8),
            (6, 6),
        ]],
        '9' => &[&[
            (1, 12),
            (5, 12),
            (8, 8),
            (8, 2),
            (6, 0),
            (2, 0),
            (0, 2),
            (0, 4),
            (2, 6),
            (6, 6),
            (8, 4),
        ]],
        '-' => &[&[(1, 7), (6, 7)]],
        '.' => &[&[(1, 11), (1, 12)]],
        ',' => &[&[(1, 11), (1, 12), (0, 14)]],
        ':' => &[&[(1, 3), (1, 4)], &[(1, 10), (1, 11)]],
        ';' => &[&[(1, 3), (1, 4)], &[(1, 11), (1, 12), (0, 14)]],
        '/' => &[&[(0, 13), (6, -1)]],
        '(' => &[&[(3, -1), (1, 2), (1, 10), (3, 13)]],
        ')' => &[&[(0, -1), (2, 2), (2, 10), (0, 13)]],
        '\'' => &[&[(1, 0), (1, 3)]],
        '"' => &[&[(0, 0), (0, 3)], &[(3, 0), (3, 3)]],
        '+' => &[&[(4, 3), (4, 11)], &[(0, 7), (8, 7)]],
        '=' => &[&[(0, 5), (8, 5)], &[(0, 9), (8, 9)]],
        '#' => &[
            &[(3, 1), (2, 12)],
            &[(7, 1), (6, 12)],
            &[(0, 4), (8, 4)],
            &[(0, 9), (8, 9)],
        ],
        '&' => &[&[
            (8, 12),
            (1, 3),
            (1, 1),
            (2, 0),
            (4, 0),
            (5, 1),
            (5, 3),
            (0, 8),
            (0, 10),
            (2, 12),
            (4, 12),
            (8, 7),
        ]],
        '%' => &[
            &[(0, 12), (8, 0)],
            &[(1, 1), (2, 1), (2, 3), (1, 3), (1, 1)],
            &[(6, 9), (7, 9), (7, 11), (6, 11), (6, 9)],
        ],
        '_' => &[&[(0, 13), (8, 13)]],
        _ => &[
            &[(0, 2), (2, 0), (6, 0), (8, 2), (8, 4), (4, 7), (4, 9)],
            &[(4, 11), (4, 12)],
        ],
    }
}

/// How a run of text is set: cap height in sheet pixels and stroke radius in sheet pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Type {
    pub(crate) cap: f32,
    pub(crate) weight: f32,
}

impl Type {
    pub(crate) const fn new(cap: f32, weight: f32) -> Type {
        Type { cap, weight }
    }
}

fn printable(c: char) -> char {
    c.to_ascii_uppercase()
}

/// Width of one character, in grid units, including the gap after it.
fn advance(c: char) -> f32 {
    if c == ' ' {
        return SPACE;
    }
    let right = strokes(printable(c))
        .iter()
        .flat_map(|s| s.iter())
        .map(|p| p.0)
        .max()
        .unwrap_or(0);
    f32::from(right) + GAP
}

/// Width of `text` set in `ty`, in sheet pixels.
pub(crate) fn width(text: &str, ty: Type) -> f32 {
    let units: f32 = text.chars().map(advance).sum();
    (units - GAP).max(0.0) * ty.cap / CAP
}

/// Draw one character with its baseline-left corner at the transform's origin (glyph units).
pub(crate) fn glyph(layer: &mut Layer, c: char, place: &Affine, radius: f32) {
    if c == ' ' {
        return;
    }
    for stroke in strokes(printable(c)) {
        let points: Vec<Point> = stroke
            .iter()
            .map(|&(x, y)| place.apply((f32::from(x), f32::from(y) - CAP)))
            .collect();
        layer.polyline(&points, radius, 1.0);
    }
}

/// Set `text` with its baseline starting at `(x, baseline)`; returns the x where it ends.
pub(crate) fn text(layer: &mut Layer, text: &str, x: f32, baseline: f32, ty: Type) -> f32 {
    let s = ty.cap / CAP;
    let mut pen = x;
    for c in text.chars() {
        glyph(
            layer,
            c,
            &Affine::place((pen, baseline), s, 0.0, 0.0),
            ty.weight,
        );
        pen += advance(c) * s;
    }
    pen
}

/// Set `text` centred on `cx`.
pub(crate) fn centred(layer: &mut Layer, s: &str, cx: f32, baseline: f32, ty: Type) {
    text(layer, s, cx - width(s, ty) / 2.0, baseline, ty);
}

/// Set `text` ending at `right`.
pub(crate) fn right_aligned(layer: &mut Layer, s: &str, right: f32, baseline: f32, ty: Type) {
    text(layer, s, right - width(s, ty), baseline, ty);
}

/// Set `s` centred on `centre` (the middle of its cap height), turned by `angle` radians.
pub(crate) fn turned(layer: &mut Layer, s: &str, centre: Point, ty: Type, angle: f32) {
    let scale = ty.cap / CAP;
    let (sin, cos) = angle.sin_cos();
    let half = width(s, ty) / 2.0;
    let (bx, by) = (-half, ty.cap / 2.0);
    let mut origin = (
        centre.0 + bx * cos - by * sin,
        centre.1 + bx * sin + by * cos,
    );
    for c in s.chars() {
        glyph(
            layer,
            c,
            &Affine::place(origin, scale, 0.0, angle),
            ty.weight,
        );
        let step = advance(c) * scale;
        origin = (origin.0 + step * cos, origin.1 + step * sin);
    }
}

/// Set `s` along a circle of `radius` around `centre`, centred on the angle `at` (radians, 0 =
/// up, clockwise), its baseline on the circle. `top`: read clockwise, letters standing outward
/// (the upper arc of a stamp); otherwise read anticlockwise, letters pointing to the centre.
pub(crate) fn ring(
    layer: &mut Layer,
    s: &str,
    centre: Point,
    radius: f32,
    at: f32,
    ty: Type,
    top: bool,
) {
    let scale = ty.cap / CAP;
    let dir = if top { 1.0 } else { -1.0 };
    let mut angle = at - dir * width(s, ty) / radius / 2.0;
    for c in s.chars() {
        let (sin, cos) = angle.sin_cos();
        let base = (centre.0 + radius * sin, centre.1 - radius * cos);
        let rotation = if top {
            angle
        } else {
            angle - std::f32::consts::PI
        };
        glyph(
            layer,
            c,
            &Affine::place(base, scale, 0.0, rotation),
            ty.weight,
        );
        angle += dir * advance(c) * scale / radius;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wider_text_measures_wider_and_inks_the_sheet() {
        let ty = Type::new(12.0, 1.0);
        assert!(width("FORM-45", ty) > width("FORM", ty));
        assert_eq!(width("form", ty), width("FORM", ty));
        let mut l = Layer::new(200, 40);
        let end = text(&mut l, "NA-128", 10.0, 30.0, ty);
        assert!(end > 60.0 && end < 120.0, "{end}");
        let inked = l.coverage.iter().filter(|&&c| c > 128).count();
        assert!(inked > 50, "{inked}");
        assert!(
            (0..200).all(|x| l.at(x, 35) == 0),
            "nothing far under the baseline"
        );
    }
}
