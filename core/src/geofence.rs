//! Geodesic distances and geofence tests, honouring the accuracy radius of a location fix.
//!
//! Distances are on the WGS 84 ellipsoid (Karney's algorithm, through the `geo` crate).

use geo::{Closest, ClosestPoint, Contains, Distance, Geodesic, LineString, Point, Polygon};
use serde::{Deserialize, Serialize};

use crate::model::{Geofence, LatLon, StationLocation};

/// Where a fix lies relative to a geofence, given the fix's accuracy radius.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FencePosition {
    /// The whole accuracy circle is inside the fence.
    Inside,
    /// The fix is inside but the accuracy circle crosses the boundary, or the fix is outside by
    /// less than its accuracy radius.
    Uncertain,
    /// Even allowing for the accuracy radius, the fix is outside the fence.
    Outside,
}

/// The measured values of a geofence test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FenceMeasure {
    pub position: FencePosition,
    /// Geodesic distance from the fix to the station's point, metres.
    pub distance_to_station_m: f64,
    /// How far the fix is outside the fence (0 when inside), metres.
    pub distance_outside_m: f64,
    /// The fix's accuracy radius used, metres.
    pub accuracy_m: f64,
}

/// Whether a coordinate pair is a real place on Earth (finite, in range).
pub fn is_valid_coordinate(p: LatLon) -> bool {
    p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0
}

/// Geodesic distance in metres between two valid points.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    Geodesic.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// Test a fix against a station's geofence. `accuracy_m` is the 68 % radius the phone reported;
/// negative or non-finite accuracies count as 0. Both points must be valid coordinates.
pub fn measure(station: &StationLocation, fix: LatLon, accuracy_m: f64) -> FenceMeasure {
    let accuracy_m = if accuracy_m.is_finite() && accuracy_m > 0.0 {
        accuracy_m
    } else {
        0.0
    };
    let distance_to_station_m = distance_m(station.point, fix);
    let (inside_margin, outside_by) = match &station.geofence {
        Geofence::Radius { radius_m } => {
            let outside = (distance_to_station_m - radius_m).max(0.0);
            (radius_m - distance_to_station_m, outside)
        }
        Geofence::Polygon { vertices } => polygon_margin(vertices, fix),
    };
    let position = if outside_by > accuracy_m {
        FencePosition::Outside
    } else if outside_by == 0.0 && inside_margin >= accuracy_m {
        FencePosition::Inside
    } else {
        FencePosition::Uncertain
    };
    FenceMeasure {
        position,
        distance_to_station_m,
        distance_outside_m: outside_by,
        accuracy_m,
    }
}

/// For a polygon fence: (distance from the fix to the boundary when inside, distance outside).
fn polygon_margin(vertices: &[LatLon], fix: LatLon) -> (f64, f64) {
    if vertices.len() < 3 {
        return (0.0, f64::INFINITY);
    }
    let ring: LineString<f64> = vertices.iter().map(|v| (v.lon, v.lat)).collect();
    let polygon = Polygon::new(ring.clone(), vec![]);
    let p = Point::new(fix.lon, fix.lat);
    let to_boundary = match ring.closest_point(&p) {
        Closest::Intersection(q) | Closest::SinglePoint(q) => Geodesic.distance(p, q),
        Closest::Indeterminate => 0.0,
    };
    if polygon.contains(&p) {
        (to_boundary, 0.0)
    } else {
        (0.0, to_boundary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(radius_m: f64) -> StationLocation {
        StationLocation {
            point: LatLon {
                lat: 31.5204,
                lon: 74.3587,
            },
            geofence: Geofence::Radius { radius_m },
        }
    }

    #[test]
    fn one_degree_of_latitude_is_about_110_km() {
        let d = distance_m(
            LatLon {
                lat: 31.0,
                lon: 74.0,
            },
            LatLon {
                lat: 32.0,
                lon: 74.0,
            },
        );
        assert!((d - 110_900.0).abs() < 300.0, "{d}");
    }

    #[test]
    fn radius_fence_honours_accuracy() {
        let s = station(200.0);
        // ~111 m north
        let near = LatLon {
            lat: 31.5214,
            lon: 74.3587,
        };
        assert_eq!(measure(&s, near, 10.0).position, FencePosition::Inside);
        assert_eq!(measure(&s, near, 150.0).position, FencePosition::Uncertain);
        // ~5 km north
        let far = LatLon {
            lat: 31.5655,
            lon: 74.3587,
        };
        let m = measure(&s, far, 20.0);
        assert_eq!(m.position, FencePosition::Outside);
        assert!((m.distance_to_station_m - 5000.0).abs() < 30.0, "{m:?}");
        // outside, but by less than the accuracy radius
        let edge = LatLon {
            lat: 31.5224,
            lon: 74.3587,
        };
        assert_eq!(measure(&s, edge, 100.0).position, FencePosition::Uncertain);
    }

    #[test]
    fn polygon_fence() {
        let sq = |d: f64| {
            vec![
                LatLon {
                    lat: 31.52 - d,
                    lon: 74.35 - d,
                },
                LatLon {
                    lat: 31.52 - d,
                    lon: 74.35 + d,
                },
                LatLon {
                    lat: 31.52 + d,
                    lon: 74.35 + d,
                },
                LatLon {
                    lat: 31.52 + d,
                    lon: 74.35 - d,
                },
            ]
        };
        let s = StationLocation {
            point: LatLon {
                lat: 31.52,
                lon: 74.35,
            },
            geofence: Geofence::Polygon {
                vertices: sq(0.002),
            },
        };
        let inside = measure(
            &s,
            LatLon {
                lat: 31.52,
                lon: 74.35,
            },
            5.0,
        );
        assert_eq!(inside.position, FencePosition::Inside);
        let outside = measure(
            &s,
            LatLon {
                lat: 31.53,
                lon: 74.35,
            },
            5.0,
        );
        assert_eq!(outside.position, FencePosition::Outside);
        assert!(
            (outside.distance_outside_m - 887.0).abs() < 20.0,
            "{outside:?}"
        );
    }
}
