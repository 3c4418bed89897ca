//! Verification reports and what records them: the completion of an upload (report, verdict,
//! receipt, upload and events in one commit) and the near-duplicate analysis (claims, perceptual
//! hashes, the completed report).

use sqlx::{AnyConnection, AnyPool, Row};

use super::DbResult;
use super::columns::{Sha256Hex, StoredVerdict};
use super::events::{insert_event, insert_events};
use super::log_leaves::LoggedReceipt;
use super::uploads::UploadRow;

/// Claim the oldest verified capture not yet analysed (or whose claim is older than
/// `stale_before_ms`) for the analyser holding `token`. Returns the claimed manifest hash.
/// Two analysers racing for one row: the guarded UPDATE lets one through.
pub async fn claim_for_analysis(
    conn: &mut AnyConnection,
    token: &str,
    now: i64,
    stale_before_ms: i64,
) -> DbResult<Option<Sha256Hex>> {
    let candidate = sqlx::query(
        "SELECT manifest_hash FROM submissions WHERE status = 'verified' AND analysed_at_ms IS NULL \
           AND (analysis_claimed_at_ms IS NULL OR analysis_claimed_at_ms < $1) \
         ORDER BY image_received_at_ms LIMIT 1",
    )
    .bind(stale_before_ms)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = candidate else {
        return Ok(None);
    };
    let manifest_hash: Sha256Hex = row.try_get("manifest_hash")?;
    let claimed = sqlx::query(
        "UPDATE submissions SET analysis_claim = $1, analysis_claimed_at_ms = $2 \
         WHERE manifest_hash = $3 AND analysed_at_ms IS NULL \
           AND (analysis_claimed_at_ms IS NULL OR analysis_claimed_at_ms < $4)",
    )
    .bind(token.to_owned())
    .bind(now)
    .bind(manifest_hash)
    .bind(stale_before_ms)
    .execute(&mut *conn)
    .await?;
    Ok((claimed.rows_affected() == 1).then_some(manifest_hash))
}

/// Captures waiting for the analysis, and when the oldest of them was completed.
pub async fn analysis_backlog(db: &AnyPool) -> DbResult<(i64, Option<i64>)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(image_received_at_ms) AS oldest FROM submissions \
         WHERE status = 'verified' AND analysed_at_ms IS NULL",
    )
    .fetch_one(db)
    .await?;
    Ok((row.try_get("n")?, row.try_get("oldest")?))
}

/// Record a claimed capture's perceptual hash, on its own and before comparing: of two captures
/// analysed at the same moment, the one that compares second then sees the other's hash.
pub async fn record_phash(
    conn: &mut AnyConnection,
    manifest_hash: &Sha256Hex,
    token: &str,
    phash: &str,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE submissions SET image_phash = $1 WHERE manifest_hash = $2 AND analysis_claim = $3",
    )
    .bind(phash.to_owned())
    .bind(*manifest_hash)
    .bind(token.to_owned())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What the analysis of one capture records.
#[derive(Debug, Clone)]
pub struct AnalysisRecord {
    pub manifest_hash: Sha256Hex,
    pub token: String,
    pub now: i64,
    pub verdict: StoredVerdict,
    pub report_json: String,
    /// When the verdict changed: the new verdict's leaf and the new receipt, signed with its
    /// index.
    pub changed: Option<LoggedReceipt>,
    pub event: serde_json::Value,
}

/// The completed report, verdict (with a changed verdict, its leaf and new receipt), the time
/// of analysis and the event; the new receipt's JSON when there is one. `None` (nothing written)
/// when the claim was taken over meanwhile. Runs inside a transaction
/// ([`Database::write_atomic`]).
pub async fn record_analysis(
    conn: &mut AnyConnection,
    a: &AnalysisRecord,
) -> DbResult<Option<Option<String>>> {
    let done = sqlx::query(
        "UPDATE submissions SET analysed_at_ms = $1, verdict = $2, analysis_claim = NULL \
         WHERE manifest_hash = $3 AND analysis_claim = $4 AND analysed_at_ms IS NULL",
    )
    .bind(a.now)
    .bind(a.verdict)
    .bind(a.manifest_hash)
    .bind(a.token.clone())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let receipt = match &a.changed {
        Some(logged) => {
            let receipt = logged.append_and_sign(&mut *conn).await?;
            sqlx::query("UPDATE submissions SET receipt = $1 WHERE manifest_hash = $2")
                .bind(receipt.clone())
                .bind(a.manifest_hash)
                .execute(&mut *conn)
                .await?;
            Some(receipt)
        }
        None => None,
    };
    sqlx::query(
        "UPDATE verification_reports SET verdict = $1, report = $2 WHERE manifest_hash = $3",
    )
    .bind(a.verdict)
    .bind(a.report_json.clone())
    .bind(a.manifest_hash)
    .execute(&mut *conn)
    .await?;
    insert_event(
        &mut *conn,
        a.now,
        "near_duplicates_analysed",
        &a.manifest_hash.to_hex(),
        &a.event,
    )
    .await?;
    Ok(Some(receipt))
}

