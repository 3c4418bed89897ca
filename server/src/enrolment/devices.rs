//! Devices: a phone's key bound to a station with a one-time code (a retry after a lost answer
//! gets the same enrolment), and revocation, which is for good.

use std::sync::Arc;

use tallyseal_core::keys::PublicKey;

use crate::db::{self, DeviceRow, EnrolOutcome};
use crate::elections::load_package;
use crate::enrolment::code_hash;
use crate::error::{ApiError, Problem};
use crate::provenance::LogEvent;
use crate::provenance::OpenedPackage;
use crate::state::AppState;

/// An enrolment, new (`created`) or the one this key already made with this code.
#[derive(Debug)]
pub struct Enrolled {
    pub created: bool,
    pub device: DeviceRow,
    pub station: u32,
    /// The election's package, which the phone receives with its enrolment.
    pub package: Arc<OpenedPackage>,
}

/// Enrol `key` for `officer` (already trimmed and checked) with `code`.
pub async fn enrol(
    state: &AppState,
    key: &PublicKey,
    officer: &str,
    code: &str,
) -> Result<Enrolled, ApiError> {
    let pool = &state.db.pool;
    let hash = code_hash(code);
    let code = db::get_code(pool, &hash)
        .await?
        .ok_or_else(|| ApiError::new(Problem::UnknownCode, "no such enrolment code"))?;
    let now = crate::now_ms();
    let station =
        u32::try_from(code.station).map_err(|e| ApiError::internal("stored station number", e))?;
    let package = load_package(state, &code.election_id).await?;
    let again = |device| Enrolled {
        created: false,
        device,
        station,
        package: package.clone(),
    };

    if code.used_at_ms.is_some() {
        return Ok(again(enrolment_again(pool, &code, key).await?));
    }
    if now >= code.expires_at_ms {
        return Err(ApiError::new(
            Problem::ExpiredCode,
            "this enrolment code has expired",
        ));
    }
    let device = DeviceRow {
        device_key: (*key).into(),
        election_id: code.election_id.clone(),
        constituency: code.constituency.clone(),
        station: code.station,
        officer_name: officer.to_owned(),
        enrolled_at_ms: now,
        revoked_at_ms: None,
    };
    let leaf = device_leaf(&device, true, now)?;
    match state.db.enrol_device(&hash, &device, &leaf).await? {
        EnrolOutcome::Enrolled => Ok(Enrolled {
            created: true,
            device,
            station,
            package,
        }),
        EnrolOutcome::CodeUsed => {
            // Used between our read and our write, perhaps by this very key (the same phone
            // retrying at once, its first request having won): answered like any retry.
            let code = db::get_code(pool, &hash).await?.ok_or_else(code_used)?;
            Ok(again(enrolment_again(pool, &code, key).await?))
        }
        EnrolOutcome::KeyTaken => Err(ApiError::new(
            Problem::DeviceAlreadyEnrolled,
            "this device key is already enrolled; generate a new key to enrol again",
        )),
    }
}

fn code_used() -> ApiError {
    ApiError::new(
        Problem::CodeUsed,
        "this enrolment code has already been used",
    )
}

/// The enrolment a used `code` made, for the key that used it (the same phone retrying after a
/// lost response); any other key, even one enrolled at the same station, is told the code is
/// used.
async fn enrolment_again(
    pool: &sqlx::AnyPool,
    code: &db::CodeRow,
    key: &PublicKey,
) -> Result<DeviceRow, ApiError> {
    if code.used_by_key.map(|k| k.get()) != Some(*key) {
        return Err(code_used());
    }
    match db::get_device(pool, &key.to_hex()).await? {
        Some(d)
            if d.election_id == code.election_id
                && d.constituency == code.constituency
                && d.station == code.station
                && d.revoked_at_ms.is_none() =>
        {
            Ok(d)
        }
        _ => Err(code_used()),
    }
}

/// Revoke `key` with `reason`; returns the time of its (first) revocation. A revocation is a
/// public event: its leaf goes into the log with it.
pub async fn revoke(state: &AppState, key: &PublicKey, reason: &str) -> Result<i64, ApiError> {
    let device = db::get_device(&state.db.pool, &key.to_hex())
        .await?
        .ok_or_else(|| ApiError::new(Problem::UnknownDevice, "no such device"))?;
    let now = crate::now_ms();
    let leaf = device_leaf(&device, false, now)?;
    state
        .db
        .revoke_device(&key.to_hex(), now, reason, &leaf)
        .await?
        .ok_or_else(|| ApiError::new(Problem::UnknownDevice, "no such device"))
}

/// The leaf of a device's enrolment (`enrolled`) or revocation; the station is named
/// `<constituency>/<station number>`. The officer's name never goes in a leaf.
fn device_leaf(device: &DeviceRow, enrolled: bool, now: i64) -> Result<db::LeafToAppend, ApiError> {
    let election_id = device.election_id.clone();
    let device_key = device.device_key.get();
    let station_id = format!("{}/{}", device.constituency, device.station);
    let event = if enrolled {
        LogEvent::DeviceEnrolled {
            election_id,
            device_key,
            station_id,
        }
    } else {
        LogEvent::DeviceRevoked {
            election_id,
            device_key,
            station_id,
        }
    };
    crate::log::leaf(event, &device.device_key.to_hex(), now)
        .map_err(|e| ApiError::internal("log leaf", e))
}
