//! The server's identity: the Commission key the database was first used with (one row).

use sqlx::{AnyPool, Row};

use super::DbResult;

/// The Commission key (hex) the database was first used with, if any.
pub async fn recorded_commission_key(db: &AnyPool) -> DbResult<Option<String>> {
    let row = sqlx::query("SELECT commission_key FROM server_identity WHERE id = 1")
        .fetch_optional(db)
        .await?;
    row.map(|r| r.try_get("commission_key")).transpose()
}

/// Record `key` as the database's Commission key unless one is recorded; returns the key in force
/// (the first recorded, on this server or another).
pub async fn record_commission_key(db: &AnyPool, key: &str, now: i64) -> DbResult<String> {
    sqlx::query(
        "INSERT INTO server_identity (id, commission_key, recorded_at_ms) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(key.to_owned())
    .bind(now)
    .execute(db)
    .await?;
    Ok(recorded_commission_key(db).await?.unwrap_or_default())
}
