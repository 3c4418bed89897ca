//! [`TallysealClient`]: the one exported object, a thin shell over
//! [`tallyseal_core::client::PhoneClient`].

use std::path::PathBuf;
use std::sync::Arc;

use tallyseal_core::client::capture::{CaptureRequest as CoreCapture, PageInput};
use tallyseal_core::client::clock::SystemClock;
use tallyseal_core::client::http::StdHttpTransport;
use tallyseal_core::client::{PhoneClient, PhoneOptions};
use tallyseal_core::form::{FormFigures, FormKind};
use tallyseal_core::manifest::Supersedes;

use crate::error::{TallysealError, guarded};
use crate::follow_up::{LogInclusionInfo, RecaptureInfo};
use crate::platform::{
    CustodyAdapter, HttpTransport, KeyCustody, ListenerAdapter, StatusListener, TransportAdapter,
};
use crate::records::*;

/// The Presiding Officer's phone.
#[derive(uniffi::Object)]
pub struct TallysealClient {
    inner: PhoneClient,
}

impl std::fmt::Debug for TallysealClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

fn invalid(reason: impl Into<String>) -> TallysealError {
    TallysealError::InvalidInput {
        reason: reason.into(),
    }
}

fn pages(pages: Vec<Page>) -> Vec<PageInput> {
    pages
        .into_iter()
        .map(|p| PageInput {
            image: p.image,
            media_type: p.media_type,
            fix: p.fix.map(Into::into),
        })
        .collect()
}

#[uniffi::export]
impl TallysealClient {
    /// Open the client on an app-private directory. Without a `transport`, a built-in
    /// plain-HTTP client is used (tests and the simulator only: it has no TLS).
    #[uniffi::constructor]
    pub fn new(
        data_dir: String,
        app: String,
        custody: Arc<dyn KeyCustody>,
        transport: Option<Arc<dyn HttpTransport>>,
        listener: Option<Arc<dyn StatusListener>>,
    ) -> Result<Arc<Self>, TallysealError> {
        guarded(|| {
            let transport: Arc<dyn tallyseal_core::client::http::HttpTransport> = match transport {
                Some(t) => Arc::new(TransportAdapter(t)),
                None => Arc::new(StdHttpTransport::default()),
            };
            let inner = PhoneClient::open(PhoneOptions {
                data_dir: PathBuf::from(data_dir),
                app,
                transport,
                custody: Arc::new(CustodyAdapter(custody)),
                clock: Arc::new(SystemClock::default()),
                listener: listener.map(|l| Arc::new(ListenerAdapter(l)) as Arc<_>),
            })?;
            Ok(Arc::new(TallysealClient { inner }))
        })
    }

    /// The device's public key (hex); generated and handed to key custody on first call.
    pub fn device_key(&self) -> Result<String, TallysealError> {
        guarded(|| Ok(self.inner.device_key()?.to_hex()))
    }

    /// Enrol with a QR payload or a bare code (`server` then required).
    pub fn enrol(
        &self,
        payload: String,
        officer_name: String,
        server: Option<String>,
    ) -> Result<EnrolmentInfo, TallysealError> {
        guarded(|| {
            Ok(self
                .inner
                .enrol(&payload, &officer_name, server.as_deref())?
                .into())
        })
    }

    /// The enrolment, if enrolled.
    pub fn enrolment(&self) -> Result<Option<EnrolmentInfo>, TallysealError> {
        guarded(|| Ok(self.inner.enrolment()?.map(Into::into)))
    }

