//! Elections: publishing a signed election package (signed here, or opened with a trusted key)
//! and loading it back. A published package never changes: loading caches it.
//!
//! Packages are opened and signed by the core ([`crate::provenance`]); this module decides which
//! package an election id holds. It never reads HTTP requests and never imports a route.

use std::sync::Arc;

use tallyseal_core::wire::ImportRequest;

use crate::db;
use crate::error::{ApiError, Problem};
use crate::provenance::{self, LogEvent, OpenedPackage, PackageError};
use crate::state::AppState;

/// A package published (`created`) or found already published, identically.
#[derive(Debug)]
pub struct Published {
    pub created: bool,
    pub election: String,
    pub package_hash: String,
}

/// Publish the package of an import request: a package to sign with the server's key, or a note
/// signed already by a trusted key. Publication is a public event: its leaf goes into the log
/// in the same transaction. The same package again is not an error; another one under the
/// same election id is.
pub async fn import(state: &AppState, request: ImportRequest) -> Result<Published, ApiError> {
    let bad = |e: PackageError| ApiError::new(Problem::BadPackage, e.to_string());
    let opened = match (request.package, request.signed_note) {
        (Some(package), None) => {
            provenance::sign_package(&package, &state.package_signer).map_err(bad)?
        }
        (None, Some(note)) => {
            provenance::open_package_to_publish(&note, &state.package_verifiers).map_err(bad)?
        }
        _ => {
            return Err(ApiError::new(
                Problem::MalformedJson,
                "send exactly one of \"package\" or \"signed_note\"",
            ));
        }
    };
    // `validate()` (through `sign` and `open_to_publish`) has checked the id: see `is_safe_identifier`.
    let id = opened.package.election.id.clone();
    let hash = opened.hash.to_hex();
    let now = crate::now_ms();
    let event = LogEvent::ElectionPackagePublished {
        election_id: id.clone(),
        package_hash: opened.hash,
        commission_key: package_signer_key(state, &opened.signed.note),
    };
    let leaf = crate::log::leaf(event, &id, now).map_err(|e| ApiError::internal("log leaf", e))?;
    let created = state
        .db
        .insert_election(&id, &opened.signed.note, &hash, now, &leaf)
        .await?;
    if !created {
        let existing = db::get_election(&state.db.pool, &id).await?;
        if existing.map(|(_, h)| h) != Some(hash.clone()) {
            return Err(ApiError::new(
                Problem::ElectionExists,
                format!("election {id} already has a different package"),
            ));
        }
    }
    Ok(Published {
        created,
        election: id,
        package_hash: hash,
    })
}

/// The election's opened package (cached: a published package never changes). Opened without
/// the publish-time text rule: a package stored before that rule keeps working.
pub async fn load_package(state: &AppState, id: &str) -> Result<Arc<OpenedPackage>, ApiError> {
    if let Some(p) = state.packages.lock().ok().and_then(|m| m.get(id).cloned()) {
        return Ok(p);
    }
    let (note, _hash) = db::get_election(&state.db.pool, id)
        .await?
        .ok_or_else(|| ApiError::new(Problem::UnknownElection, format!("no election {id:?}")))?;
    let opened = Arc::new(
        provenance::open_package(&note, &state.package_verifiers)
            .map_err(|e| ApiError::internal("stored package", e))?,
    );
    if let Ok(mut m) = state.packages.lock() {
        m.insert(id.to_owned(), opened.clone());
    }
    Ok(opened)
}

/// The ids of the elections this server publishes, oldest first, at most `limit`.
pub async fn published_ids(pool: &sqlx::AnyPool, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    db::list_election_ids(pool, limit).await
}

/// The key that signed a package note: the first of the accepted keys whose signature on it
/// verifies (the note was opened with them already).
fn package_signer_key(state: &AppState, note: &str) -> tallyseal_core::keys::PublicKey {
    state
        .package_verifiers
        .iter()
        .find(|v| provenance::open_package(note, std::slice::from_ref(*v)).is_ok())
        .map_or_else(|| state.commission_key.public_key(), |v| v.key)
}
