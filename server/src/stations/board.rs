//! The arrival board of a constituency (every station of its polling scheme with its state,
//! counts by state, the stations awaited, filters) and the Commission's national summary. Two
//! queries per board (captures, decisions), whatever the number of stations; the manifests' facts
//! come from the [`super::FactsCache`].

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tallyseal_core::form::FormKind;
use tallyseal_core::model::Constituency;

use super::state::{
    CaptureState, ElectionFiguresStates, FORMS, FiguresState, FiguresStates, NoFigures,
    StationState, station_states,
};
use crate::db::{self, BoardCaptureRow, DecisionRow};
use crate::elections::load_package;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Which stations a board lists (counts always cover every station).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BoardFilter {
    /// Only stations with a form in this state.
    pub state: Option<CaptureState>,
    /// Only this form (for `state`, and the forms listed).
    pub form: Option<FormKind>,
}

/// Counts of stations by state, per form (`form45` → `awaited` → 12).
pub type StateCounts = BTreeMap<&'static str, BTreeMap<&'static str, usize>>;

/// Counts of stations by figures state, per form (`form45` → `confirmed` → 9), as the figures
/// domain reports them.
pub type FiguresCounts = BTreeMap<&'static str, BTreeMap<&'static str, usize>>;

/// A constituency's arrival board.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub election: String,
    pub constituency: String,
    pub name: String,
    pub generated_at_ms: i64,
    pub stations_total: usize,
    pub counts: StateCounts,
    pub figures_counts: FiguresCounts,
    /// The stations whose form is still awaited, per form (s.13(3): the list the RO sends).
    pub awaited: BTreeMap<&'static str, Vec<u32>>,
    pub stations: Vec<StationState>,
}

/// One constituency in the national summary.
#[derive(Debug, Clone, Serialize)]
pub struct ConstituencySummary {
    pub code: String,
    pub name: String,
    pub stations_total: usize,
    pub counts: StateCounts,
    pub figures_counts: FiguresCounts,
}

/// The Commission's national view: every constituency the viewer may see, with its counts.
#[derive(Debug, Clone, Serialize)]
pub struct NationalSummary {
    pub election: String,
    pub generated_at_ms: i64,
    pub stations_total: usize,
    pub totals: StateCounts,
    pub figures_totals: FiguresCounts,
    pub constituencies: Vec<ConstituencySummary>,
}

fn empty_counts() -> StateCounts {
    FORMS
        .iter()
        .map(|f| {
            let by_state = CaptureState::ALL.iter().map(|s| (s.as_str(), 0)).collect();
            (f.as_str(), by_state)
        })
        .collect()
}

fn empty_figures_counts() -> FiguresCounts {
    FORMS
        .iter()
        .map(|f| {
            let by_state = FiguresState::ALL.iter().map(|s| (s.as_str(), 0)).collect();
            (f.as_str(), by_state)
        })
        .collect()
}

fn count_figures_into(counts: &mut FiguresCounts, stations: &[StationState]) {
    for form in stations.iter().flat_map(|s| &s.forms) {
        if let Some(n) = form.figures.and_then(|f| {
            counts
                .get_mut(form.form)
                .and_then(|m| m.get_mut(f.as_str()))
        }) {
            *n += 1;
        }
    }
}

fn count_into(counts: &mut StateCounts, stations: &[StationState]) {
    for station in stations {
        for form in &station.forms {
            if let Some(n) = counts
                .get_mut(form.form)
                .and_then(|m| m.get_mut(form.state.as_str()))
            {
                *n += 1;
            }
        }
    }
}

/// The constituency `code` of `election`'s package (404 when the package has none).
pub async fn constituency_of(
    state: &AppState,
    election: &str,
    code: &str,
) -> Result<Constituency, ApiError> {
    let package = load_package(state, election).await?;
    package.package.constituency(code).cloned().ok_or_else(|| {
        ApiError::new(
            Problem::NotFound,
            format!("election {election:?} has no constituency {code:?}"),
        )
    })
}

/// Every station of the constituency with its state (the one definition, for the board, the
/// review and the public ledger).
pub async fn constituency_states(
    state: &AppState,
    election: &str,
    code: &str,
    figures: &dyn FiguresStates,
) -> Result<(Constituency, Vec<StationState>), ApiError> {
    let constituency = constituency_of(state, election, code).await?;
    let pool = &state.db.pool;
    let rows = db::board_captures(pool, election, Some(code)).await?;
    let decisions = db::decisions_for_board(pool, election, Some(code)).await?;
    let states = states_of(state, &constituency, &rows, &decisions, figures);
    Ok((constituency, states))
}

