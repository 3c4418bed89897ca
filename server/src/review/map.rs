//! The geofence and the capture position as an SVG drawn from the data alone (no map tiles):
//! the station's fence (circle or polygon), the station's point, the fix and its accuracy circle,
//! a scale bar. A local flat projection around the station (metres east and north) is exact
//! enough at the size of a geofence. Only numbers and fixed words go into the document.

use std::fmt::Write;

use tallyseal_core::model::{Geofence, LatLon, StationLocation};

/// The capture's position as the manifest has it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub point: LatLon,
    pub accuracy_m: f64,
    pub mock: bool,
}

const SIZE: f64 = 480.0;
const MARGIN: f64 = 24.0;
const METRES_PER_DEGREE_LAT: f64 = 110_574.0;
const METRES_PER_DEGREE_LON_EQUATOR: f64 = 111_320.0;

fn valid(p: LatLon) -> bool {
    p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0
}

/// Metres east and north of `origin`.
fn local(origin: LatLon, p: LatLon) -> (f64, f64) {
    let east = (p.lon - origin.lon) * origin.lat.to_radians().cos() * METRES_PER_DEGREE_LON_EQUATOR;
    let north = (p.lat - origin.lat) * METRES_PER_DEGREE_LAT;
    (east, north)
}

/// A round length for the scale bar, about a quarter of `span` metres.
fn scale_length(span: f64) -> f64 {
    let target = span / 4.0;
    let mut step = 1.0;
    while step * 10.0 <= target {
        step *= 10.0;
    }
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * step)
        .find(|l| *l <= target)
        .unwrap_or(step)
}

