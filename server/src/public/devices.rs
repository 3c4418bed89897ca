//! The enrolment records of a constituency's phones, for anyone verifying a capture
//! (`docs/portal-verifier.md`): each device key with its polling station and its enrolment and
//! revocation times — what the log's `device_enrolled` and `device_revoked` leaves already make
//! public — in core's `EnrolledDevice` form, so the page's verifier (and `tallyseal verify
//! --context`) can make core's `device_enrolled` check. Never an officer's name.

use serde::Serialize;
use tallyseal_core::verify::EnrolledDevice;

use crate::db;
use crate::elections::load_package;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The devices of one constituency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConstituencyDevices {
    pub election: String,
    pub constituency: String,
    pub devices: Vec<EnrolledDevice>,
}

impl ConstituencyDevices {
    /// The latest enrolment or revocation (ms), for `Last-Modified`.
    pub fn last_modified_ms(&self) -> Option<i64> {
        self.devices
            .iter()
            .flat_map(|d| [d.enrolled_at_ms, d.revoked_at_ms])
            .flatten()
            .max()
    }
}

/// The devices enrolled for constituency `code` of `election` (404 for either unknown).
pub async fn devices(
    state: &AppState,
    election: &str,
    code: &str,
) -> Result<ConstituencyDevices, ApiError> {
    let package = load_package(state, election).await?;
    if !package
        .package
        .constituencies
        .iter()
        .any(|c| c.code == code)
    {
        return Err(ApiError::new(
            Problem::NotFound,
            format!("election {election:?} has no constituency {code:?}"),
        ));
    }
    let rows = db::constituency_devices(&state.db.pool, election, code).await?;
    let devices = rows
        .into_iter()
        .map(|r| EnrolledDevice {
            key: r.device_key.get(),
            constituency: r.constituency,
            station: u32::try_from(r.station).unwrap_or(u32::MAX),
            enrolled_at_ms: Some(r.enrolled_at_ms),
            revoked_at_ms: r.revoked_at_ms,
        })
        .collect();
    Ok(ConstituencyDevices {
        election: election.to_owned(),
        constituency: code.to_owned(),
        devices,
    })
}
