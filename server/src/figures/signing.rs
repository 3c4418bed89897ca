//! Signed Forms 47, 48 and 49: the RO compiles a form, the server signs a statement naming the
//! RO (their opaque id) with the Commission key, and each new version supersedes the last with a
//! reason; signed versions as the JSON export shows them.
//!
//! Why the Commission key and not an RO key: docs/console.md, "Signing". A signed version is
//! never changed; the statement's canonical bytes are stored as signed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::FiguresError;
use super::compile::{Compiled, ResultForm, compile};
use super::fields::{candidate_field, invalid_field};
use super::postal::postal_in_force;
use super::records::{RecordMeta, check_reason, id_taken};
use super::standing::{ConstituencyStanding, gather};
use crate::accounts::{Actor, ConstituencyRef};
use crate::db::{self, PostalBallotsRow, SignedFormRow};
use crate::error::{ApiError, Problem};
use crate::provenance;
use crate::state::AppState;

/// The statement format signed for a result form.
pub const SIGNED_FORM_FORMAT: &str = "tallyseal.signed-form";

/// Sign a new version of a form.
#[derive(Debug, Clone, Deserialize)]
pub struct SignRequest {
    #[serde(flatten)]
    pub meta: RecordMeta,
    /// The version in force this one supersedes (none for the first version).
    #[serde(default)]
    pub supersedes: Option<String>,
    /// Why this version (required when it supersedes one).
    #[serde(default)]
    pub reason: Option<String>,
    /// Why Form-47 is signed after the results deadline (required then).
    #[serde(default)]
    pub late_reason: Option<String>,
}

/// A signed form as exported.
#[derive(Debug, Clone, Serialize)]
pub struct SignedFormView {
    pub record: String,
    pub form: String,
    pub version: i64,
    pub statement: Value,
    pub body_sha256: String,
    pub signer_key: String,
    pub signature: String,
    pub supersedes: Option<String>,
}

