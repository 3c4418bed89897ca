//! [`PhoneClient`]: the one object the Android/iOS shells (through `tallyseal-mobile`), the field
//! simulator and the tests use. It owns one app-private data directory:
//!
//! ```text
//! <data dir>/identity.json   the enrolment record (written last at enrolment: its commit point)
//!            package.note    the signed election package, verbatim
//!            anchor.json     the latest time anchor with the clocks at its arrival
//!            chain.json      the device's hash-chain position
//!            settings.json   upload settings
//!            outbox/         see [`crate::client::outbox`]
//! ```
//!
//! One process uses a data directory at a time. Within the process, captures and syncs may run
//! on different threads: captures serialize on one lock (they extend the chain), syncs on another.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::client::agent_copy::AgentCopy;
use crate::client::anchors::{fetch_anchor, readings_now};
use crate::client::api::ServerUrl;
use crate::client::backoff::Backoff;
use crate::client::capture::{CaptureOutcome, CaptureRequest, SealedPage};
use crate::client::clock::Clock;
use crate::client::custody::{KeyCustody, load_key, load_or_create_key};
use crate::client::enrol::{self, Enrolment, parse_enrolment_payload};
use crate::client::error::{ClientError, ClientResult};
use crate::client::follow_up::follow_up;
use crate::client::fsio;
use crate::client::http::HttpTransport;
use crate::client::outbox::{Outbox, OutboxItem, Scan, Stage};
use crate::client::recapture::{self, PendingRecapture};
use crate::client::selfcheck::{phone_context, self_check};
use crate::client::uploader::{SyncListener, SyncReport, UploadTuning, Uploader};
use crate::form::{FormFigures, RuleViolation, validate};
use crate::keys::{DeviceKey, PublicKey};
use crate::model::{Constituency, PollingStation};
use crate::note::Verifier;
use crate::package::{ElectionPackage, SignedPackage};
use crate::seal::{CaptureInput, new_capture_set_id, seal};
use crate::time::AnchorEvidence;

const IDENTITY_FILE: &str = "identity.json";
const PACKAGE_FILE: &str = "package.note";
const ANCHOR_FILE: &str = "anchor.json";
const SETTINGS_FILE: &str = "settings.json";

/// Upload and trust settings (`settings.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Bytes per tus PATCH request.
    pub chunk_bytes: u64,
    /// Send a SHA-256 `Upload-Checksum` with every PATCH (each request then all-or-nothing).
    pub patch_checksum: bool,
    pub backoff_base_ms: u64,
    pub backoff_cap_ms: u64,
    /// C2SP verifier keys of election-package signers built into the app.
    pub trusted_package_keys: Vec<String>,
    /// Fetch a new time anchor during sync when the one held is older than this.
    pub anchor_refresh_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        let b = Backoff::default();
        Settings {
            chunk_bytes: 256 * 1024,
            patch_checksum: false,
            backoff_base_ms: b.base_ms,
            backoff_cap_ms: b.cap_ms,
            trusted_package_keys: Vec::new(),
            anchor_refresh_ms: 30 * 60_000,
        }
    }
}

/// Everything a [`PhoneClient`] needs from its platform.
#[derive(Clone)]
pub struct PhoneOptions {
    pub data_dir: PathBuf,
    /// Written into every manifest, e.g. `tallyseal-android/0.1.0`.
    pub app: String,
    pub transport: Arc<dyn HttpTransport>,
    pub custody: Arc<dyn KeyCustody>,
    pub clock: Arc<dyn Clock>,
    pub listener: Option<Arc<dyn SyncListener>>,
}

impl std::fmt::Debug for PhoneOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneOptions")
            .field("data_dir", &self.data_dir)
            .field("app", &self.app)
            .finish_non_exhaustive()
    }
}

/// The station as the phone shows it (from the verified package).
#[derive(Debug, Clone, PartialEq)]
pub struct StationView {
    pub enrolment: Enrolment,
    pub constituency: Constituency,
    pub station: PollingStation,
}

/// The phone.
pub struct PhoneClient {
    opts: PhoneOptions,
    outbox: Outbox,
    settings: Mutex<Settings>,
    capture_lock: Mutex<()>,
    sync_lock: Mutex<()>,
    loaded: Mutex<Option<(Enrolment, Arc<ElectionPackage>)>>,
}