    /// The enrolled station with its candidates, from the verified package.
    pub fn station(&self) -> Result<StationInfo, TallysealError> {
        guarded(|| {
            let v = self.inner.station()?;
            Ok(StationInfo {
                constituency: v.constituency.code.clone(),
                constituency_name: v.constituency.name.clone(),
                station: v.station.number,
                station_name: v.station.name.clone(),
                station_type: serde_json::to_value(v.station.station_type)
                    .ok()
                    .and_then(|s| s.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                registered: v.station.registered.map(Into::into),
                candidates: v
                    .constituency
                    .candidates
                    .iter()
                    .map(|c| CandidateInfo {
                        ballot_no: c.ballot_no,
                        name: c.name.clone(),
                        party: c.party.clone(),
                        symbol: c.symbol.clone(),
                    })
                    .collect(),
            })
        })
    }

    /// Fetch a server time anchor now (also done during sync when stale). Returns the server time.
    pub fn refresh_time_anchor(&self) -> Result<i64, TallysealError> {
        guarded(|| Ok(self.inner.refresh_time_anchor()?.anchor.body.server_time_ms))
    }

    /// Check Form-45 figures as they are typed.
    pub fn check_figures(
        &self,
        figures: Form45Input,
    ) -> Result<Vec<FigureProblem>, TallysealError> {
        guarded(|| {
            Ok(self
                .inner
                .check_figures(&FormFigures::from(figures))?
                .iter()
                .map(Into::into)
                .collect())
        })
    }

    /// Seal every page and write it durably to the outbox (nothing is sent); returns the
    /// self-check of each page and its agent-copy QR text.
    pub fn capture(&self, request: CaptureRequest) -> Result<CaptureResult, TallysealError> {
        guarded(|| {
            let supersedes = match (request.supersedes_manifest, request.supersedes_reason) {
                (Some(m), Some(reason)) => Some(Supersedes {
                    manifest: m
                        .parse()
                        .map_err(|_| invalid("supersedes_manifest is not a manifest hash"))?,
                    reason,
                }),
                (None, None) => None,
                _ => {
                    return Err(invalid(
                        "a correction needs both the manifest and the reason",
                    ));
                }
            };
            let outcome = self.inner.capture(CoreCapture {
                form: FormKind::Form45,
                figures: request.figures.map(Into::into),
                pages: pages(request.pages),
                supersedes,
            })?;
            Ok(CaptureResult {
                capture_set: outcome.capture_set,
                pages: outcome.pages.iter().map(Into::into).collect(),
                figure_problems: outcome.figure_problems.iter().map(Into::into).collect(),
            })
        })
    }

    /// The Returning Officer's requests for new captures not answered yet (read at each sync).
    pub fn recapture_requests(&self) -> Result<Vec<RecaptureInfo>, TallysealError> {
        guarded(|| {
            Ok(self
                .inner
                .recapture_requests()?
                .iter()
                .map(Into::into)
                .collect())
        })
    }

    /// Capture in answer to the recapture request for item `seq`: the new capture supersedes
    /// the old one (its manifests name it, with the request's reason code). The request's own
    /// `supersedes_*` fields must be empty.
    pub fn recapture(
        &self,
        seq: u64,
        request: CaptureRequest,
    ) -> Result<CaptureResult, TallysealError> {
        guarded(|| {
            if request.supersedes_manifest.is_some() || request.supersedes_reason.is_some() {
                return Err(invalid(
                    "a recapture names the capture it replaces itself: leave supersedes empty",
                ));
            }
            let form = self.inner.outbox().load(seq)?.manifest.form;
            let outcome = self.inner.recapture(
                seq,
                CoreCapture {
                    form,
                    figures: request.figures.map(Into::into),
                    pages: pages(request.pages),
                    supersedes: None,
                },
            )?;
            Ok(CaptureResult {
                capture_set: outcome.capture_set,
                pages: outcome.pages.iter().map(Into::into).collect(),
                figure_problems: outcome.figure_problems.iter().map(Into::into).collect(),
            })
        })
    }

    /// The newest log inclusion the server gave for item `seq` (None until the log has it).
    pub fn log_inclusion(&self, seq: u64) -> Result<Option<LogInclusionInfo>, TallysealError> {
        guarded(|| Ok(self.inner.log_inclusion(seq)?.map(Into::into)))
    }

    /// The outbox, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, TallysealError> {
        guarded(|| Ok(self.inner.items()?.iter().map(Into::into).collect()))
    }

    /// One sync pass. Call from a background worker; call again after `next_attempt_in_ms`.
    /// `force` ignores the backoff (connectivity just came back, or the user asked).
    pub fn sync(&self, force: bool) -> Result<SyncSummary, TallysealError> {
        guarded(|| Ok(self.inner.sync(force)?.into()))
    }

    /// Put an item that needs attention back in the queue.
    pub fn retry(&self, seq: u64) -> Result<(), TallysealError> {
        guarded(|| Ok(self.inner.retry(seq)?))
    }

    /// Remove a verified item and its bundle (the Presiding Officer cleared it).
    pub fn clear(&self, seq: u64) -> Result<(), TallysealError> {
        guarded(|| Ok(self.inner.clear(seq)?))
    }

    /// The evidence bundle of an item (with the verified receipt once verified).
    pub fn bundle(&self, seq: u64) -> Result<Vec<u8>, TallysealError> {
        guarded(|| Ok(self.inner.bundle(seq)?))
    }

    /// The agent-copy QR text of an item.
    pub fn agent_copy(&self, seq: u64) -> Result<String, TallysealError> {
        guarded(|| Ok(self.inner.agent_copy(seq)?))
    }

    pub fn settings(&self) -> UploadSettings {
        self.inner.settings().into()
    }

    pub fn update_settings(&self, settings: UploadSettings) -> Result<(), TallysealError> {
        guarded(|| {
            let mut s = self.inner.settings();
            s.chunk_bytes = settings.chunk_bytes;
            s.patch_checksum = settings.patch_checksum;
            s.backoff_base_ms = settings.backoff_base_ms;
            s.backoff_cap_ms = settings.backoff_cap_ms;
            s.trusted_package_keys = settings.trusted_package_keys;
            Ok(self.inner.update_settings(s)?)
        })
    }
}