fn header(standing: &ConstituencyStanding, form: ResultForm) -> Value {
    let e = &standing.election;
    let c = &standing.constituency;
    json!({
        "form": form.as_str(),
        "election": {"id": e.id, "name": e.name, "poll_date": e.poll_date, "time_zone": e.time_zone},
        "constituency": {"code": c.code, "name": c.name, "assembly": c.assembly},
    })
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// The deadline status of a provisional result compiled at `now_ms`.
fn deadline(standing: &ConstituencyStanding, now_ms: i64, late_reason: Option<&str>) -> Value {
    let e = &standing.election;
    let due = tallyseal_core::verify::parse_rfc3339_ms(&e.results_deadline);
    let late = due.is_some_and(|d| now_ms > d);
    json!({
        "results_deadline": e.results_deadline,
        "time_zone": e.time_zone,
        "status": if late { "late" } else { "on_time" },
        "late_reason": late_reason,
    })
}

fn is_late(standing: &ConstituencyStanding, now_ms: i64) -> bool {
    tallyseal_core::verify::parse_rfc3339_ms(&standing.election.results_deadline)
        .is_some_and(|d| now_ms > d)
}

/// A form's content, compiled now (the preview the RO signs).
pub fn content(
    standing: &ConstituencyStanding,
    form: ResultForm,
    compiled: &Compiled,
    postal: Option<&PostalBallotsRow>,
    now_ms: i64,
    late_reason: Option<&str>,
) -> Value {
    let counted_refs: Vec<Value> = compiled
        .counted
        .iter()
        .map(|s| {
            json!({"station": s.station, "manifest_hash": s.manifest_hash,
                   "confirmation": s.confirmation, "released_by": s.released_by})
        })
        .collect();
    let base = json!({
        "compiled_at_ms": now_ms,
        "complete": compiled.awaited.is_empty(),
        "stations_in_scheme": compiled.stations_in_scheme,
        "stations_awaited": compiled.awaited,
    });
    let body = match form {
        ResultForm::Form47 => json!({
            "candidates": compiled.totals.candidates,
            "total_valid": compiled.totals.total_valid,
            "rejected": compiled.totals.rejected,
            "total_polled": compiled.totals.total_polled,
            "turnout": compiled.totals.turnout,
            "stations_counted": counted_refs,
            "deadline": deadline(standing, now_ms, late_reason),
        }),
        ResultForm::Form48 => json!({
            "candidates": compiled.totals.candidates,
            "stations": compiled.counted,
            "total_valid": compiled.totals.total_valid,
            "rejected": compiled.totals.rejected,
            "total_polled": compiled.totals.total_polled,
            "turnout": compiled.totals.turnout,
        }),
        ResultForm::Form49 => {
            let postal_votes: BTreeMap<String, u64> = postal
                .and_then(|p| serde_json::from_str(&p.votes).ok())
                .unwrap_or_default();
            let candidates: Vec<Value> = compiled
                .totals
                .candidates
                .iter()
                .map(|c| {
                    let p = postal_votes
                        .get(&candidate_field(c.ballot_no))
                        .copied()
                        .unwrap_or(0);
                    json!({"ballot_no": c.ballot_no, "name": c.name, "party": c.party,
                           "symbol": c.symbol, "station_votes": c.votes, "postal_votes": p,
                           "votes": c.votes + p})
                })
                .collect();
            let postal_rejected = postal.map(|p| p.rejected).unwrap_or(0);
            json!({
                "candidates": candidates,
                "postal_ballots": postal.map(|p| p.id.clone()),
                "postal_rejected": postal_rejected,
                "total_valid": compiled.totals.total_valid
                    + postal_votes.values().sum::<u64>(),
                "rejected": compiled.totals.rejected + postal_rejected.max(0) as u64,
                "turnout": compiled.totals.turnout,
                "stations_counted": counted_refs,
            })
        }
    };
    merge(merge(header(standing, form), base), body)
}

/// The form compiled now, unsigned (what the RO reviews before signing).
pub async fn preview(
    state: &AppState,
    c: &ConstituencyRef,
    form: ResultForm,
) -> Result<Value, ApiError> {
    let standing = gather(state, c).await?;
    let postal = db::postal_ballots_of(&state.db.pool, &c.election, &c.code).await?;
    let compiled = compile(&standing);
    Ok(content(
        &standing,
        form,
        &compiled,
        postal_in_force(&postal),
        crate::now_ms(),
        None,
    ))
}

fn view(row: &SignedFormRow) -> Result<SignedFormView, ApiError> {
    Ok(SignedFormView {
        record: row.id.clone(),
        form: row.form.clone(),
        version: row.version,
        statement: serde_json::from_str(&row.body)
            .map_err(|e| ApiError::internal("stored form", e))?,
        body_sha256: row.body_sha256.clone(),
        signer_key: row.signer_key.clone(),
        signature: row.signature.clone(),
        supersedes: row.supersedes.clone(),
    })
}

/// Every signed version of a form, first first.
pub async fn versions(
    state: &AppState,
    c: &ConstituencyRef,
    form: ResultForm,
) -> Result<Vec<SignedFormView>, ApiError> {
    db::signed_forms_of(&state.db.pool, &c.election, &c.code, form.as_str())
        .await?
        .iter()
        .map(view)
        .collect()
}

/// One signed version.
pub async fn version(
    state: &AppState,
    c: &ConstituencyRef,
    form: ResultForm,
    n: i64,
) -> Result<SignedFormView, ApiError> {
    versions(state, c, form)
        .await?
        .into_iter()
        .find(|v| v.version == n)
        .ok_or_else(|| ApiError::new(Problem::NotFound, format!("no signed version {n}")))
}

/// Compile and sign a new version of `form`.
pub async fn sign(
    state: &AppState,
    c: &ConstituencyRef,
    actor: &Actor,
    form: ResultForm,
    req: &SignRequest,
) -> Result<SignedFormView, FiguresError> {
    req.meta.check()?;
    if let Some(existing) = db::signed_form_by_id(&state.db.pool, &req.meta.id).await? {
        if existing.election_id != c.election
            || existing.constituency != c.code
            || existing.form != form.as_str()
        {
            return Err(id_taken().into());
        }
        return Ok(view(&existing)?);
    }
    let signed = db::signed_forms_of(&state.db.pool, &c.election, &c.code, form.as_str()).await?;
    let in_force = signed.last();
    if in_force.map(|r| r.id.clone()) != req.supersedes {
        return Err(FiguresError::stale(
            "the version in force is not the one this version supersedes",
            in_force.map(view).transpose()?,
        ));
    }
    let reason = match (&req.reason, in_force) {
        (Some(r), _) => check_reason("reason", r)?,
        (None, Some(_)) => {
            return Err(
                invalid_field("reason", "a new version says why it supersedes the last").into(),
            );
        }
        (None, None) => String::new(),
    };
    let standing = gather(state, c).await?;
    let now = crate::now_ms();
    let late_reason = match (
        &req.late_reason,
        form == ResultForm::Form47 && is_late(&standing, now),
    ) {
        (Some(r), _) => Some(check_reason("late_reason", r)?),
        (None, true) => {
            return Err(invalid_field(
                "late_reason",
                "the results deadline has passed: say why the provisional result is late",
            )
            .into());
        }
        (None, false) => None,
    };
    let postal_rows = db::postal_ballots_of(&state.db.pool, &c.election, &c.code).await?;
    let postal = postal_in_force(&postal_rows);
    if form == ResultForm::Form49 && postal.is_none() {
        return Err(invalid_field(
            "postal_ballots",
            "enter the postal ballots (even if none) before signing Form-49",
        )
        .into());
    }
    let compiled = compile(&standing);
    let version = in_force.map(|r| r.version + 1).unwrap_or(1);
    let statement = json!({
        "format": SIGNED_FORM_FORMAT,
        "v": 1,
        "form": form.as_str(),
        "version": version,
        "election": c.election,
        "constituency": c.code,
        "returning_officer": actor.user_id,
        "signed_at_ms": now,
        "supersedes": req.supersedes,
        "reason": reason,
        "content": content(&standing, form, &compiled, postal, now, late_reason.as_deref()),
    });
    let bytes = provenance::canonical_statement(&statement)
        .map_err(|e| ApiError::internal("form statement", e))?;
    let signature = provenance::sign_form_statement(&state.commission_key, &bytes);
    let row = SignedFormRow {
        id: req.meta.id.clone(),
        election_id: c.election.clone(),
        constituency: c.code.clone(),
        form: form.as_str().into(),
        version,
        body: String::from_utf8(bytes.clone())
            .map_err(|e| ApiError::internal("form statement", e))?,
        body_sha256: tallyseal_core::hash::sha256(&bytes).to_hex(),
        signer_key: state.commission_key.public_key().to_hex(),
        signature: signature.to_hex(),
        reason,
        actor: actor.user_id.clone(),
        origin: req.meta.origin.clone(),
        at_ms: now,
        supersedes: req.supersedes.clone(),
    };
    if !state.db.insert_signed_form(&row).await? {
        if let Some(existing) = db::signed_form_by_id(&state.db.pool, &req.meta.id).await? {
            return Ok(view(&existing)?);
        }
        let now_signed =
            db::signed_forms_of(&state.db.pool, &c.election, &c.code, form.as_str()).await?;
        return Err(FiguresError::stale(
            "another version was signed at the same moment",
            now_signed.last().map(view).transpose()?,
        ));
    }
    Ok(view(&row)?)
}
