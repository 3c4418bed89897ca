//! The documents the console's log leaves commit to by hash (`ro_decision`, `figures_confirmed`,
//! `results_released`, `form_version`): each leaf carries only the SHA-256 of its document; the
//! document itself is published here byte for byte, so that anyone holding the log can check what
//! a leaf committed to — `tallyseal log monitor` checks that every Form-47 figure is the sum of
//! the confirmed station figures it cites (`docs/log.md`, "The documents behind the leaves").
//!
//! Nothing here is private: a record names the operator by their opaque id only, as the leaf does.

use tallyseal_core::hash::{Sha256Digest, sha256};

use crate::db;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The document whose SHA-256 is `hash` (404 `not-found` when no leaf names it).
pub async fn document(state: &AppState, hash: &Sha256Digest) -> Result<Vec<u8>, ApiError> {
    let body = db::log_document(&state.db.pool, &hash.to_hex())
        .await?
        .ok_or_else(|| ApiError::new(Problem::NotFound, "no log leaf names this document"))?;
    let bytes = body.into_bytes();
    // Stored in the leaf's transaction after the same check; a mismatch means the database was
    // changed behind the server's back: never publish it as the document.
    if sha256(&bytes) != *hash {
        return Err(ApiError::internal(
            "log document",
            "the stored document does not hash to its key",
        ));
    }
    Ok(bytes)
}
