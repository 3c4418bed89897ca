//! The audit log: append-only (triggers in both databases refuse UPDATE and DELETE). Every state
//! change elsewhere appends its event here in the same transaction.

use sqlx::{Any, AnyPool, Executor};

use super::DbResult;

/// Append an audit event (the only write the `events` table ever sees).
pub async fn insert_event<'e, E: Executor<'e, Database = Any>>(
    e: E,
    at_ms: i64,
    kind: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> DbResult<()> {
    insert_events(e, at_ms, subject, &[(kind, detail.clone())]).await
}

/// Append several audit events about one `subject`, at one time, in one statement (in order).
pub async fn insert_events<'e, E: Executor<'e, Database = Any>>(
    e: E,
    at_ms: i64,
    subject: &str,
    events: &[(&str, serde_json::Value)],
) -> DbResult<()> {
    let rows: Vec<String> = (0..events.len())
        .map(|i| {
            let n = 4 * i;
            format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4)
        })
        .collect();
    let sql = format!(
        "INSERT INTO events (at_ms, kind, subject, detail) VALUES {}",
        rows.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (kind, detail) in events {
        query = query
            .bind(at_ms)
            .bind((*kind).to_owned())
            .bind(subject.to_owned())
            .bind(detail.to_string());
    }
    query.execute(e).await?;
    Ok(())
}

/// An audit event as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub at_ms: i64,
    pub kind: String,
    pub subject: String,
    pub detail: String,
}

/// Every event about `subject`, in order.
pub async fn events_for(db: &AnyPool, subject: &str) -> DbResult<Vec<EventRow>> {
    sqlx::query_as(
        "SELECT id, at_ms, kind, subject, detail FROM events WHERE subject = $1 ORDER BY id",
    )
    .bind(subject.to_owned())
    .fetch_all(db)
    .await
}
