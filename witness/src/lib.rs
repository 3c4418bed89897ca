//! tallyseal-witness: a C2SP tlog-witness (https://c2sp.org/tlog-witness) that parties, observers
//! and the press can each run.
//!
//! It knows a list of logs (origin and log keys), keeps the latest checkpoint it cosigned for each
//! (durably, see [`state`]), and cosigns a new checkpoint only if it is signed by the log and
//! consistent with that one (`cosignature/v1`, Ed25519, from `tallyseal_core::log`). Checking the
//! old size, verifying and persisting happen under one lock, so two requests can never both
//! advance from the same old size, and nothing stored is ever rolled back. The stored checkpoint
//! is the body, the log signature lines that verified and the witness's cosignature: nothing else
//! a caller sent is kept or served. A checkpoint that contradicts the stored one (same size, other
//! root, or a failing proof) is refused; only a log-signed split view (same size, other root)
//! proves misbehaviour by itself, and it is recorded as evidence once per (origin, size, root), up
//! to [`state::MAX_EVIDENCE_BYTES`].
//!
//! [`Witness::add_checkpoint`] is the protocol without HTTP; [`http`] serves it with actix-web.

pub mod http;
pub mod request;
pub mod state;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use tallyseal_core::log::checkpoint::{Checkpoint, CheckpointError, open_checkpoint, peek_origin};
use tallyseal_core::log::cosignature::{CosignatureVerifier, Cosigner};
use tallyseal_core::log::merkle::{self, EMPTY_HASH, hash_to_base64, parse_hash};
use tallyseal_core::note::{NoteError, Verifier};

use crate::request::{RequestError, parse_add_checkpoint};
use crate::state::{Evidence, LogRecord, WitnessState};

/// A log the witness cosigns for.
#[derive(Debug, Clone)]
pub struct KnownLog {
    pub origin: String,
    /// The log's note keys (type 0x01); any one of them must sign the checkpoint.
    pub keys: Vec<Verifier>,
}

/// Why a checkpoint was not cosigned; each maps to the status C2SP tlog-witness prescribes.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    #[error("the checkpoint is not validly signed by the log: {0}")]
    BadSignature(String),
    #[error("old size {old} does not match the latest cosigned size {current}")]
    Conflict { old: u64, current: u64 },
    #[error("the checkpoint is not consistent with the one already cosigned: {0}")]
    Inconsistent(String),
    #[error("the witness could not store its state: {0}")]
    Storage(String),
}

impl WitnessError {
    /// The HTTP status of this refusal.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::BadSignature(_) => 403,
            Self::UnknownOrigin(_) => 404,
            Self::Conflict { .. } => 409,
            Self::Inconsistent(_) => 422,
            Self::Storage(_) => 500,
        }
    }
}

