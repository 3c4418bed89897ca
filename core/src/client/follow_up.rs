//! After the upload: what the server says later about each capture it has, read at every sync.
//!
//! For every outbox item the server has acknowledged, the capture's status
//! (`GET /api/v1/captures/{hash}`, [`CaptureStatus`]) may carry
//! - `log`: the capture's leaf in the public transparency log and its tlog-proof. The phone keeps
//!   the newest one with the item ([`Outbox::save_log_inclusion`]) once it has checked that the
//!   leaf is this capture's and that the proof holds for the checkpoint it carries, and puts it
//!   in the evidence bundle it exports. The checkpoint's signatures are checked by whoever
//!   verifies the bundle (`tallyseal verify --log-key`).
//! - `recapture`: the Returning Officer asks for a new capture. Kept with the item
//!   ([`Outbox::save_recapture`]) until the Presiding Officer answers it with a capture whose
//!   manifest `supersedes` this one.
//!
//! A status the phone cannot use (a leaf for another capture, a proof that does not hold) is not
//! kept and does not stop the sync; a network failure ends the pass (the next sync asks again).
//! It never changes an item's upload state.

use crate::client::api::{CaptureStatus, ServerUrl, parse_json};
use crate::client::error::{ClientError, ClientResult};
use crate::client::http::HttpTransport;
use crate::client::outbox::{Outbox, OutboxItem, RecaptureRecord, Stage};
use crate::log::inclusion::LogInclusionProof;
use crate::wire::LogInclusion;

/// What a follow-up pass found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpReport {
    /// Items whose kept log inclusion was replaced by a newer one.
    pub log_inclusions_updated: u32,
    /// Recapture requests received in this pass (new or changed).
    pub recaptures_received: u32,
    /// Statuses the phone refused (a log inclusion that is not this capture's or does not hold).
    pub refused: Vec<String>,
    /// The network or server error that ended the pass, if any.
    pub last_error: Option<String>,
}

