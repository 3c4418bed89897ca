//! The transparency log's leaves (`log_leaves`, append-only): one row per public event, its index
//! fixed in the event's own transaction.
//!
//! Gapless indexes: the next index is one past the largest, read and written inside the event's
//! transaction. On PostgreSQL the transaction first takes the one `log_head` row `FOR UPDATE`, so
//! leaf appends from every server on the database run one after the other until each commits (a
//! rolled-back append leaves no gap: its index is taken by the next). On SQLite every write goes
//! through one writer (the group commit, or a transaction of its own on the writer connection), so
//! the read and the insert are never interleaved with another append. The primary key refuses a
//! duplicate index should either guarantee ever fail.

use sqlx::{AnyConnection, AnyPool, Row};

use super::DbResult;

/// A leaf ready to be appended (built and checked by the `log` service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafToAppend {
    /// The exact leaf bytes (UTF-8 text: the format line and canonical JSON).
    pub leaf: String,
    /// Hex of its Merkle leaf hash.
    pub leaf_hash: String,
    /// The event kind (`manifest_received`, `image_verified`, …).
    pub kind: String,
    /// What the leaf is about, to find it again (manifest hash, device key, election id).
    pub subject: String,
    pub logged_at_ms: i64,
}

/// Signs a receipt once its event's leaf index is known (`None`: the event is not logged),
/// inside the event's transaction, and gives its JSON (the intake's signer, through core: the
/// database does no signing).
#[derive(Clone)]
#[allow(clippy::type_complexity)]
pub struct ReceiptSigner(
    pub std::sync::Arc<dyn Fn(Option<u64>) -> Result<String, String> + Send + Sync>,
);

impl std::fmt::Debug for ReceiptSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReceiptSigner")
    }
}

/// An event's leaf and the receipt that carries its index (no leaf only when the server runs
/// with `log_captures` off, for the benchmark's comparison).
#[derive(Debug, Clone)]
pub struct LoggedReceipt {
    pub leaf: Option<LeafToAppend>,
    pub sign: ReceiptSigner,
}

impl LoggedReceipt {
    /// Append the leaf (inside the caller's transaction) and sign the receipt with its index.
    pub async fn append_and_sign(&self, conn: &mut AnyConnection) -> DbResult<String> {
        let index = match &self.leaf {
            Some(leaf) => Some(append_leaf(conn, leaf).await?),
            None => None,
        };
        (self.sign.0)(index).map_err(sqlx::Error::Protocol)
    }
}

/// A leaf as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LeafRow {
    pub leaf_index: i64,
    pub leaf: String,
    pub leaf_hash: String,
    pub kind: String,
    pub subject: String,
    pub logged_at_ms: i64,
}

/// Append `leaf` inside the caller's transaction; returns its index.
pub async fn append_leaf(conn: &mut AnyConnection, leaf: &LeafToAppend) -> DbResult<u64> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM log_head WHERE id = 1 FOR UPDATE")
            .execute(&mut *conn)
            .await?;
    }
    let next: i64 = sqlx::query("SELECT COALESCE(MAX(leaf_index) + 1, 0) AS next FROM log_leaves")
        .fetch_one(&mut *conn)
        .await?
        .try_get("next")?;
    sqlx::query(
        "INSERT INTO log_leaves (leaf_index, leaf, leaf_hash, kind, subject, logged_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(next)
    .bind(leaf.leaf.clone())
    .bind(leaf.leaf_hash.clone())
    .bind(leaf.kind.clone())
    .bind(leaf.subject.clone())
    .bind(leaf.logged_at_ms)
    .execute(&mut *conn)
    .await?;
    u64::try_from(next).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Append `leaves` (about `subject`) in one transaction, unless the log no longer holds exactly
/// `seen` leaves about `subject` (another server appended one since the caller read them);
/// returns whether they were appended.
pub(super) async fn append_leaves_if_unchanged(
    db: &AnyPool,
    subject: &str,
    seen: usize,
    leaves: &[LeafToAppend],
) -> DbResult<bool> {
    let mut tx = super::begin_write(db).await?;
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM log_head WHERE id = 1 FOR UPDATE")
            .execute(&mut *tx)
            .await?;
    }
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM log_leaves WHERE subject = $1")
        .bind(subject.to_owned())
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    if usize::try_from(count).ok() != Some(seen) {
        tx.rollback().await?;
        return Ok(false);
    }
    for leaf in leaves {
        append_leaf(&mut tx, leaf).await?;
    }
    tx.commit().await?;
    Ok(true)
}

const LEAF_COLUMNS: &str = "leaf_index, leaf, leaf_hash, kind, subject, logged_at_ms";

/// The leaves with indexes in `from..to`, in order.
pub async fn leaves_in(db: &AnyPool, from: u64, to: u64) -> DbResult<Vec<LeafRow>> {
    let sql = format!(
        "SELECT {LEAF_COLUMNS} FROM log_leaves WHERE leaf_index >= $1 AND leaf_index < $2 \
         ORDER BY leaf_index"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(i64::try_from(from).unwrap_or(i64::MAX))
        .bind(i64::try_from(to).unwrap_or(i64::MAX))
        .fetch_all(db)
        .await
}

/// The latest leaf about `subject` with an index below `below` (a published tree size).
pub async fn latest_leaf_for(db: &AnyPool, subject: &str, below: u64) -> DbResult<Option<LeafRow>> {
    let sql = format!(
        "SELECT {LEAF_COLUMNS} FROM log_leaves WHERE subject = $1 AND leaf_index < $2 \
         ORDER BY leaf_index DESC LIMIT 1"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(subject.to_owned())
        .bind(i64::try_from(below).unwrap_or(i64::MAX))
        .fetch_optional(db)
        .await
}

/// Every leaf about `subject`, in order.
pub async fn leaves_for(db: &AnyPool, subject: &str) -> DbResult<Vec<LeafRow>> {
    let sql =
        format!("SELECT {LEAF_COLUMNS} FROM log_leaves WHERE subject = $1 ORDER BY leaf_index");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(subject.to_owned())
        .fetch_all(db)
        .await
}

/// How many leaves the log has (one past the largest index).
pub async fn leaf_count(db: &AnyPool) -> DbResult<u64> {
    let n: i64 = sqlx::query("SELECT COALESCE(MAX(leaf_index) + 1, 0) AS n FROM log_leaves")
        .fetch_one(db)
        .await?
        .try_get("n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}
