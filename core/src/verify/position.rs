//! Where the capture was taken: the location fix against the station's geofence, mock locations,
//! and the EXIF GPS position against the fix.
//! Like every check, it must never do I/O, read the clock or panic on what a capture holds.

use serde_json::json;

use super::context::VerificationContext;
use super::format::round1;
use super::report::{CheckId, Checks};
use crate::exif::{ExifSummary, codes};
use crate::geofence::{FencePosition, is_valid_coordinate, measure};
use crate::manifest::{CaptureManifest, from_e7};
use crate::model::{LatLon, PollingStation};

pub(super) fn check_location(
    m: &CaptureManifest,
    station: Option<&PollingStation>,
    ctx: &VerificationContext,
    exif_from_image: Option<&ExifSummary>,
    c: &mut Checks,
) {
    let Some(fix) = &m.fix else {
        c.fail(
            CheckId::Geofence,
            "no location fix was recorded with the capture",
            json!({}),
        );
        c.warn(CheckId::MockLocation, "no location fix to check", json!({}));
        check_exif_gps(m, None, ctx, exif_from_image, c);
        return;
    };
    let p = LatLon {
        lat: from_e7(fix.lat_e7),
        lon: from_e7(fix.lon_e7),
    };
    let accuracy_m = fix.accuracy_mm as f64 / 1000.0;
    let base =
        json!({"lat": p.lat, "lon": p.lon, "accuracy_m": accuracy_m, "provider": fix.provider});
    if !is_valid_coordinate(p) {
        c.fail(
            CheckId::Geofence,
            format!("the fix ({}, {}) is not a place on Earth (latitude must be within ±90°, longitude ±180°)", p.lat, p.lon),
            base,
        );
    } else if fix.lat_e7 == 0 && fix.lon_e7 == 0 {
        c.fail(
            CheckId::Geofence,
            "the fix is exactly 0°, 0° (\"null island\"): a placeholder, not a position",
            base,
        );
    } else if fix.accuracy_mm < 0 {
        c.fail(
            CheckId::Geofence,
            "the fix reports a negative accuracy",
            base,
        );
    } else {
        match station.and_then(|s| s.location.as_ref()) {
            None => c.warn(
                CheckId::Geofence,
                "the station's location is not known to the verifier: geofence not checked",
                base,
            ),
            Some(loc) => {
                let r = measure(loc, p, accuracy_m);
                let measured = json!({
                    "lat": p.lat, "lon": p.lon, "accuracy_m": accuracy_m,
                    "distance_to_station_m": round1(r.distance_to_station_m),
                    "distance_outside_fence_m": round1(r.distance_outside_m),
                    "position": r.position,
                });
                match r.position {
                    FencePosition::Inside if accuracy_m <= ctx.policy.max_fix_accuracy_m => c.pass(
                        CheckId::Geofence,
                        format!(
                            "taken {:.0} m from the station, inside its geofence (accuracy {:.0} m)",
                            r.distance_to_station_m, accuracy_m
                        ),
                        measured,
                    ),
                    FencePosition::Inside | FencePosition::Uncertain => c.warn(
                        CheckId::Geofence,
                        format!(
                            "taken {:.0} m from the station; with an accuracy of {:.0} m the fix may be outside the geofence",
                            r.distance_to_station_m, accuracy_m
                        ),
                        measured,
                    ),
                    FencePosition::Outside => c.fail(
                        CheckId::Geofence,
                        format!(
                            "taken {:.0} m from the station, {:.0} m outside its geofence (accuracy {:.0} m)",
                            r.distance_to_station_m, r.distance_outside_m, accuracy_m
                        ),
                        measured,
                    ),
                }
            }
        }
    }
    if fix.mock {
        c.fail(
            CheckId::MockLocation,
            "the phone reported the fix as coming from a mock location provider",
            json!({"mock": true, "provider": fix.provider}),
        );
    } else {
        c.pass(
            CheckId::MockLocation,
            format!("not a mock location (provider {})", fix.provider),
            json!({"mock": false, "provider": fix.provider}),
        );
    }
    check_exif_gps(m, Some(p), ctx, exif_from_image, c);
}

pub(super) fn exif_gps(m: &CaptureManifest, from_image: Option<&ExifSummary>) -> Option<LatLon> {
    match from_image {
        Some(s) => s.gps.map(|g| LatLon {
            lat: g.lat,
            lon: g.lon,
        }),
        None => match (m.exif.gps_lat_e7, m.exif.gps_lon_e7) {
            (Some(a), Some(b)) => Some(LatLon {
                lat: from_e7(a),
                lon: from_e7(b),
            }),
            _ => None,
        },
    }
}

