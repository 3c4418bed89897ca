//! The demo night's election, built from the real 2024 data ([`super::sources`]) with the
//! importer: the chosen National Assembly constituencies with their real candidates and station
//! names, each station placed deterministically around its district and given registered voters
//! by gender, and the Form-45 each station's Presiding Officer writes that night (the real votes
//! of the station's parties; the data has no roll, no gender split and no rejected ballots, so
//! those are derived from the votes, the same way every time).
//!
//! It must never read the clock: the poll's times come from the caller.

use std::collections::BTreeMap;

use tallyseal_core::form::{CandidateVotes, Form45Figures, Form46Figures};
use tallyseal_core::model::{Candidate, Election, GenderCounts, PollingStation, StationType};
use tallyseal_core::package::ElectionPackage;
use tallyseal_import::{import_2024, parse_results_csv};

use super::sources::{CANDIDATE_LISTS, STATION_RESULTS};

/// The demo election's identifier.
pub const ELECTION_ID: &str = "pk-na-2024-demo";

/// The constituency every night starts with (the one the planted problems are in).
pub const FIRST: &str = "NA-128";

/// Geofence radius of every station, metres.
pub const FENCE_RADIUS_M: f64 = 150.0;

/// Which constituencies, and how many stations of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// `None`: every constituency the data has.
    pub constituencies: Option<usize>,
    /// `None`: every station of each.
    pub stations: Option<usize>,
}

/// One station's sheets: what its Presiding Officer writes on the Form-45 and the Form-46
/// (the ballot paper account) tonight.
#[derive(Debug, Clone, PartialEq)]
pub struct StationSheet {
    pub constituency: String,
    pub station: PollingStation,
    pub figures: Form45Figures,
    pub ballot_account: Form46Figures,
}

/// The election and the night's sheets, keyed by (constituency, station).
#[derive(Debug, Clone)]
pub struct NightElection {
    pub package: ElectionPackage,
    pub sheets: BTreeMap<(String, u32), StationSheet>,
    /// Stations of the scheme the data has no result for: they never report.
    pub without_result: Vec<(String, u32)>,
}

/// The times of the poll (RFC 3339 with the +05:00 offset), chosen by the caller.
#[derive(Debug, Clone)]
pub struct PollTimes {
    pub poll_date: String,
    pub poll_open: String,
    pub poll_close: String,
    pub results_deadline: String,
    pub published_at: String,
}

/// Every constituency code the data has, `FIRST` first, then by number.
pub fn available() -> Vec<&'static str> {
    let mut codes: Vec<&str> = STATION_RESULTS.iter().map(|(c, _)| *c).collect();
    codes.sort_by_key(|c| (*c != FIRST, number(c)));
    codes
}

fn number(code: &str) -> u32 {
    code.rsplit_once('-')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(u32::MAX)
}

/// The district centre a constituency's stations are placed around (decimal degrees).
fn district_centre(code: &str) -> (f64, f64) {
    match number(code) {
        46..=48 => (33.684, 73.048),   // Islamabad
        49 | 50 => (33.766, 72.360),   // Attock
        54..=57 => (33.598, 73.044),   // Rawalpindi
        59 => (32.930, 72.855),        // Chakwal / Talagang
        64 | 65 => (32.574, 74.079),   // Gujrat
        69 => (32.586, 73.491),        // Mandi Bahauddin
        70 | 71 => (32.492, 74.531),   // Sialkot
        77 => (32.161, 74.188),        // Gujranwala
        98 => (31.418, 73.079),        // Faisalabad
        106 => (30.974, 72.483),       // Toba Tek Singh
        117..=128 => (31.520, 74.358), // Lahore
        139 => (30.344, 73.390),       // Pakpattan
        148 | 151 => (30.198, 71.468), // Multan
        163 => (29.992, 73.253),       // Bahawalnagar
        164 | 168 => (29.395, 71.683), // Bahawalpur
        219 | 220 => (25.396, 68.377), // Hyderabad
        232..=234 => (24.832, 67.128), // Karachi, Korangi
        235..=238 => (24.905, 67.101), // Karachi East
        239..=241 => (24.861, 67.010), // Karachi South
        242 | 243 => (24.835, 66.975), // Keamari
        244..=246 => (24.935, 66.985), // Karachi West
        _ => (24.930, 67.040),         // Karachi Central
    }
}

/// A small, well-mixed hash (splitmix64) for deterministic placement and figures.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn station_seed(code: &str, station: u32) -> u64 {
    let mut h = u64::from(station);
    for b in code.bytes() {
        h = mix(h ^ u64::from(b));
    }
    h
}

/// The station's point: within about 6 km of its district centre, the same on every run.
fn station_point(code: &str, station: u32) -> (f64, f64) {
    let (lat, lon) = district_centre(code);
    let h = station_seed(code, station);
    let dx = ((h & 0xFFFF) as f64 / 65_535.0 - 0.5) * 0.11;
    let dy = (((h >> 16) & 0xFFFF) as f64 / 65_535.0 - 0.5) * 0.11;
    (lat + dy, lon + dx)
}

