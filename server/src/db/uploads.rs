//! tus uploads: one per submission; the offset moves only by compare-and-set, and a restart
//! appends an event saying why.

use sqlx::{AnyConnection, AnyPool, FromRow};

use super::DbResult;
use super::columns::{DeviceKeyHex, Sha256Hex};
use super::events::insert_event;

/// A tus upload as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UploadRow {
    pub id: String,
    pub manifest_hash: Sha256Hex,
    pub device_key: DeviceKeyHex,
    pub upload_length: i64,
    pub upload_offset: i64,
    pub completed_at_ms: Option<i64>,
}

fn upload_from_row(r: &sqlx::any::AnyRow) -> DbResult<UploadRow> {
    UploadRow::from_row(r)
}

const UPLOAD_COLUMNS: &str =
    "id, manifest_hash, device_key, upload_length, upload_offset, completed_at_ms";

/// Create the submission's upload (at the row's offset: bytes up to there are held already), or
/// return the one it already has (one upload per manifest).
pub async fn create_upload(
    conn: &mut AnyConnection,
    u: &UploadRow,
    now: i64,
) -> DbResult<UploadRow> {
    let sql = format!(
        "INSERT INTO uploads (id, manifest_hash, device_key, upload_length, upload_offset, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (manifest_hash) DO NOTHING \
         RETURNING {UPLOAD_COLUMNS}"
    );
    let created = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(u.id.clone())
        .bind(u.manifest_hash)
        .bind(u.device_key)
        .bind(u.upload_length)
        .bind(u.upload_offset)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(row) = created {
        return upload_from_row(&row);
    }
    // It had one already.
    let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE manifest_hash = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(u.manifest_hash)
        .fetch_one(&mut *conn)
        .await?;
    upload_from_row(&row)
}

pub async fn get_upload(db: &AnyPool, id: &str) -> DbResult<Option<UploadRow>> {
    let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(db)
        .await?;
    row.as_ref().map(upload_from_row).transpose()
}

/// Move an upload's offset from `from` to `to`; false when the offset was not `from` any more.
pub async fn set_upload_offset(
    conn: &mut AnyConnection,
    id: &str,
    from: i64,
    to: i64,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE uploads SET upload_offset = $1 WHERE id = $2 AND upload_offset = $3 \
         AND completed_at_ms IS NULL",
    )
    .bind(to)
    .bind(id.to_owned())
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Why an upload starts over from offset 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadRestart {
    /// Abandoned: its part file was idle past `part_file_idle_secs` (the sweep).
    Expired,
    /// All its bytes arrived, but they are not the signed image.
    ImageHashMismatch { received_sha256: String },
    /// This server does not hold the bytes behind the offset (another server's disk, or lost).
    BytesMissing,
}

/// Start an upload over: its offset goes back to 0 (from `u.upload_offset`, while it is
/// unfinished and still there), and an event records why and what was dropped:
/// `upload_expired` (`{upload, dropped_offset}`, when bytes were held) or `upload_reset`
/// (`{upload, reason, …}`). False when the upload moved on meanwhile.
pub async fn restart_upload(
    conn: &mut AnyConnection,
    u: &UploadRow,
    now: i64,
    why: &UploadRestart,
) -> DbResult<bool> {
    if !set_upload_offset(&mut *conn, &u.id, u.upload_offset, 0).await? {
        return Ok(false);
    }
    let (kind, detail) = match why {
        UploadRestart::Expired if u.upload_offset == 0 => return Ok(true),
        UploadRestart::Expired => (
            "upload_expired",
            serde_json::json!({ "upload": u.id, "dropped_offset": u.upload_offset }),
        ),
        UploadRestart::ImageHashMismatch { received_sha256 } => (
            "upload_reset",
            serde_json::json!({
                "upload": u.id,
                "reason": "image_hash_mismatch",
                "received_bytes": u.upload_length,
                "received_sha256": received_sha256,
            }),
        ),
        UploadRestart::BytesMissing => (
            "upload_reset",
            serde_json::json!({
                "upload": u.id,
                "reason": "bytes_missing",
                "dropped_offset": u.upload_offset,
            }),
        ),
    };
    insert_event(&mut *conn, now, kind, &u.manifest_hash.to_hex(), &detail).await?;
    Ok(true)
}

pub async fn get_upload_for_manifest(
    db: &AnyPool,
    manifest_hash: &str,
) -> DbResult<Option<UploadRow>> {
    let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE manifest_hash = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(manifest_hash.to_owned())
        .fetch_optional(db)
        .await?;
    row.as_ref().map(upload_from_row).transpose()
}
