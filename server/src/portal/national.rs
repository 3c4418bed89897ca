//! The portal's front pages: the elections this server publishes, and an election's national
//! overview — how many stations have reported (a Form-45 capture received), been accepted and
//! had their figures confirmed, by assembly and constituency, and hour by hour since the poll
//! closed (from the times the ledger records). Everything is read from the public ledger
//! ([`crate::public::ledger`]); nothing is counted differently here.

use std::collections::BTreeMap;

use super::context::PortalContext;
use super::words::{self, clock_of, constituency_path, election_path, n, permille, rfc3339_ms};
use crate::elections::load_package;
use crate::error::ApiError;
use crate::public::catalogue;
use crate::public::ledger::{self, LedgerForm, LedgerStation};
use crate::state::AppState;

/// Most hours the overview lists after the poll closed (three days).
const MAX_HOURS: i64 = 72;
const HOUR_MS: i64 = 3_600_000;

/// One published election.
#[derive(Debug)]
pub struct ElectionRow {
    pub name: String,
    pub id: String,
    pub poll_date: String,
    pub href: String,
}

/// The elections page.
#[derive(Debug)]
pub struct ElectionsView {
    pub elections: Vec<ElectionRow>,
}

/// The elections this server publishes.
pub async fn elections(state: &AppState, ctx: &PortalContext) -> Result<ElectionsView, ApiError> {
    let state = state.for_public_reads();
    let list = catalogue::elections(state).await?;
    Ok(ElectionsView {
        elections: list
            .into_iter()
            .map(|e| ElectionRow {
                href: ctx.href(&election_path(&e.id)),
                name: e.name,
                id: e.id,
                poll_date: e.poll_date,
            })
            .collect(),
    })
}

/// Counts of stations for a row of the overview.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub total: u64,
    pub reporting: u64,
    pub accepted: u64,
    pub confirmed: u64,
}

/// [`Tally`] as the page writes it.
#[derive(Debug)]
pub struct TallyText {
    pub total: String,
    pub reporting: String,
    pub reporting_percent: String,
    pub accepted: String,
    pub confirmed: String,
    /// For `<meter>`: reporting and total.
    pub meter_value: u64,
    pub meter_max: u64,
}

impl Tally {
    fn text(&self, ctx: &PortalContext) -> TallyText {
        let tr = &ctx.tr;
        TallyText {
            total: n(tr, self.total),
            reporting: n(tr, self.reporting),
            reporting_percent: words::percent(tr, permille(self.reporting, self.total)),
            accepted: n(tr, self.accepted),
            confirmed: n(tr, self.confirmed),
            meter_value: self.reporting,
            meter_max: self.total.max(1),
        }
    }
}

/// A constituency's row.
#[derive(Debug)]
pub struct ConstituencyRow {
    pub code: String,
    pub name: String,
    pub href: String,
    pub tally: TallyText,
}

/// The constituencies of one assembly.
#[derive(Debug)]
pub struct AssemblyGroup {
    pub assembly: String,
    pub tally: TallyText,
    pub constituencies: Vec<ConstituencyRow>,
}

/// One hour after the poll closed.
#[derive(Debug)]
pub struct HourRow {
    pub label: String,
    pub reported: String,
    pub reporting_so_far: String,
    pub accepted_so_far: String,
    pub meter_value: u64,
    pub meter_max: u64,
}

/// An election's national overview.
#[derive(Debug)]
pub struct ElectionView {
    pub id: String,
    pub name: String,
    pub poll_date: String,
    pub poll_close: String,
    pub zone: String,
    pub tally: TallyText,
    pub assemblies: Vec<AssemblyGroup>,
    pub hours: Vec<HourRow>,
    pub ledger_href: String,
    pub ledger_json: String,
    pub ledger_csv: String,
    pub elections_href: String,
    /// The latest change the ledger records (ms), for `Last-Modified`.
    pub last_modified_ms: Option<i64>,
}

fn form45(s: &LedgerStation) -> Option<&LedgerForm> {
    s.forms.iter().find(|f| f.form == "form45")
}

fn tally_of(s: &LedgerStation) -> Tally {
    let f = form45(s);
    let state = f.map_or("awaited", |f| f.state);
    Tally {
        total: 1,
        reporting: u64::from(state != "awaited"),
        accepted: u64::from(matches!(state, "accepted" | "confirmed")),
        confirmed: u64::from(state == "confirmed"),
    }
}

fn add(into: &mut Tally, t: &Tally) {
    into.total += t.total;
    into.reporting += t.reporting;
    into.accepted += t.accepted;
    into.confirmed += t.confirmed;
}

