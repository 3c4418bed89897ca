//! The figures domain's state of each station's Form-45 for the arrival board and the national
//! summary (`stations::FiguresStates`): `entering` once an entry exists, `disagreement` when both
//! entries are submitted and no confirmation is in force, `quarantined` when the confirmed figures
//! are held by a finding no release covers, `confirmed` otherwise. A station without an accepted
//! capture, or whose accepted capture has no entry yet, has no figures state. Reads only.

use std::collections::{BTreeMap, HashMap};

use tallyseal_core::form::FormKind;

use super::quarantine::quarantine_of;
use super::standing::{ConstituencyStanding, gather};
use crate::accounts::ConstituencyRef;
use crate::error::ApiError;
use crate::state::AppState;
use crate::stations::{FiguresState, FiguresStates};

/// The figures state of every station of one constituency (Form-45; Form-46 has none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StationFigures {
    by_station: BTreeMap<u32, FiguresState>,
}

impl FiguresStates for StationFigures {
    fn figures_state(&self, station: u32, form: FormKind) -> Option<FiguresState> {
        match form {
            FormKind::Form45 => self.by_station.get(&station).copied(),
            _ => None,
        }
    }
}

/// Where each station of `standing` is in the figures' workflow.
pub fn states_of(standing: &ConstituencyStanding) -> StationFigures {
    let held: BTreeMap<u32, bool> = quarantine_of(standing)
        .into_iter()
        .map(|q| (q.station, q.quarantined))
        .collect();
    let mut by_station = BTreeMap::new();
    for s in standing.stations.iter().filter(|s| s.capture.is_some()) {
        let n = s.station.number;
        let state = if s.confirmation.is_some() {
            if held.get(&n).copied().unwrap_or(false) {
                FiguresState::Quarantined
            } else {
                FiguresState::Confirmed
            }
        } else if s.entries.iter().filter(|(_, a)| a == "submit").count() == 2 {
            FiguresState::Disagreement
        } else if !s.entries.is_empty() {
            FiguresState::Entering
        } else {
            continue;
        };
        by_station.insert(n, state);
    }
    StationFigures { by_station }
}

/// The figures states of constituency `c`.
pub async fn constituency_figures(
    state: &AppState,
    c: &ConstituencyRef,
) -> Result<StationFigures, ApiError> {
    Ok(states_of(&gather(state, c).await?))
}

/// The figures states of every constituency of `election` that `visible` admits, by code (five
/// reads per constituency, as its board).
pub async fn election_figures(
    state: &AppState,
    election: &str,
    visible: &dyn Fn(&str) -> bool,
) -> Result<HashMap<String, StationFigures>, ApiError> {
    let package = crate::elections::load_package(state, election).await?;
    let mut out = HashMap::new();
    for c in package
        .package
        .constituencies
        .iter()
        .filter(|c| visible(&c.code))
    {
        let r = ConstituencyRef::new(election, &c.code);
        out.insert(c.code.clone(), constituency_figures(state, &r).await?);
    }
    Ok(out)
}
