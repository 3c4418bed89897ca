//! The one definition of a polling station's state, per form (Form-45 and Form-46): what the
//! arrival board, the review and the public ledger all show. Pure: it reads the rows it is given
//! (captures, their manifests' facts, review decisions) and the polling scheme, and never queries
//! anything itself.
//!
//! A capture's state: `manifest_received` (hash committed) → `image_received` (image stored and
//! verified, the near-duplicate analysis still to run) → `verified` or `flagged` (a verdict with
//! warnings or a failed check) → the Returning Officer's latest decision: `accepted`, `rejected`
//! or `recapture_requested`. A capture that a later capture's manifest names in `supersedes` is
//! superseded: it stays listed, never replaced. A form of a station with no capture is `awaited`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use tallyseal_core::form::FormKind;
use tallyseal_core::model::{Constituency, StationType};

use super::facts::ManifestFacts;
use crate::db::{BoardCaptureRow, DecisionRow, SubmissionStatus};
use crate::provenance::Verdict;

/// Where a station's form (or one capture) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureState {
    Awaited,
    ManifestReceived,
    ImageReceived,
    Verified,
    Flagged,
    Accepted,
    Rejected,
    RecaptureRequested,
}

impl CaptureState {
    pub const ALL: [CaptureState; 8] = [
        CaptureState::Awaited,
        CaptureState::ManifestReceived,
        CaptureState::ImageReceived,
        CaptureState::Verified,
        CaptureState::Flagged,
        CaptureState::Accepted,
        CaptureState::Rejected,
        CaptureState::RecaptureRequested,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaptureState::Awaited => "awaited",
            CaptureState::ManifestReceived => "manifest_received",
            CaptureState::ImageReceived => "image_received",
            CaptureState::Verified => "verified",
            CaptureState::Flagged => "flagged",
            CaptureState::Accepted => "accepted",
            CaptureState::Rejected => "rejected",
            CaptureState::RecaptureRequested => "recapture_requested",
        }
    }

    pub fn parse(s: &str) -> Option<CaptureState> {
        CaptureState::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// How far along a page is, for a form whose pages differ: the form is as far as its least
    /// advanced page (a rejection or a recapture request on any page decides first).
    fn progress(self) -> u8 {
        match self {
            CaptureState::Awaited => 0,
            CaptureState::ManifestReceived => 1,
            CaptureState::ImageReceived => 2,
            CaptureState::Flagged => 3,
            CaptureState::Verified => 4,
            CaptureState::Accepted => 5,
            CaptureState::RecaptureRequested => 6,
            CaptureState::Rejected => 7,
        }
    }
}

/// The figures domain's state of a station's form, once its entries exist (filled by the figures
/// domain through [`FiguresStates`]; this module never decides it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FiguresState {
    Entering,
    Disagreement,
    Quarantined,
    Confirmed,
}

impl FiguresState {
    pub const ALL: [FiguresState; 4] = [
        FiguresState::Entering,
        FiguresState::Disagreement,
        FiguresState::Quarantined,
        FiguresState::Confirmed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FiguresState::Entering => "entering",
            FiguresState::Disagreement => "disagreement",
            FiguresState::Quarantined => "quarantined",
            FiguresState::Confirmed => "confirmed",
        }
    }
}

/// The slot the figures domain fills: its state of each station's form.
pub trait FiguresStates: Send + Sync {
    fn figures_state(&self, station: u32, form: FormKind) -> Option<FiguresState>;
}

/// The figures domain's states of every constituency of an election, by constituency code (for
/// the national summary).
pub trait ElectionFiguresStates: Send + Sync {
    fn constituency(&self, code: &str) -> Option<&dyn FiguresStates>;
}

impl<F: FiguresStates> ElectionFiguresStates for HashMap<String, F> {
    fn constituency(&self, code: &str) -> Option<&dyn FiguresStates> {
        self.get(code).map(|f| f as &dyn FiguresStates)
    }
}

/// No figures domain: every figures state is absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFigures;

impl FiguresStates for NoFigures {
    fn figures_state(&self, _: u32, _: FormKind) -> Option<FiguresState> {
        None
    }
}

impl ElectionFiguresStates for NoFigures {
    fn constituency(&self, _: &str) -> Option<&dyn FiguresStates> {
        None
    }
}

/// A decision as the board shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionSummary {
    pub decision_id: String,
    pub action: String,
    pub reason_code: Option<String>,
    pub actor_id: String,
    pub origin: String,
    pub decided_at_ms: i64,
}

