//! Records and enums crossing the boundary, and their conversions from the core's types. Field
//! names are what the shells see (camelCase in Kotlin/Swift).

use tallyseal_core::client::Settings;
use tallyseal_core::client::capture::SealedPage;
use tallyseal_core::client::enrol::{Enrolment, PackageTrust};
use tallyseal_core::client::outbox::{OutboxItem, Stage};
use tallyseal_core::client::uploader::{SyncEvent, SyncReport};
use tallyseal_core::form::{CandidateVotes, Form45Figures, FormFigures, RuleViolation};
use tallyseal_core::model::GenderCounts;
use tallyseal_core::seal::LocationFix;

#[derive(Debug, Clone, uniffi::Record)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

/// The enrolment the phone holds.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EnrolmentInfo {
    pub server: String,
    pub election: String,
    pub constituency: String,
    pub station: u32,
    pub station_name: String,
    pub officer_name: String,
    pub device_key: String,
    pub package_hash: String,
    pub commission_key: String,
    /// `pinned` (QR or app key) or `server_published` (weaker).
    pub package_trust: String,
}

impl From<Enrolment> for EnrolmentInfo {
    fn from(e: Enrolment) -> Self {
        EnrolmentInfo {
            server: e.server,
            election: e.election,
            constituency: e.constituency,
            station: e.station,
            station_name: e.station_name,
            officer_name: e.officer_name,
            device_key: e.device_key.to_hex(),
            package_hash: e.package_hash.to_hex(),
            commission_key: e.commission_key.to_hex(),
            package_trust: match e.package_trust {
                PackageTrust::Pinned => "pinned".into(),
                PackageTrust::ServerPublished => "server_published".into(),
            },
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct CandidateInfo {
    pub ballot_no: u32,
    pub name: String,
    pub party: String,
    pub symbol: String,
}

/// The enrolled station, for the figures screen (candidates in ballot order).
#[derive(Debug, Clone, uniffi::Record)]
pub struct StationInfo {
    pub constituency: String,
    pub constituency_name: String,
    pub station: u32,
    pub station_name: String,
    /// `male`, `female` or `combined`.
    pub station_type: String,
    pub registered: Option<Counts>,
    pub candidates: Vec<CandidateInfo>,
}

/// Counts by gender.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct Counts {
    pub male: u32,
    pub female: u32,
    pub transgender: u32,
}

impl From<Counts> for GenderCounts {
    fn from(c: Counts) -> Self {
        GenderCounts {
            male: c.male,
            female: c.female,
            transgender: c.transgender,
        }
    }
}
impl From<GenderCounts> for Counts {
    fn from(c: GenderCounts) -> Self {
        Counts {
            male: c.male,
            female: c.female,
            transgender: c.transgender,
        }
    }
}

/// Form-45 figures as typed; `candidate_votes[i]` is the candidate with ballot number `i + 1`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Form45Input {
    pub registered: Counts,
    pub polled: Counts,
    pub candidate_votes: Vec<u32>,
    pub total_valid: u32,
    pub rejected: u32,
    pub total_polled: u32,
}

impl From<Form45Input> for FormFigures {
    fn from(f: Form45Input) -> Self {
        FormFigures::Form45(Form45Figures {
            registered: f.registered.into(),
            polled: f.polled.into(),
            candidate_votes: f
                .candidate_votes
                .iter()
                .enumerate()
                .map(|(i, v)| CandidateVotes {
                    ballot_no: i as u32 + 1,
                    votes: *v,
                })
                .collect(),
            total_valid: f.total_valid,
            rejected: f.rejected,
            total_polled: f.total_polled,
        })
    }
}

/// One broken arithmetic rule.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FigureProblem {
    pub rule: String,
    pub detail: String,
}

impl From<&RuleViolation> for FigureProblem {
    fn from(v: &RuleViolation) -> Self {
        FigureProblem {
            rule: v.rule.as_str().to_owned(),
            detail: v.detail.clone(),
        }
    }
}

