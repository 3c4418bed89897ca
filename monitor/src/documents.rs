//! What the console's leaves commit to: each `figures_confirmed`, `ro_decision` and
//! `form_version` leaf carries only the SHA-256 of its document; the server publishes the
//! document byte for byte at `<url>/api/v1/log-documents/<sha256>` (`docs/log.md`, "The
//! documents behind the leaves"). For every Form-47 version in the log this checks, from those
//! documents alone:
//!
//! - the document is published and hashes to the leaf's hash, and is a signed Form-47 statement
//!   of the leaf's election and constituency (the signature itself is the Commission's, checked
//!   by `tallyseal verify` on the exported form, not here);
//! - every station it counts cites a confirmation of figures logged before it, for that station's
//!   capture, not superseded by a later confirmation logged before the form, and a capture whose
//!   latest logged review decision before the form is `accept`; no station is counted twice;
//! - every figure it states (each candidate's votes, valid votes, rejected, polled, and votes
//!   polled and registered by gender) is the sum of the cited stations' confirmed figures.
//!
//! Form-48 and Form-49 are not checked here: Form-49 adds postal ballots, which no leaf carries.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tallyseal_core::hash::{Sha256Digest, sha256};
use tallyseal_core::log::leaf::{LeafBody, LogEvent, ResultForm};

use crate::finding::{Finding, FindingKind};
use crate::source::{LogSource, SourceError};

/// Where the server publishes a leaf's document, by its hash (lower-case hex).
pub const DOCUMENTS_PATH: &str = "api/v1/log-documents";

/// The format of a signed form statement: `{"format", "v", "form", "version", "election",
/// "constituency", …, "content": {"candidates", "total_valid", "rejected", "total_polled",
/// "turnout", "stations_counted", …}}` (`docs/console.md`, "Signing").
pub const SIGNED_FORM_FORMAT: &str = "tallyseal.signed-form";

/// A constituency of an election.
type Constituency = (String, String);

/// The console leaves of one constituency, with their entry index and document hash.
#[derive(Debug, Default)]
struct Leaves {
    confirmations: Vec<(u64, Sha256Digest)>,
    decisions: Vec<(u64, Sha256Digest)>,
    forms: Vec<(u64, Sha256Digest)>,
}

/// A confirmation record, as far as the check needs it.
struct Confirmation {
    entry: u64,
    id: String,
    manifest_hash: String,
    station: u64,
    figures: BTreeMap<String, u64>,
    supersedes: Option<String>,
}

fn gather(entries: &[Vec<u8>]) -> BTreeMap<Constituency, Leaves> {
    let mut out: BTreeMap<Constituency, Leaves> = BTreeMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let Ok(body) = LeafBody::from_leaf_bytes(entry) else {
            continue; // reported by the invariants
        };
        let i = i as u64;
        match body.event {
            LogEvent::FiguresConfirmed {
                election_id,
                constituency_id,
                figures_hash,
                ..
            } => out
                .entry((election_id, constituency_id))
                .or_default()
                .confirmations
                .push((i, figures_hash)),
            LogEvent::RoDecision {
                election_id,
                constituency_id,
                decision_hash,
                ..
            } => out
                .entry((election_id, constituency_id))
                .or_default()
                .decisions
                .push((i, decision_hash)),
            LogEvent::FormVersion {
                election_id,
                constituency_id,
                form: ResultForm::Form47,
                document_hash,
                ..
            } => out
                .entry((election_id, constituency_id))
                .or_default()
                .forms
                .push((i, document_hash)),
            _ => {}
        }
    }
    out
}

/// The documents of one run, fetched once each.
struct Documents<'a> {
    source: &'a dyn LogSource,
    findings: &'a mut Vec<Finding>,
}

impl Documents<'_> {
    /// The document of entry `entry`, parsed; a finding when it is missing, altered or not JSON.
    fn get(&mut self, entry: u64, hash: &Sha256Digest) -> Result<Option<Value>, SourceError> {
        let path = format!("{DOCUMENTS_PATH}/{}", hash.to_hex());
        let mut bad = |msg: String| {
            self.findings.push(Finding::new(
                FindingKind::Document,
                format!("entry {entry}: {msg}"),
            ));
            Ok(None)
        };
        let Some(bytes) = self.source.get(&path)? else {
            return bad(format!("the server does not publish its document {hash}"));
        };
        if sha256(&bytes) != *hash {
            return bad(format!(
                "the published document {hash} hashes to {}",
                sha256(&bytes)
            ));
        }
        match serde_json::from_slice(&bytes) {
            Ok(v) => Ok(Some(v)),
            Err(e) => bad(format!("the document {hash} is not JSON: {e}")),
        }
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

fn number(v: &Value, path: &[&str]) -> Option<u64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_u64()
}