fn states_of(
    state: &AppState,
    constituency: &Constituency,
    rows: &[BoardCaptureRow],
    decisions: &[DecisionRow],
    figures: &dyn FiguresStates,
) -> Vec<StationState> {
    let facts = state
        .manifest_facts
        .facts_for(rows, &[state.commission_key.public_key()]);
    station_states(constituency, rows, &facts, decisions, figures)
}

/// The arrival board of one constituency.
pub async fn constituency_board(
    state: &AppState,
    election: &str,
    code: &str,
    filter: BoardFilter,
    figures: &dyn FiguresStates,
) -> Result<Board, ApiError> {
    let (constituency, stations) = constituency_states(state, election, code, figures).await?;
    let mut counts = empty_counts();
    count_into(&mut counts, &stations);
    let mut figures_counts = empty_figures_counts();
    count_figures_into(&mut figures_counts, &stations);
    let awaited = FORMS
        .iter()
        .map(|form| {
            let list = stations
                .iter()
                .filter(|s| s.form(*form).map(|f| f.state) == Some(CaptureState::Awaited))
                .map(|s| s.station)
                .collect();
            (form.as_str(), list)
        })
        .collect();
    let stations_total = stations.len();
    let stations = stations
        .into_iter()
        .filter_map(|mut s| {
            if let Some(form) = filter.form {
                s.forms.retain(|f| f.form == form.as_str());
            }
            match filter.state {
                Some(wanted) if !s.forms.iter().any(|f| f.state == wanted) => None,
                _ => Some(s),
            }
        })
        .collect();
    Ok(Board {
        election: election.to_owned(),
        constituency: constituency.code,
        name: constituency.name,
        generated_at_ms: crate::now_ms(),
        stations_total,
        counts,
        figures_counts,
        awaited,
        stations,
    })
}

/// The national summary of `election`: the constituencies `visible` admits, each with its counts
/// (two queries for the whole election), and the figures states `figures` holds for each.
pub async fn national_summary(
    state: &AppState,
    election: &str,
    visible: &dyn Fn(&str) -> bool,
    figures: &dyn ElectionFiguresStates,
) -> Result<NationalSummary, ApiError> {
    let package = load_package(state, election).await?;
    let pool = &state.db.pool;
    let rows = db::board_captures(pool, election, None).await?;
    let decisions = db::decisions_for_board(pool, election, None).await?;
    let mut rows_by: HashMap<&str, Vec<BoardCaptureRow>> = HashMap::new();
    for row in &rows {
        rows_by
            .entry(row.constituency.as_str())
            .or_default()
            .push(row.clone());
    }
    let mut decisions_by: HashMap<&str, Vec<DecisionRow>> = HashMap::new();
    for d in &decisions {
        decisions_by
            .entry(d.constituency.as_str())
            .or_default()
            .push(d.clone());
    }
    let mut totals = empty_counts();
    let mut figures_totals = empty_figures_counts();
    let mut stations_total = 0;
    let mut constituencies = Vec::new();
    for c in package
        .package
        .constituencies
        .iter()
        .filter(|c| visible(&c.code))
    {
        let rows = rows_by
            .get(c.code.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let decisions = decisions_by
            .get(c.code.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let of_constituency = figures.constituency(&c.code).unwrap_or(&NoFigures);
        let stations = states_of(state, c, rows, decisions, of_constituency);
        let mut counts = empty_counts();
        count_into(&mut counts, &stations);
        count_into(&mut totals, &stations);
        let mut figures_counts = empty_figures_counts();
        count_figures_into(&mut figures_counts, &stations);
        count_figures_into(&mut figures_totals, &stations);
        stations_total += stations.len();
        constituencies.push(ConstituencySummary {
            code: c.code.clone(),
            name: c.name.clone(),
            stations_total: stations.len(),
            counts,
            figures_counts,
        });
    }
    Ok(NationalSummary {
        election: election.to_owned(),
        generated_at_ms: crate::now_ms(),
        stations_total,
        totals,
        figures_totals,
        constituencies,
    })
}