impl std::fmt::Debug for PhoneClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneClient")
            .field("data_dir", &self.opts.data_dir)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves nothing half-written on disk (every write is
    // atomic), so the data behind a poisoned lock is still good.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, what: &str) -> ClientResult<Option<T>> {
    match fsio::read_optional(path).map_err(|e| ClientError::storage(what, e))? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
            ClientError::storage(
                what,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
            )
        }),
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T, what: &str) -> ClientResult<()> {
    let bytes =
        serde_json::to_vec_pretty(value).map_err(|e| ClientError::InvalidInput(e.to_string()))?;
    fsio::write_atomic(path, &bytes).map_err(|e| ClientError::storage(what, e))
}

impl PhoneClient {
    /// Open (creating) the phone's data directory; recovers from any earlier crash.
    pub fn open(opts: PhoneOptions) -> ClientResult<PhoneClient> {
        std::fs::create_dir_all(&opts.data_dir)
            .map_err(|e| ClientError::storage("creating the data directory", e))?;
        let outbox = Outbox::open(&opts.data_dir)?;
        let settings =
            read_json(&opts.data_dir.join(SETTINGS_FILE), "reading settings")?.unwrap_or_default();
        Ok(PhoneClient {
            opts,
            outbox,
            settings: Mutex::new(settings),
            capture_lock: Mutex::new(()),
            sync_lock: Mutex::new(()),
            loaded: Mutex::new(None),
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.opts.data_dir.join(name)
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Replace the settings (persisted).
    pub fn update_settings(&self, settings: Settings) -> ClientResult<()> {
        if settings.chunk_bytes == 0 || settings.backoff_base_ms == 0 {
            return Err(ClientError::InvalidInput(
                "chunk size and backoff must be positive".into(),
            ));
        }
        write_json(&self.path(SETTINGS_FILE), &settings, "saving settings")?;
        *lock(&self.settings) = settings;
        Ok(())
    }

    /// The device's public key (generated and handed to key custody on first use).
    pub fn device_key(&self) -> ClientResult<PublicKey> {
        // Once enrolled, the enrolled key or an error: a key that custody lost must not be
        // replaced silently by a new one that the server does not know.
        if self.enrolment()?.is_some() {
            return Ok(self.signing_key()?.public_key());
        }
        Ok(load_or_create_key(self.opts.custody.as_ref())?.public_key())
    }

    fn signing_key(&self) -> ClientResult<DeviceKey> {
        load_key(self.opts.custody.as_ref())?.ok_or_else(|| {
            ClientError::Custody("key custody no longer holds the device key".into())
        })
    }

    /// The enrolment record, if enrolled.
    pub fn enrolment(&self) -> ClientResult<Option<Enrolment>> {
        read_json(&self.path(IDENTITY_FILE), "reading the enrolment")
    }

    /// Enrol with a QR payload or a bare code (then `server` is required).
    pub fn enrol(
        &self,
        payload: &str,
        officer_name: &str,
        server: Option<&str>,
    ) -> ClientResult<Enrolment> {
        if let Some(e) = self.enrolment()? {
            return Err(ClientError::AlreadyEnrolled(format!(
                "{} station {}",
                e.constituency, e.station
            )));
        }
        let officer = officer_name.trim();
        if officer.is_empty() {
            return Err(ClientError::InvalidInput(
                "the officer's name is required".into(),
            ));
        }
        let code = parse_enrolment_payload(payload)?;
        let server =
            ServerUrl::new(server.or(code.server.as_deref()).ok_or_else(|| {
                ClientError::InvalidInput("no server given with the code".into())
            })?)?;
        let key = load_or_create_key(self.opts.custody.as_ref())?;
        let (enrolment, signed, package) = enrol::exchange(
            self.opts.transport.as_ref(),
            &self.settings().trusted_package_keys,
            &key,
            &code,
            &server,
            officer,
        )?;
        fsio::write_atomic(&self.path(PACKAGE_FILE), signed.as_bytes())
            .map_err(|e| ClientError::storage("saving the package", e))?;
        write_json(
            &self.path(IDENTITY_FILE),
            &enrolment,
            "saving the enrolment",
        )?;
        *lock(&self.loaded) = Some((enrolment.clone(), Arc::new(package)));
        // Best effort: a first time anchor while the phone is online.
        let _ = self.refresh_time_anchor();
        Ok(enrolment)
    }

    /// The enrolment and the verified package (read and re-verified once per process).
    pub fn enrolled(&self) -> ClientResult<(Enrolment, Arc<ElectionPackage>)> {
        let mut loaded = lock(&self.loaded);
        if let Some(l) = loaded.as_ref() {
            return Ok(l.clone());
        }
        let enrolment = self.enrolment()?.ok_or(ClientError::NotEnrolled)?;
        let note = std::fs::read(self.path(PACKAGE_FILE))
            .map_err(|e| ClientError::storage("reading the package", e))?;
        let verifier = Verifier::parse(&enrolment.package_verifier)
            .map_err(|e| ClientError::Untrusted(format!("stored package verifier: {e}")))?;
        let (package, signed) = SignedPackage::open(&note, &[verifier])
            .map_err(|e| ClientError::Untrusted(format!("stored election package: {e}")))?;
        if signed.hash() != enrolment.package_hash {
            return Err(ClientError::Untrusted(
                "the stored package changed since enrolment".into(),
            ));
        }
        let l = (enrolment, Arc::new(package));
        *loaded = Some(l.clone());
        Ok(l)
    }

    /// The enrolled station with its candidates (ballot order), for the figures screen.
    pub fn station(&self) -> ClientResult<StationView> {
        let (enrolment, package) = self.enrolled()?;
        let constituency = package
            .constituency(&enrolment.constituency)
            .ok_or_else(|| {
                ClientError::Untrusted("constituency missing from the package".into())
            })?;
        let station = constituency
            .station(enrolment.station)
            .ok_or_else(|| ClientError::Untrusted("station missing from the package".into()))?;
        Ok(StationView {
            station: station.clone(),
            constituency: constituency.clone(),
            enrolment,
        })
    }

    /// The time anchor the phone holds.
    pub fn time_anchor(&self) -> ClientResult<Option<AnchorEvidence>> {
        read_json(&self.path(ANCHOR_FILE), "reading the time anchor")
    }

    /// Fetch and keep a new time anchor.
    pub fn refresh_time_anchor(&self) -> ClientResult<AnchorEvidence> {
        let enrolment = self.enrolment()?.ok_or(ClientError::NotEnrolled)?;
        let server = ServerUrl::new(&enrolment.server)?;
        let ev = fetch_anchor(
            self.opts.transport.as_ref(),
            &server,
            &enrolment.commission_key,
            self.opts.clock.as_ref(),
        )?;
        write_json(&self.path(ANCHOR_FILE), &ev, "saving the time anchor")?;
        Ok(ev)
    }

    /// Check figures as the Presiding Officer types them (station rules and ballot order from the
    /// package).
    pub fn check_figures(&self, figures: &FormFigures) -> ClientResult<Vec<RuleViolation>> {
        let view = self.station()?;
        Ok(validate(
            figures,
            Some(&view.station),
            Some(&view.constituency.candidates),
        ))
    }

    /// Seal every page and write each durably to the outbox the moment it is sealed; then run
    /// the self-check. Nothing is sent here.
    pub fn capture(&self, request: CaptureRequest) -> ClientResult<CaptureOutcome> {
        let n = u32::try_from(request.pages.len()).unwrap_or(u32::MAX);
        if n == 0 || n > crate::manifest::MAX_PAGES {
            return Err(ClientError::InvalidInput(format!(
                "a capture has 1 to {} pages",
                crate::manifest::MAX_PAGES
            )));
        }
        if let Some(f) = &request.figures
            && f.kind() != request.form
        {
            return Err(ClientError::InvalidInput(
                "the figures are for another form".into(),
            ));
        }
        let (enrolment, package) = self.enrolled()?;
        let key = self.signing_key()?;
        if key.public_key() != enrolment.device_key {
            return Err(ClientError::Custody(
                "key custody holds another key than the enrolled one".into(),
            ));
        }
        let figure_problems = match &request.figures {
            Some(f) => self.check_figures(f)?,
            None => Vec::new(),
        };
        let capture_set = new_capture_set_id().map_err(|e| ClientError::Custody(e.to_string()))?;
        let anchor = self.time_anchor().ok().flatten();
        let _guard = lock(&self.capture_lock);
        let mut pages = Vec::with_capacity(request.pages.len());
        for (i, page) in request.pages.into_iter().enumerate() {
            let chain = self.outbox.chain_for_next_capture()?;
            let previous = chain.prev.map(|p| (chain.next_seq - 1, p));
            let input = CaptureInput {
                image: page.image,
                media_type: page.media_type,
                election: enrolment.election.clone(),
                package: Some(enrolment.package_hash),
                constituency: enrolment.constituency.clone(),
                station: enrolment.station,
                form: request.form,
                page: i as u32 + 1,
                pages: n,
                capture_set: capture_set.clone(),
                fix: page.fix,
                clock: readings_now(self.opts.clock.as_ref(), anchor.clone()),
                figures: request.figures.clone(),
                supersedes: request.supersedes.clone(),
                app: self.opts.app.clone(),
            };
            let sealed = seal(input, &key, &chain)?;
            // Durable before anything else.
            self.outbox.commit(&sealed, self.opts.clock.now().wall_ms)?;
            let ctx = phone_context(
                &enrolment,
                &package,
                previous,
                self.opts.clock.now().wall_ms,
            );
            pages.push(SealedPage {
                seq: sealed.manifest.device.seq,
                page: i as u32 + 1,
                pages: n,
                manifest_hash: sealed.manifest_hash,
                image_sha256: sealed.manifest.image.sha256,
                self_check: self_check(&sealed, &ctx),
                agent_copy: AgentCopy::for_capture(
                    &sealed.manifest,
                    sealed.manifest_hash,
                    sealed.signature,
                )
                .to_payload(),
            });
        }
        Ok(CaptureOutcome {
            capture_set,
            pages,
            figure_problems,
        })
    }

    /// Every outbox item, oldest first.
    pub fn items(&self) -> ClientResult<Vec<OutboxItem>> {
        self.outbox.items()
    }

    /// One sync pass (see [`crate::client::uploader`]). `force` ignores the backoff schedule.
    pub fn sync(&self, force: bool) -> ClientResult<SyncReport> {
        let _guard = lock(&self.sync_lock);
        let enrolment = self.enrolment()?.ok_or(ClientError::NotEnrolled)?;
        let server = ServerUrl::new(&enrolment.server)?;
        let settings = self.settings();
        let clock = self.opts.clock.clone();
        let now_ms = move || clock.now().wall_ms;
        let device_key = self.signing_key()?;
        let uploader = Uploader {
            outbox: &self.outbox,
            transport: self.opts.transport.as_ref(),
            server: &server,
            receipt_key: enrolment.commission_key,
            device_key: &device_key,
            tuning: UploadTuning {
                chunk_bytes: settings.chunk_bytes,
                patch_checksum: settings.patch_checksum,
                backoff: Backoff {
                    base_ms: settings.backoff_base_ms,
                    cap_ms: settings.backoff_cap_ms,
                },
            },
            listener: self.opts.listener.as_deref(),
            now_ms: &now_ms,
        };
        let mut report = uploader.sync(force)?;
        if report.last_error.is_none() {
            // What the server says later about each capture: its log inclusion, a recapture
            // request. A failure here leaves the uploads as they are; the next sync asks again.
            let found = follow_up(&self.outbox, self.opts.transport.as_ref(), &server)?;
            report.log_inclusions_updated = found.log_inclusions_updated;
            report.last_error = found.last_error;
        }
        report.recaptures_pending =
            u32::try_from(recapture::pending(&self.outbox)?.len()).unwrap_or(u32::MAX);
        if report.last_error.is_none() {
            self.refresh_anchor_if_stale(&settings);
        }
        Ok(report)
    }

    fn refresh_anchor_if_stale(&self, settings: &Settings) {
        let now = self.opts.clock.now();
        let stale = match self.time_anchor() {
            Ok(Some(a)) => {
                a.boot_id != now.boot_id
                    || now.monotonic_ms.saturating_sub(a.received_monotonic_ms)
                        > settings.anchor_refresh_ms
            }
            _ => true,
        };
        if stale {
            let _ = self.refresh_time_anchor();
        }
    }

    /// Sync until nothing is pending, sleeping out the backoff, for at most `max_wait_ms`.
    pub fn sync_until_settled(&self, max_wait_ms: u64) -> ClientResult<SyncReport> {
        let start = std::time::Instant::now();
        loop {
            let report = self.sync(false)?;
            let elapsed = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            if report.settled() || elapsed >= max_wait_ms {
                return Ok(report);
            }
            // At least 10 ms, but never past the deadline (which is more than `elapsed`).
            let wait = report
                .next_attempt_in_ms
                .unwrap_or(100)
                .max(10)
                .min(max_wait_ms - elapsed);
            std::thread::sleep(std::time::Duration::from_millis(wait));
        }
    }

    /// Put an item that needs attention back in the queue (the Presiding Officer pressed retry).
    pub fn retry(&self, seq: u64) -> ClientResult<()> {
        let _guard = lock(&self.sync_lock);
        let mut item = self.outbox.load(seq)?;
        item.state.needs_attention = None;
        item.state.attempts = 0;
        item.state.next_attempt_at_ms = 0;
        self.outbox.save_state(seq, &item.state)
    }

    /// Remove a verified item and its bundle (the Presiding Officer cleared it).
    pub fn clear(&self, seq: u64) -> ClientResult<()> {
        let _guard = lock(&self.sync_lock);
        self.outbox.clear(seq)
    }

    /// The evidence bundle bytes of an item (with the verified receipt once verified).
    pub fn bundle(&self, seq: u64) -> ClientResult<Vec<u8>> {
        Ok(self.outbox.bundle(seq)?.to_bytes())
    }

    /// The Returning Officer's requests for new captures that are not answered yet.
    pub fn recapture_requests(&self) -> ClientResult<Vec<PendingRecapture>> {
        recapture::pending(&self.outbox)
    }

    /// Capture in answer to the recapture request for item `seq`: the new capture's manifests
    /// name the old one in `supersedes` (its manifest hash and the request's reason code).
    pub fn recapture(&self, seq: u64, mut request: CaptureRequest) -> ClientResult<CaptureOutcome> {
        let (supersedes, record) = recapture::supersedes_for(&self.outbox, seq)?;
        let old = self.outbox.load(seq)?;
        if request.form != old.manifest.form {
            return Err(ClientError::InvalidInput(
                "a recapture is of the same form as the capture it replaces".into(),
            ));
        }
        request.supersedes = Some(supersedes);
        let outcome = self.capture(request)?;
        if let Some(first) = outcome.pages.first() {
            recapture::mark_answered(&self.outbox, seq, record, first.manifest_hash)?;
        }
        Ok(outcome)
    }

    /// The newest log inclusion the server gave for item `seq` (leaf and tlog-proof).
    pub fn log_inclusion(&self, seq: u64) -> ClientResult<Option<crate::wire::LogInclusion>> {
        self.outbox.log_inclusion(seq)
    }

    /// The agent-copy QR text of an item.
    pub fn agent_copy(&self, seq: u64) -> ClientResult<String> {
        let item = self.outbox.load(seq)?;
        Ok(AgentCopy::for_capture(&item.manifest, item.manifest_hash, item.signature).to_payload())
    }

    /// Counts by stage.
    pub fn summary(&self) -> ClientResult<OutboxSummary> {
        let mut s = OutboxSummary::default();
        let Scan { items, unreadable } = self.outbox.scan()?;
        for item in items {
            if item.state.needs_attention.is_some() {
                s.needs_attention += 1;
                continue;
            }
            match item.state.stage {
                Stage::Sealed => s.sealed += 1,
                Stage::ManifestAcknowledged | Stage::Uploading | Stage::Received => {
                    s.uploading += 1
                }
                Stage::Verified => s.verified += 1,
            }
        }
        s.unreadable = u32::try_from(unreadable.len()).unwrap_or(u32::MAX);
        Ok(s)
    }
}

/// How many items are where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxSummary {
    pub sealed: u32,
    pub uploading: u32,
    pub verified: u32,
    pub needs_attention: u32,
    /// Items whose files cannot be read (damaged storage): left on disk, never sent.
    pub unreadable: u32,
}
