//! Devices: a phone's key bound to a station (with the code that bound it), and revocation.

use sqlx::AnyPool;

use super::DbResult;
use super::columns::DeviceKeyHex;
use super::events::insert_event;
use super::log_leaves::{LeafToAppend, append_leaf};

/// A device as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceRow {
    pub device_key: DeviceKeyHex,
    pub election_id: String,
    pub constituency: String,
    pub station: i64,
    pub officer_name: String,
    pub enrolled_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

/// What happened to an enrolment attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolOutcome {
    Enrolled,
    /// Someone else used the code between our read and our write.
    CodeUsed,
    /// The key is already bound (to this or another station).
    KeyTaken,
}

/// Use the code and bind the key to its station, with its event and its leaf in the log,
/// atomically.
pub async fn enrol_device(
    db: &AnyPool,
    code_hash: &str,
    device: &DeviceRow,
    leaf: &LeafToAppend,
) -> DbResult<EnrolOutcome> {
    let mut tx = super::begin_write(db).await?;
    let used = sqlx::query(
        "UPDATE enrolment_codes SET used_at_ms = $1, used_by_key = $2 \
         WHERE code_hash = $3 AND used_at_ms IS NULL",
    )
    .bind(device.enrolled_at_ms)
    .bind(device.device_key)
    .bind(code_hash.to_owned())
    .execute(&mut *tx)
    .await?;
    if used.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(EnrolOutcome::CodeUsed);
    }
    let inserted = sqlx::query(
        "INSERT INTO devices (device_key, election_id, constituency, station, officer_name, \
         enrolled_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_key) DO NOTHING",
    )
    .bind(device.device_key)
    .bind(device.election_id.clone())
    .bind(device.constituency.clone())
    .bind(device.station)
    .bind(device.officer_name.clone())
    .bind(device.enrolled_at_ms)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(EnrolOutcome::KeyTaken);
    }
    insert_event(
        &mut *tx,
        device.enrolled_at_ms,
        "device_enrolled",
        &device.device_key.to_hex(),
        &serde_json::json!({
            "election": device.election_id, "constituency": device.constituency,
            "station": device.station, "officer": device.officer_name, "code_hash": code_hash,
        }),
    )
    .await?;
    append_leaf(&mut tx, leaf).await?;
    tx.commit().await?;
    Ok(EnrolOutcome::Enrolled)
}

/// The device whose key (hex) is `key`.
pub async fn get_device(db: &AnyPool, key: &str) -> DbResult<Option<DeviceRow>> {
    sqlx::query_as(
        "SELECT device_key, election_id, constituency, station, officer_name, enrolled_at_ms, \
         revoked_at_ms FROM devices WHERE device_key = $1",
    )
    .bind(key.to_owned())
    .fetch_optional(db)
    .await
}

/// Every device enrolled for constituency `constituency` of `election`, revoked ones included,
/// by station then key.
pub async fn constituency_devices(
    db: &AnyPool,
    election: &str,
    constituency: &str,
) -> DbResult<Vec<DeviceRow>> {
    sqlx::query_as(
        "SELECT device_key, election_id, constituency, station, officer_name, enrolled_at_ms, \
         revoked_at_ms FROM devices WHERE election_id = $1 AND constituency = $2 \
         ORDER BY station, device_key",
    )
    .bind(election.to_owned())
    .bind(constituency.to_owned())
    .fetch_all(db)
    .await
}

/// Revoke a device (first revocation time wins), with its event and its leaf in the log; returns
/// the revocation time in force.
pub async fn revoke_device(
    db: &AnyPool,
    key: &str,
    now: i64,
    reason: &str,
    leaf: &LeafToAppend,
) -> DbResult<Option<i64>> {
    let mut tx = super::begin_write(db).await?;
    let done = sqlx::query(
        "UPDATE devices SET revoked_at_ms = $1 WHERE device_key = $2 AND revoked_at_ms IS NULL",
    )
    .bind(now)
    .bind(key.to_owned())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        insert_event(
            &mut *tx,
            now,
            "device_revoked",
            key,
            &serde_json::json!({"reason": reason}),
        )
        .await?;
        append_leaf(&mut tx, leaf).await?;
    }
    tx.commit().await?;
    Ok(get_device(db, key).await?.and_then(|d| d.revoked_at_ms))
}