/// One capture (one page of one capture set) and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaptureSummary {
    pub manifest_hash: String,
    pub page: u32,
    pub pages: u32,
    pub capture_set: String,
    pub state: CaptureState,
    pub verdict: Option<String>,
    pub device_key: String,
    pub seq: i64,
    /// The best capture-time estimate (`capture_time_source`: gnss, anchor or device_clock).
    pub captured_at_ms: Option<i64>,
    pub capture_time_source: Option<&'static str>,
    pub received_at_ms: i64,
    pub image_received_at_ms: Option<i64>,
    /// The latest decision (the head of the capture's decision chain).
    pub decision: Option<DecisionSummary>,
    /// The capture this one supersedes, and the PO's reason.
    pub supersedes: Option<String>,
    pub supersede_reason: Option<String>,
    /// The later capture that supersedes this one.
    pub superseded_by: Option<String>,
}

/// A station's form: its state, the current capture set's pages, and every other capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormStatus {
    pub form: &'static str,
    pub state: CaptureState,
    /// The current capture set, one capture per page received, in page order.
    pub pages: Vec<CaptureSummary>,
    /// Pages the current set declares but that have not arrived.
    pub pages_missing: Vec<u32>,
    /// Every other capture of the form: superseded ones and earlier sets, oldest first.
    pub earlier: Vec<CaptureSummary>,
    pub captured_at_ms: Option<i64>,
    pub received_at_ms: Option<i64>,
    pub image_received_at_ms: Option<i64>,
    pub decided_at_ms: Option<i64>,
    /// Filled by the figures domain ([`FiguresStates`]).
    pub figures: Option<FiguresState>,
}

/// A polling station of the scheme and its forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationState {
    pub station: u32,
    pub name: String,
    pub station_type: StationType,
    pub forms: Vec<FormStatus>,
}

impl StationState {
    pub fn form(&self, form: FormKind) -> Option<&FormStatus> {
        self.forms.iter().find(|f| f.form == form.as_str())
    }
}

/// The forms every station sends.
pub const FORMS: [FormKind; 2] = [FormKind::Form45, FormKind::Form46];

/// The head of each capture's decision chain: the decision no other decision on it supersedes
/// (the UNIQUE `(manifest_hash, supersedes_key)` keeps the chain linear).
pub fn head_decisions(decisions: &[DecisionRow]) -> HashMap<String, &DecisionRow> {
    let superseded: std::collections::HashSet<&str> = decisions
        .iter()
        .filter_map(|d| d.supersedes.as_deref())
        .collect();
    decisions
        .iter()
        .filter(|d| !superseded.contains(d.decision_id.as_str()))
        .map(|d| (d.manifest_hash.to_hex(), d))
        .collect()
}

fn capture_state(row: &BoardCaptureRow, decision: Option<&DecisionRow>) -> CaptureState {
    if let Some(d) = decision {
        match d.action.as_str() {
            "accept" => return CaptureState::Accepted,
            "reject" => return CaptureState::Rejected,
            "recapture" => return CaptureState::RecaptureRequested,
            _ => {}
        }
    }
    match (row.status, row.analysed_at_ms, row.verdict) {
        (SubmissionStatus::ManifestReceived, _, _) => CaptureState::ManifestReceived,
        (SubmissionStatus::Verified, None, _) => CaptureState::ImageReceived,
        (SubmissionStatus::Verified, Some(_), Some(v)) if v.0 == Verdict::Verified => {
            CaptureState::Verified
        }
        (SubmissionStatus::Verified, Some(_), _) => CaptureState::Flagged,
    }
}

/// One capture with its facts, state and links.
pub fn summarise(
    row: &BoardCaptureRow,
    facts: &ManifestFacts,
    decision: Option<&DecisionRow>,
    superseded_by: Option<String>,
) -> CaptureSummary {
    CaptureSummary {
        manifest_hash: row.manifest_hash.to_hex(),
        page: facts.page,
        pages: facts.pages,
        capture_set: facts.capture_set.clone(),
        state: capture_state(row, decision),
        verdict: row.verdict.map(|v| v.as_str().to_owned()),
        device_key: row.device_key.clone(),
        seq: row.seq,
        captured_at_ms: facts.captured_at_ms,
        capture_time_source: facts.capture_time_source,
        received_at_ms: row.received_at_ms,
        image_received_at_ms: row.image_received_at_ms,
        decision: decision.map(|d| DecisionSummary {
            decision_id: d.decision_id.clone(),
            action: d.action.clone(),
            reason_code: d.reason_code.clone(),
            actor_id: d.actor_id.clone(),
            origin: d.origin.clone(),
            decided_at_ms: d.decided_at_ms,
        }),
        supersedes: facts.supersedes.as_ref().map(|(h, _)| h.to_hex()),
        supersede_reason: facts.supersedes.as_ref().map(|(_, r)| r.clone()),
        superseded_by,
    }
}