/// Check a log inclusion from the server for `item`: the leaf is this capture's and the proof
/// holds for the checkpoint it carries.
pub fn check_log_inclusion(item: &OutboxItem, log: &LogInclusion) -> Result<(), String> {
    let inclusion = LogInclusionProof::from_wire(log).map_err(|e| e.to_string())?;
    if inclusion.manifest_hash() != Some(item.manifest_hash) {
        return Err("the log leaf is not about this capture".into());
    }
    inclusion
        .proof
        .check_inclusion_unsigned(inclusion.leaf_hash())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn is_newer(kept: Option<&LogInclusion>, new: &LogInclusion) -> bool {
    let Some(kept) = kept else {
        return true;
    };
    match (
        LogInclusionProof::from_wire(kept),
        LogInclusionProof::from_wire(new),
    ) {
        (Ok(k), Ok(n)) => k.is_superseded_by(&n),
        (Err(_), Ok(_)) => true,
        _ => false,
    }
}

/// Ask the server about every acknowledged item; keep what is new.
pub fn follow_up(
    outbox: &Outbox,
    transport: &dyn HttpTransport,
    server: &ServerUrl,
) -> ClientResult<FollowUpReport> {
    let mut report = FollowUpReport::default();
    for item in outbox.items()? {
        if item.state.stage < Stage::ManifestAcknowledged {
            continue;
        }
        let status = match transport
            .execute(server.capture_status_request(&item.manifest_hash))
            .map_err(ClientError::from)
            .and_then(|resp| parse_json::<CaptureStatus>(&resp, &[200]))
        {
            Ok(s) => s,
            Err(e) if e.is_retryable() => {
                report.last_error = Some(e.to_string());
                break;
            }
            Err(e) => {
                report.refused.push(format!("capture {}: {e}", item.seq));
                continue;
            }
        };
        if let Some(log) = &status.log {
            match check_log_inclusion(&item, log) {
                Err(why) => report
                    .refused
                    .push(format!("capture {}: log inclusion: {why}", item.seq)),
                Ok(()) => {
                    if is_newer(outbox.log_inclusion(item.seq)?.as_ref(), log) {
                        outbox.save_log_inclusion(item.seq, log)?;
                        report.log_inclusions_updated += 1;
                    }
                }
            }
        }
        if let Some(request) = status.recapture {
            let kept = outbox.recapture(item.seq)?;
            if kept.as_ref().map(|k| &k.request) != Some(&request) {
                outbox.save_recapture(
                    item.seq,
                    &RecaptureRecord {
                        request,
                        answered_by: None,
                    },
                )?;
                report.recaptures_received += 1;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::bundle::EvidenceBundle;
    use crate::client::http::{HttpRequest, HttpResponse, TransportError};
    use crate::client::recapture;
    use crate::demo;
    use crate::keys::DeviceKey;
    use crate::log::checkpoint::Checkpoint;
    use crate::log::leaf::{LeafBody, LogEvent};
    use crate::log::merkle::MemoryHashStore;
    use crate::log::proof::{LogPolicy, TlogProof};
    use crate::note::Signer;
    use crate::receipt::{Receipt, ReceiptBody, ReceiptStatus};
    use crate::seal::{ChainState, SealedCapture, seal};
    use crate::verify::{CheckId, Outcome, VerificationContext, verify_bundle_with_log};
    use crate::wire::RecaptureRequest;

    const ORIGIN: &str = "tallyseal.example/log";

    fn log_signer() -> Signer {
        Signer::new(ORIGIN, DeviceKey::from_seed(&[5; 32])).unwrap()
    }

    /// The capture's `manifest_received` leaf at index `index` of a log of `size` leaves.
    fn inclusion_for(manifest: crate::hash::Sha256Digest, index: u8, size: u8) -> LogInclusion {
        let leaf = |i: u8| {
            let manifest_hash = if i == index {
                manifest
            } else {
                crate::hash::sha256(&[i])
            };
            LeafBody {
                event: LogEvent::ManifestReceived {
                    manifest_hash,
                    received_at_ms: i64::from(i),
                },
                logged_at_ms: i64::from(i),
            }
            .to_leaf_bytes()
            .unwrap()
        };
        let mut store = MemoryHashStore::new();
        for i in 0..size {
            store.append(&leaf(i)).unwrap();
        }
        let cp = Checkpoint::new(ORIGIN, store.size(), store.root().unwrap());
        let note = cp.sign(&log_signer()).unwrap();
        let hashes = store
            .inclusion_proof(u64::from(index), store.size())
            .unwrap();
        LogInclusionProof::new(leaf(index), TlogProof::new(u64::from(index), hashes, note))
            .unwrap()
            .to_wire()
    }

    /// A server whose capture status carries what the test puts in it.
    struct Server {
        status: Mutex<CaptureStatus>,
        down: Mutex<bool>,
    }

    impl HttpTransport for Server {
        fn execute(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
            if *self.down.lock().unwrap() {
                return Err(TransportError::Connect("no network".into()));
            }
            assert_eq!(req.method, "GET");
            Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body: serde_json::to_vec(&*self.status.lock().unwrap()).unwrap(),
            })
        }
    }

    fn sealed(chain: &ChainState) -> SealedCapture {
        let input = demo::capture_input(b"\xff\xd8 image \xff\xd9".to_vec(), None, demo::STATION_1)
            .unwrap();
        seal(input, &demo::device_key(), chain).unwrap()
    }

    fn verified_outbox(dir: &std::path::Path) -> (Outbox, SealedCapture) {
        let outbox = Outbox::open(dir).unwrap();
        let a = sealed(&outbox.chain_for_next_capture().unwrap());
        outbox.commit(&a, 1).unwrap();
        let server = demo::server_key();
        let receipt = Receipt::issue(
            &server,
            ReceiptBody {
                v: 1,
                manifest_hash: a.manifest_hash,
                received_at_ms: 5,
                status: ReceiptStatus::Verified,
                image_sha256: Some(a.manifest.image.sha256),
                image_received_at_ms: Some(6),
                verdict: Some("verified".into()),
                server_key: server.public_key(),
                log_index: None,
            },
        )
        .unwrap();
        outbox.complete(1, &receipt).unwrap();
        (outbox, a)
    }

    fn status(a: &SealedCapture) -> CaptureStatus {
        CaptureStatus {
            manifest_hash: a.manifest_hash.to_hex(),
            status: "verified".into(),
            election: String::new(),
            constituency: String::new(),
            station: 1,
            received_at_ms: 5,
            image_received_at_ms: Some(6),
            verdict: Some("verified".into()),
            receipt: Receipt::issue(
                &demo::server_key(),
                ReceiptBody {
                    v: 1,
                    manifest_hash: a.manifest_hash,
                    received_at_ms: 5,
                    status: ReceiptStatus::ManifestReceived,
                    image_sha256: None,
                    image_received_at_ms: None,
                    verdict: None,
                    server_key: demo::server_key().public_key(),
                    log_index: None,
                },
            )
            .unwrap(),
            report: None,
            recapture: None,
            log: None,
        }
    }

    #[test]
    fn the_newest_log_inclusion_is_kept_and_exported_in_the_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let (outbox, a) = verified_outbox(dir.path());
        let url = ServerUrl::new("http://server").unwrap();
        let mut st = status(&a);
        st.log = Some(inclusion_for(a.manifest_hash, 2, 4));
        let server = Server {
            status: Mutex::new(st),
            down: Mutex::new(false),
        };
        let r = follow_up(&outbox, &server, &url).unwrap();
        assert_eq!((r.log_inclusions_updated, r.refused.len()), (1, 0), "{r:?}");
        let kept = outbox.log_inclusion(1).unwrap().unwrap();
        assert_eq!(kept.leaf_index, 2);

        // The exported bundle carries it, and it verifies against the log key offline.
        let bundle = EvidenceBundle::from_bytes(&outbox.bundle(1).unwrap().to_bytes()).unwrap();
        assert!(bundle.receipt.is_some() && bundle.log_proof.is_some());
        let policy = LogPolicy::for_log_key(log_signer().verifier(), Vec::new(), 0).unwrap();
        let report =
            verify_bundle_with_log(&bundle, &VerificationContext::default(), Some(&policy));
        let check = report.check(CheckId::LogInclusion).unwrap();
        assert_eq!(check.outcome, Outcome::Pass, "{}", check.reason);

        // A larger tree replaces it; an older one does not; the same one is not rewritten.
        server.status.lock().unwrap().log = Some(inclusion_for(a.manifest_hash, 2, 9));
        assert_eq!(
            follow_up(&outbox, &server, &url)
                .unwrap()
                .log_inclusions_updated,
            1
        );
        assert_eq!(
            follow_up(&outbox, &server, &url)
                .unwrap()
                .log_inclusions_updated,
            0
        );
        server.status.lock().unwrap().log = Some(inclusion_for(a.manifest_hash, 2, 5));
        assert_eq!(
            follow_up(&outbox, &server, &url)
                .unwrap()
                .log_inclusions_updated,
            0
        );
        let kept = outbox.log_inclusion(1).unwrap().unwrap();
        assert_eq!(
            LogInclusionProof::from_wire(&kept)
                .unwrap()
                .proof
                .unverified_checkpoint()
                .unwrap()
                .size,
            9
        );

        // A leaf for another capture, or a proof that does not hold, is refused and not kept.
        server.status.lock().unwrap().log = Some(inclusion_for(crate::hash::sha256(b"x"), 3, 12));
        let r = follow_up(&outbox, &server, &url).unwrap();
        assert_eq!((r.log_inclusions_updated, r.refused.len()), (0, 1), "{r:?}");
        let mut broken = inclusion_for(a.manifest_hash, 3, 12);
        broken.leaf_index = 4;
        broken.proof = broken.proof.replacen("index 3", "index 4", 1);
        server.status.lock().unwrap().log = Some(broken);
        let r = follow_up(&outbox, &server, &url).unwrap();
        assert_eq!((r.log_inclusions_updated, r.refused.len()), (0, 1), "{r:?}");
        assert_eq!(outbox.log_inclusion(1).unwrap().unwrap(), kept);

        // No network: the pass ends with the error, nothing kept changes.
        *server.down.lock().unwrap() = true;
        let r = follow_up(&outbox, &server, &url).unwrap();
        assert!(r.last_error.is_some());
        assert_eq!(outbox.log_inclusion(1).unwrap().unwrap(), kept);
    }

    #[test]
    fn a_recapture_request_is_pending_until_a_capture_supersedes_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let (outbox, a) = verified_outbox(dir.path());
        let url = ServerUrl::new("http://server").unwrap();
        let request = RecaptureRequest {
            request_id: "req-1".into(),
            reason_code: "illegible".into(),
            reason: "the candidate rows are blurred".into(),
            requested_at_ms: 10,
            requested_by: "ro-na-125".into(),
        };
        let mut st = status(&a);
        st.recapture = Some(request.clone());
        let server = Server {
            status: Mutex::new(st),
            down: Mutex::new(false),
        };
        assert!(recapture::pending(&outbox).unwrap().is_empty());
        let r = follow_up(&outbox, &server, &url).unwrap();
        assert_eq!(r.recaptures_received, 1);
        // The same request again is not news.
        assert_eq!(
            follow_up(&outbox, &server, &url)
                .unwrap()
                .recaptures_received,
            0
        );
        let pending = recapture::pending(&outbox).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].seq, 1);
        assert_eq!(pending[0].manifest_hash, a.manifest_hash);
        assert_eq!(pending[0].request, request);

        // The answer: a new capture whose manifest supersedes the old one, with the reason.
        let (supersedes, _) = recapture::supersedes_for(&outbox, 1).unwrap();
        assert_eq!(supersedes.manifest, a.manifest_hash);
        assert!(supersedes.reason.contains("illegible"));
        let mut input =
            demo::capture_input(b"\xff\xd8 again \xff\xd9".to_vec(), None, demo::STATION_1)
                .unwrap();
        input.supersedes = Some(supersedes);
        let b = seal(
            input,
            &demo::device_key(),
            &outbox.chain_for_next_capture().unwrap(),
        )
        .unwrap();
        outbox.commit(&b, 20).unwrap();
        // Answered (found through the new manifest even before it is recorded).
        assert!(recapture::pending(&outbox).unwrap().is_empty());
        // The old capture is still there, untouched.
        assert_eq!(outbox.load(1).unwrap().manifest_hash, a.manifest_hash);
        assert!(recapture::supersedes_for(&outbox, 2).is_err());
    }
}
