//! The view model of a compiled or signed Form-47/48/49, read from the form's content (the same
//! JSON that is signed and exported), for the form page and its printable A4 page.

use serde_json::Value;

use crate::i18n::Tr;

/// A candidate's line.
#[derive(Debug)]
pub struct CandidateLine {
    pub ballot_no: u64,
    pub name: String,
    pub party: String,
    pub votes: u64,
    /// Form-49: the stations' votes and the postal votes.
    pub station_votes: Option<u64>,
    pub postal_votes: Option<u64>,
}

/// One gender's registered, polled and turnout.
#[derive(Debug)]
pub struct TurnoutLine {
    pub label: String,
    pub registered: u64,
    pub polled: u64,
    /// Per cent with one decimal, or empty where nobody is registered.
    pub percent: String,
}

/// A counted station and the capture its figures came from.
#[derive(Debug)]
pub struct SourceLine {
    pub station: u64,
    pub manifest_hash: String,
    pub confirmation: String,
    /// Form-48: the station's votes per candidate and totals.
    pub votes: Vec<u64>,
    pub total_valid: u64,
    pub rejected: u64,
    pub total_polled: u64,
}

/// An awaited station and why.
#[derive(Debug)]
pub struct AwaitedLine {
    pub station: u64,
    pub name: String,
    pub reason: String,
    pub detail: String,
}

/// A form as shown.
#[derive(Debug, Default)]
pub struct FormView {
    pub candidates: Vec<CandidateLine>,
    pub total_valid: u64,
    pub rejected: u64,
    pub total_polled: u64,
    pub turnout: Vec<TurnoutLine>,
    pub women_under_10: bool,
    pub sources: Vec<SourceLine>,
    pub station_wise: bool,
    pub awaited: Vec<AwaitedLine>,
    pub stations_in_scheme: u64,
    pub complete: bool,
    /// Form-47: the deadline, `on_time` or `late`, and the late reason.
    pub deadline: Option<(String, bool, String)>,
    pub postal_rejected: Option<u64>,
    pub postal_record: Option<String>,
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn percent(permille: &Value) -> String {
    permille
        .as_u64()
        .map(|p| format!("{}.{}", p / 10, p % 10))
        .unwrap_or_default()
}

fn awaited_key(reason: &str) -> String {
    format!("awaited-{}", reason.replace('_', "-"))
}

impl FormView {
    /// Read a form's content.
    pub fn of(tr: &Tr, content: &Value) -> FormView {
        let empty = Vec::new();
        let arr = |k: &str| content[k].as_array().unwrap_or(&empty).clone();
        let candidates = arr("candidates")
            .iter()
            .map(|c| CandidateLine {
                ballot_no: u(&c["ballot_no"]),
                name: s(&c["name"]),
                party: s(&c["party"]),
                votes: u(&c["votes"]),
                station_votes: c["station_votes"].as_u64(),
                postal_votes: c["postal_votes"].as_u64(),
            })
            .collect();
        let t = &content["turnout"];
        let turnout = [
            ("male", "fig-male"),
            ("female", "fig-female"),
            ("transgender", "fig-transgender"),
            ("total", "fig-total"),
        ]
        .into_iter()
        .map(|(g, key)| TurnoutLine {
            label: tr.t(key),
            registered: u(&t["registered"][g]),
            polled: u(&t["polled"][g]),
            percent: percent(&t["permille"][g]),
        })
        .collect();
        let station_wise = content["stations"].is_array();
        let source_key = if station_wise {
            "stations"
        } else {
            "stations_counted"
        };
        let sources = arr(source_key)
            .iter()
            .map(|x| SourceLine {
                station: u(&x["station"]),
                manifest_hash: s(&x["manifest_hash"]),
                confirmation: s(&x["confirmation"]),
                votes: x["votes"]
                    .as_array()
                    .map(|v| v.iter().map(u).collect())
                    .unwrap_or_default(),
                total_valid: u(&x["total_valid"]),
                rejected: u(&x["rejected"]),
                total_polled: u(&x["total_polled"]),
            })
            .collect();
        let awaited = arr("stations_awaited")
            .iter()
            .map(|a| AwaitedLine {
                station: u(&a["station"]),
                name: s(&a["name"]),
                reason: tr.t(&awaited_key(&s(&a["reason"]))),
                detail: s(&a["detail"]),
            })
            .collect();
        let d = &content["deadline"];
        FormView {
            candidates,
            total_valid: u(&content["total_valid"]),
            rejected: u(&content["rejected"]),
            total_polled: u(&content["total_polled"]),
            turnout,
            women_under_10: t["women_under_10_percent"].as_bool().unwrap_or(false),
            sources,
            station_wise,
            awaited,
            stations_in_scheme: u(&content["stations_in_scheme"]),
            complete: content["complete"].as_bool().unwrap_or(false),
            deadline: d.is_object().then(|| {
                (
                    s(&d["results_deadline"]),
                    d["status"] == "late",
                    s(&d["late_reason"]),
                )
            }),
            postal_rejected: content["postal_rejected"].as_u64(),
            postal_record: content["postal_ballots"].as_str().map(str::to_owned),
        }
    }
}
