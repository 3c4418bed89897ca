//! The 2024 National Assembly candidate lists (Form-33), zlenner/elections-data
//! `NA/{punjab,sindh,kpk,balochistan}.json`: an object keyed by constituency code, each with
//! `Constituency No`, `Constituency Name`, `Returning Officer` and `Candidates` (`SerialNo`,
//! `Name in English`, `Name in Urdu`, `Symbol`, `Party`, ...).
//!
//! Each file adds constituencies with their ballot; it must never renumber or drop a candidate
//! without a warning saying so.

use std::collections::BTreeMap;

use serde::Deserialize;
use tallyseal_core::model::{Candidate, Constituency};

use crate::report::{ImportError, ImportWarning, list_numbers};
use crate::results_csv::collapse_space;

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

fn trimmed(s: Option<String>) -> String {
    s.map(|s| collapse_space(&s)).unwrap_or_default()
}

/// Add the constituencies of candidate file number `file` (its contents, `bytes`) to
/// `constituencies`; a constituency already there is an error.
pub(crate) fn add_candidate_file(
    file: usize,
    bytes: &[u8],
    constituencies: &mut BTreeMap<String, Constituency>,
    warnings: &mut Vec<ImportWarning>,
) -> Result<(), ImportError> {
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
    Ok(())
}
