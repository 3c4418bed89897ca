//! The public ledger: for every station of an election's polling scheme, where each form stands
//! (awaited, manifest received with its hash committed, image received, verified or flagged,
//! accepted, rejected, recapture requested, confirmed) with its times, and every capture the
//! station sent, superseded ones included, with the capture that supersedes it and the PO's
//! reason. States are [`crate::stations::constituency_states`]' (the one definition); the
//! figures state is the figures domain's ([`crate::figures::board_states`]).

use serde::Serialize;

use super::csv;
use crate::accounts::ConstituencyRef;
use crate::elections::load_package;
use crate::error::ApiError;
use crate::figures::board_states::constituency_figures;
use crate::state::AppState;
use crate::stations::board::constituency_states;
use crate::stations::{CaptureState, CaptureSummary, FiguresState, FormStatus};

/// A capture as the public sees it (no device key, no account id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerCapture {
    pub manifest_hash: String,
    pub page: u32,
    pub pages: u32,
    pub state: CaptureState,
    pub verdict: Option<String>,
    pub captured_at_ms: Option<i64>,
    pub received_at_ms: i64,
    pub image_received_at_ms: Option<i64>,
    /// The RO's latest decision: `accept`, `reject` or `recapture`.
    pub decision: Option<String>,
    pub decision_reason_code: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub supersedes: Option<String>,
    pub supersede_reason: Option<String>,
    pub superseded_by: Option<String>,
}

/// One form of one station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerForm {
    pub form: &'static str,
    /// `confirmed` once the figures domain has confirmed the figures, otherwise the form's
    /// capture state.
    pub state: &'static str,
    pub capture_state: CaptureState,
    pub figures_state: Option<FiguresState>,
    pub captured_at_ms: Option<i64>,
    pub received_at_ms: Option<i64>,
    pub image_received_at_ms: Option<i64>,
    pub decided_at_ms: Option<i64>,
    pub pages_missing: Vec<u32>,
    /// The current capture set, one capture per page.
    pub captures: Vec<LedgerCapture>,
    /// Every other capture: superseded, rejected or earlier sets, oldest first.
    pub earlier: Vec<LedgerCapture>,
}

/// One station of the polling scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerStation {
    pub constituency: String,
    pub station: u32,
    pub name: String,
    pub forms: Vec<LedgerForm>,
}

/// The ledger of an election (or of one of its constituencies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ledger {
    pub election: String,
    pub stations: Vec<LedgerStation>,
}

impl Ledger {
    /// The latest time anything in the ledger happened (ms), for `Last-Modified`.
    pub fn last_modified_ms(&self) -> Option<i64> {
        self.stations
            .iter()
            .flat_map(|s| &s.forms)
            .flat_map(|f| f.captures.iter().chain(&f.earlier))
            .flat_map(|c| {
                [
                    Some(c.received_at_ms),
                    c.image_received_at_ms,
                    c.decided_at_ms,
                ]
            })
            .flatten()
            .max()
    }
}

fn capture(c: &CaptureSummary) -> LedgerCapture {
    LedgerCapture {
        manifest_hash: c.manifest_hash.clone(),
        page: c.page,
        pages: c.pages,
        state: c.state,
        verdict: c.verdict.clone(),
        captured_at_ms: c.captured_at_ms,
        received_at_ms: c.received_at_ms,
        image_received_at_ms: c.image_received_at_ms,
        decision: c.decision.as_ref().map(|d| d.action.clone()),
        decision_reason_code: c.decision.as_ref().and_then(|d| d.reason_code.clone()),
        decided_at_ms: c.decision.as_ref().map(|d| d.decided_at_ms),
        supersedes: c.supersedes.clone(),
        supersede_reason: c.supersede_reason.clone(),
        superseded_by: c.superseded_by.clone(),
    }
}

