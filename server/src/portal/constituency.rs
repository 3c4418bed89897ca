//! A constituency's page: the provisional result from confirmed figures exactly as the open data
//! publishes it ([`crate::public::results`]), every version of the RO's Form-47 with the results
//! deadline (s.13(3)), turnout by gender with the s.9 flag (women's turnout under 10 %, as the
//! figures domain decides it), and the station ledger ([`crate::public::ledger`]) with times.

use super::context::PortalContext;
use super::words::{self, clock_of, constituency_path, election_path, n, rfc3339_ms, station_path};
use crate::elections::load_package;
use crate::error::ApiError;
use crate::public::ledger::{self, LedgerForm};
use crate::public::results;
use crate::state::AppState;
use crate::stations::board::constituency_of;

/// A candidate's line of the result.
#[derive(Debug)]
pub struct CandidateRow {
    pub ballot_no: String,
    pub name: String,
    pub party: String,
    pub votes: String,
    pub share: String,
}

/// One gender's turnout.
#[derive(Debug)]
pub struct TurnoutRow {
    pub gender: String,
    pub registered: String,
    pub polled: String,
    pub percent: String,
    /// This row is women's, and under 10 %.
    pub flagged: bool,
}

/// A signed version of Form-47.
#[derive(Debug)]
pub struct Form47Row {
    pub version: String,
    pub signed_at: String,
    pub deadline: String,
    pub late: bool,
    pub in_force: bool,
    pub reason: String,
    pub superseded_reason: String,
    pub body_sha256: String,
}

/// A station's line in the ledger: where its Form-45 stands and since when (the ledger page
/// has both forms and every time in full).
#[derive(Debug)]
pub struct StationRow {
    pub number: u32,
    pub name: String,
    /// Relative to the page's base, the constituency's folder (`stations/3?lang=en`): the page
    /// stays small.
    pub href: String,
    pub label: String,
    pub class: String,
    /// The latest step's local time of day (`HH:MM`).
    pub time: String,
}

/// The constituency page.
#[derive(Debug)]
pub struct ConstituencyView {
    pub election: String,
    /// `<base href>`: the constituency's folder, which station links are relative to.
    pub base: String,
    pub election_name: String,
    pub code: String,
    pub name: String,
    pub assembly: String,
    pub election_href: String,
    pub ledger_href: String,
    pub counted: String,
    pub in_scheme: String,
    pub awaited: String,
    pub candidates: Vec<CandidateRow>,
    pub total_valid: String,
    pub rejected: String,
    pub total_polled: String,
    pub turnout: Vec<TurnoutRow>,
    pub women_flag: bool,
    pub deadline: String,
    /// No Form-47 signed and the deadline has passed.
    pub overdue: bool,
    pub form47: Vec<Form47Row>,
    pub stations: Vec<StationRow>,
    pub results_json: String,
    pub results_csv: String,
    pub ledger_json: String,
    pub ledger_csv: String,
    pub bundles_tar: String,
    pub events_url: String,
    pub zone: String,
    pub last_modified_ms: Option<i64>,
}

/// The state of a Form-45 and the local time of day of its latest step.
fn form45_cell(
    ctx: &PortalContext,
    clock: &crate::web::format::LocalClock,
    f: Option<&LedgerForm>,
) -> (String, String, String) {
    let (label, class) = words::state(&ctx.tr, f.map_or("awaited", |f| f.state));
    let latest = f.and_then(|f| {
        [f.decided_at_ms, f.image_received_at_ms, f.received_at_ms]
            .into_iter()
            .flatten()
            .max()
    });
    let time = clock
        .maybe(latest)
        .get(11..16)
        .unwrap_or_default()
        .to_owned();
    (label, class, time)
}

