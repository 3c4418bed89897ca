//! Records of what the server says later about a capture: the Returning Officer's recapture
//! requests and the capture's place in the public transparency log. Conversions only.

use tallyseal_core::client::recapture::PendingRecapture;
use tallyseal_core::wire::LogInclusion;

/// A Returning Officer's request for a new capture that the Presiding Officer has not answered.
/// Answer it with `TallysealClient.recapture(seq, …)`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RecaptureInfo {
    /// The outbox item the request is about.
    pub seq: u64,
    pub manifest_hash: String,
    /// `form45` or `form46`.
    pub form: String,
    pub page: u32,
    pub pages: u32,
    pub request_id: String,
    /// From the console's fixed list (e.g. `illegible`, `wrong-form`).
    pub reason_code: String,
    /// The Returning Officer's words: show them as text.
    pub reason: String,
    pub requested_at_ms: i64,
    /// The Returning Officer's stable id.
    pub requested_by: String,
}

impl From<&PendingRecapture> for RecaptureInfo {
    fn from(p: &PendingRecapture) -> Self {
        RecaptureInfo {
            seq: p.seq,
            manifest_hash: p.manifest_hash.to_hex(),
            form: p.form.as_str().to_owned(),
            page: p.page,
            pages: p.pages,
            request_id: p.request.request_id.clone(),
            reason_code: p.request.reason_code.clone(),
            reason: p.request.reason.clone(),
            requested_at_ms: p.request.requested_at_ms,
            requested_by: p.request.requested_by.clone(),
        }
    }
}

/// A capture's leaf in the public log and its C2SP tlog-proof (also in the exported bundle).
#[derive(Debug, Clone, uniffi::Record)]
pub struct LogInclusionInfo {
    pub leaf_index: u64,
    /// The leaf's text (`tallyseal-log-leaf/v1` and its JSON).
    pub leaf: String,
    /// The `.tlog-proof` text.
    pub proof: String,
}

impl From<LogInclusion> for LogInclusionInfo {
    fn from(l: LogInclusion) -> Self {
        LogInclusionInfo {
            leaf_index: l.leaf_index,
            leaf: l.leaf,
            proof: l.proof,
        }
    }
}
