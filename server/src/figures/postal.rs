//! The postal ballots the RO enters for Form-49: votes per candidate and rejected postal
//! ballots, with a reason; a correction is a new entry naming the one in force. Append-only.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::FiguresError;
use super::fields::{candidate_field, invalid_field};
use super::records::{RecordMeta, check_reason};
use super::standing::gather;
use crate::accounts::{Actor, ConstituencyRef};
use crate::db::{self, PostalBallotsRow};
use crate::state::AppState;

/// Postal ballots for Form-49: votes per candidate field and rejected postal ballots.
#[derive(Debug, Clone, Deserialize)]
pub struct PostalRequest {
    #[serde(flatten)]
    pub meta: RecordMeta,
    #[serde(default)]
    pub supersedes: Option<String>,
    pub votes: Value,
    pub rejected: Value,
    pub reason: String,
}

/// The postal ballots in force: the latest row no other supersedes.
pub fn postal_in_force(rows: &[PostalBallotsRow]) -> Option<&PostalBallotsRow> {
    rows.iter().rev().find(|r| {
        !rows
            .iter()
            .any(|o| o.supersedes.as_deref() == Some(r.id.as_str()))
    })
}

/// Enter (or correct) the postal ballots of a constituency.
pub async fn enter_postal(
    state: &AppState,
    c: &ConstituencyRef,
    actor: &Actor,
    req: &PostalRequest,
) -> Result<Value, FiguresError> {
    req.meta.check()?;
    let standing = gather(state, c).await?;
    let names: Vec<String> = standing
        .constituency
        .candidates
        .iter()
        .map(|c| candidate_field(c.ballot_no))
        .collect();
    let Some(object) = req.votes.as_object() else {
        return Err(invalid_field(
            "votes",
            "must be an object of candidate_<ballot no>: number",
        )
        .into());
    };
    let mut votes = BTreeMap::new();
    for (k, v) in object {
        if !names.contains(k) {
            return Err(
                invalid_field(&format!("votes.{k}"), "no such candidate on the ballot").into(),
            );
        }
        votes.insert(k.clone(), standing.fields.value(v, &format!("votes.{k}"))?);
    }
    if let Some(missing) = names.iter().find(|n| !votes.contains_key(*n)) {
        return Err(
            invalid_field(&format!("votes.{missing}"), "missing (enter 0 for none)").into(),
        );
    }
    let rejected = standing.fields.value(&req.rejected, "rejected")?;
    let reason = check_reason("reason", &req.reason)?;
    let rows = db::postal_ballots_of(&state.db.pool, &c.election, &c.code).await?;
    if let Some(existing) = rows.iter().find(|r| r.id == req.meta.id) {
        return Ok(json!({"record": existing.id}));
    }
    let in_force = postal_in_force(&rows).map(|r| r.id.clone());
    if in_force != req.supersedes {
        return Err(FiguresError::stale(
            "the postal ballots in force are not the ones this entry supersedes",
            json!({"in_force": in_force}),
        ));
    }
    let row = PostalBallotsRow {
        id: req.meta.id.clone(),
        election_id: c.election.clone(),
        constituency: c.code.clone(),
        votes: serde_json::to_string(&votes).unwrap_or_else(|_| "{}".into()),
        rejected: i64::from(rejected),
        reason,
        actor: actor.user_id.clone(),
        origin: req.meta.origin.clone(),
        at_ms: crate::now_ms(),
        supersedes: req.supersedes.clone(),
    };
    if !state.db.insert_postal_ballots(&row).await? {
        return Err(FiguresError::stale(
            "postal ballots were entered at the same moment (or the id is taken)",
            json!({"in_force": in_force}),
        ));
    }
    Ok(json!({"record": row.id, "supersedes": row.supersedes}))
}
