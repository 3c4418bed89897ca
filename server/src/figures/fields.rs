//! The fields an operator keys for each form kind, flat and named (`registered_male`,
//! `candidate_3`, `ballots_issued`…), and their conversion to and from core's typed figures.
//!
//! A field's value is a non-negative integer that fits core's `u32`; anything else, and any name
//! the form kind does not have, is refused naming the field. It never checks a Form-45/46 rule
//! (core's `form` module does).

use std::collections::BTreeMap;

use serde_json::Value;
use tallyseal_core::form::{CandidateVotes, Form45Figures, Form46Figures, FormFigures, FormKind};
use tallyseal_core::model::{Candidate, GenderCounts};

use crate::error::{ApiError, Problem};

/// Field name → value.
pub type FieldValues = BTreeMap<String, u32>;

const FORM45_HEAD: [&str; 6] = [
    "registered_male",
    "registered_female",
    "registered_transgender",
    "polled_male",
    "polled_female",
    "polled_transgender",
];
const FORM45_TAIL: [&str; 3] = ["total_valid", "rejected", "total_polled"];
const FORM46: [&str; 6] = [
    "ballots_received",
    "ballots_issued",
    "ballots_spoilt",
    "ballots_tendered",
    "ballots_unused",
    "ballots_in_boxes",
];

/// The name of a candidate's field.
pub fn candidate_field(ballot_no: u32) -> String {
    format!("candidate_{ballot_no}")
}

/// The fields of one form kind for one constituency's ballot, in the order of the paper form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSet {
    pub kind: FormKind,
    pub names: Vec<String>,
    ballot: Vec<u32>,
}

/// A field that cannot be taken: 422 `invalid-field` naming it.
pub fn invalid_field(field: &str, why: &str) -> ApiError {
    ApiError::new(Problem::InvalidField, format!("field `{field}`: {why}"))
}

impl FieldSet {
    pub fn new(kind: FormKind, candidates: &[Candidate]) -> FieldSet {
        let ballot: Vec<u32> = candidates.iter().map(|c| c.ballot_no).collect();
        let names = match kind {
            FormKind::Form45 => FORM45_HEAD
                .iter()
                .map(|s| (*s).to_owned())
                .chain(ballot.iter().map(|n| candidate_field(*n)))
                .chain(FORM45_TAIL.iter().map(|s| (*s).to_owned()))
                .collect(),
            FormKind::Form46 => FORM46.iter().map(|s| (*s).to_owned()).collect(),
        };
        FieldSet {
            kind,
            names,
            ballot,
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// Read typed figures from a JSON object (`prefix` names where it sat in the request). Fields
    /// may be missing (a draft); unknown fields and values that are not non-negative integers
    /// fitting 32 bits are refused, naming the field.
    pub fn parse(&self, value: &Value, prefix: &str) -> Result<FieldValues, ApiError> {
        let Some(object) = value.as_object() else {
            return Err(invalid_field(prefix, "must be an object of field: number"));
        };
        let mut out = FieldValues::new();
        for (name, v) in object {
            let path = format!("{prefix}.{name}");
            if !self.has(name) {
                return Err(invalid_field(
                    &path,
                    &format!("{} has no such field", self.kind.as_str()),
                ));
            }
            out.insert(name.clone(), self.value(v, &path)?);
        }
        Ok(out)
    }

    /// One value: a non-negative integer that fits 32 bits.
    pub fn value(&self, v: &Value, path: &str) -> Result<u32, ApiError> {
        v.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| invalid_field(path, "must be a whole number from 0 to 4294967295"))
    }

    /// The fields not yet given.
    pub fn missing<'a>(&'a self, values: &FieldValues) -> Vec<&'a str> {
        self.names
            .iter()
            .filter(|n| !values.contains_key(*n))
            .map(String::as_str)
            .collect()
    }

    /// Core's typed figures (missing fields as 0).
    pub fn to_figures(&self, values: &FieldValues) -> FormFigures {
        let get = |name: &str| values.get(name).copied().unwrap_or(0);
        match self.kind {
            FormKind::Form45 => FormFigures::Form45(Form45Figures {
                registered: GenderCounts {
                    male: get("registered_male"),
                    female: get("registered_female"),
                    transgender: get("registered_transgender"),
                },
                polled: GenderCounts {
                    male: get("polled_male"),
                    female: get("polled_female"),
                    transgender: get("polled_transgender"),
                },
                candidate_votes: self
                    .ballot
                    .iter()
                    .map(|n| CandidateVotes {
                        ballot_no: *n,
                        votes: get(&candidate_field(*n)),
                    })
                    .collect(),
                total_valid: get("total_valid"),
                rejected: get("rejected"),
                total_polled: get("total_polled"),
            }),
            FormKind::Form46 => FormFigures::Form46(Form46Figures {
                ballots_received: get("ballots_received"),
                ballots_issued: get("ballots_issued"),
                ballots_spoilt: get("ballots_spoilt"),
                ballots_tendered: get("ballots_tendered"),
                ballots_unused: get("ballots_unused"),
                ballots_in_boxes: get("ballots_in_boxes"),
            }),
        }
    }
}

