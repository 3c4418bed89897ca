//! The Returning Officers' offices through the console's JSON API: each RO reviews what arrived
//! (accepts a capture whose checks passed or only warned, rejects a failed or duplicated one),
//! the two operators key each accepted Form-45 blind from the photographed sheet (one of them
//! mistypes a figure once), the RO settles disagreements with the sheet's figures, releases the
//! quarantine findings a person can explain after reading the paper, and signs Form-47 versions
//! as the night goes on.
//!
//! Every round reads the server's state first, so a second run carries on where the first
//! stopped; it must never touch the database or decide a check itself.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tallyseal_core::form::{Form45Figures, Form46Figures};

use super::console::{ConsoleUser, record_id};
use super::plan::StationPlan;

/// Quarantine findings an RO releases after checking the paper Form-45 (the rest hold).
const RELEASABLE: [&str; 3] = [
    "identical_counts",
    "turnout_outlier",
    "disagrees_with_sealed",
];

/// The node the office's records are made on.
const ORIGIN: &str = "ro-office";

/// What a round did, for the status line.
#[derive(Debug, Default, Clone)]
pub struct RoundCount {
    /// The RO's decisions other than acceptances, as `station N: reason`.
    pub rejections: Vec<String>,
    pub accepted: u32,
    pub rejected: u32,
    pub entries: u32,
    pub settled: u32,
    pub released: u32,
}

/// One constituency's office: its RO and the two operators.
pub struct Office<'a> {
    pub election: &'a str,
    pub constituency: &'a str,
    pub ro: &'a ConsoleUser,
    pub operators: [&'a ConsoleUser; 2],
    /// The plans of this constituency's stations, by station number.
    pub plans: BTreeMap<u32, &'a StationPlan>,
}

/// The flat fields of a Form-45 (`docs/console.md`), as a sheet shows them.
pub fn fields(f: &Form45Figures) -> BTreeMap<String, u32> {
    let mut m = BTreeMap::new();
    m.insert("registered_male".into(), f.registered.male);
    m.insert("registered_female".into(), f.registered.female);
    m.insert("registered_transgender".into(), f.registered.transgender);
    m.insert("polled_male".into(), f.polled.male);
    m.insert("polled_female".into(), f.polled.female);
    m.insert("polled_transgender".into(), f.polled.transgender);
    for v in &f.candidate_votes {
        m.insert(format!("candidate_{}", v.ballot_no), v.votes);
    }
    m.insert("total_valid".into(), f.total_valid);
    m.insert("rejected".into(), f.rejected);
    m.insert("total_polled".into(), f.total_polled);
    m
}

