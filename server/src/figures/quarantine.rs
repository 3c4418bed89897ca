//! Quarantine: the checks a station's confirmed Form-45 figures pass before they count, and the
//! RO's reasoned release. The rules (docs/console.md, "Quarantine"):
//!
//! - `rule:<id>`: any Form-45 rule of core broken, with the package's station and ballot;
//! - `polled_above_roll`: core's polled-not-above-registered rule against the package's electoral
//!   roll (per gender), where the roll differs from the sheet's registered voters;
//! - `turnout_outlier`: turnout further from the median of the constituency's confirmed stations
//!   than max(3 × 1.4826 × MAD, 50 ‰) (at least 5 stations with registered voters);
//! - `identical_counts`: the same candidate counts (not all zero) at two or more stations;
//! - `women_turnout_under_10`: women's turnout under 10 % at a station with women registered
//!   (Elections Act 2017 s.9);
//! - `disagrees_with_sealed`: the confirmed figures differ from the PO's sealed figures;
//! - `failed_check:<id>`: a failed check in the capture's stored verification report.
//!
//! A quarantined station counts only once the RO released every finding it has (a release
//! records the findings it saw; a new finding quarantines the station again). It never changes
//! the figures.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tallyseal_core::form::{FormFigures, FormRule, turnout_permille, validate_form45};

use super::FiguresError;
use super::fields::{FieldValues, candidate_field, differing_fields, invalid_field};
use super::records::{RecordMeta, check_reason, id_taken};
use super::standing::{ConstituencyStanding, StationStanding, gather};
use crate::accounts::{Actor, ConstituencyRef};
use crate::db::{self, ReleaseRow};
use crate::error::ApiError;
use crate::provenance::Outcome;
use crate::state::AppState;

/// Fewer confirmed stations than this: no turnout spread is computed.
pub const MIN_STATIONS_FOR_SPREAD: usize = 5;
/// Women's turnout under this (per mille) at a station is a finding (s.9: 10 %).
pub const WOMEN_TURNOUT_FLOOR_PERMILLE: u64 = 100;
/// The turnout spread's smallest half-width, per mille.
pub const MIN_SPREAD_PERMILLE: f64 = 50.0;

/// One reason a station is held back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: String,
    pub detail: String,
}

/// A confirmed station's quarantine state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationQuarantine {
    pub station: u32,
    pub manifest_hash: String,
    pub findings: Vec<Finding>,
    /// The release in force, if any.
    pub release: Option<String>,
    /// Findings not covered by the release in force.
    pub quarantined: bool,
}

/// The RO's release of a quarantined capture.
#[derive(Debug, Clone, Deserialize)]
pub struct ReleaseRequest {
    #[serde(flatten)]
    pub meta: RecordMeta,
    pub reason: String,
}

fn get(v: &FieldValues, name: &str) -> u32 {
    v.get(name).copied().unwrap_or(0)
}

fn registered(s: &StationStanding, v: &FieldValues) -> (u64, u64) {
    // The roll when the package has it, else the sheet: (total, female).
    match &s.station.registered {
        Some(r) => (r.total(), u64::from(r.female)),
        None => (
            u64::from(get(v, "registered_male"))
                + u64::from(get(v, "registered_female"))
                + u64::from(get(v, "registered_transgender")),
            u64::from(get(v, "registered_female")),
        ),
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Every finding of every confirmed station, by station number.
pub fn findings(standing: &ConstituencyStanding) -> BTreeMap<u32, Vec<Finding>> {
    let confirmed: Vec<(&StationStanding, &FieldValues)> = standing
        .stations
        .iter()
        .filter_map(|s| s.confirmed.as_ref().map(|v| (s, v)))
        .collect();
    let mut out: BTreeMap<u32, Vec<Finding>> = BTreeMap::new();
    let candidates = &standing.constituency.candidates;

    // Turnout spread over the confirmed stations with registered voters.
    let turnouts: BTreeMap<u32, u64> = confirmed
        .iter()
        .filter_map(|(s, v)| {
            let (reg, _) = registered(s, v);
            turnout_permille(u64::from(get(v, "total_polled")), reg).map(|t| (s.station.number, t))
        })
        .collect();
    let spread = (turnouts.len() >= MIN_STATIONS_FOR_SPREAD).then(|| {
        let mut ts: Vec<f64> = turnouts.values().map(|t| *t as f64).collect();
        ts.sort_by(f64::total_cmp);
        let med = median(&ts);
        let mut dev: Vec<f64> = ts.iter().map(|t| (t - med).abs()).collect();
        dev.sort_by(f64::total_cmp);
        let mad = median(&dev);
        (med, (3.0 * 1.4826 * mad).max(MIN_SPREAD_PERMILLE))
    });

    // Identical candidate counts.
    let mut same: BTreeMap<Vec<u32>, Vec<u32>> = BTreeMap::new();
    for (s, v) in &confirmed {
        let counts: Vec<u32> = candidates
            .iter()
            .map(|c| get(v, &candidate_field(c.ballot_no)))
            .collect();
        if counts.iter().any(|n| *n > 0) {
            same.entry(counts).or_default().push(s.station.number);
        }
    }

    for (s, v) in &confirmed {
        let n = s.station.number;
        let mut f = Vec::new();
        let set = &standing.fields;
        let typed = set.to_figures(v);
        if let FormFigures::Form45(sheet) = &typed {
            for violation in validate_form45(sheet, Some(&s.station), Some(candidates)) {
                f.push(Finding {
                    code: format!("rule:{}", violation.rule.as_str()),
                    detail: violation.detail,
                });
            }
            if let Some(roll) = s.station.registered
                && roll != sheet.registered
            {
                let mut against_roll = sheet.clone();
                against_roll.registered = roll;
                for violation in validate_form45(&against_roll, None, None) {
                    if violation.rule == FormRule::PolledNotAboveRegistered {
                        f.push(Finding {
                            code: "polled_above_roll".into(),
                            detail: format!("against the electoral roll: {}", violation.detail),
                        });
                    }
                }
            }
        }
        if let (Some((med, half)), Some(t)) = (spread, turnouts.get(&n))
            && ((*t as f64) - med).abs() > half
        {
            f.push(Finding {
                code: "turnout_outlier".into(),
                detail: format!(
                    "turnout {t} ‰ is outside the constituency's spread {:.0} ‰ ± {:.0} ‰",
                    med, half
                ),
            });
        }
        let counts: Vec<u32> = candidates
            .iter()
            .map(|c| get(v, &candidate_field(c.ballot_no)))
            .collect();
        if let Some(others) = same.get(&counts)
            && others.len() > 1
        {
            let list: Vec<String> = others
                .iter()
                .filter(|o| **o != n)
                .map(u32::to_string)
                .collect();
            f.push(Finding {
                code: "identical_counts".into(),
                detail: format!(
                    "the same candidate counts as station(s) {}",
                    list.join(", ")
                ),
            });
        }
        let (_, women_registered) = registered(s, v);
        if let Some(t) = turnout_permille(u64::from(get(v, "polled_female")), women_registered)
            && t < WOMEN_TURNOUT_FLOOR_PERMILLE
        {
            f.push(Finding {
                code: "women_turnout_under_10".into(),
                detail: format!(
                    "women's turnout {}.{} % is under 10 % (Elections Act 2017 s.9)",
                    t / 10,
                    t % 10
                ),
            });
        }
        if let Some(sealed) = &s.sealed {
            let differ = differing_fields(&set.names, &[v, sealed]);
            if !differ.is_empty() {
                f.push(Finding {
                    code: "disagrees_with_sealed".into(),
                    detail: format!(
                        "differs from the PO's sealed figures in {}",
                        differ.join(", ")
                    ),
                });
            }
        }
        if let Some(report) = &s.report {
            for check in report.with_outcome(Outcome::Fail) {
                f.push(Finding {
                    code: format!("failed_check:{}", check.check.as_str()),
                    detail: check.reason.clone(),
                });
            }
        }
        if !f.is_empty() {
            out.insert(n, f);
        }
    }
    out
}

/// The release in force for a capture: its latest.
fn release_of<'a>(standing: &'a ConstituencyStanding, hash: &str) -> Option<&'a ReleaseRow> {
    standing
        .releases
        .iter()
        .rev()
        .find(|r| r.manifest_hash == hash)
}

