//! The ledger page: every station of the polling scheme (of the whole election, or of one
//! constituency), and for each form where it stands — expected (it is in the scheme), manifest
//! received with its hash committed, image received, verified or flagged, accepted, confirmed,
//! or still awaited — with the time of each step. Read from [`crate::public::ledger`], the same
//! ledger the JSON and CSV files publish.

use super::context::PortalContext;
use super::words::{self, clock_of, constituency_path, election_path, short, station_path};
use crate::elections::load_package;
use crate::error::ApiError;
use crate::public::ledger::{self, LedgerForm};
use crate::state::AppState;
use crate::web::format::LocalClock;

/// One form of one station.
#[derive(Debug)]
pub struct LedgerRow {
    pub constituency: String,
    pub constituency_href: String,
    pub station: u32,
    pub station_name: String,
    pub station_href: String,
    pub form: String,
    pub state: String,
    pub state_class: String,
    pub hash: String,
    pub hash_short: String,
    pub manifest_at: String,
    pub image_at: String,
    pub verdict: String,
    pub decision: String,
    pub decided_at: String,
    pub confirmed: bool,
    pub awaited: bool,
}

/// The ledger page.
#[derive(Debug)]
pub struct LedgerView {
    pub election_name: String,
    pub election_href: String,
    /// The constituency shown alone, if one was asked for.
    pub only: Option<String>,
    pub rows: Vec<LedgerRow>,
    pub json: String,
    pub csv: String,
    pub zone: String,
    pub last_modified_ms: Option<i64>,
}

fn row(
    ctx: &PortalContext,
    clock: &LocalClock,
    election: &str,
    code: &str,
    station: u32,
    name: &str,
    f: &LedgerForm,
) -> LedgerRow {
    let tr = &ctx.tr;
    let (state, state_class) = words::state(tr, f.state);
    let current = f.captures.first();
    let decision = current.and_then(|c| c.decision.as_deref());
    LedgerRow {
        constituency: code.to_owned(),
        constituency_href: ctx.href(&constituency_path(election, code)),
        station,
        station_name: name.to_owned(),
        station_href: ctx.href(&station_path(election, code, station)),
        form: crate::web::board_view::form_label(tr, f.form),
        state,
        state_class,
        hash: current.map(|c| c.manifest_hash.clone()).unwrap_or_default(),
        hash_short: current.map(|c| short(&c.manifest_hash)).unwrap_or_default(),
        manifest_at: clock.maybe(f.received_at_ms),
        image_at: clock.maybe(f.image_received_at_ms),
        verdict: current
            .and_then(|c| c.verdict.as_deref())
            .map(|v| tr.t(&format!("review-verdict-{v}")))
            .unwrap_or_default(),
        decision: decision.map(|d| words::decision(tr, d)).unwrap_or_default(),
        decided_at: clock.maybe(f.decided_at_ms),
        confirmed: f.state == "confirmed",
        awaited: f.state == "awaited",
    }
}

/// The ledger page of `election`, of its constituency `only` when given (404 for unknown ones).
pub async fn ledger_page(
    state: &AppState,
    ctx: &PortalContext,
    election: &str,
    only: Option<&str>,
) -> Result<LedgerView, ApiError> {
    let state = state.for_public_reads();
    let package = load_package(state, election).await?;
    let clock = clock_of(&package.package.election);
    let l = ledger::ledger(state, election, only).await?;
    let rows = l
        .stations
        .iter()
        .flat_map(|s| {
            s.forms.iter().map(|f| {
                row(
                    ctx,
                    &clock,
                    election,
                    &s.constituency,
                    s.station,
                    &s.name,
                    f,
                )
            })
        })
        .collect();
    let api = format!("/api/v1/elections/{election}/ledger");
    let filter = only
        .map(|c| format!("?constituency={c}"))
        .unwrap_or_default();
    Ok(LedgerView {
        election_name: package.package.election.name.clone(),
        election_href: ctx.href(&election_path(election)),
        only: only.map(str::to_owned),
        rows,
        json: format!("{api}{filter}"),
        csv: format!("{api}.csv{filter}"),
        zone: clock.label.clone(),
        last_modified_ms: l.last_modified_ms(),
    })
}
