//! One capture as the figures domain sees it: its constituency's ballot and polling scheme (from
//! the election package), its station and form, the fields an operator keys, the figures the PO
//! sealed in its manifest and its stored verification report.
//!
//! Only captures the RO accepted ([`crate::review::accepted_manifests`]) are entered; it never
//! opens a capture of another constituency.

use std::sync::Arc;

use base64::Engine;
use tallyseal_core::form::FormKind;
use tallyseal_core::manifest::CaptureManifest;
use tallyseal_core::model::{Constituency, PollingStation};

use super::fields::{FieldSet, FieldValues, from_figures};
use crate::accounts::ConstituencyRef;
use crate::db::{self, CaptureFiguresRow};
use crate::error::{ApiError, Problem};
use crate::provenance::{OpenedPackage, VerificationReport};
use crate::state::AppState;

/// The form kind of a stored `form` column.
pub fn form_kind(s: &str) -> Option<FormKind> {
    match s {
        "form45" => Some(FormKind::Form45),
        "form46" => Some(FormKind::Form46),
        _ => None,
    }
}

/// The election package and one constituency of it.
pub async fn constituency_of(
    state: &AppState,
    c: &ConstituencyRef,
) -> Result<(Arc<OpenedPackage>, Constituency), ApiError> {
    let package = crate::elections::load_package(state, &c.election).await?;
    let constituency = package
        .package
        .constituency(&c.code)
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                Problem::NotFound,
                format!("no constituency {:?} in election {:?}", c.code, c.election),
            )
        })?;
    Ok((package, constituency))
}

/// The PO's sealed figures of a capture, as fields, when its manifest carries figures of its form.
pub fn sealed_figures(row: &CaptureFiguresRow) -> Option<FieldValues> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(row.manifest.as_deref()?)
        .ok()?;
    let manifest = CaptureManifest::parse(&bytes).ok()?;
    let figures = manifest.figures?;
    (figures.kind().as_str() == row.form).then(|| from_figures(&figures))
}

/// The stored verification report of a capture, if it has one.
pub fn stored_report(row: &CaptureFiguresRow) -> Option<VerificationReport> {
    serde_json::from_str(row.report.as_deref()?).ok()
}

/// An accepted capture, ready for entry and correction.
#[derive(Debug, Clone)]
pub struct CaptureContext {
    pub constituency_ref: ConstituencyRef,
    pub constituency: Constituency,
    pub station: Option<PollingStation>,
    pub manifest_hash: String,
    pub station_no: u32,
    pub fields: FieldSet,
    pub sealed: Option<FieldValues>,
}

impl CaptureContext {
    pub fn kind(&self) -> FormKind {
        self.fields.kind
    }
}

/// Load an accepted capture of constituency `c`; 404 when it is not one.
pub async fn load(
    state: &AppState,
    c: &ConstituencyRef,
    manifest_hash: &str,
) -> Result<CaptureContext, ApiError> {
    let (_, constituency) = constituency_of(state, c).await?;
    let accepted = crate::review::accepted_manifests(&state.db.pool, c).await?;
    let not_found = || {
        ApiError::new(
            Problem::NotFound,
            format!("no accepted capture {manifest_hash} in {}", c.code),
        )
    };
    let capture = accepted
        .into_iter()
        .find(|a| a.manifest_hash == manifest_hash)
        .ok_or_else(not_found)?;
    let row = db::capture_figures_row(&state.db.pool, manifest_hash)
        .await?
        .ok_or_else(not_found)?;
    let kind = form_kind(&capture.form).ok_or_else(not_found)?;
    Ok(CaptureContext {
        constituency_ref: c.clone(),
        station: constituency.station(capture.station).cloned(),
        fields: FieldSet::new(kind, &constituency.candidates),
        constituency,
        manifest_hash: manifest_hash.to_owned(),
        station_no: capture.station,
        sealed: sealed_figures(&row),
    })
}
