//! The verification report: stable check names, outcomes, verdicts, and the collector the checks
//! write into. Check names and the report's fields are read by other programs: never rename or
//! remove one (add new ones).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hash::Sha256Digest;

/// Stable names of the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    ManifestFormat,
    Signature,
    ElectionPackage,
    StationKnown,
    DeviceEnrolled,
    ImageHash,
    Geofence,
    MockLocation,
    ExifGps,
    CaptureTime,
    ClockSkew,
    ExifDatetime,
    ExifDevice,
    EditingSoftware,
    ExifMatchesManifest,
    DuplicateImage,
    NearDuplicateImage,
    CaptureSequence,
    FormArithmetic,
    Receipt,
    /// The JPEG frame's real size against the EXIF pixel dimensions and the legible minimum.
    ImageFrame,
    /// The bundle's transparency-log leaf is this capture's and its proof holds (`docs/log.md`).
    LogInclusion,
}

impl CheckId {
    pub fn as_str(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
}

/// One check's result: outcome, a reason a person can read, and the measured values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: CheckId,
    pub outcome: Outcome,
    pub reason: String,
    pub measured: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Verified,
    VerifiedWithWarnings,
    Failed,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::VerifiedWithWarnings => "verified_with_warnings",
            Verdict::Failed => "failed",
        }
    }
}

/// The result of verifying one capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationReport {
    pub format: String,
    pub v: u32,
    pub verdict: Verdict,
    /// SHA-256 of the manifest bytes (present even when the manifest did not parse).
    pub manifest_hash: Sha256Digest,
    pub election: Option<String>,
    pub constituency: Option<String>,
    pub station: Option<u32>,
    pub page: Option<u32>,
    pub pages: Option<u32>,
    /// Best estimate of the capture time.
    pub capture_time: Option<crate::time::TimeEstimate>,
    /// The image's perceptual hash (64-bit dHash, hex) when the image was present and decodable;
    /// what later captures are compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_phash: Option<String>,
    pub checks: Vec<CheckResult>,
    /// Checks left to a later analysis (see [`VerificationPolicy::defer_near_duplicates`](super::VerificationPolicy::defer_near_duplicates)); the
    /// verdict covers the checks present. Empty once the analysis is done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<CheckId>,
    /// Version of the verifier that produced the report.
    pub verifier: String,
}

impl VerificationReport {
    pub fn check(&self, id: CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.check == id)
    }

    /// The checks with the given outcome.
    pub fn with_outcome(&self, outcome: Outcome) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(move |c| c.outcome == outcome)
    }

    /// Add the result of a check that was pending (or replace an earlier result of the same
    /// check), take it off the pending list and recompute the verdict.
    pub fn complete_pending(&mut self, result: CheckResult) {
        self.pending.retain(|p| *p != result.check);
        self.checks.retain(|c| c.check != result.check);
        self.checks.push(result);
        self.verdict = verdict_of(&self.checks);
    }
}

pub(super) fn check_result(
    check: CheckId,
    outcome: Outcome,
    reason: impl Into<String>,
    measured: Value,
) -> CheckResult {
    let measured = match measured {
        Value::Object(m) => m.into_iter().collect(),
        Value::Null => BTreeMap::new(),
        other => BTreeMap::from([("value".to_owned(), other)]),
    };
    CheckResult {
        check,
        outcome,
        reason: reason.into(),
        measured,
    }
}

pub(super) struct Checks(pub(super) Vec<CheckResult>);

impl Checks {
    pub(super) fn add(
        &mut self,
        check: CheckId,
        outcome: Outcome,
        reason: impl Into<String>,
        measured: Value,
    ) {
        self.0.push(check_result(check, outcome, reason, measured));
    }
    pub(super) fn pass(&mut self, c: CheckId, r: impl Into<String>, m: Value) {
        self.add(c, Outcome::Pass, r, m)
    }
    pub(super) fn warn(&mut self, c: CheckId, r: impl Into<String>, m: Value) {
        self.add(c, Outcome::Warn, r, m)
    }
    pub(super) fn fail(&mut self, c: CheckId, r: impl Into<String>, m: Value) {
        self.add(c, Outcome::Fail, r, m)
    }
}

pub(super) fn verdict_of(checks: &[CheckResult]) -> Verdict {
    match checks.iter().map(|c| c.outcome).max() {
        Some(Outcome::Fail) => Verdict::Failed,
        Some(Outcome::Warn) => Verdict::VerifiedWithWarnings,
        _ => Verdict::Verified,
    }
}

pub(super) fn verifier_version() -> String {
    format!("tallyseal-core/{}", env!("CARGO_PKG_VERSION"))
}