/// The flat fields of a Form-46 (`docs/console.md`).
pub fn account_fields(f: &Form46Figures) -> BTreeMap<String, u32> {
    [
        ("ballots_received", f.ballots_received),
        ("ballots_issued", f.ballots_issued),
        ("ballots_spoilt", f.ballots_spoilt),
        ("ballots_tendered", f.ballots_tendered),
        ("ballots_unused", f.ballots_unused),
        ("ballots_in_boxes", f.ballots_in_boxes),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// What the photographed sheet of `form` (`form45`, `form46`) says, field by field.
fn sheet_fields(plan: &StationPlan, form: &str) -> Option<BTreeMap<String, u32>> {
    match form {
        "form45" => Some(fields(&plan.sheet)),
        "form46" => plan.ballot_account.as_ref().map(account_fields),
        _ => None,
    }
}

/// A lowercase, hyphenated UUID (version 4 layout) for a review decision.
fn uuid() -> String {
    let h = record_id();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

impl Office<'_> {
    fn base(&self) -> String {
        format!("/api/v1/console/{}/{}", self.election, self.constituency)
    }

    /// The constituency's board (`GET …/board`).
    pub fn board(&self) -> Result<Value, String> {
        self.ro.ok("GET", &format!("{}/board", self.base()), None)
    }

    /// One round: review, double entry, corrections, quarantine.
    pub fn round(&self) -> Result<RoundCount, String> {
        let mut n = RoundCount::default();
        let board = self.board()?;
        let empty = Vec::new();
        for st in board["stations"].as_array().unwrap_or(&empty) {
            let station = st["station"].as_u64().unwrap_or(0) as u32;
            let Some(plan) = self.plans.get(&station) else {
                continue;
            };
            for f in st["forms"].as_array().unwrap_or(&empty) {
                let Some(sheet) = f["form"].as_str().and_then(|k| sheet_fields(plan, k)) else {
                    continue;
                };
                for page in f["pages"].as_array().unwrap_or(&empty) {
                    let hash = page["manifest_hash"].as_str().unwrap_or_default();
                    match page["state"].as_str().unwrap_or_default() {
                        "verified" | "flagged" => match self.review(hash)? {
                            None => n.accepted += 1,
                            Some(why) => {
                                n.rejected += 1;
                                n.rejections.push(format!("station {station}: {why}"));
                            }
                        },
                        "accepted" => match f["figures"].as_str() {
                            None | Some("entering") => {
                                n.entries += self.enter(hash, &sheet, plan.operator_typo)?
                            }
                            Some("disagreement") => {
                                self.settle(hash, &sheet)
                                    .map_err(|e| format!("station {station}: {e}"))?;
                                n.settled += 1;
                            }
                            _ => {}
                        },
                        _ => {}
                    }
                }
            }
        }
        n.released = self.release()?;
        Ok(n)
    }

    /// The RO's decision on an analysed capture: `None` accepted, else why it was rejected.
    fn review(&self, hash: &str) -> Result<Option<String>, String> {
        let review = self
            .ro
            .ok("GET", &format!("{}/captures/{hash}", self.base()), None)?;
        let empty = Vec::new();
        let checks = review["report"]["checks"].as_array().unwrap_or(&empty);
        let outcome = |name: &str| {
            checks
                .iter()
                .find(|c| c["check"] == name)
                .and_then(|c| c["outcome"].as_str())
                .unwrap_or("pass")
        };
        let failed: Vec<&str> = checks
            .iter()
            .filter(|c| c["outcome"] == "fail")
            .filter_map(|c| c["check"].as_str())
            .collect();
        let (action, code, reason) = if outcome("duplicate_image") != "pass" {
            (
                "reject",
                Some("duplicate"),
                "the same photo was sent for another station (duplicate_image)".to_owned(),
            )
        } else if let Some(other) = self.same_counts_as_near_duplicate(&review, checks)? {
            (
                "reject",
                Some("duplicate"),
                format!(
                    "a photo of station {other}'s sheet, with its figures (near_duplicate_image)"
                ),
            )
        } else if !failed.is_empty() {
            (
                "reject",
                Some("failed-verification"),
                format!("failed: {}", failed.join(", ")),
            )
        } else {
            ("accept", None, String::new())
        };
        self.ro.ok(
            "POST",
            &format!("{}/captures/{hash}/decisions", self.base()),
            Some(json!({
                "decision_id": uuid(),
                "action": action,
                "reason_code": code,
                "reason": reason,
                "supersedes": review["latest_decision_id"],
            })),
        )?;
        Ok((action != "accept").then_some(reason))
    }

    /// When the near-duplicate check warns, the RO looks at the other capture: the same candidate
    /// counts as well as nearly the same picture is another station's sheet (its number); a
    /// similar-looking photo with other figures is this station's own.
    fn same_counts_as_near_duplicate(
        &self,
        review: &Value,
        checks: &[Value],
    ) -> Result<Option<u64>, String> {
        let Some(near) = checks
            .iter()
            .find(|c| c["check"] == "near_duplicate_image" && c["outcome"] != "pass")
        else {
            return Ok(None);
        };
        let Some(other) = near["measured"]["other_manifest"].as_str() else {
            return Ok(None);
        };
        let theirs = self
            .ro
            .ok("GET", &format!("{}/captures/{other}", self.base()), None)?;
        let votes = |r: &Value| r["manifest"]["figures"]["candidate_votes"].clone();
        Ok(
            (votes(review) == votes(&theirs) && !votes(review).is_null())
                .then(|| near["measured"]["other_station"].as_u64().unwrap_or(0)),
        )
    }

    /// Both operators key the sheet (blind); the second mistypes once where the plan says so.
    /// The number of entries submitted.
    fn enter(&self, hash: &str, sheet: &BTreeMap<String, u32>, typo: bool) -> Result<u32, String> {
        let mut submitted = 0;
        for (slot, op) in [1u8, 2].into_iter().zip(self.operators) {
            let path = format!("{}/figures/entries/{hash}/{slot}", self.base());
            let (status, claim) = op.call(
                "POST",
                &format!("{path}/claim"),
                Some(json!({"id": record_id(), "origin": op.login})),
            )?;
            if status == 403 {
                // The slot is another operator's (a second run): theirs to finish.
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(format!(
                    "{} claim {hash}/{slot}: {status} {claim}",
                    op.login
                ));
            }
            let entry = op.ok("GET", &path, None)?;
            if entry["state"] == "submitted" {
                continue;
            }
            let mut figures = sheet.clone();
            if typo
                && slot == 2
                && let Some(v) = figures.get_mut("candidate_1")
            {
                *v += 100;
            }
            op.ok(
                "POST",
                &format!("{path}/submit"),
                Some(json!({
                    "id": record_id(),
                    "origin": op.login,
                    "version": entry["version"],
                    "figures": figures,
                })),
            )?;
            submitted += 1;
        }
        Ok(submitted)
    }

    /// The RO settles every differing field with the photographed sheet's figure.
    fn settle(&self, hash: &str, sheet: &BTreeMap<String, u32>) -> Result<(), String> {
        let path = format!("{}/figures/corrections/{hash}", self.base());
        let view = self.ro.ok("GET", &path, None)?;
        if !view["confirmation"].is_null() {
            // Settled already (the board was read before it was).
            return Ok(());
        }
        let settlements: Vec<Value> = view["differing"]
            .as_array()
            .map(|d| d.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f.as_str())
            .map(|f| {
                json!({
                    "field": f,
                    "value": sheet.get(f).copied().unwrap_or(0),
                    "reason": "read again from the photographed Form-45",
                })
            })
            .collect();
        self.ro.ok(
            "POST",
            &path,
            Some(json!({
                "id": record_id(),
                "origin": ORIGIN,
                "supersedes": null,
                "settlements": settlements,
            })),
        )?;
        Ok(())
    }

    /// Release the quarantined stations whose every finding is one a person can explain.
    fn release(&self) -> Result<u32, String> {
        let list = self
            .ro
            .ok("GET", &format!("{}/figures/quarantine", self.base()), None)?;
        let mut released = 0;
        for q in list.as_array().map(|a| a.as_slice()).unwrap_or_default() {
            if q["quarantined"] != true {
                continue;
            }
            let codes: Vec<&str> = q["findings"]
                .as_array()
                .map(|a| a.as_slice())
                .unwrap_or_default()
                .iter()
                .filter_map(|f| f["code"].as_str())
                .collect();
            if codes.is_empty() || !codes.iter().all(|c| RELEASABLE.contains(c)) {
                continue;
            }
            let hash = q["manifest_hash"].as_str().unwrap_or_default();
            self.ro.ok(
                "POST",
                &format!("{}/figures/quarantine/{hash}/release", self.base()),
                Some(json!({
                    "id": record_id(),
                    "origin": ORIGIN,
                    "reason": format!("checked against the paper Form-45: {}", codes.join(", ")),
                })),
            )?;
            released += 1;
        }
        Ok(released)
    }

    /// Sign a new version of Form-47 (superseding the one in force, with a reason) when the
    /// stations it counts changed since the version in force; its number and how many stations
    /// it counts, or `None` when nothing changed.
    pub fn sign_form47(&self, why: &str) -> Result<Option<(i64, usize)>, String> {
        let versions = self.ro.ok(
            "GET",
            &format!("{}/forms/form47/versions", self.base()),
            None,
        )?;
        let list = versions
            .as_array()
            .or_else(|| versions["versions"].as_array())
            .cloned()
            .unwrap_or_default();
        let latest_view = list.iter().max_by_key(|x| x["version"].as_i64());
        let latest = latest_view
            .map(|v| v["record"].clone())
            .unwrap_or(Value::Null);
        let preview = self
            .ro
            .ok("GET", &format!("{}/forms/form47", self.base()), None)?;
        if let Some(v) = latest_view
            && v["statement"]["content"]["stations_counted"] == preview["stations_counted"]
        {
            return Ok(None);
        }
        let late = preview["deadline"]["status"] == "late";
        let mut body = json!({"id": record_id(), "origin": ORIGIN, "supersedes": latest});
        if !latest.is_null() {
            body["reason"] = json!(why);
        }
        if late {
            body["late_reason"] = json!("the night ran past the deadline");
        }
        let signed = self.ro.ok(
            "POST",
            &format!("{}/forms/form47/sign", self.base()),
            Some(body),
        )?;
        let counted = signed["statement"]["content"]["stations_counted"]
            .as_array()
            .map_or(0, Vec::len);
        Ok(Some((signed["version"].as_i64().unwrap_or(0), counted)))
    }
}