/// What completing an image upload records.
#[derive(Debug, Clone)]
pub struct Completion {
    pub manifest_hash: Sha256Hex,
    /// The upload completed; with `upload_is_new`, one not in the database yet (a creation
    /// request that carried the whole image), which the completion inserts.
    pub upload: UploadRow,
    pub upload_is_new: bool,
    pub now: i64,
    pub verdict: StoredVerdict,
    pub report_json: String,
    /// The image's leaf and the verified receipt, signed with its index.
    pub logged: LoggedReceipt,
}

/// Record a verified image: report, submission status, upload completion (offset at the end),
/// events, the leaf and the verified receipt with its index. Returns the completed upload's id
/// and the receipt, or `None` when another request completed the submission first (then nothing
/// was written). Runs inside a transaction ([`Database::write_atomic`]).
pub async fn complete_submission(
    conn: &mut AnyConnection,
    c: &Completion,
) -> DbResult<Option<(String, String)>> {
    let done = sqlx::query(
        "UPDATE submissions SET status = 'verified', image_received_at_ms = $1, \
         verdict = $2 WHERE manifest_hash = $3 AND status = 'manifest_received'",
    )
    .bind(c.now)
    .bind(c.verdict)
    .bind(c.manifest_hash)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }

    sqlx::query(
        "INSERT INTO verification_reports (manifest_hash, verdict, report, verified_at_ms) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(c.manifest_hash)
    .bind(c.verdict)
    .bind(c.report_json.clone())
    .bind(c.now)
    .execute(&mut *conn)
    .await?;
    // The last PATCH's offset moves here, with the completion: one commit, not two. An upload
    // created by the request that completes it is inserted complete; should another request
    // have created one for this manifest meanwhile, that one is the completed upload.
    let upload_id: String = if c.upload_is_new {
        let u = &c.upload;
        sqlx::query(
            "INSERT INTO uploads (id, manifest_hash, device_key, upload_length, upload_offset, \
             created_at_ms, completed_at_ms) VALUES ($1, $2, $3, $4, $4, $5, $5) \
             ON CONFLICT (manifest_hash) DO UPDATE SET completed_at_ms = excluded.completed_at_ms, \
             upload_offset = uploads.upload_length RETURNING id",
        )
        .bind(u.id.clone())
        .bind(u.manifest_hash)
        .bind(u.device_key)
        .bind(u.upload_length)
        .bind(c.now)
        .fetch_one(&mut *conn)
        .await?
        .try_get("id")?
    } else {
        sqlx::query(
            "UPDATE uploads SET completed_at_ms = $1, upload_offset = upload_length WHERE id = $2",
        )
        .bind(c.now)
        .bind(c.upload.id.clone())
        .execute(&mut *conn)
        .await?;
        c.upload.id.clone()
    };
    // Both events in one statement: one round trip to the database, not two.
    insert_events(
        &mut *conn,
        c.now,
        &c.manifest_hash.to_hex(),
        &[
            ("image_received", serde_json::json!({"upload": upload_id})),
            (
                "verified",
                serde_json::json!({"verdict": c.verdict.as_str()}),
            ),
        ],
    )
    .await?;
    // The leaf last: the log's lock (PostgreSQL) is held from here to the commit.
    let receipt = c.logged.append_and_sign(&mut *conn).await?;
    sqlx::query("UPDATE submissions SET receipt = $1 WHERE manifest_hash = $2")
        .bind(receipt.clone())
        .bind(c.manifest_hash)
        .execute(&mut *conn)
        .await?;
    Ok(Some((upload_id, receipt)))
}
