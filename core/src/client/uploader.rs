//! The uploader: moves outbox items to the server, one state machine per item.
//!
//! ```text
//! sealed ──POST /captures──▶ manifest_acknowledged ──tus create/HEAD──▶ uploading(offset N)
//!    ──PATCH from the server's offset…──▶ received (final receipt stored) ──verify──▶ verified
//! any step ──error retrying cannot fix──▶ needs_attention (with the server's problem)
//! ```
//!
//! Order: a sync pass first sends every pending manifest, oldest first (small: the signed hash
//! and the figures reach the server within seconds even on 2G), then uploads images oldest first.
//! Network errors (and 5xx, 429, 423, offset conflicts) are retried forever with exponential
//! backoff and jitter; a pass stops at the first network failure. Errors retrying cannot fix (the
//! server's 4xx problems, a receipt that does not verify) park the item in `needs_attention` with
//! the reason; the Presiding Officer can ask to retry it. Every state change is written to disk
//! before the next request, and every request is idempotent on the server, so a crash or kill at
//! any point resumes from the stored state.

use crate::client::api::{CaptureStatus, ServerUrl, SubmissionResponse, parse_json};
use crate::client::backoff::Backoff;
use crate::client::error::{ClientError, ClientResult};
use crate::client::http::HttpTransport;
use crate::client::outbox::{Attention, ItemState, Outbox, OutboxItem, Scan, Stage};
use crate::client::tus;
use crate::hash::Sha256Digest;
use crate::keys::{DeviceKey, PublicKey, SignatureBytes};
use crate::receipt::{Receipt, ReceiptStatus};

/// Something that happened while syncing (for progress bars and notifications).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    StageChanged {
        seq: u64,
        manifest_hash: Sha256Digest,
        stage: Stage,
    },
    Progress {
        seq: u64,
        offset: u64,
        total: u64,
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

/// Receives [`SyncEvent`]s (the shells forward them to the UI).
pub trait SyncListener: Send + Sync {
    fn on_event(&self, event: &SyncEvent);
}

/// What a sync pass did and where the outbox stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub manifests_acknowledged: u32,
    pub images_completed: u32,
    /// Items verified (in total, not only in this pass).
    pub verified: u32,
    /// Items still to send (not verified, not needing attention).
    pub pending: u32,
    pub needs_attention: u32,
    /// Items whose files cannot be read (storage damaged under them): never sent, left on disk.
    pub unreadable: u32,
    /// The last retryable error of this pass.
    pub last_error: Option<String>,
    /// When the earliest waiting item is due, from now (None: nothing waiting).
    pub next_attempt_in_ms: Option<u64>,
    /// Image bytes sent in PATCH bodies during this pass.
    pub bytes_sent: u64,
    /// Captures whose kept log inclusion was replaced by a newer one in this pass
    /// ([`crate::client::follow_up`]).
    pub log_inclusions_updated: u32,
    /// Recapture requests the Presiding Officer has not answered yet (in total).
    pub recaptures_pending: u32,
}

impl SyncReport {
    /// Nothing left to send (some items may need attention).
    pub fn settled(&self) -> bool {
        self.pending == 0
    }
}

/// Upload tuning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadTuning {
    pub chunk_bytes: u64,
    pub patch_checksum: bool,
    pub backoff: Backoff,
}

/// One sync pass over an outbox.
pub struct Uploader<'a> {
    pub outbox: &'a Outbox,
    pub transport: &'a dyn HttpTransport,
    pub server: &'a ServerUrl,
    pub receipt_key: PublicKey,
    /// The device's key: it signed the outbox's manifests, and signs the upload authorisation
    /// ([`crate::seal::upload_auth`]) the server asks for on every tus request.
    pub device_key: &'a DeviceKey,
    pub tuning: UploadTuning,
    pub listener: Option<&'a dyn SyncListener>,
    pub now_ms: &'a dyn Fn() -> i64,
}

impl std::fmt::Debug for Uploader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

enum Step {
    /// Retry later (network or transient server problem).
    Retry(ClientError),
    /// Retrying cannot help.
    Attention(ClientError),
}