/// The flat fields of typed figures (a PO's sealed figures): every field of the sheet, including
/// candidate entries the ballot may not have.
pub fn from_figures(figures: &FormFigures) -> FieldValues {
    let mut out = FieldValues::new();
    match figures {
        FormFigures::Form45(f) => {
            for (name, v) in FORM45_HEAD.iter().zip([
                f.registered.male,
                f.registered.female,
                f.registered.transgender,
                f.polled.male,
                f.polled.female,
                f.polled.transgender,
            ]) {
                out.insert((*name).to_owned(), v);
            }
            for c in &f.candidate_votes {
                out.insert(candidate_field(c.ballot_no), c.votes);
            }
            for (name, v) in FORM45_TAIL
                .iter()
                .zip([f.total_valid, f.rejected, f.total_polled])
            {
                out.insert((*name).to_owned(), v);
            }
        }
        FormFigures::Form46(f) => {
            for (name, v) in FORM46.iter().zip([
                f.ballots_received,
                f.ballots_issued,
                f.ballots_spoilt,
                f.ballots_tendered,
                f.ballots_unused,
                f.ballots_in_boxes,
            ]) {
                out.insert((*name).to_owned(), v);
            }
        }
    }
    out
}

/// The fields on which any two of `sets` differ (a field missing from one counts as differing).
pub fn differing_fields(names: &[String], sets: &[&FieldValues]) -> Vec<String> {
    let mut all: Vec<String> = names.to_vec();
    for s in sets {
        for k in s.keys() {
            if !all.contains(k) {
                all.push(k.clone());
            }
        }
    }
    all.into_iter()
        .filter(|f| {
            let first = sets.first().and_then(|s| s.get(f));
            sets.iter().any(|s| s.get(f) != first)
        })
        .collect()
}

/// Parse stored figures (a JSON object written by this module).
pub fn from_stored(json: &str) -> Result<FieldValues, ApiError> {
    serde_json::from_str(json).map_err(|e| ApiError::internal("stored figures", e))
}

/// The stored form of figures.
pub fn to_stored(values: &FieldValues) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ballot() -> Vec<Candidate> {
        (1..=2)
            .map(|n| Candidate {
                ballot_no: n,
                name: format!("c{n}"),
                name_local: None,
                party: "p".into(),
                symbol: "s".into(),
            })
            .collect()
    }

    #[test]
    fn unknown_fields_and_bad_values_are_named() {
        let set = FieldSet::new(FormKind::Form45, &ballot());
        let e = set
            .parse(&json!({"candidate_3": 1}), "figures")
            .unwrap_err();
        assert!(e.detail.contains("figures.candidate_3"), "{}", e.detail);
        let e = set.parse(&json!({"rejected": -1}), "figures").unwrap_err();
        assert!(e.detail.contains("figures.rejected"), "{}", e.detail);
        let e = set.parse(&json!({"rejected": 1.5}), "figures").unwrap_err();
        assert!(e.detail.contains("figures.rejected"));
        let e = set.parse(&json!({"rejected": "7"}), "figures").unwrap_err();
        assert_eq!(e.problem, Problem::InvalidField);
        let e = set
            .parse(&json!({"ballots_issued": 7}), "figures")
            .unwrap_err();
        assert!(e.detail.contains("form45 has no such field"));
        let ok = set
            .parse(&json!({"candidate_1": 4, "total_valid": 4}), "figures")
            .unwrap();
        assert_eq!(set.missing(&ok).len(), set.names.len() - 2);
    }

    #[test]
    fn typed_figures_round_trip() {
        let set = FieldSet::new(FormKind::Form45, &ballot());
        let mut v = FieldValues::new();
        for (i, n) in set.names.iter().enumerate() {
            v.insert(n.clone(), i as u32);
        }
        assert_eq!(from_figures(&set.to_figures(&v)), v);
        let mut w = v.clone();
        w.insert("candidate_2".into(), 99);
        assert_eq!(differing_fields(&set.names, &[&v, &w]), vec!["candidate_2"]);
        assert!(differing_fields(&set.names, &[&v, &v.clone()]).is_empty());
    }
}
