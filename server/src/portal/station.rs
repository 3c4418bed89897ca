//! A polling station's page: for each form, every capture the station sent — the one in force
//! first, then superseded, rejected and earlier ones, marked, each with the PO's reason for its
//! replacement — with its image, the confirmed figures beside the capture they came from
//! ([`crate::public::results`]), the verification verdict in plain words and the full report,
//! the times captured / received / accepted, the RO's decisions with reasons
//! ([`crate::review::capture_review`]), and its entry in the transparency log with the bundle
//! that carries the inclusion proof.

use serde_json::Value;

use super::context::PortalContext;
use super::words::{self, clock_of, constituency_path, election_path, n};
use crate::accounts::ConstituencyRef;
use crate::elections::load_package;
use crate::error::{ApiError, Problem};
use crate::log::hashes::HashesError;
use crate::public::ledger::{self, LedgerCapture};
use crate::public::results;
use crate::review::capture_review;
use crate::state::AppState;
use crate::stations::board::constituency_of;
use crate::web::format::LocalClock;

/// One verification check.
#[derive(Debug)]
pub struct CheckRow {
    pub name: String,
    pub outcome: String,
    pub outcome_label: String,
    pub words: String,
    pub detail: String,
}

/// A decision of the RO.
#[derive(Debug)]
pub struct DecisionRow {
    pub action: String,
    pub reason: String,
    pub text: String,
    pub at: String,
}

/// The confirmed figures of a capture.
#[derive(Debug)]
pub struct FiguresView {
    pub votes: Vec<(String, String)>,
    pub total_valid: String,
    pub rejected: String,
    pub total_polled: String,
    pub confirmation: String,
}

/// One capture.
#[derive(Debug)]
pub struct CaptureBlock {
    pub hash: String,
    pub anchor: String,
    pub page: String,
    pub state: String,
    pub state_class: String,
    /// `current`, `superseded` or `earlier`.
    pub standing: &'static str,
    pub standing_label: String,
    pub supersedes_href: String,
    pub supersede_reason: String,
    pub superseded_by_href: String,
    /// The smaller copy the page shows ([`super::rendition`]), empty before the image arrived.
    pub image_src: String,
    /// The original, byte for byte the one the phone signed.
    pub image_original: String,
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub image_alt: String,
    pub figures: Option<FiguresView>,
    pub verdict: String,
    pub checks: Vec<CheckRow>,
    pub times: Vec<(String, String)>,
    pub decisions: Vec<DecisionRow>,
    pub leaf_index: Option<String>,
    pub bundle_href: String,
}

/// One form of the station.
#[derive(Debug)]
pub struct FormBlock {
    pub id: String,
    pub label: String,
    pub state: String,
    pub state_class: String,
    pub captures: Vec<CaptureBlock>,
}

/// The station page.
#[derive(Debug)]
pub struct StationView {
    pub election_name: String,
    pub election_href: String,
    pub constituency: String,
    pub constituency_name: String,
    pub constituency_href: String,
    pub number: String,
    pub name: String,
    pub station_type: String,
    pub forms: Vec<FormBlock>,
    /// The capture the in-browser verifier checks (the counted Form-45, else the first current).
    pub verify_hash: Option<String>,
    pub zone: String,
    pub last_modified_ms: Option<i64>,
}