/// The ballot number a results column's votes belong to: the party's candidate where the
/// candidate list names the party, else the first independent (PTI-backed candidates stood as
/// independents in 2024), else the first candidate not given a column yet.
fn ballot_for(party_column: &str, candidates: &[Candidate], taken: &[u32]) -> Option<u32> {
    let free = |c: &&Candidate| !taken.contains(&c.ballot_no);
    let party = |c: &Candidate| c.party.to_lowercase();
    let matches = |c: &Candidate| -> bool {
        let p = party(c);
        match party_column {
            "PML-N" => {
                p.contains("muslim league")
                    && (p.contains("nawaz")
                        || p.contains("(n)")
                        || p.ends_with("-n")
                        || p.ends_with(" n"))
            }
            "PPP" => p.contains("peoples party") && p.contains("parliamentarian"),
            "JIP" => {
                p.contains("islami") && !["ulam", "ulem", "ulma"].iter().any(|w| p.contains(w))
            }
            "TLP" => p.contains("labbaik"),
            "MQM-P" => p.contains("movement") && p.contains("mutt"),
            "IPP" => p.contains("istehkam"),
            "PML-Q" => p.contains("muslim league") && p.contains("quaid"),
            "PML-Z" => p.contains("muslim league") && p.contains("zia"),
            _ => p == "independent",
        }
    };
    candidates
        .iter()
        .filter(free)
        .find(|c| matches(c))
        .or_else(|| {
            candidates
                .iter()
                .filter(free)
                .find(|c| party(c) == "independent")
        })
        .or_else(|| candidates.iter().find(|c| free(c)))
        .map(|c| c.ballot_no)
}

/// The Form-45 a station's PO writes: the data's votes, rejected ballots about 1.5 % of the
/// valid votes, polled split by the station type, a roll at a turnout of 46 to 52 %.
fn sheet_figures(
    code: &str,
    station: &PollingStation,
    votes: &[CandidateVotes],
) -> (Form45Figures, GenderCounts) {
    let valid: u32 = votes.iter().map(|v| v.votes).sum();
    let h = station_seed(code, station.number);
    let rejected = valid / 70 + (h % 5) as u32;
    let polled_total = valid + rejected;
    let (pm, pf) = match station.station_type {
        StationType::Male => (polled_total, 0),
        StationType::Female => (0, polled_total),
        StationType::Combined => {
            let m = polled_total * (52 + (h >> 8) as u32 % 8) / 100;
            (m, polled_total - m)
        }
    };
    let per_mille = 460 + ((h >> 20) % 60) as u32;
    let roll = |p: u32| if p == 0 { 0 } else { p * 1000 / per_mille };
    let registered = GenderCounts {
        male: roll(pm),
        female: roll(pf),
        transgender: 0,
    };
    let figures = Form45Figures {
        registered,
        polled: GenderCounts {
            male: pm,
            female: pf,
            transgender: 0,
        },
        candidate_votes: votes.to_vec(),
        total_valid: valid,
        rejected,
        total_polled: polled_total,
    };
    (figures, registered)
}

/// The Form-46 that goes with a Form-45: ballot papers received in books of 100 to cover the roll,
/// issued to every voter who polled, a few spoilt, the rest returned unused.
fn ballot_account(code: &str, station: u32, f: &Form45Figures) -> Form46Figures {
    let spoilt = (station_seed(code, station) >> 40) as u32 % 4;
    let roll = u32::try_from(f.registered.total()).unwrap_or(u32::MAX);
    let received = (roll.max(f.total_polled + spoilt) / 100 + 1) * 100;
    Form46Figures {
        ballots_received: received,
        ballots_issued: f.total_polled,
        ballots_spoilt: spoilt,
        ballots_tendered: 0,
        ballots_unused: received - f.total_polled - spoilt,
        ballots_in_boxes: f.total_polled,
    }
}

