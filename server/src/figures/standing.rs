//! Where every station of a constituency stands, for quarantine and the forms: its accepted
//! Form-45 capture (the latest received), that capture's entries and confirmation in force, the
//! PO's sealed figures and the stored verification report. Five reads per constituency, whatever
//! its size. Reads only.

use std::collections::{BTreeMap, BTreeSet};

use tallyseal_core::model::{Constituency, Election, PollingStation};

use super::capture::{constituency_of, sealed_figures, stored_report};
use super::corrections::in_force;
use super::fields::{FieldSet, FieldValues, from_stored};
use crate::accounts::ConstituencyRef;
use crate::db::{self, ConfirmationRow, ReleaseRow};
use crate::error::ApiError;
use crate::provenance::VerificationReport;
use crate::review::AcceptedManifest;
use crate::state::AppState;

/// A station's Form-45 as it stands.
#[derive(Debug, Clone)]
pub struct StationStanding {
    pub station: PollingStation,
    /// Whether any Form-45 capture of the station was received (accepted or not).
    pub received: bool,
    /// The latest accepted Form-45 capture.
    pub capture: Option<AcceptedManifest>,
    /// Entries of that capture: (slot, state) of the latest row of each.
    pub entries: Vec<(i64, String)>,
    pub confirmation: Option<ConfirmationRow>,
    pub confirmed: Option<FieldValues>,
    pub sealed: Option<FieldValues>,
    pub report: Option<VerificationReport>,
}

/// A constituency as it stands.
#[derive(Debug, Clone)]
pub struct ConstituencyStanding {
    pub constituency_ref: ConstituencyRef,
    pub election: Election,
    pub constituency: Constituency,
    pub fields: FieldSet,
    pub stations: Vec<StationStanding>,
    /// Every quarantine release, oldest first.
    pub releases: Vec<ReleaseRow>,
}

/// Gather where every station of `c` stands.
pub async fn gather(
    state: &AppState,
    c: &ConstituencyRef,
) -> Result<ConstituencyStanding, ApiError> {
    let (package, constituency) = constituency_of(state, c).await?;
    let pool = &state.db.pool;
    let accepted = crate::review::accepted_manifests(pool, c).await?;
    let captures = db::captures_of_constituency(pool, &c.election, &c.code).await?;
    let confirmations = db::confirmations_of_constituency(pool, &c.election, &c.code).await?;
    let entries = db::latest_entries_of_constituency(pool, &c.election, &c.code).await?;
    let releases = db::releases_of_constituency(pool, &c.election, &c.code).await?;

    let received: BTreeSet<i64> = captures
        .iter()
        .filter(|r| r.form == "form45")
        .map(|r| r.station)
        .collect();
    let rows: BTreeMap<&str, &db::CaptureFiguresRow> = captures
        .iter()
        .map(|r| (r.manifest_hash.as_str(), r))
        .collect();
    let mut latest: BTreeMap<u32, &AcceptedManifest> = BTreeMap::new();
    for a in accepted.iter().filter(|a| a.form == "form45") {
        // Ordered by time received: the last one wins.
        latest.insert(a.station, a);
    }
    let mut confirmations_by: BTreeMap<&str, Vec<ConfirmationRow>> = BTreeMap::new();
    for r in &confirmations {
        confirmations_by
            .entry(r.manifest_hash.as_str())
            .or_default()
            .push(r.clone());
    }
    let mut entries_by: BTreeMap<&str, Vec<(i64, String)>> = BTreeMap::new();
    for e in &entries {
        entries_by
            .entry(e.manifest_hash.as_str())
            .or_default()
            .push((e.slot, e.action.clone()));
    }

    let mut stations = Vec::with_capacity(constituency.stations.len());
    for station in &constituency.stations {
        let capture = latest.get(&station.number).map(|a| (*a).clone());
        let hash = capture.as_ref().map(|a| a.manifest_hash.as_str());
        let row = hash.and_then(|h| rows.get(h));
        let confirmation = hash
            .and_then(|h| confirmations_by.get(h))
            .and_then(|rs| in_force(rs).cloned());
        let confirmed = confirmation
            .as_ref()
            .map(|c| from_stored(&c.figures))
            .transpose()?;
        stations.push(StationStanding {
            station: station.clone(),
            received: received.contains(&i64::from(station.number)),
            entries: hash
                .and_then(|h| entries_by.get(h).cloned())
                .unwrap_or_default(),
            confirmation,
            confirmed,
            sealed: row.and_then(|r| sealed_figures(r)),
            report: row.and_then(|r| stored_report(r)),
            capture,
        });
    }
    Ok(ConstituencyStanding {
        constituency_ref: c.clone(),
        election: package.package.election.clone(),
        fields: FieldSet::new(
            tallyseal_core::form::FormKind::Form45,
            &constituency.candidates,
        ),
        constituency,
        stations,
        releases,
    })
}
