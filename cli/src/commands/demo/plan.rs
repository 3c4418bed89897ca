//! The night's plan: for every station what its sheet says, what its PO types and sends, and
//! when (minutes after poll close, the same on every run); and the night's other events (the
//! revocation, the 2G link coming back, the office's rounds, Form-47's signed versions), in
//! order. A planted problem changes only its own station's plan ([`super::problems::PLANTED`]).
//!
//! It must never do I/O: [`super::swarm`] and [`super::office`] carry the plan out.

use tallyseal_core::form::{Form45Figures, Form46Figures};
use tallyseal_core::model::LatLon;

use tallyseal_core::form::FormKind;
use tallyseal_field::sheet::ballot_account;

use super::election::{NightElection, mix};
use super::problems::{self, Planted, Problem};
use super::swarm::sheet_spec;

/// What one station does tonight.
#[derive(Debug, Clone)]
pub struct StationPlan {
    pub constituency: String,
    pub station: u32,
    /// The name of the station whose sheet is photographed.
    pub station_name: String,
    pub problem: Option<Planted>,
    /// Minutes after poll close the PO sends the Form-45; `None`: never.
    pub report_at_min: Option<u32>,
    /// The station's place (the fence's centre).
    pub point: LatLon,
    /// What is written on the photographed sheet (what the operators read).
    pub sheet: Form45Figures,
    /// Which station's sheet is in the photo (another one's for the copied photos).
    pub sheet_station: u32,
    /// What the PO types into the phone (sealed in the manifest).
    pub sealed: Form45Figures,
    /// The Form-46 the PO also sends, when the station has no planted problem.
    pub ballot_account: Option<Form46Figures>,
    /// Varies the photo; a re-photographed print has its source's.
    pub photo_seed: u64,
    /// One of the operators mistypes this station's entry.
    pub operator_typo: bool,
}

/// An event of the night, at minutes after poll close.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    /// A station's Form-45 is captured and sent (index into the station plans).
    Report(usize),
    /// The Commission revokes a phone (reported lost).
    Revoke(usize),
    /// The revoked phone sends another capture.
    AfterRevocation(usize),
    /// The 2G link of a phone comes back for its image.
    LinkUp(usize),
    /// The operators and ROs work through what arrived.
    OfficeRound,
    /// Each RO signs a new version of Form-47.
    SignForm47,
}

/// The night: the stations' plans and the events in time order.
#[derive(Debug, Clone)]
pub struct Night {
    pub stations: Vec<StationPlan>,
    pub events: Vec<(u32, Event)>,
    /// Minutes after poll close the night ends.
    pub length_min: u32,
}

/// Minutes after poll close of the key moments.
pub const REVOKE_AT: u32 = 180;
pub const AFTER_REVOCATION_AT: u32 = 240;
pub const LATE_IMAGE_DELAY: u32 = 240;
pub const ROUND_EVERY: u32 = 20;
pub const FORM47_AT: [u32; 3] = [240, 420, 540];
pub const NIGHT_MIN: u32 = 540;

fn report_time(code: &str, station: u32) -> u32 {
    let mut h = u64::from(station);
    for b in code.bytes() {
        h = mix(h ^ u64::from(b));
    }
    // Most stations between 30 minutes and 5 hours after the close; the later, the fewer.
    let r = (h % 1000) as u32;
    30 + r * r / 3_400
}

