//! What the figures domain reads of a constituency's captures: each capture's station and form,
//! its signed manifest bytes (the PO's sealed figures are in them) and its stored verification
//! report. Reads only.

use sqlx::AnyPool;

use super::DbResult;

/// One capture of a constituency with its manifest and report, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaptureFiguresRow {
    pub manifest_hash: String,
    pub station: i64,
    pub form: String,
    pub received_at_ms: i64,
    /// The signed manifest bytes, standard base64 (NULL for rows older than that column).
    pub manifest: Option<String>,
    /// The stored `VerificationReport` (JSON), once the image was verified.
    pub report: Option<String>,
}

/// Every capture of a constituency, with its manifest and report.
pub async fn captures_of_constituency(
    db: &AnyPool,
    election: &str,
    constituency: &str,
) -> DbResult<Vec<CaptureFiguresRow>> {
    sqlx::query_as(
        "SELECT s.manifest_hash, s.station, s.form, s.received_at_ms, s.manifest, r.report \
         FROM submissions s LEFT JOIN verification_reports r ON r.manifest_hash = s.manifest_hash \
         WHERE s.election_id = $1 AND s.constituency = $2 ORDER BY s.station, s.received_at_ms",
    )
    .bind(election.to_owned())
    .bind(constituency.to_owned())
    .fetch_all(db)
    .await
}

/// One capture with its manifest and report.
pub async fn capture_figures_row(
    db: &AnyPool,
    manifest_hash: &str,
) -> DbResult<Option<CaptureFiguresRow>> {
    sqlx::query_as(
        "SELECT s.manifest_hash, s.station, s.form, s.received_at_ms, s.manifest, r.report \
         FROM submissions s LEFT JOIN verification_reports r ON r.manifest_hash = s.manifest_hash \
         WHERE s.manifest_hash = $1",
    )
    .bind(manifest_hash.to_owned())
    .fetch_optional(db)
    .await
}