/// Build the election: the package (not signed: the demo's server signs it with its Commission
/// key) and every station's sheet.
pub fn build(size: Size, times: &PollTimes) -> Result<NightElection, String> {
    let all = available();
    let chosen: Vec<&str> = match size.constituencies {
        Some(n) => all.iter().take(n.max(1)).copied().collect(),
        None => all.clone(),
    };
    let csvs: Vec<(&str, &[u8])> = STATION_RESULTS
        .iter()
        .filter(|(c, _)| chosen.contains(c))
        .copied()
        .collect();
    let mut coords = String::from("constituency,station,lat,lon,radius_m\n");
    let mut tables = BTreeMap::new();
    for (code, bytes) in &csvs {
        let table = parse_results_csv(code, bytes).map_err(|e| e.to_string())?;
        for row in &table.rows {
            if let Some(n) = row.number {
                let (lat, lon) = station_point(code, n);
                coords.push_str(&format!("{code},{n},{lat:.6},{lon:.6},{FENCE_RADIUS_M}\n"));
            }
        }
        tables.insert(code.to_string(), table);
    }
    let election = Election {
        id: ELECTION_ID.into(),
        name: "General Elections 2024 (demonstration night)".into(),
        poll_date: times.poll_date.clone(),
        time_zone: "Asia/Karachi".into(),
        poll_open: times.poll_open.clone(),
        poll_close: times.poll_close.clone(),
        results_deadline: times.results_deadline.clone(),
    };
    let report = import_2024(
        &CANDIDATE_LISTS,
        &csvs,
        Some(coords.as_bytes()),
        election,
        &times.published_at,
    )
    .map_err(|e| e.to_string())?;
    let mut package = report.package;
    package
        .constituencies
        .retain(|c| chosen.contains(&c.code.as_str()));
    // The night's order: the first constituency (the planted problems') first.
    package
        .constituencies
        .sort_by_key(|c| chosen.iter().position(|x| *x == c.code));
    let mut sheets = BTreeMap::new();
    let mut without_result = Vec::new();
    for c in &mut package.constituencies {
        if let Some(limit) = size.stations {
            c.stations.truncate(limit);
        }
        let table = tables
            .get(&c.code)
            .ok_or_else(|| format!("{}: no results table", c.code))?;
        let mut taken = Vec::new();
        let mut columns = Vec::new();
        for party in &table.parties {
            let ballot = ballot_for(party, &c.candidates, &taken);
            if let Some(b) = ballot {
                taken.push(b);
            }
            columns.push(ballot);
        }
        for s in &mut c.stations {
            let Some(row) = table.rows.iter().find(|r| r.number == Some(s.number)) else {
                continue;
            };
            let mut votes: Vec<CandidateVotes> = c
                .candidates
                .iter()
                .map(|cand| CandidateVotes {
                    ballot_no: cand.ballot_no,
                    votes: 0,
                })
                .collect();
            for (v, ballot) in row.votes.iter().zip(&columns) {
                if let (Some(v), Some(b)) = (v, ballot)
                    && let Some(slot) = votes.iter_mut().find(|x| x.ballot_no == *b)
                {
                    slot.votes += v;
                }
            }
            if votes.iter().all(|v| v.votes == 0) {
                without_result.push((c.code.clone(), s.number));
                continue;
            }
            let (figures, registered) = sheet_figures(&c.code, s, &votes);
            s.registered = Some(registered);
            let account = ballot_account(&c.code, s.number, &figures);
            sheets.insert(
                (c.code.clone(), s.number),
                StationSheet {
                    constituency: c.code.clone(),
                    station: s.clone(),
                    figures,
                    ballot_account: account,
                },
            );
        }
    }
    let problems = package.validate();
    if !problems.is_empty() {
        return Err(format!("the demo package is not valid: {problems:?}"));
    }
    Ok(NightElection {
        package,
        sheets,
        without_result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times() -> PollTimes {
        PollTimes {
            poll_date: "2024-02-08".into(),
            poll_open: "2024-02-08T08:00:00+05:00".into(),
            poll_close: "2024-02-08T17:00:00+05:00".into(),
            results_deadline: "2024-02-09T02:00:00+05:00".into(),
            published_at: "2024-02-01T00:00:00+05:00".into(),
        }
    }

    #[test]
    fn every_sheet_adds_up_and_sits_inside_its_district() {
        let night = build(
            Size {
                constituencies: Some(2),
                stations: Some(30),
            },
            &times(),
        )
        .expect("build");
        assert_eq!(night.package.constituencies[0].code, FIRST);
        assert_eq!(night.package.constituencies.len(), 2);
        assert!(night.sheets.len() > 40, "{}", night.sheets.len());
        for s in night.sheets.values() {
            let f = &s.figures;
            let sum: u32 = f.candidate_votes.iter().map(|v| v.votes).sum();
            assert_eq!(sum, f.total_valid);
            assert_eq!(f.total_valid + f.rejected, f.total_polled);
            assert_eq!(f.polled.total(), u64::from(f.total_polled));
            assert!(f.registered.total() >= f.polled.total());
            let problems = tallyseal_core::form::validate(
                &tallyseal_core::form::FormFigures::Form45(f.clone()),
                Some(&s.station),
                night
                    .package
                    .constituency(&s.constituency)
                    .map(|c| c.candidates.as_slice()),
            );
            assert!(problems.is_empty(), "{problems:?}");
            let account = tallyseal_core::form::validate(
                &tallyseal_core::form::FormFigures::Form46(s.ballot_account.clone()),
                Some(&s.station),
                None,
            );
            assert!(account.is_empty(), "{account:?}");
        }
    }

    /// `--constituencies all`: every constituency the data has builds into one valid package.
    #[test]
    fn every_constituency_of_the_data_builds() {
        let night = build(
            Size {
                constituencies: None,
                stations: None,
            },
            &times(),
        )
        .expect("build");
        assert_eq!(night.package.constituencies.len(), STATION_RESULTS.len());
        assert!(night.sheets.len() > 10_000, "{}", night.sheets.len());
    }
}