fn check_row(ctx: &PortalContext, c: &Value) -> Option<CheckRow> {
    let tr = &ctx.tr;
    let id = c.get("check")?.as_str()?;
    let outcome = c.get("outcome")?.as_str()?;
    Some(CheckRow {
        name: tr.t(&format!("check-{id}")),
        outcome: outcome.to_owned(),
        outcome_label: tr.t(&format!("check-outcome-{outcome}")),
        words: tr.t(&format!("check-{id}-{outcome}")),
        detail: c
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

/// The frame size the image check measured, if it did.
/// The size the smaller copy is shown at: the frame scaled down to
/// [`super::rendition::WIDTH`] wide when it is wider.
fn shown_size((w, h): (Option<u64>, Option<u64>)) -> (Option<u64>, Option<u64>) {
    let max = u64::from(super::rendition::WIDTH);
    match (w, h) {
        (Some(w), Some(h)) if w > max => (Some(max), Some((h * max / w).max(1))),
        other => other,
    }
}

fn frame_size(report: Option<&Value>) -> (Option<u64>, Option<u64>) {
    let measured = report
        .and_then(|r| r.get("checks"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("measured"))
        .find(|m| m.get("frame_width").is_some());
    let get = |k: &str| measured.and_then(|m| m.get(k)).and_then(Value::as_u64);
    (get("frame_width"), get("frame_height"))
}

async fn leaf_index(state: &AppState, hash: &str) -> Result<Option<u64>, ApiError> {
    let inclusion = crate::log::publication::inclusion(state, hash)
        .await
        .map_err(|e| match e {
            HashesError::Database(e) => ApiError::from(e),
            other => ApiError::internal("log inclusion", other),
        })?;
    Ok(inclusion.map(|i| i.leaf_index))
}

struct Scope<'a> {
    state: &'a AppState,
    ctx: &'a PortalContext,
    clock: &'a LocalClock,
    c: ConstituencyRef,
    counted: Option<&'a results::ConstituencyResults>,
    station: u32,
}

async fn capture_block(
    s: &Scope<'_>,
    lc: &LedgerCapture,
    current: bool,
) -> Result<CaptureBlock, ApiError> {
    let tr = &s.ctx.tr;
    let review = capture_review(s.state, &s.c, &lc.manifest_hash).await?;
    let (state, state_class) = words::state(tr, lc.state.as_str());
    let standing = match (current, lc.superseded_by.is_some()) {
        (_, true) => "superseded",
        (true, false) => "current",
        (false, false) => "earlier",
    };
    let anchor = |h: &str| s.ctx.href("").to_string() + "#c-" + h;
    let (width, height) = shown_size(frame_size(review.report.as_ref()));
    let checks = review
        .report
        .as_ref()
        .and_then(|r| r.get("checks"))
        .and_then(Value::as_array)
        .map(|cs| cs.iter().filter_map(|c| check_row(s.ctx, c)).collect())
        .unwrap_or_default();
    let accepted_at = review
        .decisions
        .iter()
        .filter(|d| d.action == "accept")
        .map(|d| d.decided_at_ms)
        .max();
    let mut times = vec![(
        tr.t("portal-time-captured"),
        match (
            review.times.captured_at_ms,
            review.times.capture_time_source,
        ) {
            (Some(t), Some(src)) => format!(
                "{} ({})",
                s.clock.time(t),
                tr.t(&format!("review-time-source-{src}"))
            ),
            (t, _) => s.clock.maybe(t),
        },
    )];
    times.push((
        tr.t("portal-time-received"),
        s.clock.time(review.times.received_at_ms),
    ));
    times.push((
        tr.t("portal-time-image"),
        s.clock.maybe(review.times.image_received_at_ms),
    ));
    times.push((tr.t("portal-time-accepted"), s.clock.maybe(accepted_at)));
    let figures = s
        .counted
        .and_then(|r| {
            r.stations
                .iter()
                .find(|c| c.station == s.station && c.manifest_hash == lc.manifest_hash)
                .map(|c| (r, c))
        })
        .map(|(r, c)| FiguresView {
            votes: r
                .candidates
                .iter()
                .zip(&c.votes)
                .map(|(cand, v)| (format!("{} ({})", cand.name, cand.party), n(tr, *v)))
                .collect(),
            total_valid: n(tr, c.total_valid),
            rejected: n(tr, c.rejected),
            total_polled: n(tr, c.total_polled),
            confirmation: c.confirmation.clone(),
        });
    let verdict = tr.t(&format!(
        "review-verdict-{}",
        lc.verdict.as_deref().unwrap_or("none")
    ));
    Ok(CaptureBlock {
        hash: lc.manifest_hash.clone(),
        anchor: format!("c-{}", lc.manifest_hash),
        page: tr.t1(
            "portal-page-of",
            "page",
            &format!("{}/{}", lc.page, lc.pages),
        ),
        state,
        state_class,
        standing,
        standing_label: tr.t(&format!("portal-standing-{standing}")),
        supersedes_href: lc.supersedes.as_deref().map(anchor).unwrap_or_default(),
        supersede_reason: lc.supersede_reason.clone().unwrap_or_default(),
        superseded_by_href: lc.superseded_by.as_deref().map(anchor).unwrap_or_default(),
        image_src: if lc.image_received_at_ms.is_some() {
            format!("/portal/captures/{}/rendition", lc.manifest_hash)
        } else {
            String::new()
        },
        image_original: if lc.image_received_at_ms.is_some() {
            format!("/portal/captures/{}/image", lc.manifest_hash)
        } else {
            String::new()
        },
        width,
        height,
        image_alt: tr.t1(
            "portal-image-alt",
            "form",
            &crate::web::board_view::form_label(tr, &review.form),
        ),
        figures,
        verdict,
        checks,
        times,
        decisions: review
            .decisions
            .iter()
            .map(|d| DecisionRow {
                action: words::decision(tr, &d.action),
                reason: words::reason(tr, &d.action, d.reason_code.as_deref()),
                text: d.reason_text.clone(),
                at: s.clock.time(d.decided_at_ms),
            })
            .collect(),
        leaf_index: leaf_index(s.state, &lc.manifest_hash)
            .await?
            .map(|i| i.to_string()),
        bundle_href: format!("/api/v1/captures/{}/bundle", lc.manifest_hash),
    })
}

/// The page of station `station` of constituency `code` (404 for an unknown one).
pub async fn station(
    state: &AppState,
    ctx: &PortalContext,
    election: &str,
    code: &str,
    station: u32,
) -> Result<StationView, ApiError> {
    let state = state.for_public_reads();
    let c = constituency_of(state, election, code).await?;
    let polling = c
        .station(station)
        .ok_or_else(|| ApiError::new(Problem::NotFound, "the constituency has no such station"))?;
    let package = load_package(state, election).await?;
    let clock = clock_of(&package.package.election);
    let l = ledger::ledger(state, election, Some(code)).await?;
    let r = results::results(state, election, code).await?;
    let tr = &ctx.tr;
    let scope = Scope {
        state,
        ctx,
        clock: &clock,
        c: ConstituencyRef::new(election, code),
        counted: Some(&r),
        station,
    };
    let mut forms = Vec::new();
    let mut last_modified_ms = None;
    let mut first_current = None;
    if let Some(ls) = l.stations.iter().find(|s| s.station == station) {
        for f in &ls.forms {
            let mut captures = Vec::new();
            for (lc, current) in f
                .captures
                .iter()
                .map(|c| (c, true))
                .chain(f.earlier.iter().rev().map(|c| (c, false)))
            {
                last_modified_ms = [
                    last_modified_ms,
                    Some(lc.received_at_ms),
                    lc.image_received_at_ms,
                    lc.decided_at_ms,
                ]
                .into_iter()
                .flatten()
                .max();
                if current && first_current.is_none() {
                    first_current = Some(lc.manifest_hash.clone());
                }
                captures.push(capture_block(&scope, lc, current).await?);
            }
            let (label, class) = words::state(tr, f.state);
            forms.push(FormBlock {
                id: f.form.to_owned(),
                label: crate::web::board_view::form_label(tr, f.form),
                state: label,
                state_class: class,
                captures,
            });
        }
    }
    let counted = r
        .stations
        .iter()
        .find(|s| s.station == station)
        .map(|s| s.manifest_hash.clone());
    Ok(StationView {
        election_name: package.package.election.name.clone(),
        election_href: ctx.href(&election_path(election)),
        constituency: c.code.clone(),
        constituency_name: c.name.clone(),
        constituency_href: ctx.href(&constituency_path(election, code)),
        number: n(tr, u64::from(station)),
        name: polling.name.clone(),
        station_type: tr.t(&format!(
            "portal-station-type-{}",
            format!("{:?}", polling.station_type).to_lowercase()
        )),
        forms,
        verify_hash: counted.or(first_current),
        zone: clock.label.clone(),
        last_modified_ms,
    })
}
