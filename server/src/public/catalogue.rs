//! The elections this server publishes: every election whose signed package it holds.

use serde::Serialize;

use crate::elections::{load_package, published_ids};
use crate::error::ApiError;
use crate::state::AppState;

/// Most elections listed (a server holds a handful).
pub const MAX_ELECTIONS: i64 = 1_000;

/// One published election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedElection {
    pub id: String,
    pub name: String,
    pub poll_date: String,
}

/// The published elections, oldest first.
pub async fn elections(state: &AppState) -> Result<Vec<PublishedElection>, ApiError> {
    let state = state.for_public_reads();
    let ids = published_ids(&state.db.pool, MAX_ELECTIONS).await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let package = load_package(state, &id).await?;
        let e = &package.package.election;
        out.push(PublishedElection {
            id: e.id.clone(),
            name: e.name.clone(),
            poll_date: e.poll_date.clone(),
        });
    }
    Ok(out)
}
