//! The station coordinates file the Commission supplies (the published 2024 data has none): a CSV
//! with the header `constituency,station,lat,lon,radius_m`.
//!
//! It must never accept two positions for one station nor a value that is not a number.

use std::collections::BTreeMap;

use tallyseal_core::model::LatLon;

use crate::csv::parse_csv;
use crate::report::ImportError;
use crate::results_csv::parse_number;

/// One station's position and geofence radius, and the line that gave it.
pub(crate) struct Coordinate {
    pub point: LatLon,
    pub radius_m: f64,
    pub line: usize,
}

/// The coordinates by (constituency code, station number).
pub(crate) fn parse_coordinates(
    bytes: &[u8],
) -> Result<BTreeMap<(String, u32), Coordinate>, ImportError> {
    let err = |line: usize, message: String| ImportError::CoordinatesCsv { line, message };
    let records = parse_csv(bytes).map_err(|e| err(0, e.to_string()))?;
    let mut it = records.into_iter();
    let header = it
        .next()
        .ok_or_else(|| err(1, "the file is empty".into()))?;
    let col = |name: &str| {
        header
            .fields
            .iter()
            .position(|f| f.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| err(header.line, format!("the header has no column {name:?}")))
    };
    let (c_code, c_station, c_lat, c_lon, c_radius) = (
        col("constituency")?,
        col("station")?,
        col("lat")?,
        col("lon")?,
        col("radius_m")?,
    );
    let mut out = BTreeMap::new();
    for rec in it {
        let get = |i: usize| rec.fields.get(i).map(|s| s.trim()).unwrap_or("");
        let code = get(c_code).to_uppercase();
        if code.is_empty() {
            return Err(err(rec.line, "empty constituency".into()));
        }
        let station = parse_number(get(c_station))
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                err(
                    rec.line,
                    format!("station {:?} is not a number", get(c_station)),
                )
            })?;
        let num = |i: usize, what: &str| {
            get(i)
                .parse::<f64>()
                .map_err(|_| err(rec.line, format!("{what} {:?} is not a number", get(i))))
        };
        let point = LatLon {
            lat: num(c_lat, "lat")?,
            lon: num(c_lon, "lon")?,
        };
        let radius_m = num(c_radius, "radius_m")?;
        let line = rec.line;
        if let Some(prev) = out.insert(
            (code.clone(), station),
            Coordinate {
                point,
                radius_m,
                line,
            },
        ) {
            return Err(err(
                line,
                format!(
                    "{code} station {station} already has coordinates (line {})",
                    prev.line
                ),
            ));
        }
    }
    Ok(out)
}
