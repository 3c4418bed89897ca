//! Recording a review decision: accept, reject (reason code + text) or ask for a new capture
//! (reason code + text). Each decision is an append-only record with the id the client generated,
//! the node that recorded it (`origin`), the actor, the time, the capture's manifest hash and the
//! decision it supersedes; its `review_decision` event is written in the same commit.
//!
//! Rules: the same id with the same body is the same decision (the stored one is the answer); the
//! same id with another body is refused (409 `decision-id-reused`); a decision must name the
//! capture's latest decision in `supersedes` (none for the first), otherwise it is stale (409
//! `stale-version`, with the current one). Free text is checked with core `text` and never
//! interpreted. This module never reads HTTP and never imports a route.

use serde::Deserialize;

use super::reasons::Action;
use crate::accounts::{Actor, ConstituencyRef};
use crate::db::{self, DecisionRow, SubmissionStatus};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::stations::StationChanged;
use crate::stations::state::head_decisions;

/// The longest reason text accepted, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

/// A decision as the client sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// A UUID the client generated (lowercase, hyphenated).
    pub decision_id: String,
    /// `accept`, `reject` or `recapture`.
    pub action: String,
    #[serde(default)]
    pub reason_code: Option<String>,
    /// The Returning Officer's words (required with a reason code, optional for an acceptance).
    #[serde(default)]
    pub reason: String,
    /// The capture's latest decision, which this one replaces (`null` for the first).
    #[serde(default)]
    pub supersedes: Option<String>,
}

/// Why a decision was not recorded.
#[derive(Debug)]
pub enum DecisionRefused {
    /// Bad input, unknown capture, storage failure.
    Problem(ApiError),
    /// `supersedes` does not name the capture's latest decision: here it is (`None`: there is
    /// none yet).
    Stale(Option<Box<DecisionRow>>),
    /// The id is taken by a different decision: here it is.
    IdReused(Box<DecisionRow>),
}

impl From<ApiError> for DecisionRefused {
    fn from(e: ApiError) -> Self {
        DecisionRefused::Problem(e)
    }
}

impl From<sqlx::Error> for DecisionRefused {
    fn from(e: sqlx::Error) -> Self {
        DecisionRefused::Problem(e.into())
    }
}

/// A recorded decision; `created` when this request recorded it.
#[derive(Debug)]
pub struct Recorded {
    pub created: bool,
    pub decision: DecisionRow,
}

fn invalid(detail: impl Into<String>) -> DecisionRefused {
    DecisionRefused::Problem(ApiError::new(Problem::InvalidField, detail))
}

/// A UUID in its canonical text form: 8-4-4-4-12 lowercase hex digits.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// Check a request's fields; returns its action.
fn validate(req: &DecisionRequest) -> Result<Action, DecisionRefused> {
    if !is_uuid(&req.decision_id) {
        return Err(invalid(
            "decision_id must be a UUID (lowercase, hyphenated) the client generated",
        ));
    }
    if let Some(s) = &req.supersedes
        && !is_uuid(s)
    {
        return Err(invalid("supersedes must be a decision id (a UUID) or null"));
    }
    let action = Action::parse(&req.action)
        .ok_or_else(|| invalid("action must be accept, reject or recapture"))?;
    match (action, req.reason_code.as_deref()) {
        (Action::Accept, Some(_)) => {
            return Err(invalid("reason_code: an acceptance names no reason code"));
        }
        (Action::Accept, None) => {}
        (_, None) => {
            return Err(invalid(format!(
                "reason_code is required to {}",
                action.as_str()
            )));
        }
        (_, Some(code)) => {
            if !action.reasons().iter().any(|(c, _)| *c == code) {
                let codes: Vec<&str> = action.reasons().iter().map(|(c, _)| *c).collect();
                return Err(invalid(format!(
                    "reason_code must be one of {} for {}",
                    codes.join(", "),
                    action.as_str()
                )));
            }
            if req.reason.trim().is_empty() {
                return Err(invalid(format!(
                    "reason: say in words why (required to {})",
                    action.as_str()
                )));
            }
        }
    }
    if req.reason.chars().count() > MAX_REASON_CHARS {
        return Err(invalid(format!(
            "reason is longer than {MAX_REASON_CHARS} characters"
        )));
    }
    crate::text_fields::check("reason", &req.reason)?;
    Ok(action)
}

