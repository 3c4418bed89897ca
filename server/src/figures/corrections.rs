//! Corrections: when the two submitted entries of a capture disagree with each other or with the
//! PO's sealed figures, the RO sees them side by side and settles each differing field with a
//! recorded reason; the settled figures are confirmed. A later settlement supersedes the
//! confirmation in force (naming it), so a correction never replaces a record.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FiguresError;
use super::capture::{self, CaptureContext};
use super::fields::{FieldValues, differing_fields, from_stored, invalid_field, to_stored};
use super::records::{RecordMeta, check_reason, id_taken};
use crate::accounts::{Actor, ConstituencyRef};
use crate::db::{self, ConfirmationRow, EntryRow};
use crate::error::ApiError;
use crate::state::AppState;

/// One field the RO settles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub field: String,
    pub value: Value,
    pub reason: String,
}

/// The RO's settlement of a capture's figures.
#[derive(Debug, Clone, Deserialize)]
pub struct SettleRequest {
    #[serde(flatten)]
    pub meta: RecordMeta,
    /// The confirmation in force this settlement replaces (none for a first confirmation).
    #[serde(default)]
    pub supersedes: Option<String>,
    pub settlements: Vec<Settlement>,
}

/// One side of the corrections view.
#[derive(Debug, Clone, Serialize)]
pub struct EntrySide {
    pub slot: i64,
    pub operator: String,
    pub state: String,
    pub record: String,
    pub figures: FieldValues,
}

/// A confirmation as the console shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ConfirmationView {
    pub record: String,
    pub how: String,
    pub figures: FieldValues,
    pub settlements: Value,
    pub entries: [String; 2],
    pub actor: String,
    pub at_ms: i64,
    pub supersedes: Option<String>,
}

/// Both entries, the PO's sealed figures and the fields on which they differ.
#[derive(Debug, Clone, Serialize)]
pub struct CorrectionsView {
    pub manifest_hash: String,
    pub station: u32,
    pub form: String,
    pub fields: Vec<String>,
    pub entries: Vec<EntrySide>,
    pub sealed: Option<FieldValues>,
    pub differing: Vec<String>,
    pub confirmation: Option<ConfirmationView>,
}

/// The two submitted entries of a capture (slot 1, slot 2), when both are submitted.
pub async fn submitted_pair(
    state: &AppState,
    hash: &str,
) -> Result<Option<(EntryRow, EntryRow)>, ApiError> {
    let mut rows = db::latest_entries(&state.db.pool, hash).await?.into_iter();
    match (rows.next(), rows.next()) {
        (Some(a), Some(b)) if a.action == "submit" && b.action == "submit" => Ok(Some((a, b))),
        _ => Ok(None),
    }
}

/// The confirmation in force among a capture's confirmations: the one no other supersedes.
pub fn in_force(rows: &[ConfirmationRow]) -> Option<&ConfirmationRow> {
    let superseded: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.supersedes.as_deref())
        .collect();
    rows.iter()
        .rev()
        .find(|r| !superseded.contains(r.id.as_str()))
}

fn confirmation_view(row: &ConfirmationRow) -> Result<ConfirmationView, ApiError> {
    Ok(ConfirmationView {
        record: row.id.clone(),
        how: row.how.clone(),
        figures: from_stored(&row.figures)?,
        settlements: serde_json::from_str(&row.settlements)
            .map_err(|e| ApiError::internal("stored settlements", e))?,
        entries: [row.entry_1.clone(), row.entry_2.clone()],
        actor: row.actor.clone(),
        at_ms: row.at_ms,
        supersedes: row.supersedes.clone(),
    })
}

async fn build_view(state: &AppState, ctx: &CaptureContext) -> Result<CorrectionsView, ApiError> {
    let rows = db::latest_entries(&state.db.pool, &ctx.manifest_hash).await?;
    let mut entries = Vec::new();
    for r in &rows {
        entries.push(EntrySide {
            slot: r.slot,
            operator: r.actor.clone(),
            state: match r.action.as_str() {
                "submit" => "submitted",
                "claim" => "claimed",
                _ => "draft",
            }
            .into(),
            record: r.id.clone(),
            figures: from_stored(&r.figures)?,
        });
    }
    let mut sets: Vec<&FieldValues> = entries.iter().map(|e| &e.figures).collect();
    if let Some(s) = &ctx.sealed {
        sets.push(s);
    }
    let both = entries.len() == 2 && entries.iter().all(|e| e.state == "submitted");
    let differing = if both {
        differing_fields(&ctx.fields.names, &sets)
    } else {
        Vec::new()
    };
    let confirmations = db::confirmations_of_capture(&state.db.pool, &ctx.manifest_hash).await?;
    Ok(CorrectionsView {
        manifest_hash: ctx.manifest_hash.clone(),
        station: ctx.station_no,
        form: ctx.kind().as_str().to_owned(),
        fields: ctx.fields.names.clone(),
        entries,
        sealed: ctx.sealed.clone(),
        differing,
        confirmation: in_force(&confirmations)
            .map(confirmation_view)
            .transpose()?,
    })
}

