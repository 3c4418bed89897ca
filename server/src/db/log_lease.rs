//! The sequencer's lease: one server at a time sequences the log.
//!
//! On PostgreSQL the lease is an advisory lock (`pg_try_advisory_lock`) taken on a connection of
//! its own, outside the pool: it lasts exactly as long as that connection, so a
//! server that dies or loses its database connection gives it up, and another server's next try
//! takes it. Nothing is written for it. On SQLite one process owns the database file's writer,
//! and the lease is always granted.
//!
//! The lease saves work; it is not what keeps the log from forking. Leaves are immutable with
//! gapless indexes, the tree they make is deterministic, and each size has one checkpoint row, so
//! two sequencers running at once would write the same hashes, tiles and checkpoints.

use sqlx::{AnyConnection, Connection, Row};

use super::{Backend, DbResult};

/// The advisory lock's key (arbitrary, fixed: "tallyseal log sequencer").
const LEASE_KEY: i64 = 0x7461_6c6c_7973_6571;

/// A held lease (its connection, on PostgreSQL).
#[derive(Debug)]
pub struct SequencerLease {
    conn: Option<AnyConnection>,
}

impl SequencerLease {
    /// Try to take the lease; `None` when another server holds it.
    pub async fn try_take(url: &str, backend: Backend) -> DbResult<Option<SequencerLease>> {
        if backend == Backend::Sqlite {
            return Ok(Some(SequencerLease { conn: None }));
        }
        let mut conn = AnyConnection::connect(url).await?;
        let taken: bool = sqlx::query("SELECT pg_try_advisory_lock($1) AS taken")
            .bind(LEASE_KEY)
            .fetch_one(&mut conn)
            .await?
            .try_get("taken")?;
        if !taken {
            let _ = conn.close().await;
            return Ok(None);
        }
        Ok(Some(SequencerLease { conn: Some(conn) }))
    }

    /// Whether the lease still holds (its connection answers).
    pub async fn still_held(&mut self) -> bool {
        match &mut self.conn {
            None => true,
            Some(conn) => conn.ping().await.is_ok(),
        }
    }

    /// Give the lease up.
    pub async fn release(mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(LEASE_KEY)
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
    }
}
