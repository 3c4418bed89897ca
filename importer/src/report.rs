//! What an import produced (the draft package, the stations still without coordinates, the
//! warnings for a person to check) and why one failed.

use tallyseal_core::package::ElectionPackage;

/// A station, by constituency code and station number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StationRef {
    pub constituency: String,
    pub number: u32,
}

/// Something the importer changed, assumed or skipped, for a person to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportWarning {
    /// Constituency code (empty for the coordinates file as a whole).
    pub constituency: String,
    /// Stations concerned, when any.
    pub stations: Vec<u32>,
    pub message: String,
}

/// What [`import_2024`](crate::import_2024) produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    /// The draft package (not yet fit to sign while `missing_locations` is not empty).
    pub package: ElectionPackage,
    /// Stations the coordinates file did not cover (their `location` is `None`).
    pub missing_locations: Vec<StationRef>,
    pub warnings: Vec<ImportWarning>,
    /// Data rows read from the station CSVs.
    pub station_rows_read: usize,
    /// Rows not imported as stations (no usable station number, or a repeated number).
    pub station_rows_skipped: usize,
}

/// Why an import failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("candidate file {file}: {message}")]
    CandidateJson { file: usize, message: String },
    #[error("station file {code}, line {line}: {message}")]
    StationCsv {
        code: String,
        line: usize,
        message: String,
    },
    #[error("coordinates file, line {line}: {message}")]
    CoordinatesCsv { line: usize, message: String },
    #[error("constituency {0} is given twice")]
    DuplicateConstituency(String),
}

/// At most ten numbers quoted, then how many there are in all.
pub(crate) fn list_numbers(ns: &[u32]) -> String {
    const MAX: usize = 10;
    let mut s: Vec<String> = ns.iter().take(MAX).map(|n| n.to_string()).collect();
    if ns.len() > MAX {
        s.push(format!("… ({} in all)", ns.len()));
    }
    s.join(", ")
}
