//! Blind double entry: an operator claims entry 1 or 2 of an accepted capture (two different
//! operators), saves drafts against the version they read (a stale version is a 409 with the
//! current state), submits the full figures, and may run core's rules as they type. When both
//! entries are submitted and agree with each other and with the PO's sealed figures, the figures
//! are confirmed; otherwise the RO settles them ([`super::corrections`]).
//!
//! It never shows an operator the other entry, the PO's figures or whether they agree.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tallyseal_core::form::{RuleViolation, validate};

use super::capture::{self, CaptureContext};
use super::fields::{FieldValues, differing_fields, from_stored, invalid_field, to_stored};
use super::records::{RecordMeta, derived_id, id_taken};
use super::{FiguresError, corrections};
use crate::accounts::{Actor, ConstituencyRef};
use crate::db::{self, ConfirmationRow, EntryRow};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Claim an entry: `{id, origin}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    #[serde(flatten)]
    pub meta: RecordMeta,
}

/// Save a draft or submit: the version read, and the figures typed (field → number).
#[derive(Debug, Clone, Deserialize)]
pub struct SaveRequest {
    #[serde(flatten)]
    pub meta: RecordMeta,
    pub version: i64,
    pub figures: Value,
}

/// Run core's rules on typed figures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    pub manifest_hash: String,
    pub figures: Value,
}

/// An operator's own entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryView {
    pub manifest_hash: String,
    pub station: u32,
    pub form: String,
    pub slot: i64,
    pub version: i64,
    /// `claimed`, `draft` or `submitted`.
    pub state: String,
    pub figures: FieldValues,
    /// Every field of the form, in the paper form's order.
    pub fields: Vec<String>,
    pub missing: Vec<String>,
    /// The record id of this version.
    pub record: String,
    pub operator: String,
    pub saved_at_ms: i64,
}

/// Core's rules on typed figures, with the fields not typed yet (counted as 0).
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    pub violations: Vec<RuleViolation>,
    pub missing: Vec<String>,
}

fn state_of(action: &str) -> &'static str {
    match action {
        "claim" => "claimed",
        "submit" => "submitted",
        _ => "draft",
    }
}

fn view(ctx: &CaptureContext, row: &EntryRow) -> Result<EntryView, ApiError> {
    let figures = from_stored(&row.figures)?;
    Ok(EntryView {
        manifest_hash: row.manifest_hash.clone(),
        station: ctx.station_no,
        form: row.form.clone(),
        slot: row.slot,
        version: row.version,
        state: state_of(&row.action).to_owned(),
        missing: ctx
            .fields
            .missing(&figures)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        figures,
        fields: ctx.fields.names.clone(),
        record: row.id.clone(),
        operator: row.actor.clone(),
        saved_at_ms: row.at_ms,
    })
}

fn check_slot(slot: i64) -> Result<(), ApiError> {
    if slot == 1 || slot == 2 {
        Ok(())
    } else {
        Err(invalid_field("slot", "must be 1 or 2"))
    }
}

fn not_yours(slot: i64) -> ApiError {
    ApiError::new(
        Problem::Forbidden,
        format!("entry {slot} of this capture is another operator's"),
    )
}

async fn latest(state: &AppState, hash: &str, slot: i64) -> Result<Option<EntryRow>, ApiError> {
    Ok(db::latest_entries(&state.db.pool, hash)
        .await?
        .into_iter()
        .find(|e| e.slot == slot))
}

/// Claim entry `slot` of a capture for `actor`. Claiming again is the same claim.
pub async fn claim(
    state: &AppState,
    c: &ConstituencyRef,
    actor: &Actor,
    hash: &str,
    slot: i64,
    req: &ClaimRequest,
) -> Result<EntryView, FiguresError> {
    req.meta.check()?;
    check_slot(slot)?;
    let ctx = capture::load(state, c, hash).await?;
    for attempt in 0..2 {
        let entries = db::latest_entries(&state.db.pool, hash).await?;
        // Every version of a slot is its claimant's: the latest row names them.
        if let Some(mine) = entries.iter().find(|e| e.slot == slot) {
            if mine.actor == actor.user_id {
                return Ok(view(&ctx, mine)?);
            }
            return Err(not_yours(slot).into());
        }
        if entries.iter().any(|e| e.actor == actor.user_id) {
            return Err(ApiError::new(
                Problem::Forbidden,
                "you keyed the other entry of this capture: a second operator keys this one",
            )
            .into());
        }
        if attempt == 1 {
            break;
        }
        let row = EntryRow {
            id: req.meta.id.clone(),
            manifest_hash: hash.to_owned(),
            election_id: c.election.clone(),
            constituency: c.code.clone(),
            station: i64::from(ctx.station_no),
            form: ctx.kind().as_str().to_owned(),
            slot,
            version: 1,
            action: "claim".into(),
            figures: "{}".into(),
            actor: actor.user_id.clone(),
            origin: req.meta.origin.clone(),
            at_ms: crate::now_ms(),
            supersedes: None,
        };
        if state.db.insert_entry(&row).await? {
            return Ok(view(&ctx, &row)?);
        }
        if let Some(existing) = db::entry_by_id(&state.db.pool, &req.meta.id).await?
            && !(existing.manifest_hash == hash && existing.actor == actor.user_id)
        {
            return Err(id_taken().into());
        }
        // Someone claimed at the same moment: the loop answers with what is stored now.
    }
    Err(not_yours(slot).into())
}

/// An operator's own entry.
pub async fn get(
    state: &AppState,
    c: &ConstituencyRef,
    actor: &Actor,
    hash: &str,
    slot: i64,
) -> Result<EntryView, ApiError> {
    check_slot(slot)?;
    let ctx = capture::load(state, c, hash).await?;
    let row = latest(state, hash, slot).await?.ok_or_else(|| {
        ApiError::new(
            Problem::NotFound,
            format!("entry {slot} of this capture is not claimed"),
        )
    })?;
    if row.actor != actor.user_id {
        return Err(not_yours(slot));
    }
    view(&ctx, &row)
}

/// Save a draft (`submit` false) or submit the full figures (`submit` true), against the version
/// the operator read.
pub async fn save(
    state: &AppState,
    c: &ConstituencyRef,
    actor: &Actor,
    hash: &str,
    slot: i64,
    req: &SaveRequest,
    submit: bool,
) -> Result<EntryView, FiguresError> {
    req.meta.check()?;
    check_slot(slot)?;
    let ctx = capture::load(state, c, hash).await?;
    let values = ctx.fields.parse(&req.figures, "figures")?;
    if submit && let Some(first) = ctx.fields.missing(&values).first() {
        return Err(invalid_field(
            &format!("figures.{first}"),
            "missing: a submitted entry has every field",
        )
        .into());
    }
    if let Some(existing) = db::entry_by_id(&state.db.pool, &req.meta.id).await? {
        let view = replay(state, &ctx, actor, slot, &existing).await?;
        if existing.action == "submit" {
            // A retried submission also finishes what the first one may not have: the agreement.
            confirm_if_agreed(state, &ctx, actor, &req.meta).await?;
        }
        return Ok(view);
    }
    let current = latest(state, hash, slot).await?.ok_or_else(|| {
        ApiError::new(
            Problem::Forbidden,
            format!("claim entry {slot} of this capture first"),
        )
    })?;
    if current.actor != actor.user_id {
        return Err(not_yours(slot).into());
    }
    if current.action == "submit" {
        return Err(FiguresError::stale(
            "this entry is submitted already",
            view(&ctx, &current)?,
        ));
    }
    if current.version != req.version {
        return Err(FiguresError::stale(
            format!(
                "you saved version {} but the entry is at version {}",
                req.version, current.version
            ),
            view(&ctx, &current)?,
        ));
    }
    let row = EntryRow {
        id: req.meta.id.clone(),
        version: current.version + 1,
        action: if submit { "submit" } else { "draft" }.into(),
        figures: to_stored(&values),
        origin: req.meta.origin.clone(),
        at_ms: crate::now_ms(),
        supersedes: Some(current.id.clone()),
        ..current
    };
    if !state.db.insert_entry(&row).await? {
        if let Some(existing) = db::entry_by_id(&state.db.pool, &req.meta.id).await? {
            return replay(state, &ctx, actor, slot, &existing).await;
        }
        let now = latest(state, hash, slot).await?;
        return Err(FiguresError::stale(
            format!("version {} was saved from another workstation", row.version),
            now.map(|r| view(&ctx, &r)).transpose()?,
        ));
    }
    if submit {
        confirm_if_agreed(state, &ctx, actor, &req.meta).await?;
    }
    Ok(view(&ctx, &row)?)
}

/// The same record sent again: the entry as it stands, if the id is this operator's on this slot.
async fn replay(
    state: &AppState,
    ctx: &CaptureContext,
    actor: &Actor,
    slot: i64,
    existing: &EntryRow,
) -> Result<EntryView, FiguresError> {
    if existing.manifest_hash != ctx.manifest_hash
        || existing.slot != slot
        || existing.actor != actor.user_id
    {
        return Err(id_taken().into());
    }
    let now = latest(state, &ctx.manifest_hash, slot)
        .await?
        .unwrap_or_else(|| existing.clone());
    Ok(view(ctx, &now)?)
}

/// When both entries are submitted and agree with each other and the PO's sealed figures, record
/// the confirmation (its id derived from the two entries': the same on every node).
pub async fn confirm_if_agreed(
    state: &AppState,
    ctx: &CaptureContext,
    actor: &Actor,
    meta: &RecordMeta,
) -> Result<bool, ApiError> {
    let Some((e1, e2)) = corrections::submitted_pair(state, &ctx.manifest_hash).await? else {
        return Ok(false);
    };
    let (f1, f2) = (from_stored(&e1.figures)?, from_stored(&e2.figures)?);
    let mut sets = vec![&f1, &f2];
    if let Some(sealed) = &ctx.sealed {
        sets.push(sealed);
    }
    if !differing_fields(&ctx.fields.names, &sets).is_empty() {
        return Ok(false);
    }
    let row = ConfirmationRow {
        id: derived_id("agreed", &[&e1.id, &e2.id]),
        manifest_hash: ctx.manifest_hash.clone(),
        election_id: ctx.constituency_ref.election.clone(),
        constituency: ctx.constituency_ref.code.clone(),
        station: i64::from(ctx.station_no),
        form: ctx.kind().as_str().to_owned(),
        how: "agreed".into(),
        figures: to_stored(&f1),
        settlements: "[]".into(),
        entry_1: e1.id.clone(),
        entry_2: e2.id.clone(),
        actor: actor.user_id.clone(),
        origin: meta.origin.clone(),
        at_ms: crate::now_ms(),
        supersedes: None,
    };
    Ok(state.db.insert_confirmation(&row).await?)
}

/// Core's Form-45/46 rules on the figures typed so far (missing fields count as 0), with the
/// station and ballot of the capture's constituency.
pub async fn validate_typed(
    state: &AppState,
    c: &ConstituencyRef,
    req: &ValidateRequest,
) -> Result<Validation, ApiError> {
    let ctx = capture::load(state, c, &req.manifest_hash).await?;
    let values = ctx.fields.parse(&req.figures, "figures")?;
    let figures = ctx.fields.to_figures(&values);
    Ok(Validation {
        violations: validate(
            &figures,
            ctx.station.as_ref(),
            Some(&ctx.constituency.candidates),
        ),
        missing: ctx
            .fields
            .missing(&values)
            .into_iter()
            .map(str::to_owned)
            .collect(),
    })
}
