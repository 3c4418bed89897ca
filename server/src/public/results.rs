//! A constituency's provisional result for the public: only confirmed figures count (what
//! [`crate::figures::compile`] counts over [`crate::figures::standing`]); per station the
//! confirmed figures and the manifest hash and confirmation they came from, so anyone can
//! re-add them; turnout by gender; the stations awaited and why; and every version the RO
//! signed of Form-47, the superseded ones still listed with the reason they were superseded.

use serde::Serialize;
use serde_json::Value;

use super::csv;
use crate::accounts::ConstituencyRef;
use crate::error::ApiError;
use crate::figures::compile::{
    AwaitedStation, CandidateTotal, CountedStation, ResultForm, Turnout, compile,
};
use crate::figures::signing::{SignedFormView, versions};
use crate::figures::standing::gather;
use crate::state::AppState;

/// One signed version of Form-47.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormVersion {
    pub record: String,
    pub version: i64,
    /// SHA-256 of the signed statement's canonical bytes.
    pub body_sha256: String,
    pub signer_key: String,
    pub signature: String,
    pub signed_at_ms: Option<i64>,
    pub supersedes: Option<String>,
    /// Why this version replaced the one it supersedes (empty for the first).
    pub reason: String,
    /// The version that replaced this one, and its reason; absent for the version in force.
    pub superseded_by: Option<String>,
    pub superseded_reason: Option<String>,
}

/// The provisional result of a constituency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConstituencyResults {
    pub election: String,
    pub constituency: String,
    pub name: String,
    pub stations_in_scheme: u64,
    pub stations_counted: u64,
    pub candidates: Vec<CandidateTotal>,
    pub total_valid: u64,
    pub rejected: u64,
    pub total_polled: u64,
    pub turnout: Turnout,
    /// The counted stations: confirmed figures, votes in ballot order.
    pub stations: Vec<CountedStation>,
    pub awaited: Vec<AwaitedStation>,
    /// The body hash of the Form-47 version in force, if the RO signed one.
    pub form47_in_force: Option<String>,
    /// Every signed version of Form-47, first first.
    pub form47_versions: Vec<FormVersion>,
}

impl ConstituencyResults {
    /// The latest signing time (ms), for `Last-Modified` (none before Form-47 is signed).
    pub fn last_modified_ms(&self) -> Option<i64> {
        self.form47_versions
            .iter()
            .filter_map(|v| v.signed_at_ms)
            .max()
    }
}

fn form_versions(signed: &[SignedFormView]) -> Vec<FormVersion> {
    let reason = |v: &SignedFormView| {
        v.statement
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    signed
        .iter()
        .map(|v| {
            let next = signed
                .iter()
                .find(|n| n.supersedes.as_deref() == Some(v.record.as_str()));
            FormVersion {
                record: v.record.clone(),
                version: v.version,
                body_sha256: v.body_sha256.clone(),
                signer_key: v.signer_key.clone(),
                signature: v.signature.clone(),
                signed_at_ms: v.statement.get("signed_at_ms").and_then(Value::as_i64),
                supersedes: v.supersedes.clone(),
                reason: reason(v),
                superseded_by: next.map(|n| n.record.clone()),
                superseded_reason: next.map(reason),
            }
        })
        .collect()
}

/// The provisional result of constituency `code` of `election` (404 for either unknown).
pub async fn results(
    state: &AppState,
    election: &str,
    code: &str,
) -> Result<ConstituencyResults, ApiError> {
    let state = state.for_public_reads();
    let c = ConstituencyRef::new(election, code);
    let standing = gather(state, &c).await?;
    let compiled = compile(&standing);
    let signed = versions(state, &c, ResultForm::Form47).await?;
    let form47_versions = form_versions(&signed);
    let in_force = form47_versions
        .iter()
        .find(|v| v.superseded_by.is_none())
        .map(|v| v.body_sha256.clone());
    Ok(ConstituencyResults {
        election: election.to_owned(),
        constituency: standing.constituency.code.clone(),
        name: standing.constituency.name.clone(),
        stations_in_scheme: compiled.stations_in_scheme,
        stations_counted: compiled.counted.len() as u64,
        candidates: compiled.totals.candidates,
        total_valid: compiled.totals.total_valid,
        rejected: compiled.totals.rejected,
        total_polled: compiled.totals.total_polled,
        turnout: compiled.totals.turnout,
        stations: compiled.counted,
        awaited: compiled.awaited,
        form47_in_force: if signed.is_empty() { None } else { in_force },
        form47_versions,
    })
}

/// The result as CSV: one `station` row per counted station (its manifest hash and
/// confirmation, votes per candidate in ballot order), one `total` row (the sum of the station
/// rows), and one `awaited` row per station awaited with its reason.
pub fn to_csv(r: &ConstituencyResults) -> String {
    let mut out = String::new();
    let mut header: Vec<String> = [
        "row",
        "station",
        "station_name",
        "manifest_hash",
        "confirmation",
    ]
    .map(str::to_owned)
    .to_vec();
    header.extend(
        r.candidates
            .iter()
            .map(|c| format!("candidate_{}", c.ballot_no)),
    );
    header.extend(["total_valid", "rejected", "total_polled", "awaited_reason"].map(str::to_owned));
    csv::record(&mut out, &header);
    let blanks = |n: usize| std::iter::repeat_n(String::new(), n);
    for s in &r.stations {
        let mut f = vec![
            "station".to_owned(),
            s.station.to_string(),
            csv::text(&s.name),
            s.manifest_hash.clone(),
            csv::text(&s.confirmation),
        ];
        f.extend(s.votes.iter().map(u64::to_string));
        f.extend([
            s.total_valid.to_string(),
            s.rejected.to_string(),
            s.total_polled.to_string(),
            String::new(),
        ]);
        csv::record(&mut out, &f);
    }
    let mut f = vec!["total".to_owned()];
    f.extend(blanks(4));
    f.extend(r.candidates.iter().map(|c| c.votes.to_string()));
    f.extend([
        r.total_valid.to_string(),
        r.rejected.to_string(),
        r.total_polled.to_string(),
        String::new(),
    ]);
    csv::record(&mut out, &f);
    for a in &r.awaited {
        let mut f = vec![
            "awaited".to_owned(),
            a.station.to_string(),
            csv::text(&a.name),
        ];
        f.extend(blanks(2 + r.candidates.len() + 3));
        f.push(csv::text(&a.reason));
        csv::record(&mut out, &f);
    }
    out
}