fn form(f: &FormStatus) -> LedgerForm {
    LedgerForm {
        form: f.form,
        state: match f.figures {
            Some(FiguresState::Confirmed) => "confirmed",
            _ => f.state.as_str(),
        },
        capture_state: f.state,
        figures_state: f.figures,
        captured_at_ms: f.captured_at_ms,
        received_at_ms: f.received_at_ms,
        image_received_at_ms: f.image_received_at_ms,
        decided_at_ms: f.decided_at_ms,
        pages_missing: f.pages_missing.clone(),
        captures: f.pages.iter().map(capture).collect(),
        earlier: f.earlier.iter().map(capture).collect(),
    }
}

/// The ledger of `election`, of its constituency `only` when given (404 for an unknown one).
pub async fn ledger(
    state: &AppState,
    election: &str,
    only: Option<&str>,
) -> Result<Ledger, ApiError> {
    let state = state.for_public_reads();
    let package = load_package(state, election).await?;
    let codes: Vec<String> = match only {
        Some(code) => vec![code.to_owned()],
        None => package
            .package
            .constituencies
            .iter()
            .map(|c| c.code.clone())
            .collect(),
    };
    let mut stations = Vec::new();
    for code in codes {
        let figures = constituency_figures(state, &ConstituencyRef::new(election, &code)).await?;
        let (constituency, states) = constituency_states(state, election, &code, &figures).await?;
        stations.extend(states.iter().map(|s| LedgerStation {
            constituency: constituency.code.clone(),
            station: s.station,
            name: s.name.clone(),
            forms: s.forms.iter().map(form).collect(),
        }));
    }
    Ok(Ledger {
        election: election.to_owned(),
        stations,
    })
}

const CSV_HEADER: [&str; 21] = [
    "election",
    "constituency",
    "station",
    "station_name",
    "form",
    "form_state",
    "figures_state",
    "row",
    "manifest_hash",
    "page",
    "pages",
    "capture_state",
    "verdict",
    "captured_at_ms",
    "received_at_ms",
    "image_received_at_ms",
    "decision",
    "decided_at_ms",
    "supersedes",
    "supersede_reason",
    "superseded_by",
];

/// The ledger as CSV: one row per capture (`row` = `current` or `earlier`), and one `awaited`
/// row for a form with no capture.
pub fn to_csv(ledger: &Ledger) -> String {
    let mut out = String::new();
    csv::record(&mut out, &CSV_HEADER.map(str::to_owned));
    for s in &ledger.stations {
        for f in &s.forms {
            let head = [
                csv::text(&ledger.election),
                csv::text(&s.constituency),
                s.station.to_string(),
                csv::text(&s.name),
                f.form.to_owned(),
                f.state.to_owned(),
                f.figures_state
                    .map(|x| x.as_str().to_owned())
                    .unwrap_or_default(),
            ];
            if f.captures.is_empty() && f.earlier.is_empty() {
                let mut fields = head.to_vec();
                fields.push("awaited".into());
                fields.extend(std::iter::repeat_n(String::new(), CSV_HEADER.len() - 8));
                csv::record(&mut out, &fields);
            }
            let rows = f
                .captures
                .iter()
                .map(|c| ("current", c))
                .chain(f.earlier.iter().map(|c| ("earlier", c)));
            for (row, c) in rows {
                let mut fields = head.to_vec();
                fields.extend([
                    row.to_owned(),
                    c.manifest_hash.clone(),
                    c.page.to_string(),
                    c.pages.to_string(),
                    c.state.as_str().to_owned(),
                    csv::text(c.verdict.as_deref().unwrap_or_default()),
                    csv::number(c.captured_at_ms),
                    c.received_at_ms.to_string(),
                    csv::number(c.image_received_at_ms),
                    csv::text(c.decision.as_deref().unwrap_or_default()),
                    csv::number(c.decided_at_ms),
                    c.supersedes.clone().unwrap_or_default(),
                    csv::text(c.supersede_reason.as_deref().unwrap_or_default()),
                    c.superseded_by.clone().unwrap_or_default(),
                ]);
                csv::record(&mut out, &fields);
            }
        }
    }
    out
}