fn classify(e: ClientError) -> Step {
    if e.is_retryable() {
        Step::Retry(e)
    } else {
        Step::Attention(e)
    }
}

impl Uploader<'_> {
    fn emit(&self, e: SyncEvent) {
        if let Some(l) = self.listener {
            l.on_event(&e);
        }
    }

    fn set_stage(&self, item: &mut OutboxItem, stage: Stage) -> ClientResult<()> {
        item.state.stage = stage;
        item.state.attempts = 0;
        item.state.last_error = None;
        self.outbox.save_state(item.seq, &item.state)?;
        self.emit(SyncEvent::StageChanged {
            seq: item.seq,
            manifest_hash: item.manifest_hash,
            stage,
        });
        Ok(())
    }

    fn due(&self, state: &ItemState, now: i64, force: bool) -> bool {
        // A wall clock moved backwards must not stall the outbox beyond one backoff ceiling.
        force
            || state.next_attempt_at_ms <= now
            || state.next_attempt_at_ms - now > self.tuning.backoff.cap_ms as i64
    }

    /// Run one pass. `force` ignores the backoff schedule (the user pressed "send now", or the
    /// platform reports connectivity is back).
    pub fn sync(&self, force: bool) -> ClientResult<SyncReport> {
        let mut report = SyncReport::default();
        let mut network_down = false;
        let now = (self.now_ms)();

        // Phase A: manifests, oldest first.
        for mut item in self.outbox.items()? {
            if network_down {
                break;
            }
            if item.state.stage != Stage::Sealed
                || item.state.needs_attention.is_some()
                || !self.due(&item.state, now, force)
            {
                continue;
            }
            match self.send_manifest(&mut item) {
                Ok(()) => report.manifests_acknowledged += 1,
                Err(e) => network_down = self.failed(&mut item, e, &mut report)?,
            }
        }

        // Phase B: images, oldest first.
        for mut item in self.outbox.items()? {
            if network_down {
                break;
            }
            if !matches!(
                item.state.stage,
                Stage::ManifestAcknowledged | Stage::Uploading | Stage::Received
            ) || item.state.needs_attention.is_some()
                || !self.due(&item.state, now, force)
            {
                continue;
            }
            match self.send_image(&mut item, &mut report) {
                Ok(()) => report.images_completed += 1,
                Err(e) => network_down = self.failed(&mut item, e, &mut report)?,
            }
        }

        let now = (self.now_ms)();
        let Scan { items, unreadable } = self.outbox.scan()?;
        for item in items {
            if item.state.stage == Stage::Verified {
                report.verified += 1;
            } else if item.state.needs_attention.is_some() {
                report.needs_attention += 1;
            } else {
                report.pending += 1;
                let wait =
                    u64::try_from(item.state.next_attempt_at_ms.saturating_sub(now)).unwrap_or(0);
                report.next_attempt_in_ms =
                    Some(report.next_attempt_in_ms.map_or(wait, |w| w.min(wait)));
            }
        }
        report.unreadable = u32::try_from(unreadable.len()).unwrap_or(u32::MAX);
        Ok(report)
    }

    /// Record a failure; returns whether the network is down (stop the pass).
    fn failed(
        &self,
        item: &mut OutboxItem,
        e: ClientError,
        report: &mut SyncReport,
    ) -> ClientResult<bool> {
        match classify(e) {
            Step::Retry(e) => {
                if let ClientError::Storage { .. } = e {
                    return Err(e);
                }
                item.state.attempts = item.state.attempts.saturating_add(1);
                let delay = self.tuning.backoff.delay_ms(item.state.attempts);
                item.state.next_attempt_at_ms = (self.now_ms)().saturating_add(delay as i64);
                item.state.last_error = Some(e.to_string());
                self.outbox.save_state(item.seq, &item.state)?;
                self.emit(SyncEvent::RetryScheduled {
                    seq: item.seq,
                    delay_ms: delay,
                    error: e.to_string(),
                });
                report.last_error = Some(e.to_string());
                Ok(true)
            }
            Step::Attention(e) => {
                let problem = match &e {
                    ClientError::Server(p) => Some(p.clone()),
                    _ => None,
                };
                let reason = match &problem {
                    Some(p) if !p.detail.is_empty() => format!("{}: {}", p.slug(), p.detail),
                    _ => e.to_string(),
                };
                item.state.needs_attention = Some(Attention {
                    reason: reason.clone(),
                    problem,
                    at_ms: (self.now_ms)(),
                });
                item.state.last_error = Some(e.to_string());
                self.outbox.save_state(item.seq, &item.state)?;
                self.emit(SyncEvent::NeedsAttention {
                    seq: item.seq,
                    reason,
                });
                Ok(false)
            }
        }
    }

    fn check_receipt(&self, item: &OutboxItem, receipt: &Receipt) -> ClientResult<()> {
        receipt
            .verify_for(&item.manifest_hash, std::slice::from_ref(&self.receipt_key))
            .map_err(|e| ClientError::Untrusted(format!("receipt: {e}")))?;
        if receipt.body.status >= ReceiptStatus::ImageReceived
            && receipt.body.image_sha256 != Some(item.manifest.image.sha256)
        {
            return Err(ClientError::Untrusted(
                "the receipt names a different image".into(),
            ));
        }
        Ok(())
    }

    fn send_manifest(&self, item: &mut OutboxItem) -> ClientResult<()> {
        let req = self
            .server
            .submit_manifest_request(&item.manifest_bytes, &item.signature)?;
        let resp = self.transport.execute(req)?;
        let answer: SubmissionResponse = parse_json(&resp, &[200, 201])?;
        self.check_receipt(item, &answer.receipt)?;
        item.state.manifest_receipt = Some(answer.receipt.clone());
        if answer.receipt.body.status >= ReceiptStatus::ImageReceived {
            // The server already has the image (a resend after a crash): finish.
            return self.finish(item, &answer.receipt);
        }
        self.set_stage(item, Stage::ManifestAcknowledged)
    }

    fn create_upload(
        &self,
        item: &OutboxItem,
        total: u64,
        auth: &SignatureBytes,
    ) -> ClientResult<(String, u64)> {
        let endpoint = self.server.join(tus::DEFAULT_UPLOAD_ENDPOINT);
        let resp = self.transport.execute(tus::creation_request(
            &endpoint,
            total,
            &item.manifest_hash,
            auth,
        ))?;
        tus::parse_creation(&resp, self.server)
    }

    fn server_offset(&self, url: &str, auth: &SignatureBytes) -> ClientResult<u64> {
        let resp = self.transport.execute(tus::head_request(url, auth))?;
        tus::parse_head(&resp)
    }

    fn send_image(&self, item: &mut OutboxItem, report: &mut SyncReport) -> ClientResult<()> {
        if item.state.stage != Stage::Received {
            let image = self.outbox.image(item.seq)?;
            let auth = crate::seal::upload_auth(self.device_key, &item.manifest_hash);
            let total = image.len() as u64;
            // Where does the server stand? Ask, never assume.
            let (url, mut offset) = match item.state.upload_url.clone() {
                Some(url) => match self.server_offset(&url, &auth) {
                    Ok(o) => (url, o),
                    Err(ClientError::Server(p)) if p.status == 404 || p.status == 410 => {
                        self.create_upload(item, total, &auth)?
                    }
                    Err(e) => return Err(e),
                },
                None => self.create_upload(item, total, &auth)?,
            };
            if offset > total {
                return Err(ClientError::Protocol(format!(
                    "server offset {offset} beyond the image ({total})"
                )));
            }
            item.state.upload_url = Some(url.clone());
            item.state.offset = offset;
            if item.state.stage != Stage::Uploading {
                self.set_stage(item, Stage::Uploading)?;
            } else {
                self.outbox.save_state(item.seq, &item.state)?;
            }
            let mut conflicts = 0;
            // The answer that completes the upload carries the verified receipt.
            let mut carried: Option<Receipt> = None;
            while offset < total {
                let end = total.min(offset.saturating_add(self.tuning.chunk_bytes.max(1)));
                let chunk = &image[offset as usize..end as usize];
                let resp = self.transport.execute(tus::patch_request(
                    &url,
                    offset,
                    chunk,
                    self.tuning.patch_checksum,
                    &auth,
                ))?;
                match tus::parse_patch(&resp) {
                    Ok(new) if new > offset && new <= total => {
                        report.bytes_sent += new - offset;
                        offset = new;
                        if new == total {
                            carried = tus::receipt_of(&resp);
                        }
                    }
                    Ok(new) => {
                        return Err(ClientError::Protocol(format!(
                            "PATCH at {offset} answered offset {new}"
                        )));
                    }
                    Err(ClientError::Server(p))
                        if p.slug() == "offset-conflict" && conflicts < 3 =>
                    {
                        conflicts += 1;
                        offset = self.server_offset(&url, &auth)?;
                    }
                    Err(e) => return Err(e),
                }
                item.state.offset = offset;
                self.outbox.save_state(item.seq, &item.state)?;
                self.emit(SyncEvent::Progress {
                    seq: item.seq,
                    offset,
                    total,
                });
            }
            // The last PATCH answers only once the server has stored and verified the image, with
            // the receipt; ask for it when that answer did not carry it (or the upload was found
            // complete).
            // A receipt is kept only once it verifies: a bad one is never stored, so the next
            // pass (or the officer's retry) asks the server again.
            let receipt = match carried {
                Some(r)
                    if r.body.status >= ReceiptStatus::ImageReceived
                        && self.check_receipt(item, &r).is_ok() =>
                {
                    r
                }
                _ => {
                    let resp = self
                        .transport
                        .execute(self.server.capture_status_request(&item.manifest_hash))?;
                    let asked = parse_json::<CaptureStatus>(&resp, &[200])?.receipt;
                    if asked.body.status < ReceiptStatus::ImageReceived {
                        return Err(ClientError::Protocol(
                            "the upload is complete but the receipt does not say so yet".into(),
                        ));
                    }
                    self.check_receipt(item, &asked)?;
                    asked
                }
            };
            item.state.final_receipt = Some(receipt);
            self.set_stage(item, Stage::Received)?;
        }
        let receipt = item
            .state
            .final_receipt
            .clone()
            .ok_or_else(|| ClientError::Protocol("received without a receipt".into()))?;
        self.finish(item, &receipt)
    }

    /// Check the final receipt, then keep the bundle and drop the image copy.
    fn finish(&self, item: &mut OutboxItem, receipt: &Receipt) -> ClientResult<()> {
        self.check_receipt(item, receipt)?;
        if receipt.body.status < ReceiptStatus::ImageReceived {
            return Err(ClientError::Protocol(
                "the receipt does not cover the image yet".into(),
            ));
        }
        item.state = self.outbox.complete(item.seq, receipt)?;
        self.emit(SyncEvent::StageChanged {
            seq: item.seq,
            manifest_hash: item.manifest_hash,
            stage: Stage::Verified,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use base64::Engine;

    use super::*;
    use crate::client::http::{HttpRequest, HttpResponse, TransportError};
    use crate::client::outbox::Outbox;
    use crate::receipt::{RECEIPT_HEADER, ReceiptBody};
    use crate::seal::{ChainState, seal};
    use crate::wire::{CaptureStatus, SubmissionResponse};
    use crate::{demo, keys::DeviceKey};

    /// A server that answers the uploader's requests, and whose upload answer carries a receipt
    /// signed by a key the phone does not trust.
    struct Server {
        manifest_hash: Sha256Digest,
        image_sha256: Sha256Digest,
        requests: Mutex<Vec<String>>,
    }

    impl Server {
        fn receipt(&self, key: &DeviceKey, status: ReceiptStatus) -> Receipt {
            let image = status >= ReceiptStatus::ImageReceived;
            Receipt::issue(
                key,
                ReceiptBody {
                    v: 1,
                    manifest_hash: self.manifest_hash,
                    received_at_ms: 5,
                    status,
                    image_sha256: image.then_some(self.image_sha256),
                    image_received_at_ms: image.then_some(6),
                    verdict: image.then(|| "verified".into()),
                    server_key: key.public_key(),
                    log_index: None,
                },
            )
            .unwrap()
        }
    }

    impl HttpTransport for Server {
        fn execute(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.requests
                .lock()
                .unwrap()
                .push(format!("{} {}", req.method, req.url));
            let json = |status: u16, v: serde_json::Value| HttpResponse {
                status,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: serde_json::to_vec(&v).unwrap(),
            };
            let trusted = demo::server_key();
            Ok(match (req.method.as_str(), req.url.as_str()) {
                ("POST", "http://server/api/v1/captures") => json(
                    201,
                    serde_json::to_value(SubmissionResponse {
                        manifest_hash: self.manifest_hash.to_hex(),
                        status: "manifest_received".into(),
                        receipt: self.receipt(&trusted, ReceiptStatus::ManifestReceived),
                        upload_endpoint: "/api/v1/uploads".into(),
                    })
                    .unwrap(),
                ),
                ("POST", "http://server/api/v1/uploads") => HttpResponse {
                    status: 201,
                    headers: vec![
                        ("Location".into(), "/api/v1/uploads/u".into()),
                        ("Upload-Offset".into(), "0".into()),
                    ],
                    body: vec![],
                },
                ("PATCH", "http://server/api/v1/uploads/u") => {
                    let forged =
                        self.receipt(&DeviceKey::from_seed(&[9; 32]), ReceiptStatus::Verified);
                    HttpResponse {
                        status: 204,
                        headers: vec![
                            ("Upload-Offset".into(), req.body.len().to_string()),
                            (
                                RECEIPT_HEADER.into(),
                                base64::engine::general_purpose::STANDARD
                                    .encode(serde_json::to_vec(&forged).unwrap()),
                            ),
                        ],
                        body: vec![],
                    }
                }
                ("GET", url) if url.starts_with("http://server/api/v1/captures/") => json(
                    200,
                    serde_json::to_value(CaptureStatus {
                        manifest_hash: self.manifest_hash.to_hex(),
                        status: "verified".into(),
                        election: String::new(),
                        constituency: String::new(),
                        station: 1,
                        received_at_ms: 5,
                        image_received_at_ms: Some(6),
                        verdict: Some("verified".into()),
                        receipt: self.receipt(&trusted, ReceiptStatus::Verified),
                        report: None,
                        recapture: None,
                        log: None,
                    })
                    .unwrap(),
                ),
                _ => HttpResponse {
                    status: 404,
                    headers: vec![],
                    body: vec![],
                },
            })
        }
    }

    /// A receipt carried by the completing answer that does not verify is not kept: the
    /// uploader asks the server for the receipt instead, and the capture completes with that one
    /// (a kept bad receipt would park it for good, retry or not).
    #[test]
    fn a_carried_receipt_that_does_not_verify_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        let input = demo::capture_input(b"\xff\xd8 image \xff\xd9".to_vec(), None, demo::STATION_1)
            .unwrap();
        let device = demo::device_key();
        let sealed = seal(input, &device, &ChainState::genesis()).unwrap();
        outbox.commit(&sealed, 1).unwrap();
        let server = Server {
            manifest_hash: sealed.manifest_hash,
            image_sha256: sealed.manifest.image.sha256,
            requests: Mutex::new(Vec::new()),
        };
        let url = ServerUrl::new("http://server").unwrap();
        let uploader = Uploader {
            outbox: &outbox,
            transport: &server,
            server: &url,
            receipt_key: demo::server_key().public_key(),
            device_key: &device,
            tuning: UploadTuning {
                chunk_bytes: 1 << 20,
                patch_checksum: false,
                backoff: Backoff {
                    base_ms: 1,
                    cap_ms: 1,
                },
            },
            listener: None,
            now_ms: &|| 10,
        };
        let report = uploader.sync(true).unwrap();
        assert_eq!(
            (report.verified, report.needs_attention),
            (1, 0),
            "{report:?}"
        );
        let requests = server.requests.lock().unwrap();
        assert_eq!(
            requests.last().unwrap(),
            &format!("GET http://server/api/v1/captures/{}", sealed.manifest_hash)
        );
        let item = outbox.load(1).unwrap();
        assert_eq!(item.state.stage, Stage::Verified);
        assert_eq!(
            item.state.final_receipt.unwrap().body.server_key,
            demo::server_key().public_key()
        );
    }
}