/// The state of one station's form from its captures (`captures`: rows of that station and form,
/// with their facts, oldest first).
pub fn form_status(
    form: FormKind,
    captures: &[(&BoardCaptureRow, &ManifestFacts)],
    heads: &HashMap<String, &DecisionRow>,
    figures: Option<FiguresState>,
) -> FormStatus {
    // Which capture supersedes which: only a capture of the same station and form counts.
    let mut superseded_by: HashMap<String, String> = HashMap::new();
    for (row, facts) in captures {
        if let Some((old, _)) = &facts.supersedes {
            superseded_by
                .entry(old.to_hex())
                .or_insert_with(|| row.manifest_hash.to_hex());
        }
    }
    let summaries: Vec<CaptureSummary> = captures
        .iter()
        .map(|(row, facts)| {
            let hash = row.manifest_hash.to_hex();
            let by = superseded_by.get(&hash).cloned();
            summarise(row, facts, heads.get(&hash).copied(), by)
        })
        .collect();
    // The current set: the latest received capture not superseded, and its set's pages.
    let current_set = summaries
        .iter()
        .filter(|s| s.superseded_by.is_none())
        .max_by_key(|s| (s.received_at_ms, s.manifest_hash.clone()))
        .map(|s| (s.capture_set.clone(), s.pages));
    let mut pages: BTreeMap<u32, CaptureSummary> = BTreeMap::new();
    let mut earlier = Vec::new();
    for s in summaries {
        let in_current = s.superseded_by.is_none()
            && current_set
                .as_ref()
                .is_some_and(|(set, _)| *set == s.capture_set);
        if !in_current {
            earlier.push(s);
            continue;
        }
        // Two unsuperseded captures of one page: the later one is current.
        if let Some(old) = pages.insert(s.page, s) {
            earlier.push(old);
        }
    }
    earlier.sort_by_key(|s| (s.received_at_ms, s.manifest_hash.clone()));
    let declared = current_set.as_ref().map_or(0, |(_, n)| *n);
    let pages_missing = (1..=declared).filter(|p| !pages.contains_key(p)).collect();
    let pages: Vec<CaptureSummary> = pages.into_values().collect();
    let state = pages
        .iter()
        .map(|p| p.state)
        .max_by_key(|s| match s {
            CaptureState::Rejected | CaptureState::RecaptureRequested => 100 + s.progress(),
            other => 10 - other.progress(),
        })
        .unwrap_or(CaptureState::Awaited);
    FormStatus {
        form: form.as_str(),
        state,
        captured_at_ms: pages.iter().filter_map(|p| p.captured_at_ms).min(),
        received_at_ms: pages.iter().map(|p| p.received_at_ms).min(),
        image_received_at_ms: pages.iter().filter_map(|p| p.image_received_at_ms).max(),
        decided_at_ms: pages
            .iter()
            .filter_map(|p| p.decision.as_ref().map(|d| d.decided_at_ms))
            .max(),
        pages,
        pages_missing,
        earlier,
        figures,
    }
}