fn confirmation(entry: u64, v: &Value) -> Option<Confirmation> {
    let figures = v
        .get("figures")?
        .as_object()?
        .iter()
        .filter_map(|(k, n)| Some((k.clone(), n.as_u64()?)))
        .collect();
    Some(Confirmation {
        entry,
        id: text(v, "id"),
        manifest_hash: text(v, "manifest_hash"),
        station: v.get("station")?.as_u64()?,
        figures,
        supersedes: v
            .get("supersedes")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// Check every Form-47 version against the documents its constituency's leaves name.
pub fn check_forms(
    source: &dyn LogSource,
    entries: &[Vec<u8>],
    findings: &mut Vec<Finding>,
) -> Result<(), SourceError> {
    let mut docs = Documents { source, findings };
    for ((election, constituency), leaves) in gather(entries) {
        if leaves.forms.is_empty() {
            continue;
        }
        let mut confirmations = Vec::new();
        for (i, h) in &leaves.confirmations {
            if let Some(v) = docs.get(*i, h)? {
                match confirmation(*i, &v) {
                    Some(c) => confirmations.push(c),
                    None => docs.findings.push(Finding::new(
                        FindingKind::Document,
                        format!("entry {i}: the document {h} is not a confirmation of figures"),
                    )),
                }
            }
        }
        // (entry, manifest hash, action) of every decision.
        let mut decisions = Vec::new();
        for (i, h) in &leaves.decisions {
            if let Some(v) = docs.get(*i, h)? {
                decisions.push((*i, text(&v, "manifest_hash"), text(&v, "action")));
            }
        }
        for (i, h) in &leaves.forms {
            let Some(form) = docs.get(*i, h)? else {
                continue;
            };
            let mut problems = Vec::new();
            check_form(
                &form,
                (&election, &constituency),
                *i,
                &confirmations,
                &decisions,
                &mut problems,
            );
            docs.findings.extend(problems.into_iter().map(|p| {
                Finding::new(
                    FindingKind::Invariant,
                    format!("entry {i}: Form-47 of {election}/{constituency}: {p}"),
                )
            }));
        }
    }
    Ok(())
}

/// The figures a form states that must be sums of the stations' figures: (where in the form,
/// which station field).
fn summed_fields(form: &Value) -> Vec<(String, Option<u64>, String)> {
    let mut out = Vec::new();
    for c in form
        .get("candidates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(n) = c.get("ballot_no").and_then(Value::as_u64) {
            out.push((
                format!("candidate {n}'s votes"),
                c.get("votes").and_then(Value::as_u64),
                format!("candidate_{n}"),
            ));
        }
    }
    for field in ["total_valid", "rejected", "total_polled"] {
        out.push((field.to_owned(), number(form, &[field]), field.to_owned()));
    }
    for (part, prefix) in [("polled", "polled"), ("registered", "registered")] {
        for gender in ["male", "female", "transgender"] {
            out.push((
                format!("{part} ({gender})"),
                number(form, &["turnout", part, gender]),
                format!("{prefix}_{gender}"),
            ));
        }
    }
    out
}

fn check_form(
    statement: &Value,
    (election, constituency): (&str, &str),
    entry: u64,
    confirmations: &[Confirmation],
    decisions: &[(u64, String, String)],
    problems: &mut Vec<String>,
) {
    let named = (
        statement.get("format").and_then(Value::as_str),
        statement.get("form").and_then(Value::as_str),
        statement.get("election").and_then(Value::as_str),
        statement.get("constituency").and_then(Value::as_str),
    );
    let expected = (
        Some(SIGNED_FORM_FORMAT),
        Some("form47"),
        Some(election),
        Some(constituency),
    );
    let Some(form) = statement.get("content").filter(|_| named == expected) else {
        problems.push(format!(
            "the document is not this constituency's signed Form-47 (format, form, election, \
             constituency: {named:?})"
        ));
        return;
    };
    let before: Vec<&Confirmation> = confirmations.iter().filter(|c| c.entry < entry).collect();
    let mut counted = Vec::new();
    let mut stations = BTreeSet::new();
    for s in form
        .get("stations_counted")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let station = s.get("station").and_then(Value::as_u64).unwrap_or(0);
        let manifest = text(s, "manifest_hash");
        let cited = text(s, "confirmation");
        if !stations.insert(station) {
            problems.push(format!("station {station} is counted twice"));
            continue;
        }
        let Some(c) = before.iter().find(|c| c.id == cited) else {
            problems.push(format!(
                "station {station} cites the confirmation {cited:?}, which no earlier \
                 figures_confirmed leaf names"
            ));
            continue;
        };
        if c.station != station || c.manifest_hash != manifest {
            problems.push(format!(
                "station {station} cites the confirmation {cited:?}, which is for station {} \
                 and capture {}",
                c.station, c.manifest_hash
            ));
        }
        if let Some(newer) = before
            .iter()
            .find(|n| n.supersedes.as_deref() == Some(&cited))
        {
            problems.push(format!(
                "station {station} cites the confirmation {cited:?}, superseded by {:?} \
                 (entry {}) before the form",
                newer.id, newer.entry
            ));
        }
        let head = decisions
            .iter()
            .rfind(|(i, m, _)| *i < entry && *m == manifest);
        if head.is_none_or(|(_, _, action)| action != "accept") {
            problems.push(format!(
                "station {station} counts the capture {manifest}, which the RO had not \
                 accepted in the log before the form"
            ));
        }
        counted.push(*c);
    }
    for (what, stated, field) in summed_fields(form) {
        let sum: u64 = counted
            .iter()
            .map(|c| c.figures.get(&field).copied().unwrap_or(0))
            .sum();
        if stated != Some(sum) {
            let stated = stated.map_or("nothing".to_owned(), |n| n.to_string());
            problems.push(format!(
                "{what}: the form states {stated}, the {} stations it cites add up to {sum}",
                counted.len()
            ));
        }
    }
}
