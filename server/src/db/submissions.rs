//! Submissions: one row per signed manifest (its hash is the identity: UNIQUE, so two servers
//! racing end with one row), and the joins the intake reads in one query (with the device, the
//! report, the upload).

use sqlx::{AnyConnection, AnyPool, FromRow, Row};

use super::DbResult;
use super::columns::{DeviceKeyHex, Sha256Hex, SignatureHex, StoredVerdict, SubmissionStatus};
use super::devices::DeviceRow;
use super::events::insert_event;
use super::log_leaves::LoggedReceipt;
use super::uploads::UploadRow;

/// A submission as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubmissionRow {
    pub manifest_hash: Sha256Hex,
    pub device_key: DeviceKeyHex,
    pub election_id: String,
    pub constituency: String,
    pub station: i64,
    pub form: String,
    pub seq: i64,
    pub signature: SignatureHex,
    pub image_sha256: Sha256Hex,
    pub image_bytes: i64,
    pub media_type: String,
    pub received_at_ms: i64,
    pub status: SubmissionStatus,
    pub image_received_at_ms: Option<i64>,
    pub image_phash: Option<String>,
    pub verdict: Option<StoredVerdict>,
    pub receipt: String,
    /// The signed manifest bytes, standard base64 (`None` for rows older than migration 0002).
    pub manifest: Option<String>,
}

impl SubmissionRow {
    /// The signed manifest bytes the row holds (`None` for rows older than migration 0002,
    /// whose manifest is only in the object store).
    pub fn manifest_bytes(&self) -> Option<Result<Vec<u8>, base64::DecodeError>> {
        use base64::Engine;
        self.manifest
            .as_ref()
            .map(|b64| base64::engine::general_purpose::STANDARD.decode(b64))
    }
}

const SUBMISSION_COLUMNS: &str = "manifest_hash, device_key, election_id, constituency, station, \
     form, seq, signature, image_sha256, image_bytes, media_type, received_at_ms, status, \
     image_received_at_ms, image_phash, verdict, receipt, manifest";

fn submission_from_row(r: &sqlx::any::AnyRow) -> DbResult<SubmissionRow> {
    SubmissionRow::from_row(r)
}

/// Insert a new submission, its event and its leaf in the log, then sign its receipt with the
/// leaf's index (`logged`); returns that receipt. `None` when the manifest hash exists already
/// (the UNIQUE primary key decides races between servers), and then nothing was written. Runs
/// inside a transaction ([`Database::write_atomic`]).
pub async fn insert_submission(
    conn: &mut AnyConnection,
    s: &SubmissionRow,
    logged: &LoggedReceipt,
) -> DbResult<Option<String>> {
    let done = sqlx::query(
        "INSERT INTO submissions (manifest_hash, device_key, election_id, constituency, station, \
         form, seq, signature, image_sha256, image_bytes, media_type, received_at_ms, status, \
         receipt, manifest) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (manifest_hash) DO NOTHING",
    )
    .bind(s.manifest_hash)
    .bind(s.device_key)
    .bind(s.election_id.clone())
    .bind(s.constituency.clone())
    .bind(s.station)
    .bind(s.form.clone())
    .bind(s.seq)
    .bind(s.signature)
    .bind(s.image_sha256)
    .bind(s.image_bytes)
    .bind(s.media_type.clone())
    .bind(s.received_at_ms)
    .bind(s.status)
    .bind(s.receipt.clone())
    .bind(s.manifest.clone())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    insert_event(
        &mut *conn,
        s.received_at_ms,
        "manifest_received",
        &s.manifest_hash.to_hex(),
        &serde_json::json!({
            "device": s.device_key, "election": s.election_id, "constituency": s.constituency,
            "station": s.station, "form": s.form, "seq": s.seq, "image_sha256": s.image_sha256,
        }),
    )
    .await?;
    // The row is locked by this transaction: the leaf (and the log's lock) come after it, as in
    // every write that logs, so two transactions never wait for each other in opposite orders.
    let receipt = logged.append_and_sign(&mut *conn).await?;
    sqlx::query("UPDATE submissions SET receipt = $1 WHERE manifest_hash = $2")
        .bind(receipt.clone())
        .bind(s.manifest_hash)
        .execute(&mut *conn)
        .await?;
    Ok(Some(receipt))
}

pub async fn get_submission(db: &AnyPool, manifest_hash: &str) -> DbResult<Option<SubmissionRow>> {
    let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE manifest_hash = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(manifest_hash.to_owned())
        .fetch_optional(db)
        .await?;
    row.as_ref().map(submission_from_row).transpose()
}