/// A location fix as the platform reports it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Fix {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    pub altitude_m: Option<f64>,
    pub provider: String,
    /// Android `Location.isMock()`.
    pub mock: bool,
    /// GNSS (satellite) UTC time of the fix, Unix ms.
    pub gnss_time_ms: Option<i64>,
    /// Monotonic clock when the fix was taken (`elapsedRealtimeNanos / 1e6`).
    pub fix_monotonic_ms: Option<u64>,
}

impl From<Fix> for LocationFix {
    fn from(f: Fix) -> Self {
        LocationFix {
            lat: f.lat,
            lon: f.lon,
            accuracy_m: f.accuracy_m,
            altitude_m: f.altitude_m,
            provider: f.provider,
            mock: f.mock,
            gnss_time_ms: f.gnss_time_ms,
            fix_monotonic_ms: f.fix_monotonic_ms,
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct Page {
    pub image: Vec<u8>,
    pub media_type: String,
    pub fix: Option<Fix>,
}

/// A Form-45 capture set.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CaptureRequest {
    pub figures: Option<Form45Input>,
    pub pages: Vec<Page>,
    /// Manifest hash of the capture this one corrects, with the reason.
    pub supersedes_manifest: Option<String>,
    pub supersedes_reason: Option<String>,
}

/// One self-check finding.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CheckFinding {
    pub check: String,
    /// `pass`, `warn` or `fail`.
    pub outcome: String,
    pub reason: String,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SealedPageInfo {
    pub seq: u64,
    pub page: u32,
    pub pages: u32,
    pub manifest_hash: String,
    pub image_sha256: String,
    /// `verified`, `verified_with_warnings` or `failed` (what the server would say, as far as
    /// the phone can tell).
    pub verdict: String,
    /// The checks that did not pass.
    pub findings: Vec<CheckFinding>,
    pub agent_copy: String,
}

impl From<&SealedPage> for SealedPageInfo {
    fn from(p: &SealedPage) -> Self {
        SealedPageInfo {
            seq: p.seq,
            page: p.page,
            pages: p.pages,
            manifest_hash: p.manifest_hash.to_hex(),
            image_sha256: p.image_sha256.to_hex(),
            verdict: p.self_check.verdict.as_str().to_owned(),
            findings: p
                .self_check
                .checks
                .iter()
                .filter(|c| c.outcome != tallyseal_core::verify::Outcome::Pass)
                .map(|c| CheckFinding {
                    check: c.check.as_str(),
                    outcome: format!("{:?}", c.outcome).to_lowercase(),
                    reason: c.reason.clone(),
                })
                .collect(),
            agent_copy: p.agent_copy.clone(),
        }
    }
}

/// Every page is already durable in the outbox when this is returned.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CaptureResult {
    pub capture_set: String,
    pub pages: Vec<SealedPageInfo>,
    pub figure_problems: Vec<FigureProblem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ItemStage {
    Sealed,
    ManifestAcknowledged,
    Uploading,
    Received,
    Verified,
}

impl From<Stage> for ItemStage {
    fn from(s: Stage) -> Self {
        match s {
            Stage::Sealed => ItemStage::Sealed,
            Stage::ManifestAcknowledged => ItemStage::ManifestAcknowledged,
            Stage::Uploading => ItemStage::Uploading,
            Stage::Received => ItemStage::Received,
            Stage::Verified => ItemStage::Verified,
        }
    }
}

/// One outbox item.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OutboxEntry {
    pub seq: u64,
    pub manifest_hash: String,
    pub capture_set: String,
    pub page: u32,
    pub pages: u32,
    pub stage: ItemStage,
    pub uploaded_bytes: u64,
    pub image_bytes: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Set when retrying cannot help: the server's reason, for the Presiding Officer.
    pub needs_attention: Option<String>,
    /// The latest verified receipt (canonical JSON), once the server acknowledged the manifest.
    pub receipt_json: Option<String>,
    /// `manifest_received`, `image_received` or `verified`.
    pub receipt_status: Option<String>,
    pub received_at_ms: Option<i64>,
}

impl From<&OutboxItem> for OutboxEntry {
    fn from(i: &OutboxItem) -> Self {
        let receipt = i
            .state
            .final_receipt
            .as_ref()
            .or(i.state.manifest_receipt.as_ref());
        OutboxEntry {
            seq: i.seq,
            manifest_hash: i.manifest_hash.to_hex(),
            capture_set: i.manifest.capture_set.clone(),
            page: i.manifest.page,
            pages: i.manifest.pages,
            stage: i.state.stage.into(),
            uploaded_bytes: i.state.offset,
            image_bytes: i.manifest.image.bytes,
            attempts: i.state.attempts,
            last_error: i.state.last_error.clone(),
            needs_attention: i.state.needs_attention.as_ref().map(|a| a.reason.clone()),
            receipt_json: receipt
                .and_then(|r| r.to_bytes().ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
            receipt_status: receipt
                .and_then(|r| serde_json::to_value(r.body.status).ok())
                .and_then(|v| v.as_str().map(str::to_owned)),
            received_at_ms: receipt.map(|r| r.body.received_at_ms),
        }
    }
}

/// What a sync pass did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncSummary {
    pub manifests_acknowledged: u32,
    pub images_completed: u32,
    pub verified: u32,
    pub pending: u32,
    pub needs_attention: u32,
    /// Captures whose files cannot be read (damaged storage): never sent, left on disk; the
    /// officer should be told.
    pub unreadable: u32,
    pub last_error: Option<String>,
    /// Sync again after this long (None: nothing waiting).
    pub next_attempt_in_ms: Option<u64>,
    /// Captures whose log inclusion (leaf and proof) was updated in this pass.
    pub log_inclusions_updated: u32,
    /// Recapture requests not answered yet: show them (`recaptureRequests()`).
    pub recaptures_pending: u32,
}

impl From<SyncReport> for SyncSummary {
    fn from(r: SyncReport) -> Self {
        SyncSummary {
            manifests_acknowledged: r.manifests_acknowledged,
            images_completed: r.images_completed,
            verified: r.verified,
            pending: r.pending,
            needs_attention: r.needs_attention,
            unreadable: r.unreadable,
            last_error: r.last_error,
            next_attempt_in_ms: r.next_attempt_in_ms,
            log_inclusions_updated: r.log_inclusions_updated,
            recaptures_pending: r.recaptures_pending,
        }
    }
}

/// A progress or state event.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum StatusEvent {
    StageChanged {
        seq: u64,
        manifest_hash: String,
        stage: ItemStage,
    },
    Progress {
        seq: u64,
        uploaded_bytes: u64,
        total_bytes: u64,
    },
    RetryScheduled {
        seq: u64,
        delay_ms: u64,
        error: String,
    },
    NeedsAttention {
        seq: u64,
        reason: String,
    },
}