/// Make the plan of the night for `election`; the first constituency carries the planted
/// problems. Fails when it has fewer than [`problems::MIN_STATIONS`] stations with a result.
pub fn plan(election: &NightElection) -> Result<Night, String> {
    let mut stations = Vec::new();
    for (ci, c) in election.package.constituencies.iter().enumerate() {
        let with_result: Vec<_> = election
            .sheets
            .values()
            .filter(|s| s.constituency == c.code)
            .collect();
        if ci == 0 && with_result.len() < problems::MIN_STATIONS {
            return Err(format!(
                "{} has {} stations with a result; the night needs at least {} (raise --size)",
                c.code,
                with_result.len(),
                problems::MIN_STATIONS
            ));
        }
        for (index, s) in with_result.iter().enumerate() {
            let problem = if ci == 0 {
                problems::at(index).copied()
            } else {
                None
            };
            let point = s
                .station
                .location
                .as_ref()
                .map(|l| l.point)
                .ok_or("a station without a place")?;
            let mut sealed = s.figures.clone();
            let mut sheet = s.figures.clone();
            let mut sheet_station = s.station.number;
            let mut station_name = s.station.name.clone();
            let mut photo_seed = mix(u64::from(s.station.number) ^ (ci as u64) << 32);
            let mut report_at = Some(report_time(&c.code, s.station.number));
            match problem.map(|p| p.problem) {
                Some(Problem::BadSum) => {
                    sheet.total_valid += 10;
                    sheet.total_polled += 10;
                    sealed = sheet.clone();
                }
                Some(Problem::FiguresDisagreeWithImage) => {
                    // Forty votes moved from the leading candidate to the runner-up: the sums
                    // hold, the result does not.
                    let mut order: Vec<usize> = (0..sealed.candidate_votes.len()).collect();
                    order.sort_by_key(|i| std::cmp::Reverse(sealed.candidate_votes[*i].votes));
                    if let [lead, second, ..] = order[..] {
                        let moved = sealed.candidate_votes[lead].votes.min(40);
                        sealed.candidate_votes[lead].votes -= moved;
                        sealed.candidate_votes[second].votes += moved;
                    }
                }
                Some(Problem::NeverReports) => report_at = None,
                _ => {}
            }
            if let Some(src) = problem.and_then(|p| p.source) {
                let source = with_result[src];
                sheet = source.figures.clone();
                sealed = sheet.clone();
                sheet_station = source.station.number;
                station_name = source.station.name.clone();
                photo_seed = mix(u64::from(source.station.number) ^ (ci as u64) << 32);
            }
            stations.push(StationPlan {
                constituency: c.code.clone(),
                station: s.station.number,
                station_name,
                problem,
                report_at_min: report_at,
                point,
                sheet,
                sheet_station,
                sealed,
                ballot_account: problem.is_none().then(|| s.ballot_account.clone()),
                photo_seed,
                operator_typo: ci == 0 && index == problems::OPERATOR_TYPO,
            });
            // The Form-46 a clean station seals is the account its sheet shows.
            if let Some(plan) = stations.last_mut()
                && plan.ballot_account.is_some()
            {
                let spec = sheet_spec(plan, FormKind::Form46, &[], "", "", (0.0, 0.0, 0));
                plan.ballot_account = Some(ballot_account(&spec));
            }
        }
    }
    // The copies after their sources; the revoked phone reports before it is revoked.
    let first_reports: Vec<Option<u32>> = stations.iter().map(|s| s.report_at_min).collect();
    for s in stations.iter_mut() {
        if let Some(p) = s.problem {
            if let Some(src) = p.source {
                let src_at = first_reports[src].unwrap_or(30);
                s.report_at_min = Some(src_at + 25);
            }
            match p.problem {
                Problem::RevokedDevice => s.report_at_min = Some(60),
                Problem::LateImage => s.report_at_min = Some(45),
                _ => {}
            }
        }
    }
    let mut events: Vec<(u32, Event)> = Vec::new();
    for (i, s) in stations.iter().enumerate() {
        if let Some(t) = s.report_at_min {
            events.push((t, Event::Report(i)));
        }
        match s.problem.map(|p| p.problem) {
            Some(Problem::RevokedDevice) => {
                events.push((REVOKE_AT, Event::Revoke(i)));
                events.push((AFTER_REVOCATION_AT, Event::AfterRevocation(i)));
            }
            Some(Problem::LateImage) => {
                events.push((45 + LATE_IMAGE_DELAY, Event::LinkUp(i)));
            }
            _ => {}
        }
    }
    let mut t = ROUND_EVERY;
    while t <= NIGHT_MIN {
        events.push((t, Event::OfficeRound));
        t += ROUND_EVERY;
    }
    for t in FORM47_AT {
        events.push((t, Event::SignForm47));
    }
    events.sort();
    Ok(Night {
        stations,
        events,
        length_min: NIGHT_MIN,
    })
}