/// Draw the station's fence and `position` (`None`: the manifest had no usable fix).
pub fn fence_svg(station: u32, location: &StationLocation, position: Option<Position>) -> String {
    let origin = location.point;
    let position = position.filter(|p| valid(p.point) && valid(origin));
    // The extent to show: the fence, and the fix with its accuracy circle.
    let mut xs = vec![0.0];
    let mut ys = vec![0.0];
    match &location.geofence {
        Geofence::Radius { radius_m } => {
            let r = if radius_m.is_finite() {
                radius_m.abs()
            } else {
                0.0
            };
            xs.extend([-r, r]);
            ys.extend([-r, r]);
        }
        Geofence::Polygon { vertices } => {
            for v in vertices.iter().filter(|v| valid(**v)) {
                let (x, y) = local(origin, *v);
                xs.push(x);
                ys.push(y);
            }
        }
    }
    let fix = position.map(|p| {
        let (x, y) = local(origin, p.point);
        let acc = if p.accuracy_m.is_finite() {
            p.accuracy_m.max(0.0)
        } else {
            0.0
        };
        xs.extend([x - acc, x + acc]);
        ys.extend([y - acc, y + acc]);
        (x, y, acc, p)
    });
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (min_x, max_x, min_y, max_y) = (min(&xs), max(&xs), min(&ys), max(&ys));
    let span = (max_x - min_x).max(max_y - min_y).max(50.0) * 1.1;
    let scale = (SIZE - 2.0 * MARGIN) / span;
    let centre = ((min_x + max_x) / 2.0, (min_y + max_y) / 2.0);
    let px = |x: f64| SIZE / 2.0 + (x - centre.0) * scale;
    let py = |y: f64| SIZE / 2.0 - (y - centre.1) * scale;

    let mut svg = String::with_capacity(2048);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {SIZE} {SIZE}\" width=\"{SIZE}\" \
         height=\"{SIZE}\" role=\"img\" aria-labelledby=\"map-title\">\
         <title id=\"map-title\">Geofence of polling station {station} and the capture position</title>\
         <rect width=\"{SIZE}\" height=\"{SIZE}\" fill=\"#f8f8f4\"/>"
    );
    match &location.geofence {
        Geofence::Radius { radius_m } => {
            let r = if radius_m.is_finite() {
                radius_m.abs()
            } else {
                0.0
            };
            let _ = write!(
                svg,
                "<circle id=\"geofence\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{:.1}\" fill=\"#2e7d32\" \
                 fill-opacity=\"0.12\" stroke=\"#2e7d32\" stroke-width=\"2\" data-radius-m=\"{r:.1}\"/>",
                px(0.0),
                py(0.0),
                (r * scale).max(1.0)
            );
        }
        Geofence::Polygon { vertices } => {
            let points: Vec<String> = vertices
                .iter()
                .filter(|v| valid(**v))
                .map(|v| {
                    let (x, y) = local(origin, *v);
                    format!("{:.1},{:.1}", px(x), py(y))
                })
                .collect();
            let _ = write!(
                svg,
                "<polygon id=\"geofence\" points=\"{}\" fill=\"#2e7d32\" fill-opacity=\"0.12\" \
                 stroke=\"#2e7d32\" stroke-width=\"2\"/>",
                points.join(" ")
            );
        }
    }
    let _ = write!(
        svg,
        "<circle id=\"station\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"#1b5e20\" \
         data-lat=\"{:.7}\" data-lon=\"{:.7}\"/>",
        px(0.0),
        py(0.0),
        origin.lat,
        origin.lon
    );
    match fix {
        Some((x, y, acc, p)) => {
            let colour = if p.mock { "#b71c1c" } else { "#0d47a1" };
            let distance = (x * x + y * y).sqrt();
            let _ = write!(
                svg,
                "<circle id=\"accuracy\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{:.1}\" fill=\"{colour}\" \
                 fill-opacity=\"0.15\" stroke=\"{colour}\" stroke-dasharray=\"4 3\" \
                 data-accuracy-m=\"{acc:.1}\"/>\
                 <circle id=\"position\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{colour}\" \
                 data-lat=\"{:.7}\" data-lon=\"{:.7}\"/>\
                 <text id=\"distance\" x=\"{MARGIN}\" y=\"{:.1}\" font-size=\"14\" \
                 font-family=\"sans-serif\">Capture {distance:.0} m from the station, accuracy \
                 {acc:.0} m{}</text>",
                px(x),
                py(y),
                (acc * scale).max(1.0),
                px(x),
                py(y),
                p.point.lat,
                p.point.lon,
                MARGIN,
                if p.mock { ", mock location" } else { "" }
            );
        }
        None => {
            let _ = write!(
                svg,
                "<text id=\"no-position\" x=\"{MARGIN}\" y=\"{MARGIN}\" font-size=\"14\" \
                 font-family=\"sans-serif\">No position recorded with this capture</text>"
            );
        }
    }
    let bar = scale_length(span);
    let y = SIZE - MARGIN;
    let _ = write!(
        svg,
        "<line id=\"scale\" x1=\"{MARGIN}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\" stroke=\"#222\" \
         stroke-width=\"3\"/><text x=\"{MARGIN}\" y=\"{:.1}\" font-size=\"12\" \
         font-family=\"sans-serif\">{bar} m</text></svg>",
        MARGIN + bar * scale,
        y - 6.0
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station() -> StationLocation {
        StationLocation {
            point: LatLon {
                lat: 33.6844,
                lon: 73.0479,
            },
            geofence: Geofence::Radius { radius_m: 150.0 },
        }
    }

    #[test]
    fn draws_fence_station_and_position() {
        let svg = fence_svg(
            7,
            &station(),
            Some(Position {
                point: LatLon {
                    lat: 33.6850,
                    lon: 73.0479,
                },
                accuracy_m: 12.0,
                mock: false,
            }),
        );
        for id in [
            "geofence", "station", "accuracy", "position", "scale", "distance",
        ] {
            assert!(svg.contains(&format!("id=\"{id}\"")), "{id} missing");
        }
        assert!(svg.contains("data-lat=\"33.6850000\""));
        // 0.0006° of latitude is about 66 m.
        assert!(svg.contains("Capture 66 m from the station"), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn no_position_and_bad_numbers_still_draw() {
        let svg = fence_svg(1, &station(), None);
        assert!(svg.contains("id=\"no-position\"") && !svg.contains("id=\"position\""));
        let svg = fence_svg(
            1,
            &station(),
            Some(Position {
                point: LatLon {
                    lat: f64::NAN,
                    lon: 0.0,
                },
                accuracy_m: f64::INFINITY,
                mock: true,
            }),
        );
        assert!(svg.contains("id=\"no-position\"") && !svg.contains("NaN"));
        assert_eq!(scale_length(440.0), 100.0);
        assert_eq!(scale_length(55.0), 10.0);
    }
}
