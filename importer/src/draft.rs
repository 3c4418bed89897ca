//! [`import_2024`]: a draft election package from the candidate lists, the station results and
//! the coordinates file, each read by its own module.
//!
//! Works on bytes the caller has read and never reads the clock (the caller passes the publication
//! time); it must never produce a package fit to sign while a station lacks coordinates.

use std::collections::{BTreeMap, BTreeSet};

use tallyseal_core::model::{Constituency, Election, Geofence, StationLocation};
use tallyseal_core::package::ElectionPackage;

use crate::candidate_lists::add_candidate_file;
use crate::coordinates_csv::parse_coordinates;
use crate::report::{ImportError, ImportReport, ImportWarning, StationRef, list_numbers};
use crate::results_csv::{RowCounts, add_station_file};

/// Build a draft election package from the 2024 data.
///
/// - `candidate_json_files`: the contents of `NA/{punjab,sindh,kpk,balochistan}.json` (any number).
/// - `station_csvs`: `(constituency code, contents of form45/<code>.csv)`.
/// - `coordinates_csv`: `constituency,station,lat,lon,radius_m`; without it every station is
///   reported in `missing_locations`.
/// - `published_at`: the package's publication time (RFC 3339); the importer never reads the clock.
///
/// Candidates keep the order of the source and are numbered 1..n on the ballot; a source serial
/// number that differs from its position (gaps and repeats occur in the data) is reported as a
/// warning. A station whose name carries no type, or contradictory types, becomes `combined` (the
/// type that constrains no gender column) with a warning. Rows without a usable station number are
/// skipped with a warning. A station CSV for a constituency without a candidate list gives a
/// constituency without candidates (which [`ElectionPackage::validate`] reports).
pub fn import_2024(
    candidate_json_files: &[&[u8]],
    station_csvs: &[(&str, &[u8])],
    coordinates_csv: Option<&[u8]>,
    election: Election,
    published_at: &str,
) -> Result<ImportReport, ImportError> {
    let mut warnings = Vec::new();
    let mut constituencies: BTreeMap<String, Constituency> = BTreeMap::new();

    for (file, bytes) in candidate_json_files.iter().enumerate() {
        add_candidate_file(file, bytes, &mut constituencies, &mut warnings)?;
    }

    let mut counts = RowCounts::default();
    let mut seen_csv: BTreeSet<String> = BTreeSet::new();
    for (code, bytes) in station_csvs {
        let code = code.trim().to_uppercase();
        if !seen_csv.insert(code.clone()) {
            return Err(ImportError::DuplicateConstituency(code));
        }
        add_station_file(code, bytes, &mut constituencies, &mut warnings, &mut counts)?;
    }

    let mut coords = match coordinates_csv {
        Some(bytes) => parse_coordinates(bytes)?,
        None => BTreeMap::new(),
    };
    let mut missing_locations = Vec::new();
    let mut ordered: Vec<Constituency> = constituencies.into_values().collect();
    ordered.sort_by_key(|c| code_order(&c.code));
    for c in &mut ordered {
        for s in &mut c.stations {
            match coords.remove(&(c.code.clone(), s.number)) {
                Some(k) => {
                    s.location = Some(StationLocation {
                        point: k.point,
                        geofence: Geofence::Radius {
                            radius_m: k.radius_m,
                        },
                    })
                }
                None => missing_locations.push(StationRef {
                    constituency: c.code.clone(),
                    number: s.number,
                }),
            }
        }
    }
    if !coords.is_empty() {
        let mut by_code: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for (code, n) in coords.into_keys() {
            by_code.entry(code).or_default().push(n);
        }
        for (code, list) in by_code {
            warnings.push(ImportWarning {
                constituency: code,
                message: format!(
                    "coordinates given for {} station(s) not in the package ({})",
                    list.len(),
                    list_numbers(&list)
                ),
                stations: list,
            });
        }
    }

    Ok(ImportReport {
        package: ElectionPackage::new(election, ordered, published_at),
        missing_locations,
        warnings,
        station_rows_read: counts.read,
        station_rows_skipped: counts.skipped,
    })
}

/// Sort key putting `NA-2` before `NA-10`.
fn code_order(code: &str) -> (String, u32, String) {
    let (prefix, num) = code.rsplit_once('-').unwrap_or((code, ""));
    (
        prefix.to_string(),
        num.parse().unwrap_or(u32::MAX),
        code.to_string(),
    )
}
