//! Enrolment codes (stored as hashes): issued for a station, used once.

use sqlx::AnyPool;

use super::DbResult;
use super::columns::DeviceKeyHex;
use super::events::insert_event;

/// An enrolment code as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CodeRow {
    pub election_id: String,
    pub constituency: String,
    pub station: i64,
    pub expires_at_ms: i64,
    pub used_at_ms: Option<i64>,
    /// The device key (hex) the code enrolled.
    pub used_by_key: Option<DeviceKeyHex>,
}

pub async fn insert_code(
    db: &AnyPool,
    code_hash: &str,
    election: &str,
    constituency: &str,
    station: i64,
    now: i64,
    expires_at_ms: i64,
) -> DbResult<()> {
    let mut tx = super::begin_write(db).await?;
    sqlx::query(
        "INSERT INTO enrolment_codes \
         (code_hash, election_id, constituency, station, created_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(code_hash.to_owned())
    .bind(election.to_owned())
    .bind(constituency.to_owned())
    .bind(station)
    .bind(now)
    .bind(expires_at_ms)
    .execute(&mut *tx)
    .await?;
    insert_event(
        &mut *tx,
        now,
        "enrolment_code_issued",
        &format!("{election}/{constituency}/{station}"),
        &serde_json::json!({"code_hash": code_hash, "expires_at_ms": expires_at_ms}),
    )
    .await?;
    tx.commit().await
}

/// The code whose hash is `code_hash`.
pub async fn get_code(db: &AnyPool, code_hash: &str) -> DbResult<Option<CodeRow>> {
    sqlx::query_as(
        "SELECT election_id, constituency, station, expires_at_ms, used_at_ms, used_by_key \
         FROM enrolment_codes WHERE code_hash = $1",
    )
    .bind(code_hash.to_owned())
    .fetch_optional(db)
    .await
}
