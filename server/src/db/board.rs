//! The captures of a board: every submission of an election, or of one of its constituencies,
//! in one query (the arrival board and the review read them; `crate::stations` decides what
//! they mean).

use sqlx::AnyPool;

use super::DbResult;
use super::columns::{Sha256Hex, StoredVerdict, SubmissionStatus};
use super::scoped::{Scope, scoped_rows};

/// A submission as the board sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BoardCaptureRow {
    pub manifest_hash: Sha256Hex,
    pub constituency: String,
    pub station: i64,
    pub form: String,
    pub device_key: String,
    pub seq: i64,
    pub status: SubmissionStatus,
    pub received_at_ms: i64,
    pub image_received_at_ms: Option<i64>,
    pub analysed_at_ms: Option<i64>,
    pub verdict: Option<StoredVerdict>,
    /// The signed manifest bytes, standard base64 (`None` for rows older than migration 0002).
    pub manifest: Option<String>,
}

const ORDER: &str = "received_at_ms, manifest_hash";

const BOARD_COLUMNS: &str = "manifest_hash, constituency, station, form, device_key, seq, status, \
     received_at_ms, image_received_at_ms, analysed_at_ms, verdict, manifest";

/// Every submission of `election` (of `constituency` when given), oldest first.
pub async fn board_captures(
    db: &AnyPool,
    election: &str,
    constituency: Option<&str>,
) -> DbResult<Vec<BoardCaptureRow>> {
    let scope = Scope::of(election, constituency);
    scoped_rows(db, BOARD_COLUMNS, "submissions", scope, ORDER).await
}

/// The submissions of one station and form (the review's other captures), oldest first.
pub async fn station_captures(
    db: &AnyPool,
    election: &str,
    constituency: &str,
    station: i64,
) -> DbResult<Vec<BoardCaptureRow>> {
    let scope = Scope::Station(election, constituency, station);
    scoped_rows(db, BOARD_COLUMNS, "submissions", scope, ORDER).await
}
