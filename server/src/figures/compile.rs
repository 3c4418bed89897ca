//! Forms 47, 48 and 49 compiled from where a constituency stands: only the confirmed Form-45
//! figures of accepted captures that are not quarantined (or were released) count; every other
//! station of the polling scheme is listed as awaited with its reason. Every counted figure names
//! the capture (manifest hash) and confirmation record it came from.
//!
//! Pure over [`ConstituencyStanding`]: no I/O, integers only (the forms are signed as canonical
//! JSON), and it never reads a figure that is not confirmed.

use std::collections::BTreeMap;

use serde::Serialize;

use super::fields::{FieldValues, candidate_field};
use super::quarantine::quarantine_of;
use super::standing::{ConstituencyStanding, StationStanding};
use tallyseal_core::form::turnout_permille;

/// Which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultForm {
    /// Provisional consolidated statement (s.13(3)).
    Form47,
    /// Consolidated statement of the results of the count, station-wise.
    Form48,
    /// Final consolidated result, with postal ballots.
    Form49,
}

impl ResultForm {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultForm::Form47 => "form47",
            ResultForm::Form48 => "form48",
            ResultForm::Form49 => "form49",
        }
    }

    pub fn parse(s: &str) -> Option<ResultForm> {
        [ResultForm::Form47, ResultForm::Form48, ResultForm::Form49]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// A candidate's total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CandidateTotal {
    pub ballot_no: u32,
    pub name: String,
    pub party: String,
    pub symbol: String,
    pub votes: u64,
}

/// Counts by gender.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ByGender {
    pub male: u64,
    pub female: u64,
    pub transgender: u64,
    pub total: u64,
}

/// Turnout by gender, per mille (absent where nobody is registered).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TurnoutPermille {
    pub male: Option<u64>,
    pub female: Option<u64>,
    pub transgender: Option<u64>,
    pub total: Option<u64>,
}

/// Registered voters, votes polled and turnout of the counted stations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Turnout {
    pub registered: ByGender,
    pub polled: ByGender,
    pub permille: TurnoutPermille,
    /// Women's turnout under 10 % in the constituency (Elections Act 2017 s.9).
    pub women_under_10_percent: bool,
}

/// A counted station: its figures and where they came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountedStation {
    pub station: u32,
    pub name: String,
    pub manifest_hash: String,
    pub confirmation: String,
    /// Votes per candidate, ballot order.
    pub votes: Vec<u64>,
    pub total_valid: u64,
    pub rejected: u64,
    pub total_polled: u64,
    /// The quarantine release the station counts under, if it needed one.
    pub released_by: Option<String>,
}

/// A station whose result is awaited, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwaitedStation {
    pub station: u32,
    pub name: String,
    /// `no_capture`, `not_accepted`, `entry_pending`, `corrections_pending`, `quarantined`.
    pub reason: String,
    pub detail: String,
}

/// Sums over the counted stations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub candidates: Vec<CandidateTotal>,
    pub total_valid: u64,
    pub rejected: u64,
    pub total_polled: u64,
    pub turnout: Turnout,
}

/// What every form is compiled from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compiled {
    pub totals: Totals,
    pub counted: Vec<CountedStation>,
    pub awaited: Vec<AwaitedStation>,
    pub stations_in_scheme: u64,
}

fn get(v: &FieldValues, name: &str) -> u64 {
    u64::from(v.get(name).copied().unwrap_or(0))
}

fn awaited(s: &StationStanding, reason: &str, detail: String) -> AwaitedStation {
    AwaitedStation {
        station: s.station.number,
        name: s.station.name.clone(),
        reason: reason.into(),
        detail,
    }
}

fn pending(s: &StationStanding) -> AwaitedStation {
    let submitted = s.entries.iter().filter(|(_, a)| a == "submit").count();
    if submitted == 2 {
        awaited(
            s,
            "corrections_pending",
            "the two entries or the PO's figures differ: the RO settles them".into(),
        )
    } else {
        awaited(
            s,
            "entry_pending",
            format!("{submitted} of 2 blind entries submitted"),
        )
    }
}

/// Compile the counted figures and the awaited stations of a constituency.
pub fn compile(standing: &ConstituencyStanding) -> Compiled {
    let quarantine: BTreeMap<u32, _> = quarantine_of(standing)
        .into_iter()
        .map(|q| (q.station, q))
        .collect();
    let candidates = &standing.constituency.candidates;
    let mut totals = Totals {
        candidates: candidates
            .iter()
            .map(|c| CandidateTotal {
                ballot_no: c.ballot_no,
                name: c.name.clone(),
                party: c.party.clone(),
                symbol: c.symbol.clone(),
                votes: 0,
            })
            .collect(),
        ..Totals::default()
    };
    let mut counted = Vec::new();
    let mut waiting = Vec::new();
    let (mut reg, mut pol) = (ByGender::default(), ByGender::default());
    for s in &standing.stations {
        let (Some(capture), Some(confirmation), Some(v)) =
            (&s.capture, &s.confirmation, &s.confirmed)
        else {
            waiting.push(match (&s.capture, s.received) {
                (None, false) => awaited(s, "no_capture", "no Form-45 received".into()),
                (None, true) => awaited(
                    s,
                    "not_accepted",
                    "a Form-45 was received but the RO has not accepted one".into(),
                ),
                (Some(_), _) => pending(s),
            });
            continue;
        };
        let q = quarantine.get(&s.station.number);
        if let Some(q) = q.filter(|q| q.quarantined) {
            let codes: Vec<&str> = q.findings.iter().map(|f| f.code.as_str()).collect();
            waiting.push(awaited(s, "quarantined", codes.join(", ")));
            continue;
        }
        let votes: Vec<u64> = candidates
            .iter()
            .map(|c| get(v, &candidate_field(c.ballot_no)))
            .collect();
        for (t, n) in totals.candidates.iter_mut().zip(&votes) {
            t.votes += n;
        }
        totals.total_valid += get(v, "total_valid");
        totals.rejected += get(v, "rejected");
        totals.total_polled += get(v, "total_polled");
        for (acc, prefix) in [(&mut reg, "registered"), (&mut pol, "polled")] {
            acc.male += get(v, &format!("{prefix}_male"));
            acc.female += get(v, &format!("{prefix}_female"));
            acc.transgender += get(v, &format!("{prefix}_transgender"));
        }
        counted.push(CountedStation {
            station: s.station.number,
            name: s.station.name.clone(),
            manifest_hash: capture.manifest_hash.clone(),
            confirmation: confirmation.id.clone(),
            votes,
            total_valid: get(v, "total_valid"),
            rejected: get(v, "rejected"),
            total_polled: get(v, "total_polled"),
            released_by: q.and_then(|q| q.release.clone()),
        });
    }
    reg.total = reg.male + reg.female + reg.transgender;
    pol.total = pol.male + pol.female + pol.transgender;
    let female = turnout_permille(pol.female, reg.female);
    totals.turnout = Turnout {
        registered: reg,
        polled: pol,
        permille: TurnoutPermille {
            male: turnout_permille(pol.male, reg.male),
            female,
            transgender: turnout_permille(pol.transgender, reg.transgender),
            total: turnout_permille(pol.total, reg.total),
        },
        women_under_10_percent: female.is_some_and(|t| t < 100),
    };
    Compiled {
        totals,
        counted,
        awaited: waiting,
        stations_in_scheme: standing.stations.len() as u64,
    }
}