/// Every station of the constituency's polling scheme with its state, from the constituency's
/// captures (any order) and decisions. Captures for a station outside the scheme are left out.
pub fn station_states(
    constituency: &Constituency,
    rows: &[BoardCaptureRow],
    facts: &[Arc<ManifestFacts>],
    decisions: &[DecisionRow],
    figures: &dyn FiguresStates,
) -> Vec<StationState> {
    let heads = head_decisions(decisions);
    let mut by_form: HashMap<(i64, &str), Vec<(&BoardCaptureRow, &ManifestFacts)>> = HashMap::new();
    for (row, f) in rows.iter().zip(facts) {
        by_form
            .entry((row.station, row.form.as_str()))
            .or_default()
            .push((row, f.as_ref()));
    }
    for captures in by_form.values_mut() {
        captures.sort_by_key(|(r, _)| (r.received_at_ms, r.manifest_hash.to_hex()));
    }
    constituency
        .stations
        .iter()
        .map(|station| StationState {
            station: station.number,
            name: station.name.clone(),
            station_type: station.station_type,
            forms: FORMS
                .iter()
                .map(|form| {
                    let key = (i64::from(station.number), form.as_str());
                    let captures = by_form.get(&key).map(Vec::as_slice).unwrap_or(&[]);
                    form_status(
                        *form,
                        captures,
                        &heads,
                        figures.figures_state(station.number, *form),
                    )
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sha256Hex, StoredVerdict};

    fn hash(n: u8) -> Sha256Hex {
        Sha256Hex(tallyseal_core::hash::sha256(&[n]))
    }

    fn row(n: u8, received: i64, verdict: Option<Verdict>) -> BoardCaptureRow {
        BoardCaptureRow {
            manifest_hash: hash(n),
            constituency: "NA-1".into(),
            station: 1,
            form: "form45".into(),
            device_key: "k".into(),
            seq: i64::from(n),
            status: if verdict.is_some() {
                SubmissionStatus::Verified
            } else {
                SubmissionStatus::ManifestReceived
            },
            received_at_ms: received,
            image_received_at_ms: verdict.map(|_| received + 1),
            analysed_at_ms: verdict.map(|_| received + 2),
            verdict: verdict.map(StoredVerdict),
            manifest: None,
        }
    }

    fn facts(set: &str, page: u32, pages: u32, supersedes: Option<u8>) -> ManifestFacts {
        ManifestFacts {
            page,
            pages,
            capture_set: set.into(),
            supersedes: supersedes.map(|n| (hash(n), "retaken".into())),
            captured_at_ms: Some(10),
            capture_time_source: Some("gnss"),
        }
    }

    fn decision(id: &str, n: u8, action: &str, supersedes: Option<&str>) -> DecisionRow {
        DecisionRow {
            decision_id: id.into(),
            manifest_hash: hash(n),
            election_id: "e".into(),
            constituency: "NA-1".into(),
            station: 1,
            form: "form45".into(),
            action: action.into(),
            reason_code: None,
            reason_text: String::new(),
            actor_id: "u-1".into(),
            origin: "centre".into(),
            decided_at_ms: 50,
            supersedes: supersedes.map(str::to_owned),
            body_sha256: String::new(),
        }
    }

    #[test]
    fn pages_supersession_and_decisions_decide_the_form() {
        let (r1, r2, r3) = (
            row(1, 100, Some(Verdict::Verified)),
            row(2, 200, Some(Verdict::Verified)),
            row(3, 300, None),
        );
        let (f1, f2, f3) = (
            facts("a", 1, 1, None),
            facts("b", 1, 2, Some(1)),
            facts("b", 2, 2, None),
        );
        // Capture 1 superseded by 2; set b has pages 1 (verified) and 2 (manifest only).
        let captures = [(&r1, &f1), (&r2, &f2), (&r3, &f3)];
        let none = HashMap::new();
        let f = form_status(FormKind::Form45, &captures, &none, None);
        assert_eq!(f.state, CaptureState::ManifestReceived);
        assert_eq!(f.pages.len(), 2);
        assert!(f.pages_missing.is_empty());
        assert_eq!(f.earlier.len(), 1);
        assert_eq!(f.earlier[0].superseded_by, Some(hash(2).to_hex()));
        assert_eq!(f.captured_at_ms, Some(10));

        // Only page 1 of set b: page 2 is missing; the form is as far as page 1.
        let f = form_status(FormKind::Form45, &captures[..2], &none, None);
        assert_eq!(f.state, CaptureState::Verified);
        assert_eq!(f.pages_missing, vec![2]);

        // The latest decision of a chain counts; a rejected page decides the form.
        let decisions = vec![
            decision("d1", 2, "recapture", None),
            decision("d2", 2, "accept", Some("d1")),
            decision("d3", 3, "reject", None),
        ];
        let heads = head_decisions(&decisions);
        assert_eq!(heads[&hash(2).to_hex()].decision_id, "d2");
        let f = form_status(FormKind::Form45, &captures, &heads, None);
        assert_eq!(f.pages[0].state, CaptureState::Accepted);
        assert_eq!(f.state, CaptureState::Rejected);

        // No capture: awaited, and the figures slot carries what it is given.
        let f = form_status(FormKind::Form46, &[], &none, Some(FiguresState::Confirmed));
        assert_eq!(f.state, CaptureState::Awaited);
        assert_eq!(f.figures, Some(FiguresState::Confirmed));
        for s in CaptureState::ALL {
            assert_eq!(CaptureState::parse(s.as_str()), Some(s));
        }
    }
}
