//! Importers that build a draft election package from published lists (2024 Pakistan candidate
//! lists, Form-45 station results) and a separate station-coordinates file.
//!
//! Everything here works on bytes the caller has read; nothing touches the file system.
//!
//! Sources (see `testdata/SOURCES.md`):
//! - candidate lists (Form-33), zlenner/elections-data `NA/{punjab,sindh,kpk,balochistan}.json`:
//!   an object keyed by constituency code, each with `Constituency No`, `Constituency Name`,
//!   `Returning Officer` and `Candidates` (`SerialNo`, `Name in English`, `Name in Urdu`, `Symbol`,
//!   `Party`, ...);
//! - station results, zlenner/elections-data `form45/<code>.csv`: columns
//!   `No,Name,<party columns…>,Total Votes,Filename`. The station type is read from the name
//!   (see [`station_type_from_name`]);
//! - station coordinates, a CSV with the header `constituency,station,lat,lon,radius_m`, which the
//!   Commission must supply: the published data has no coordinates.
//!
//! The result is a **draft**: stations without coordinates keep `location: None` and are listed in
//! [`ImportReport::missing_locations`]; [`crate::package::ElectionPackage::sign`] refuses such a draft.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::model::{
    Candidate, Constituency, Election, Geofence, LatLon, PollingStation, StationLocation,
    StationType,
};
use crate::package::ElectionPackage;

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/// One CSV record and the (1-based) line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRecord {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Why a CSV file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is not valid UTF-8")]
    NotUtf8,
    #[error("line {line}: a quoted field is not closed before the end of the file")]
    UnterminatedQuote { line: usize },
}

/// Read RFC 4180 CSV: comma-separated fields, optional double quotes around a field (which may
/// then contain commas, newlines and doubled quotes `""`), LF or CRLF line ends, an optional UTF-8
/// byte-order mark. Blank lines are skipped. Text after a closing quote is kept, as most readers
/// do. Never panics; runs in time linear in the input.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<CsvRecord>, CsvError> {
    let text = std::str::from_utf8(bytes).map_err(|_| CsvError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1usize;
    let mut record_line = 1usize;
    let mut in_quotes = false;
    let mut quote_line = 0usize;
    let mut field_started = false; // anything seen in the current record
    let mut chars = text.chars().peekable();

    fn end_record(
        records: &mut Vec<CsvRecord>,
        fields: &mut Vec<String>,
        field: &mut String,
        line: usize,
        started: bool,
    ) {
        fields.push(std::mem::take(field));
        let f = std::mem::take(fields);
        if started {
            records.push(CsvRecord { line, fields: f });
        }
    }

    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                in_quotes = true;
                quote_line = line;
                field_started = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                field_started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                end_record(
                    &mut records,
                    &mut fields,
                    &mut field,
                    record_line,
                    field_started,
                );
                field_started = false;
                line += 1;
                record_line = line;
            }
            _ => {
                field.push(c);
                field_started = true;
            }
        }
    }
    if in_quotes {
        return Err(CsvError::UnterminatedQuote { line: quote_line });
    }
    if field_started || !fields.is_empty() {
        end_record(&mut records, &mut fields, &mut field, record_line, true);
    }
    Ok(records)
}

// ---------------------------------------------------------------------------------------------
// Station type from the station name
// ---------------------------------------------------------------------------------------------

/// What a station name says about the station type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameType {
    /// One type, e.g. from `... (Male)-I`.
    Found(StationType),
    /// The name carries more than one type, e.g. `(Male) (Female)-I`.
    Ambiguous,
    /// The name carries no type.
    NotFound,
}

/// Normalized spellings seen in the 2024 Form-45 data, including Urdu (مرد / عورت / مشترکہ),
/// the character-reversed Urdu of the garbled NA-46 names, typos and names cut off mid-word.
fn type_word(word: &str) -> Option<StationType> {
    match word {
        "male" | "مرد" | "رمد" => Some(StationType::Male),
        "female" | "femal" | "fema" | "famale" | "fwmale" | "عورت" | "وعرت" | "خواتین" => {
            Some(StationType::Female)
        }
        "combined" | "combine" | "combin" | "combi" | "comnined" | "comined" | "commbined"
        | "combian" | "مشترکہ" | "مشترک" | "رتشمہک" => Some(StationType::Combined),
        _ => None,
    }
}