/// The SHA-256 of what the client decided (the same id must always carry the same).
fn body_hash(req: &DecisionRequest, manifest_hash: &str, actor: &Actor) -> String {
    let body = serde_json::json!({
        "manifest_hash": manifest_hash, "action": req.action, "reason_code": req.reason_code,
        "reason": req.reason, "supersedes": req.supersedes, "actor": actor.user_id,
    });
    tallyseal_core::hash::sha256(body.to_string().as_bytes()).to_hex()
}

/// The same id again: the same decision is the answer, another one is refused.
fn replay(existing: DecisionRow, hash: &str) -> Result<Recorded, DecisionRefused> {
    if existing.body_sha256 == hash {
        Ok(Recorded {
            created: false,
            decision: existing,
        })
    } else {
        Err(DecisionRefused::IdReused(Box::new(existing)))
    }
}

/// The capture's latest decision.
async fn current_head(
    state: &AppState,
    manifest_hash: &str,
) -> Result<Option<DecisionRow>, DecisionRefused> {
    let all = db::decisions_for_capture(&state.db.pool, manifest_hash).await?;
    Ok(head_decisions(&all).remove(manifest_hash).cloned())
}

/// Record `req` on the capture `manifest_hash` of `constituency`, for `actor` (authorised already
/// by the caller for this constituency).
pub async fn record_decision(
    state: &AppState,
    actor: &Actor,
    constituency: &ConstituencyRef,
    manifest_hash: &str,
    req: &DecisionRequest,
) -> Result<Recorded, DecisionRefused> {
    let action = validate(req)?;
    let pool = &state.db.pool;
    let submission = db::get_submission(pool, manifest_hash)
        .await?
        .filter(|s| s.election_id == constituency.election && s.constituency == constituency.code)
        .ok_or_else(|| {
            ApiError::new(
                Problem::UnknownSubmission,
                "no capture with this hash in this constituency",
            )
        })?;
    let hash = body_hash(req, manifest_hash, actor);
    if let Some(existing) = db::get_decision(pool, &req.decision_id).await? {
        return replay(existing, &hash);
    }
    let head = current_head(state, manifest_hash).await?;
    if head.as_ref().map(|d| d.decision_id.as_str()) != req.supersedes.as_deref() {
        return Err(DecisionRefused::Stale(head.map(Box::new)));
    }
    if action == Action::Accept && submission.status != SubmissionStatus::Verified {
        return Err(invalid(
            "action: a capture whose image has not been received cannot be accepted",
        ));
    }
    let row = DecisionRow {
        decision_id: req.decision_id.clone(),
        manifest_hash: submission.manifest_hash,
        election_id: submission.election_id.clone(),
        constituency: submission.constituency.clone(),
        station: submission.station,
        form: submission.form.clone(),
        action: action.as_str().to_owned(),
        reason_code: req.reason_code.clone(),
        reason_text: req.reason.clone(),
        actor_id: actor.user_id.clone(),
        origin: state.config.node_id.clone(),
        decided_at_ms: crate::now_ms(),
        supersedes: req.supersedes.clone(),
        body_sha256: hash.clone(),
    };
    if !state.db.insert_decision(&row).await? {
        // Another request recorded this id, or another decision on this capture, first.
        if let Some(existing) = db::get_decision(pool, &req.decision_id).await? {
            return replay(existing, &hash);
        }
        let head = current_head(state, manifest_hash).await?;
        return Err(DecisionRefused::Stale(head.map(Box::new)));
    }
    state.board_feed.announce(StationChanged {
        election: row.election_id.clone(),
        constituency: row.constituency.clone(),
        station: row.station,
        form: row.form.clone(),
        cause: "decision",
        manifest_hash: manifest_hash.to_owned(),
    });
    Ok(Recorded {
        created: true,
        decision: row,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_checked() {
        assert!(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!is_uuid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
        assert!(!is_uuid("0f8fad5bd9cb469fa16570867728950e"));
        assert!(!is_uuid("0f8fad5b-d9cb-469f-a165-70867728950"));
        assert!(!is_uuid(""));
    }
}