/// The page of constituency `code` of `election` (404 for either unknown).
pub async fn constituency(
    state: &AppState,
    ctx: &PortalContext,
    election: &str,
    code: &str,
) -> Result<ConstituencyView, ApiError> {
    let state = state.for_public_reads();
    let c = constituency_of(state, election, code).await?;
    let package = load_package(state, election).await?;
    let e = &package.package.election;
    let clock = clock_of(e);
    let tr = &ctx.tr;
    let r = results::results(state, election, code).await?;
    let l = ledger::ledger(state, election, Some(code)).await?;

    let candidates = r
        .candidates
        .iter()
        .map(|cand| CandidateRow {
            ballot_no: n(tr, u64::from(cand.ballot_no)),
            name: cand.name.clone(),
            party: cand.party.clone(),
            votes: n(tr, cand.votes),
            share: words::percent(tr, words::permille(cand.votes, r.total_valid)),
        })
        .collect();
    let t = &r.turnout;
    let turnout = [
        (
            "portal-gender-male",
            t.registered.male,
            t.polled.male,
            t.permille.male,
            false,
        ),
        (
            "portal-gender-female",
            t.registered.female,
            t.polled.female,
            t.permille.female,
            t.women_under_10_percent,
        ),
        (
            "portal-gender-transgender",
            t.registered.transgender,
            t.polled.transgender,
            t.permille.transgender,
            false,
        ),
        (
            "portal-gender-total",
            t.registered.total,
            t.polled.total,
            t.permille.total,
            false,
        ),
    ]
    .into_iter()
    .map(|(key, registered, polled, pm, flagged)| TurnoutRow {
        gender: tr.t(key),
        registered: n(tr, registered),
        polled: n(tr, polled),
        percent: words::percent(tr, pm),
        flagged,
    })
    .collect();

    let deadline_ms = rfc3339_ms(&e.results_deadline);
    let form47 = r
        .form47_versions
        .iter()
        .map(|v| {
            let late = matches!((v.signed_at_ms, deadline_ms), (Some(s), Some(d)) if s > d);
            Form47Row {
                version: n(tr, u64::try_from(v.version).unwrap_or(0)),
                signed_at: clock.maybe(v.signed_at_ms),
                deadline: if late {
                    tr.t("portal-form47-late")
                } else {
                    tr.t("portal-form47-on-time")
                },
                late,
                in_force: v.superseded_by.is_none(),
                reason: v.reason.clone(),
                superseded_reason: v.superseded_reason.clone().unwrap_or_default(),
                body_sha256: v.body_sha256.clone(),
            }
        })
        .collect::<Vec<_>>();
    let overdue = form47.is_empty() && deadline_ms.is_some_and(|d| crate::now_ms() > d);

    let rel = |n: u32| {
        let full = station_path(election, code, n);
        let base = format!("{}/", constituency_path(election, code));
        ctx.href(full.strip_prefix(&base).unwrap_or(&full))
    };
    let stations = l
        .stations
        .iter()
        .map(|s| {
            let (label, class, time) =
                form45_cell(ctx, &clock, s.forms.iter().find(|f| f.form == "form45"));
            StationRow {
                number: s.station,
                name: s.name.clone(),
                href: rel(s.station),
                label,
                class,
                time,
            }
        })
        .collect();
    let api = format!("/api/v1/elections/{election}/constituencies/{code}");
    let ledger_api = format!("/api/v1/elections/{election}/ledger");
    let last_modified_ms = [l.last_modified_ms(), r.last_modified_ms()]
        .into_iter()
        .flatten()
        .max();
    Ok(ConstituencyView {
        election: election.to_owned(),
        base: format!("{}/", constituency_path(election, code)),
        election_name: e.name.clone(),
        code: c.code.clone(),
        name: c.name.clone(),
        assembly: c.assembly.clone(),
        election_href: ctx.href(&election_path(election)),
        ledger_href: format!(
            "{}/ledger{}&constituency={code}",
            election_path(election),
            ctx.q
        ),
        counted: n(tr, r.stations_counted),
        in_scheme: n(tr, r.stations_in_scheme),
        awaited: n(tr, r.awaited.len() as u64),
        candidates,
        total_valid: n(tr, r.total_valid),
        rejected: n(tr, r.rejected),
        total_polled: n(tr, r.total_polled),
        turnout,
        women_flag: t.women_under_10_percent,
        deadline: words::ltr(&clock.maybe(deadline_ms)),
        overdue,
        form47,
        stations,
        results_json: format!("{api}/results"),
        results_csv: format!("{api}/results.csv"),
        ledger_json: format!("{ledger_api}?constituency={code}"),
        ledger_csv: format!("{ledger_api}.csv?constituency={code}"),
        bundles_tar: format!("{api}/bundles.tar"),
        events_url: format!("{}/events", constituency_path(election, code)),
        zone: clock.label.clone(),
        last_modified_ms,
    })
}