/// A parenthesized piece reduced to a bare word: cut at the first `-` (`Male-I`), drop white
/// space, digits and `.:,` (`Male 1`, `( COMBINED )`, garbled `وعر .  ت`), lowercase.
fn normalize_piece(piece: &str) -> String {
    let piece = piece.split('-').next().unwrap_or("");
    piece
        .chars()
        .filter(|c| !(c.is_whitespace() || c.is_numeric() || matches!(c, '.' | ':' | ',')))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Read the station type from a Form-45 station name.
///
/// First the pieces between parentheses (either direction, since the garbled right-to-left names
/// have them mirrored) that are exactly a type word, e.g. `(Male)-I`, `(Female 1)`, `( Combined)`,
/// `(مرد)`, `)رمد(`: these win over type words elsewhere in the name, so
/// `... Cantt Male: (Combined)-I` is combined and `(Education office Female) (Male)-I` is male.
/// Failing that, any word of the name that is a type word (`... Makrani Para Male (Part-I)`,
/// `... MALE 1`). Words such as "Women", "Girls" or "Boys" are part of school names and are ignored.
pub fn station_type_from_name(name: &str) -> NameType {
    let mut found: Vec<StationType> = Vec::new();
    for piece in name.split(['(', ')']) {
        if let Some(t) = type_word(&normalize_piece(piece)) {
            found.push(t);
        }
    }
    if found.is_empty() {
        for word in name
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
        {
            if let Some(t) = type_word(&word.to_lowercase()) {
                found.push(t);
            }
        }
    }
    found.dedup();
    let first = found.first().copied();
    if found.iter().any(|t| Some(*t) != first) {
        return NameType::Ambiguous;
    }
    match first {
        Some(t) => NameType::Found(t),
        None => NameType::NotFound,
    }
}

// ---------------------------------------------------------------------------------------------
// Form-45 results CSV (zlenner/elections-data form45/<code>.csv)
// ---------------------------------------------------------------------------------------------

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

fn collapse_space(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_number(s: &str) -> Option<u32> {
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

// ---------------------------------------------------------------------------------------------
// Candidate lists (zlenner/elections-data NA/*.json)
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct RawConstituency {
    #[serde(rename = "Constituency No", default)]
    number: Option<String>,
    #[serde(rename = "Constituency Name", default)]
    name: Option<String>,
    #[serde(rename = "Returning Officer", default)]
    returning_officer: Option<String>,
    #[serde(rename = "Candidates")]
    candidates: Vec<RawCandidate>,
}

#[derive(Deserialize)]
struct RawCandidate {
    #[serde(rename = "SerialNo", default)]
    serial: Option<serde_json::Value>,
    #[serde(rename = "Name in English", default)]
    name_en: Option<String>,
    #[serde(rename = "Name in Urdu", default)]
    name_ur: Option<String>,
    #[serde(rename = "Symbol", default)]
    symbol: Option<String>,
    #[serde(rename = "Party", default)]
    party: Option<String>,
}

/// The assembly a constituency code belongs to, from its prefix.
pub fn assembly_for_code(code: &str) -> &'static str {
    match code.split('-').next().unwrap_or("") {
        "NA" => "National Assembly",
        "PP" => "Provincial Assembly of the Punjab",
        "PS" => "Provincial Assembly of Sindh",
        "PK" => "Provincial Assembly of Khyber Pakhtunkhwa",
        "PB" => "Provincial Assembly of Balochistan",
        _ => "Unknown assembly",
    }
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

fn trimmed(s: Option<String>) -> String {
    s.map(|s| collapse_space(&s)).unwrap_or_default()
}

fn list_numbers(ns: &[u32]) -> String {
    const MAX: usize = 10;
    let mut s: Vec<String> = ns.iter().take(MAX).map(|n| n.to_string()).collect();
    if ns.len() > MAX {
        s.push(format!("… ({} in all)", ns.len()));
    }
    s.join(", ")
}

// ---------------------------------------------------------------------------------------------
// The importer
// ---------------------------------------------------------------------------------------------

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

/// What [`import_2024`] produced.
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

struct Coordinate {
    point: LatLon,
    radius_m: f64,
    line: usize,
}

fn parse_coordinates(bytes: &[u8]) -> Result<BTreeMap<(String, u32), Coordinate>, ImportError> {
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

/// Build a draft election package from the 2024 data.
///
/// - `candidate_json_files`: the contents of `NA/{punjab,sindh,kpk,balochistan}.json` (any number).
/// - `station_csvs`: `(constituency code, contents of form45/<code>.csv)`.
/// - `coordinates_csv`: `constituency,station,lat,lon,radius_m`; without it every station is
///   reported in `missing_locations`.
/// - `published_at`: the package's publication time (RFC 3339); the core never reads the clock.
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
        let parsed: BTreeMap<String, RawConstituency> =
            serde_json::from_slice(bytes).map_err(|e| ImportError::CandidateJson {
                file,
                message: e.to_string(),
            })?;
        for (key, raw) in parsed {
            let code = key.trim().to_uppercase();
            if let Some(no) = raw.number.as_deref()
                && no.trim().to_uppercase() != code
            {
                warnings.push(ImportWarning {
                    constituency: code.clone(),
                    stations: vec![],
                    message: format!("listed under {key:?} but its Constituency No is {no:?}"),
                });
            }
            let mut candidates = Vec::with_capacity(raw.candidates.len());
            let mut renumbered = Vec::new();
            let mut unnamed = Vec::new();
            for (i, rc) in raw.candidates.into_iter().enumerate() {
                let ballot_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
                let serial = rc.serial.as_ref().and_then(|v| match v {
                    serde_json::Value::Number(n) => n.as_u64(),
                    serde_json::Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                });
                if serial != Some(u64::from(ballot_no)) {
                    renumbered.push(match serial {
                        Some(s) => format!("{s}→{ballot_no}"),
                        None => format!("?→{ballot_no}"),
                    });
                }
                let en = trimmed(rc.name_en);
                let ur = trimmed(rc.name_ur);
                let name = if en.is_empty() { ur.clone() } else { en };
                if name.is_empty() {
                    unnamed.push(ballot_no);
                }
                candidates.push(Candidate {
                    ballot_no,
                    name,
                    name_local: if ur.is_empty() { None } else { Some(ur) },
                    party: trimmed(rc.party),
                    symbol: trimmed(rc.symbol),
                });
            }
            if !renumbered.is_empty() {
                warnings.push(ImportWarning {
                    constituency: code.clone(),
                    stations: vec![],
                    message: format!(
                        "candidate serial numbers are not 1..{} in order; ballot numbers were assigned in list order (serial→ballot: {})",
                        candidates.len(),
                        renumbered.join(", ")
                    ),
                });
            }
            if !unnamed.is_empty() {
                warnings.push(ImportWarning {
                    constituency: code.clone(),
                    stations: vec![],
                    message: format!(
                        "candidates with no name in English or Urdu: ballot numbers {}",
                        list_numbers(&unnamed)
                    ),
                });
            }
            let c = Constituency {
                code: code.clone(),
                name: trimmed(raw.name),
                assembly: assembly_for_code(&code).to_string(),
                returning_officer: Some(trimmed(raw.returning_officer)).filter(|s| !s.is_empty()),
                candidates,
                stations: Vec::new(),
            };
            if constituencies.insert(code.clone(), c).is_some() {
                return Err(ImportError::DuplicateConstituency(code));
            }
        }
    }

    let mut station_rows_read = 0usize;
    let mut station_rows_skipped = 0usize;
    let mut seen_csv: BTreeSet<String> = BTreeSet::new();
    for (code, bytes) in station_csvs {
        let code = code.trim().to_uppercase();
        if !seen_csv.insert(code.clone()) {
            return Err(ImportError::DuplicateConstituency(code));
        }
        let table = parse_results_csv(&code, bytes)?;
        let c = constituencies.entry(code.clone()).or_insert_with(|| {
            warnings.push(ImportWarning {
                constituency: code.clone(),
                stations: vec![],
                message: "no candidate list for this constituency; imported without candidates"
                    .into(),
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
            station_rows_read += 1;
            let Some(number) = row.number else {
                station_rows_skipped += 1;
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
                station_rows_skipped += 1;
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
        station_rows_read,
        station_rows_skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_newlines_and_crlf() {
        let r = parse_csv(b"a,b\r\n\"x, \"\"y\"\"\",\"multi\nline\"\n\n1,\n").unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[1].fields,
            vec!["x, \"y\"".to_string(), "multi\nline".to_string()]
        );
        assert_eq!(r[1].line, 2);
        assert_eq!(r[2].line, 5);
        assert_eq!(r[2].fields, vec!["1".to_string(), String::new()]);
        assert!(matches!(
            parse_csv(b"a,\"b\n"),
            Err(CsvError::UnterminatedQuote { line: 1 })
        ));
        assert_eq!(parse_csv(b"").unwrap(), vec![]);
        assert_eq!(parse_csv(b"x").unwrap()[0].fields, vec!["x".to_string()]);
    }

    #[test]
    fn station_types_from_names() {
        use NameType::*;
        use StationType::*;
        let cases = [
            (
                "1 - Government Girls Elementary School Bakhshi Park TTSingh (Male)-I",
                Found(Male),
            ),
            (
                "Govt Girls High School, Custom Colony Lahore CANTT (Female)-I",
                Found(Female),
            ),
            (
                "Govt: High School for Boys Walton Road, Lahore Cantt Male: (Combined)-I",
                Found(Combined),
            ),
            (
                "228 - GGPS No. 9 Korangi.6 (Taulka Education office Female) (Male)-I",
                Found(Male),
            ),
            ("Govt Girls Degree College For Women (Male 1)", Found(Male)),
            (
                "Improvise @ Edhi Centre Makrani Para Male (Part-I)",
                Found(Male),
            ),
            ("F.G FOUNDATION SCHOOL MANORA CANTT FEMALE 1", Found(Female)),
            ("DPN GBSS ABECEYNIA LINE ( COMNINED )", Found(Combined)),
            (
                "Begum Saleem Kiyani Model College for Boys (VI-XII) Bhara Kahu, Islamabad. (Fema",
                Found(Female),
            ),
            ("گورنمنٹ بوائز ہائی سکول، چک نمبر 45/گ ب (مرد)", Found(Male)),
            (
                "گورنمنٹ گرلز ہائی سکول، چک نمبر 45/گ ب (عورت)",
                Found(Female),
            ),
            (
                "االسمآب.د۔)رمد(،11/2-IV( G) االسمآب.دامڈلوکسل 1",
                Found(Male),
            ),
            ("Govt Post Graduate College for women", NotFound),
            ("Lifeway School (Male) (Female)-I", Ambiguous),
            ("", NotFound),
        ];
        for (name, want) in cases {
            assert_eq!(station_type_from_name(name), want, "{name}");
        }
    }
}
