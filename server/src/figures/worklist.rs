//! What the figures pages list: the accepted captures still awaiting a blind entry (with which
//! slot is the asking operator's, another's or free) and those awaiting the RO's corrections.
//! Reads only; never shows an operator another entry's figures or the PO's.

use std::collections::BTreeMap;

use serde::Serialize;

use super::standing::gather;
use crate::accounts::{Actor, ConstituencyRef};
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// A slot of a capture as one operator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotHolder {
    Free,
    /// The asking operator's, not submitted yet.
    Mine,
    /// The asking operator's, submitted.
    MineSubmitted,
    Other,
}

/// An accepted Form-45 capture whose figures are not confirmed yet.
#[derive(Debug, Clone, Serialize)]
pub struct AwaitingCapture {
    pub station: u32,
    pub station_name: String,
    pub manifest_hash: String,
    pub slots: [SlotHolder; 2],
    /// Both entries submitted and the figures not confirmed: the RO settles them.
    pub corrections_pending: bool,
}

/// Every accepted capture of `c` whose figures are not confirmed, station order, with each slot
/// as `actor` sees it.
pub async fn awaiting(
    state: &AppState,
    c: &ConstituencyRef,
    actor: &Actor,
) -> Result<Vec<AwaitingCapture>, ApiError> {
    let standing = gather(state, c).await?;
    let rows = db::latest_entries_of_constituency(&state.db.pool, &c.election, &c.code).await?;
    let mut by_hash: BTreeMap<&str, Vec<&db::EntryRow>> = BTreeMap::new();
    for r in &rows {
        by_hash.entry(r.manifest_hash.as_str()).or_default().push(r);
    }
    let mut out = Vec::new();
    for s in &standing.stations {
        let Some(capture) = &s.capture else { continue };
        if s.confirmation.is_some() {
            continue;
        }
        let entries = by_hash
            .get(capture.manifest_hash.as_str())
            .cloned()
            .unwrap_or_default();
        let holder = |slot: i64| match entries.iter().find(|e| e.slot == slot) {
            None => SlotHolder::Free,
            Some(e) if e.actor != actor.user_id => SlotHolder::Other,
            Some(e) if e.action == "submit" => SlotHolder::MineSubmitted,
            Some(_) => SlotHolder::Mine,
        };
        let submitted = entries.iter().filter(|e| e.action == "submit").count();
        out.push(AwaitingCapture {
            station: s.station.number,
            station_name: s.station.name.clone(),
            manifest_hash: capture.manifest_hash.clone(),
            slots: [holder(1), holder(2)],
            corrections_pending: submitted == 2,
        });
    }
    Ok(out)
}