impl From<RequestError> for WitnessError {
    fn from(e: RequestError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

/// A running witness: its key, the logs it knows and its state.
#[derive(Debug)]
pub struct Witness {
    cosigner: Cosigner,
    logs: Vec<KnownLog>,
    state_path: PathBuf,
    /// The state as last persisted; held for the whole check-and-persist of a request.
    state: Mutex<WitnessState>,
    /// A copy of `state` replaced after each save, for the reads: they never wait on a request
    /// that holds `state` across its fsyncs.
    snapshot: RwLock<Arc<WitnessState>>,
    /// The split views already recorded; taken only while `state` is held.
    evidence: Mutex<EvidenceLog>,
    /// The exclusive lock on `<state>.lock`, held for the life of the witness.
    _lock: std::fs::File,
}

/// Where the lock of the state at `state_path` is taken.
pub fn lock_path(state_path: &Path) -> PathBuf {
    let mut name = state_path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Take the exclusive lock on `<state>.lock`, or refuse if another witness holds it.
fn lock_state(state_path: &Path) -> std::io::Result<std::fs::File> {
    let path = lock_path(state_path);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(std::io::Error::new(
            std::io::ErrorKind::WouldBlock,
            format!(
                "another witness is running on this state file (it holds {}): one process per state file",
                path.display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// The (origin, size, root) of every split view in the evidence file, and whether the file's size
/// cap was reported.
#[derive(Debug, Default)]
struct EvidenceLog {
    recorded: HashSet<(String, u64, String)>,
    cap_reported: bool,
}

/// The (origin, size, base64 root) of a recorded checkpoint note, if it parses.
fn evidence_key(note: &str) -> Option<(String, u64, String)> {
    let body = &note[..note.rfind("\n\n")? + 1];
    let cp = Checkpoint::parse_body(body).ok()?;
    Some((cp.origin.clone(), cp.size, hash_to_base64(&cp.root)))
}

impl Witness {
    /// Open a witness with its state file (created on the first cosignature), taking an exclusive
    /// lock on `<state>.lock` for the life of the witness: a second witness on the same state
    /// file, in this process or another, is refused with [`std::io::ErrorKind::WouldBlock`].
    pub fn open(
        cosigner: Cosigner,
        logs: Vec<KnownLog>,
        state_path: &Path,
    ) -> std::io::Result<Self> {
        let lock = lock_state(state_path)?;
        let state = state::load(state_path)?;
        let recorded = state::read_evidence(state_path)?
            .iter()
            .filter(|e| e.kind == "split_view")
            .filter_map(|e| evidence_key(&e.offered))
            .collect();
        Ok(Self {
            cosigner,
            logs,
            state_path: state_path.to_path_buf(),
            snapshot: RwLock::new(Arc::new(state.clone())),
            state: Mutex::new(state),
            evidence: Mutex::new(EvidenceLog {
                recorded,
                cap_reported: false,
            }),
            _lock: lock,
        })
    }

    /// The witness's cosigner key, as clients configure it.
    pub fn verifier(&self) -> CosignatureVerifier {
        self.cosigner.verifier()
    }

    /// Where the state is stored.
    pub fn state_path(&self) -> &Path {
        &self.state_path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WitnessState> {
        // The state is replaced only after it was persisted, so a poisoned lock still holds a
        // consistent state.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The state as last saved, without waiting for a request in progress.
    fn snapshot(&self) -> Arc<WitnessState> {
        self.snapshot
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The latest cosigned checkpoint of `origin` (the note with the witness's cosignature).
    pub fn latest(&self, origin: &str) -> Option<LogRecord> {
        self.snapshot().logs.get(origin).cloned()
    }

    /// The latest cosigned checkpoint of the log whose origin hashes (SHA-256, lowercase hex) to
    /// `origin_hash` (the monitoring path).
    pub fn latest_by_origin_hash(&self, origin_hash: &str) -> Option<LogRecord> {
        self.snapshot()
            .logs
            .iter()
            .find(|(o, _)| tallyseal_core::sha256(o.as_bytes()).to_hex() == origin_hash)
            .map(|(_, r)| r.clone())
    }

    /// Handle an `add-checkpoint` body at time `now` (POSIX seconds); returns the cosignature
    /// line(s) to answer with 200.
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> Result<String, WitnessError> {
        let req = parse_add_checkpoint(body)?;
        let origin = peek_origin(req.checkpoint)
            .ok_or_else(|| WitnessError::BadRequest("the checkpoint has no origin line".into()))?;
        let log = self
            .logs
            .iter()
            .find(|l| l.origin == origin)
            .ok_or_else(|| WitnessError::UnknownOrigin(origin.to_string()))?;
        let signed = open_checkpoint(req.checkpoint, &log.keys).map_err(|e| match e {
            CheckpointError::Note(
                NoteError::NoVerifiedSignature | NoteError::InvalidSignature { .. },
            ) => WitnessError::BadSignature(e.to_string()),
            other => WitnessError::BadRequest(other.to_string()),
        })?;
        let cp = signed.checkpoint;
        if cp.origin != log.origin {
            return Err(WitnessError::BadRequest("origin line mismatch".into()));
        }
        if req.old_size > cp.size {
            return Err(WitnessError::BadRequest(format!(
                "old size {} is larger than the checkpoint size {}",
                req.old_size, cp.size
            )));
        }
        let note_text = String::from_utf8_lossy(req.checkpoint).into_owned();

        let mut state = self.lock();
        let stored = state.logs.get(&log.origin);
        let current = stored.map_or(0, |r| r.size);
        if req.old_size != current {
            return Err(WitnessError::Conflict {
                old: req.old_size,
                current,
            });
        }
        if cp.size == 0 && cp.root != EMPTY_HASH {
            return Err(WitnessError::Inconsistent(
                "a checkpoint of size 0 must have the empty tree's root hash".into(),
            ));
        }
        let check = if req.old_size == 0 {
            if req.proof.is_empty() {
                Ok(())
            } else {
                Err("from size 0 the consistency proof must be empty".to_string())
            }
        } else {
            let old_root = stored
                .and_then(|r| parse_hash(&r.root))
                .ok_or_else(|| WitnessError::Storage("stored root hash unreadable".into()))?;
            merkle::verify_consistency(&req.proof, req.old_size, old_root, cp.size, cp.root)
                .map_err(|e| e.to_string())
        };
        if let Err(reason) = check {
            let split_view = req.old_size == cp.size
                && stored.is_some_and(|r| r.root != hash_to_base64(&cp.root));
            if split_view {
                self.record_split_view(Evidence {
                    kind: "split_view".into(),
                    origin: log.origin.clone(),
                    seen_at: now,
                    cosigned: stored.map(|r| r.checkpoint.clone()),
                    offered: note_text,
                    proof: req.proof.iter().map(hash_to_base64).collect(),
                });
            }
            return Err(WitnessError::Inconsistent(reason));
        }

        let body_text = &signed.note.text;
        let line = self
            .cosigner
            .cosign(body_text, now)
            .map_err(|e| WitnessError::Storage(e.to_string()))?;
        let mut next = state.clone();
        next.logs.insert(
            log.origin.clone(),
            LogRecord {
                size: cp.size,
                root: hash_to_base64(&cp.root),
                checkpoint: stored_note(&signed.note.text, &signed.note.verified_lines, &line),
            },
        );
        state::save(&self.state_path, &next).map_err(|e| WitnessError::Storage(e.to_string()))?;
        *self
            .snapshot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(next.clone());
        *state = next;
        Ok(line)
    }

    /// Append a split view to the evidence file, once per (origin, size, root) and while the file
    /// is below [`state::MAX_EVIDENCE_BYTES`]. A failed write is reported on stderr and does not
    /// change the answer to the request.
    fn record_split_view(&self, evidence: Evidence) {
        let Some(key) = evidence_key(&evidence.offered) else {
            return;
        };
        let mut log = self
            .evidence
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if log.recorded.contains(&key) {
            return;
        }
        match state::append_evidence(&self.state_path, &evidence) {
            Ok(true) => {
                log.recorded.insert(key);
            }
            Ok(false) => {
                if !log.cap_reported {
                    log.cap_reported = true;
                    eprintln!(
                        "tallyseal-witness: the evidence file {} reached {} bytes; further split views are not recorded",
                        state::evidence_path(&self.state_path).display(),
                        state::MAX_EVIDENCE_BYTES
                    );
                }
            }
            Err(e) => eprintln!(
                "tallyseal-witness: could not record a split view of {} at size {}: {e}",
                key.0, key.1
            ),
        }
    }
}

/// The checkpoint as stored and served: the body, the blank line, the log signature lines that
/// verified, and the witness's cosignature line (which ends with a newline).
fn stored_note(body: &str, verified_lines: &[String], cosignature: &str) -> String {
    let mut out = String::with_capacity(
        body.len()
            + 1
            + verified_lines.iter().map(|l| l.len() + 1).sum::<usize>()
            + cosignature.len(),
    );
    out.push_str(body);
    out.push('\n');
    for l in verified_lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(cosignature);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tallyseal_core::keys::DeviceKey;

    #[test]
    fn reads_do_not_wait_for_a_request_holding_the_state() {
        let dir = tempfile::tempdir().unwrap();
        let cosigner =
            Cosigner::new("witness.example/w1", DeviceKey::from_seed(&[12; 32])).unwrap();
        let w = Witness::open(cosigner, vec![], &dir.path().join("w.json")).unwrap();
        let guard = w.lock();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                let _ = tx.send((w.latest("x"), w.latest_by_origin_hash("00")));
            });
            let answered = rx.recv_timeout(Duration::from_secs(5));
            drop(guard);
            assert_eq!(answered.unwrap(), (None, None));
        });
    }
}
