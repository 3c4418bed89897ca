//! The documents the console's log leaves name by hash (`log_documents`, written with the leaf by
//! [`super::console_leaves`]).

use sqlx::AnyPool;

use super::DbResult;

/// The document whose SHA-256 is `hash_hex` (lower-case hex), as stored.
pub async fn log_document(db: &AnyPool, hash_hex: &str) -> DbResult<Option<String>> {
    sqlx::query_scalar("SELECT body FROM log_documents WHERE document_hash = $1")
        .bind(hash_hex.to_owned())
        .fetch_optional(db)
        .await
}