/// The corrections view of a capture (the RO's).
pub async fn view(
    state: &AppState,
    c: &ConstituencyRef,
    hash: &str,
) -> Result<CorrectionsView, ApiError> {
    let ctx = capture::load(state, c, hash).await?;
    build_view(state, &ctx).await
}

/// Settle a capture's figures: every differing field needs a settlement with a reason; the
/// figures are the entries' where they agree and the settled values elsewhere.
pub async fn settle(
    state: &AppState,
    c: &ConstituencyRef,
    actor: &Actor,
    hash: &str,
    req: &SettleRequest,
) -> Result<CorrectionsView, FiguresError> {
    req.meta.check()?;
    let ctx = capture::load(state, c, hash).await?;
    if let Some(existing) = db::confirmation_by_id(&state.db.pool, &req.meta.id).await? {
        if existing.manifest_hash != hash || existing.how != "settled" {
            return Err(id_taken().into());
        }
        return Ok(build_view(state, &ctx).await?);
    }
    let current = build_view(state, &ctx).await?;
    let Some((e1, e2)) = submitted_pair(state, hash).await? else {
        return Err(FiguresError::stale(
            "both entries must be submitted before the figures are settled",
            current,
        ));
    };
    let in_force_id = current.confirmation.as_ref().map(|c| c.record.clone());
    if in_force_id != req.supersedes {
        return Err(FiguresError::stale(
            "the confirmation in force is not the one this settlement supersedes",
            current,
        ));
    }
    let mut settled = FieldValues::new();
    let mut recorded = Vec::new();
    for (i, s) in req.settlements.iter().enumerate() {
        let at = format!("settlements[{i}]");
        if !ctx.fields.has(&s.field) {
            return Err(invalid_field(
                &format!("{at}.field"),
                &format!("{} has no field {:?}", ctx.kind().as_str(), s.field),
            )
            .into());
        }
        if settled.contains_key(&s.field) {
            return Err(invalid_field(&format!("{at}.field"), "settled twice").into());
        }
        let value = ctx.fields.value(&s.value, &format!("{at}.value"))?;
        let reason = check_reason(&format!("{at}.reason"), &s.reason)?;
        settled.insert(s.field.clone(), value);
        recorded.push(serde_json::json!({"field": s.field, "value": value, "reason": reason}));
    }
    if let Some(unsettled) = current.differing.iter().find(|f| !settled.contains_key(*f)) {
        return Err(invalid_field(
            "settlements",
            &format!("field {unsettled:?} differs between the entries or the PO's figures and must be settled"),
        )
        .into());
    }
    if settled.is_empty() {
        return Err(invalid_field("settlements", "settle at least one field").into());
    }
    let mut figures = match &current.confirmation {
        Some(c) => c.figures.clone(),
        None => from_stored(&e1.figures)?,
    };
    figures.extend(settled);
    let row = ConfirmationRow {
        id: req.meta.id.clone(),
        manifest_hash: hash.to_owned(),
        election_id: c.election.clone(),
        constituency: c.code.clone(),
        station: i64::from(ctx.station_no),
        form: ctx.kind().as_str().to_owned(),
        how: "settled".into(),
        figures: to_stored(&figures),
        settlements: Value::Array(recorded).to_string(),
        entry_1: e1.id.clone(),
        entry_2: e2.id.clone(),
        actor: actor.user_id.clone(),
        origin: req.meta.origin.clone(),
        at_ms: crate::now_ms(),
        supersedes: req.supersedes.clone(),
    };
    if !state.db.insert_confirmation(&row).await? {
        if db::confirmation_by_id(&state.db.pool, &req.meta.id)
            .await?
            .is_some()
        {
            return Ok(build_view(state, &ctx).await?);
        }
        return Err(FiguresError::stale(
            "the figures were confirmed at the same moment",
            build_view(state, &ctx).await?,
        ));
    }
    Ok(build_view(state, &ctx).await?)
}