impl From<&SyncEvent> for StatusEvent {
    fn from(e: &SyncEvent) -> Self {
        match e {
            SyncEvent::StageChanged {
                seq,
                manifest_hash,
                stage,
            } => StatusEvent::StageChanged {
                seq: *seq,
                manifest_hash: manifest_hash.to_hex(),
                stage: (*stage).into(),
            },
            SyncEvent::Progress { seq, offset, total } => StatusEvent::Progress {
                seq: *seq,
                uploaded_bytes: *offset,
                total_bytes: *total,
            },
            SyncEvent::RetryScheduled {
                seq,
                delay_ms,
                error,
            } => StatusEvent::RetryScheduled {
                seq: *seq,
                delay_ms: *delay_ms,
                error: error.clone(),
            },
            SyncEvent::NeedsAttention { seq, reason } => StatusEvent::NeedsAttention {
                seq: *seq,
                reason: reason.clone(),
            },
        }
    }
}

/// Upload settings.
#[derive(Debug, Clone, uniffi::Record)]
pub struct UploadSettings {
    pub chunk_bytes: u64,
    pub patch_checksum: bool,
    pub backoff_base_ms: u64,
    pub backoff_cap_ms: u64,
    /// C2SP verifier keys of the election-package signer built into the app.
    pub trusted_package_keys: Vec<String>,
}

impl From<Settings> for UploadSettings {
    fn from(s: Settings) -> Self {
        UploadSettings {
            chunk_bytes: s.chunk_bytes,
            patch_checksum: s.patch_checksum,
            backoff_base_ms: s.backoff_base_ms,
            backoff_cap_ms: s.backoff_cap_ms,
            trusted_package_keys: s.trusted_package_keys,
        }
    }
}