/// The quarantine state of every confirmed station with a finding.
pub fn quarantine_of(standing: &ConstituencyStanding) -> Vec<StationQuarantine> {
    let all = findings(standing);
    let mut out = Vec::new();
    for s in &standing.stations {
        let (Some(found), Some(capture)) = (all.get(&s.station.number), &s.capture) else {
            continue;
        };
        let release = release_of(standing, &capture.manifest_hash);
        let released: BTreeSet<String> = release
            .and_then(|r| serde_json::from_str::<Vec<String>>(&r.findings).ok())
            .unwrap_or_default()
            .into_iter()
            .collect();
        out.push(StationQuarantine {
            station: s.station.number,
            manifest_hash: capture.manifest_hash.clone(),
            quarantined: found.iter().any(|f| !released.contains(&f.code)),
            findings: found.clone(),
            release: release.map(|r| r.id.clone()),
        });
    }
    out
}

/// The quarantine list of constituency `c`.
pub async fn list(
    state: &AppState,
    c: &ConstituencyRef,
) -> Result<Vec<StationQuarantine>, ApiError> {
    Ok(quarantine_of(&gather(state, c).await?))
}

/// Release a quarantined capture with a reason; the release covers the findings it has now.
pub async fn release(
    state: &AppState,
    c: &ConstituencyRef,
    actor: &Actor,
    hash: &str,
    req: &ReleaseRequest,
) -> Result<StationQuarantine, FiguresError> {
    req.meta.check()?;
    let reason = check_reason("reason", &req.reason)?;
    let standing = gather(state, c).await?;
    let current = quarantine_of(&standing);
    let find = |q: &[StationQuarantine]| q.iter().find(|s| s.manifest_hash == hash).cloned();
    if let Some(existing) = db::release_by_id(&state.db.pool, &req.meta.id).await? {
        if existing.manifest_hash != hash {
            return Err(id_taken().into());
        }
        return find(&current).ok_or_else(|| id_taken().into());
    }
    let Some(station) = find(&current) else {
        return Err(invalid_field(
            "manifest_hash",
            "this capture has no confirmed figures held in quarantine",
        )
        .into());
    };
    if !station.quarantined {
        return Err(FiguresError::stale(
            "every finding of this capture is released already",
            station,
        ));
    }
    let codes: Vec<&str> = station.findings.iter().map(|f| f.code.as_str()).collect();
    let row = ReleaseRow {
        id: req.meta.id.clone(),
        manifest_hash: hash.to_owned(),
        election_id: c.election.clone(),
        constituency: c.code.clone(),
        station: i64::from(station.station),
        findings: serde_json::to_string(&codes).unwrap_or_else(|_| "[]".into()),
        reason,
        actor: actor.user_id.clone(),
        origin: req.meta.origin.clone(),
        at_ms: crate::now_ms(),
        supersedes: station.release.clone(),
    };
    state.db.insert_release(&row).await?;
    let after = quarantine_of(&gather(state, c).await?);
    find(&after).ok_or_else(|| ApiError::internal("release", "station vanished").into())
}