/// The submission columns qualified with the table alias `s` (for joins), built once.
fn submission_columns_as_s() -> &'static str {
    static COLUMNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        SUBMISSION_COLUMNS
            .split(',')
            .map(|c| format!("s.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    });
    &COLUMNS
}

/// A submission and its verification report (JSON) when there is one, in one query.
pub async fn get_submission_with_report(
    db: &AnyPool,
    manifest_hash: &str,
) -> DbResult<Option<(SubmissionRow, Option<String>)>> {
    let sql = format!(
        "SELECT {}, r.report AS report FROM submissions s \
         LEFT JOIN verification_reports r ON r.manifest_hash = s.manifest_hash \
         WHERE s.manifest_hash = $1",
        submission_columns_as_s()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(manifest_hash.to_owned())
        .fetch_optional(db)
        .await?;
    row.map(|r| Ok((submission_from_row(&r)?, r.try_get("report")?)))
        .transpose()
}

/// A submission and the device that signed it, in one query.
pub async fn get_submission_with_device(
    db: &AnyPool,
    manifest_hash: &str,
) -> DbResult<Option<(SubmissionRow, DeviceRow)>> {
    let sql = format!(
        "SELECT {}, {DEVICE_COLUMNS_AS_D} \
         FROM submissions s JOIN devices d ON d.device_key = s.device_key \
         WHERE s.manifest_hash = $1",
        submission_columns_as_s()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(manifest_hash.to_owned())
        .fetch_optional(db)
        .await?;
    row.map(|r| Ok((submission_from_row(&r)?, device_from_joined_row(&r)?)))
        .transpose()
}

/// The device columns in a join with `submissions s` (alias `d`), renamed where the names clash.
const DEVICE_COLUMNS_AS_D: &str = "d.device_key AS device_key_d, d.election_id AS device_election, \
     d.constituency AS device_constituency, d.station AS device_station, d.officer_name, \
     d.enrolled_at_ms, d.revoked_at_ms";

/// The device of a row selected with [`DEVICE_COLUMNS_AS_D`].
#[derive(sqlx::FromRow)]
struct JoinedDevice {
    device_key_d: DeviceKeyHex,
    device_election: String,
    device_constituency: String,
    device_station: i64,
    officer_name: String,
    enrolled_at_ms: i64,
    revoked_at_ms: Option<i64>,
}

fn device_from_joined_row(r: &sqlx::any::AnyRow) -> DbResult<DeviceRow> {
    let d = JoinedDevice::from_row(r)?;
    Ok(DeviceRow {
        device_key: d.device_key_d,
        election_id: d.device_election,
        constituency: d.device_constituency,
        station: d.device_station,
        officer_name: d.officer_name,
        enrolled_at_ms: d.enrolled_at_ms,
        revoked_at_ms: d.revoked_at_ms,
    })
}

/// A device, and the submission `manifest_hash` when the server has it, in one query (the
/// manifest intake's idempotency and enrolment checks). `None`: the device is not enrolled.
pub async fn get_device_with_submission(
    db: &AnyPool,
    device_key: &str,
    manifest_hash: &str,
) -> DbResult<Option<(DeviceRow, Option<SubmissionRow>)>> {
    let sql = format!(
        "SELECT {}, {DEVICE_COLUMNS_AS_D} \
         FROM devices d LEFT JOIN submissions s ON s.manifest_hash = $2 \
         WHERE d.device_key = $1",
        submission_columns_as_s()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(device_key.to_owned())
        .bind(manifest_hash.to_owned())
        .fetch_optional(db)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let device = device_from_joined_row(&r)?;
    let submission = match r.try_get::<Option<String>, _>("manifest_hash")? {
        Some(_) => Some(submission_from_row(&r)?),
        None => None,
    };
    Ok(Some((device, submission)))
}

/// What tus creation reads about a submission, in one query.
#[derive(Debug, Clone)]
pub struct UploadContext {
    pub submission: SubmissionRow,
    /// The device that signed the submission.
    pub device: DeviceRow,
    /// The submission's tus upload, when it has one.
    pub upload: Option<UploadRow>,
    /// Unfinished uploads of the device created after `open_after_ms` (its upload slots in use).
    pub open_uploads: i64,
}

/// The upload columns of [`get_upload_context`]'s join (absent without an upload).
#[derive(sqlx::FromRow)]
struct JoinedUpload {
    upload_id: Option<String>,
    upload_device_key: Option<DeviceKeyHex>,
    upload_length: Option<i64>,
    upload_offset: Option<i64>,
    completed_at_ms: Option<i64>,
}

impl JoinedUpload {
    fn into_upload(self, manifest_hash: Sha256Hex) -> Option<UploadRow> {
        Some(UploadRow {
            id: self.upload_id?,
            manifest_hash,
            device_key: self.upload_device_key?,
            upload_length: self.upload_length?,
            upload_offset: self.upload_offset?,
            completed_at_ms: self.completed_at_ms,
        })
    }
}

/// A submission with its device, its tus upload and its device's upload slots in use
/// ([`UploadContext`]), in one query; `None` when the server does not have the submission.
pub async fn get_upload_context(
    db: &AnyPool,
    manifest_hash: &str,
    open_after_ms: i64,
) -> DbResult<Option<UploadContext>> {
    let sql = format!(
        "SELECT {}, {DEVICE_COLUMNS_AS_D}, u.id AS upload_id, u.device_key AS upload_device_key, \
           u.upload_length, u.upload_offset, u.completed_at_ms, \
           (SELECT COUNT(*) FROM uploads o WHERE o.device_key = s.device_key \
              AND o.completed_at_ms IS NULL AND o.created_at_ms > $2) AS open_uploads \
         FROM submissions s \
         JOIN devices d ON d.device_key = s.device_key \
         LEFT JOIN uploads u ON u.manifest_hash = s.manifest_hash \
         WHERE s.manifest_hash = $1",
        submission_columns_as_s()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(manifest_hash.to_owned())
        .bind(open_after_ms)
        .fetch_optional(db)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let submission = submission_from_row(&r)?;
    let upload = JoinedUpload::from_row(&r)?.into_upload(submission.manifest_hash);
    Ok(Some(UploadContext {
        device: device_from_joined_row(&r)?,
        upload,
        open_uploads: r.try_get("open_uploads")?,
        submission,
    }))
}

pub async fn count_submissions(db: &AnyPool) -> DbResult<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM submissions")
        .fetch_one(db)
        .await?
        .try_get("n")
}