/// When the station's Form-45 first arrived, and when its accepted capture was accepted.
fn first_times(s: &LedgerStation) -> (Option<i64>, Option<i64>) {
    let Some(f) = form45(s) else {
        return (None, None);
    };
    let received = f
        .captures
        .iter()
        .chain(&f.earlier)
        .map(|c| c.received_at_ms)
        .min();
    let accepted = f
        .captures
        .iter()
        .filter(|c| c.decision.as_deref() == Some("accept"))
        .filter_map(|c| c.decided_at_ms)
        .min();
    (received, accepted)
}

/// The national overview of `election` (404 when unknown).
pub async fn election(
    state: &AppState,
    ctx: &PortalContext,
    election: &str,
) -> Result<ElectionView, ApiError> {
    let state = state.for_public_reads();
    let package = load_package(state, election).await?;
    let e = &package.package.election;
    let clock = clock_of(e);
    let l = ledger::ledger(state, election, None).await?;
    let tr = &ctx.tr;

    let mut by_code: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let close_ms = rfc3339_ms(&e.poll_close).unwrap_or(0);
    let mut reported_in: BTreeMap<i64, u64> = BTreeMap::new();
    let mut accepted_in: BTreeMap<i64, u64> = BTreeMap::new();
    let hour = |t: i64| ((t - close_ms).div_euclid(HOUR_MS)).clamp(-1, MAX_HOURS - 1);
    for s in &l.stations {
        let t = tally_of(s);
        add(by_code.entry(s.constituency.as_str()).or_default(), &t);
        add(&mut total, &t);
        let (received, accepted) = first_times(s);
        if let Some(r) = received {
            *reported_in.entry(hour(r)).or_default() += 1;
        }
        if let Some(a) = accepted {
            *accepted_in.entry(hour(a)).or_default() += 1;
        }
    }

    let mut groups: Vec<(String, Tally, Vec<ConstituencyRow>)> = Vec::new();
    for c in &package.package.constituencies {
        let t = by_code.get(c.code.as_str()).cloned().unwrap_or_default();
        let row = ConstituencyRow {
            code: c.code.clone(),
            name: c.name.clone(),
            href: ctx.href(&constituency_path(election, &c.code)),
            tally: t.text(ctx),
        };
        match groups.iter_mut().find(|g| g.0 == c.assembly) {
            Some(g) => {
                add(&mut g.1, &t);
                g.2.push(row);
            }
            None => groups.push((c.assembly.clone(), t, vec![row])),
        }
    }

    let last_hour = reported_in.keys().chain(accepted_in.keys()).copied().max();
    let mut hours = Vec::new();
    if let Some(last) = last_hour {
        let (mut reported_sum, mut accepted_sum) = (0u64, 0u64);
        let first = reported_in.keys().next().copied().unwrap_or(0).min(0);
        for h in first..=last {
            let reported = reported_in.get(&h).copied().unwrap_or(0);
            reported_sum += reported;
            accepted_sum += accepted_in.get(&h).copied().unwrap_or(0);
            let label = if h < 0 {
                tr.t("portal-hour-before-close")
            } else {
                let from = clock.time(close_ms + h * HOUR_MS);
                let to = clock.time(close_ms + (h + 1) * HOUR_MS);
                tr.t1(
                    "portal-hour",
                    "range",
                    &words::ltr(&format!(
                        "{} – {}",
                        from.get(11..16).unwrap_or_default(),
                        to.get(11..16).unwrap_or_default()
                    )),
                )
            };
            hours.push(HourRow {
                label,
                reported: n(tr, reported),
                reporting_so_far: n(tr, reported_sum),
                accepted_so_far: n(tr, accepted_sum),
                meter_value: reported_sum,
                meter_max: total.total.max(1),
            });
        }
    }

    let api = format!("/api/v1/elections/{election}/ledger");
    Ok(ElectionView {
        id: e.id.clone(),
        name: e.name.clone(),
        poll_date: e.poll_date.clone(),
        poll_close: words::ltr(&clock.maybe(rfc3339_ms(&e.poll_close))),
        zone: clock.label.clone(),
        tally: total.text(ctx),
        assemblies: groups
            .into_iter()
            .map(|(assembly, t, constituencies)| AssemblyGroup {
                assembly,
                tally: t.text(ctx),
                constituencies,
            })
            .collect(),
        hours,
        ledger_href: ctx.href(&format!("{}/ledger", election_path(election))),
        ledger_csv: format!("{api}.csv"),
        ledger_json: api,
        elections_href: ctx.href("/portal"),
        last_modified_ms: l.last_modified_ms(),
    })
}