/// Findings that mean the GPS block holds a position no valid EXIF writer produces (an empty GPS
/// IFD, which phones write when they have no fix, is not one of them).
const INVALID_GPS_CODES: &[&str] = &[
    codes::GPS_REF_INVALID,
    codes::GPS_RATIONAL_INVALID,
    codes::GPS_DMS_OUT_OF_RANGE,
    codes::GPS_LATITUDE_OUT_OF_RANGE,
    codes::GPS_LONGITUDE_OUT_OF_RANGE,
];

/// The invalid-GPS findings, with the extractor's detail (which carries the values read) when the
/// verifier read the image itself; from the manifest only the codes are known.
fn invalid_gps_findings<'a>(
    m: &'a CaptureManifest,
    from_image: Option<&'a ExifSummary>,
) -> Vec<(&'a str, Option<&'a str>)> {
    match from_image {
        Some(s) => s
            .findings
            .iter()
            .filter(|f| INVALID_GPS_CODES.contains(&f.code.as_str()))
            .map(|f| (f.code.as_str(), Some(f.detail.as_str())))
            .collect(),
        None => m
            .exif
            .findings
            .iter()
            .filter(|f| INVALID_GPS_CODES.contains(&f.as_str()))
            .map(|f| (f.as_str(), None))
            .collect(),
    }
}

pub(super) fn check_exif_gps(
    m: &CaptureManifest,
    fix: Option<LatLon>,
    ctx: &VerificationContext,
    from_image: Option<&ExifSummary>,
    c: &mut Checks,
) {
    let Some(e) = exif_gps(m, from_image) else {
        let invalid = invalid_gps_findings(m, from_image);
        if invalid.is_empty() {
            c.pass(
                CheckId::ExifGps,
                "the image carries no EXIF GPS position to compare",
                json!({}),
            );
        } else {
            // A GPS block whose position cannot be placed was still written by some program:
            // evidence about the image, not the absence of a position.
            let codes: Vec<&str> = invalid.iter().map(|(code, _)| *code).collect();
            let mut measured = json!({"exif_gps_findings": codes});
            let details: Vec<&str> = invalid.iter().filter_map(|(_, d)| *d).collect();
            if !details.is_empty() {
                measured["exif_gps_details"] = json!(details);
            }
            let named: Vec<String> = invalid
                .iter()
                .map(|(code, detail)| match detail {
                    Some(d) => format!("{code}: {d}"),
                    None => (*code).to_owned(),
                })
                .collect();
            c.warn(
                CheckId::ExifGps,
                format!(
                    "the image's EXIF GPS block holds a position that cannot be placed ({})",
                    named.join("; ")
                ),
                measured,
            );
        }
        return;
    };
    let measured = json!({"exif_lat": e.lat, "exif_lon": e.lon});
    if !is_valid_coordinate(e) || (e.lat == 0.0 && e.lon == 0.0) {
        c.warn(
            CheckId::ExifGps,
            format!(
                "the EXIF GPS position ({}, {}) is not a valid place",
                e.lat, e.lon
            ),
            measured,
        );
        return;
    }
    let Some(f) = fix.filter(|f| is_valid_coordinate(*f)) else {
        c.warn(
            CheckId::ExifGps,
            "EXIF has a GPS position but there is no valid fix to compare it with",
            measured,
        );
        return;
    };
    let d = crate::geofence::distance_m(e, f);
    let accuracy_m = m
        .fix
        .as_ref()
        .map_or(0.0, |x| x.accuracy_mm as f64 / 1000.0);
    let tolerance = ctx.policy.exif_gps_tolerance_m.max(3.0 * accuracy_m);
    let measured = json!({
        "exif_lat": e.lat, "exif_lon": e.lon, "distance_from_fix_m": round1(d), "tolerance_m": tolerance,
    });
    if d <= tolerance {
        c.pass(
            CheckId::ExifGps,
            format!("EXIF GPS agrees with the fix ({d:.0} m apart)"),
            measured,
        );
    } else {
        c.fail(
            CheckId::ExifGps,
            format!(
                "EXIF GPS puts the photo {:.1} km from the recorded fix",
                d / 1000.0
            ),
            measured,
        );
    }
}
