//! The 2024 Form-45 station results, zlenner/elections-data `form45/<code>.csv`: columns
//! `No,Name,<party columns…>,Total Votes,Filename`. The station type is read from the name
//! ([`crate::station_name`]).
//!
//! Each file gives one constituency's polling stations; it must never import a row without a usable
//! station number, nor one number twice, without a warning saying so.

use std::collections::{BTreeMap, BTreeSet};

use tallyseal_core::model::{Constituency, PollingStation, StationType};

use crate::candidate_lists::assembly_for_code;
use crate::csv::parse_csv;
use crate::report::{ImportError, ImportWarning, list_numbers};
use crate::station_name::{NameType, station_type_from_name};

/// One row of a station results CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsRow {
    /// Line of the CSV the row starts on.
    pub line: usize,
    /// The `No` column as written.
    pub raw_number: String,
    /// The station number, when `No` is a positive integer.
    pub number: Option<u32>,
    /// The `Name` column with runs of white space (including line breaks) collapsed to one space.
    pub name: String,
    pub name_type: NameType,
    /// Votes per party column (same order as [`ResultsTable::parties`]); `None` when the cell is
    /// empty or not a number.
    pub votes: Vec<Option<u32>>,
}

/// A parsed station results CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsTable {
    pub code: String,
    /// The party columns between `Name` and `Total Votes`, e.g. `PTI-IND`, `PML-N`.
    pub parties: Vec<String>,
    pub rows: Vec<ResultsRow>,
}

pub(crate) fn collapse_space(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn parse_number(s: &str) -> Option<u32> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Parse one `form45/<code>.csv` file.
pub fn parse_results_csv(code: &str, bytes: &[u8]) -> Result<ResultsTable, ImportError> {
    let err = |line: usize, message: String| ImportError::StationCsv {
        code: code.to_string(),
        line,
        message,
    };
    let records = parse_csv(bytes).map_err(|e| err(0, e.to_string()))?;
    let mut it = records.into_iter();
    let header = it
        .next()
        .ok_or_else(|| err(1, "the file is empty".into()))?;
    let h: Vec<String> = header.fields.iter().map(|f| f.trim().to_string()).collect();
    if h.len() < 2 || !h[0].eq_ignore_ascii_case("No") || !h[1].eq_ignore_ascii_case("Name") {
        return Err(err(
            header.line,
            format!("expected a header starting No,Name; found {h:?}"),
        ));
    }
    let end = h
        .iter()
        .position(|c| c.eq_ignore_ascii_case("Total Votes"))
        .unwrap_or(h.len());
    let parties: Vec<String> = h[2..end.max(2)].to_vec();
    let mut rows = Vec::new();
    for rec in it {
        if rec.fields.len() < 2 {
            return Err(err(
                rec.line,
                format!("expected at least 2 fields, found {}", rec.fields.len()),
            ));
        }
        let raw_number = rec.fields[0].trim().to_string();
        let number = parse_number(&raw_number).filter(|n| *n > 0);
        let name = collapse_space(&rec.fields[1]);
        let name_type = station_type_from_name(&name);
        let votes = (0..parties.len())
            .map(|i| rec.fields.get(i + 2).and_then(|v| parse_number(v)))
            .collect();
        rows.push(ResultsRow {
            line: rec.line,
            raw_number,
            number,
            name,
            name_type,
            votes,
        });
    }
    Ok(ResultsTable {
        code: code.to_string(),
        parties,
        rows,
    })
}

/// Rows read from the station files and rows not imported as stations.
#[derive(Debug, Default)]
pub(crate) struct RowCounts {
    pub read: usize,
    pub skipped: usize,
}

/// Add the stations of constituency `code`'s results file (its contents, `bytes`) to
/// `constituencies`, creating the constituency (without candidates, with a warning) when no
/// candidate list named it.
pub(crate) fn add_station_file(
    code: String,
    bytes: &[u8],
    constituencies: &mut BTreeMap<String, Constituency>,
    warnings: &mut Vec<ImportWarning>,
    counts: &mut RowCounts,
) -> Result<(), ImportError> {
    let table = parse_results_csv(&code, bytes)?;
    let c = constituencies.entry(code.clone()).or_insert_with(|| {
        warnings.push(ImportWarning {
            constituency: code.clone(),
            stations: vec![],
            message: "no candidate list for this constituency; imported without candidates".into(),
        });
        Constituency {
            code: code.clone(),
            name: code.clone(),
            assembly: assembly_for_code(&code).to_string(),
            returning_officer: None,
            candidates: Vec::new(),
            stations: Vec::new(),
        }
    });
    let mut numbers: BTreeSet<u32> = BTreeSet::new();
    let (mut untyped, mut ambiguous, mut unnamed) = (Vec::new(), Vec::new(), Vec::new());
    for row in table.rows {
        counts.read += 1;
        let Some(number) = row.number else {
            counts.skipped += 1;
            warnings.push(ImportWarning {
                constituency: code.clone(),
                stations: vec![],
                message: format!(
                    "line {}: row skipped, station number {:?} is not a positive integer (name {:?})",
                    row.line, row.raw_number, row.name
                ),
            });
            continue;
        };
        if !numbers.insert(number) {
            counts.skipped += 1;
            warnings.push(ImportWarning {
                constituency: code.clone(),
                stations: vec![number],
                message: format!(
                    "line {}: row skipped, station number {number} appears again",
                    row.line
                ),
            });
            continue;
        }
        let station_type = match row.name_type {
            NameType::Found(t) => t,
            NameType::Ambiguous => {
                ambiguous.push(number);
                StationType::Combined
            }
            NameType::NotFound => {
                untyped.push(number);
                StationType::Combined
            }
        };
        if row.name.is_empty() {
            unnamed.push(number);
        }
        c.stations.push(PollingStation {
            number,
            name: row.name,
            station_type,
            location: None,
            registered: None,
            booths: None,
        });
    }
    c.stations.sort_by_key(|s| s.number);
    for (list, what) in [
        (
            untyped,
            "the station name gives no station type; imported as combined",
        ),
        (
            ambiguous,
            "the station name gives more than one station type; imported as combined",
        ),
        (unnamed, "the station has no name"),
    ] {
        if !list.is_empty() {
            warnings.push(ImportWarning {
                constituency: code.clone(),
                message: format!(
                    "{} station(s): {what} ({})",
                    list.len(),
                    list_numbers(&list)
                ),
                stations: list,
            });
        }
    }
    Ok(())
}
