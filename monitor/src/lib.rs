//! `tallyseal-monitor`: an auditor's monitor of a tallyseal transparency log (`docs/log.md`),
//! with nothing but the log's public files (C2SP tlog-tiles under `<url>/log/`) and its keys.
//!
//! One run ([`run`]): fetch the checkpoint; check the log's signature and the listed witnesses'
//! cosignatures (k of n); compare with the checkpoint in the state file (same origin, no smaller
//! size, same root at the same size, and a history that still leads to the stored root: the
//! consistency proof computed from the rebuilt tree); download every entry bundle, rebuild the
//! tree and compare every published tile with it ([`tree`]); parse every leaf and check the
//! election's invariants ([`invariants`]), and every Form-47 version against the documents its
//! leaves name ([`documents`]: each figure the sum of the station figures it cites). The state ([`state`]) advances only to a checkpoint
//! whose log is consistent; an inconsistent one is kept as evidence and never replaces it.
//! [`prove`] makes an offline C2SP tlog-proof for a capture from the same files.
//!
//! I/O: HTTP reads through [`source::LogSource`] and the one state file. Every check is core's.

pub mod documents;
pub mod finding;
pub mod invariants;
pub mod key_chain;
pub mod source;
pub mod state;
pub mod tree;

use std::path::Path;

use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::log::checkpoint::Checkpoint;
use tallyseal_core::log::cosignature::{
    CosignatureError, CosignatureVerifier, open_cosigned_checkpoint,
};
use tallyseal_core::log::leaf::{LeafBody, LogEvent};
use tallyseal_core::log::merkle::{hash_to_base64, parse_hash, verify_consistency};
use tallyseal_core::log::proof::{LogPolicy, TlogProof};
use tallyseal_core::note::Verifier;

pub use finding::{Finding, FindingKind};
pub use source::{HttpLogSource, LogSource, SourceError};
pub use state::{Evidence, MonitorState, StateError};

/// The path of the checkpoint under the server's URL.
pub const CHECKPOINT_PATH: &str = "log/checkpoint";
/// The server's keys (`log_vkey`, `witness_vkeys` when it publishes them).
pub const KEYS_PATH: &str = "api/v1/keys";

/// Why a run could not be made at all (as opposed to findings about the log).
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("no log key: pass --log-key (the server's {KEYS_PATH} does not publish log_vkey)")]
    NoLogKey,
    #[error("a key the server publishes is not usable: {0}")]
    BadKey(String),
    #[error("the log has no checkpoint at {0}")]
    NoCheckpoint(String),
    #[error("the witness policy: {0}")]
    Policy(String),
    #[error("the tree cannot be rebuilt: {0}")]
    Tree(String),
    #[error("no capture {0} in the log")]
    NotLogged(String),
    #[error("the log is inconsistent; no proof is made from it:\n{0}")]
    Inconsistent(String),
}

/// The keys a run checks with.
#[derive(Debug, Clone, Default)]
pub struct MonitorOptions {
    /// The log's note verifier key; read from the server's keys when `None`.
    pub log_key: Option<Verifier>,
    /// Trusted witnesses; read from the server's keys when empty and `log_key` is `None`.
    pub witnesses: Vec<CosignatureVerifier>,
    /// How many listed witnesses must cosign (default: all of them).
    pub witness_threshold: Option<usize>,
}

/// What a run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorReport {
    pub origin: String,
    pub size: u64,
    /// The stored checkpoint's size before this run (None on the first run).
    pub previous_size: Option<u64>,
    pub findings: Vec<Finding>,
    /// Whether the state file now holds this run's checkpoint.
    pub state_advanced: bool,
}

impl MonitorReport {
    /// No inconsistency found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// The policy of a run: the log key (`trusted`, the key the state followed the log to, if any;
/// else the given one; else the published one) and the witnesses (given, else published).
fn policy(
    source: &dyn LogSource,
    opts: &MonitorOptions,
    trusted: Option<&str>,
) -> Result<LogPolicy, MonitorError> {
    let (key, mut witnesses) = match &opts.log_key {
        Some(k) => (k.clone(), opts.witnesses.clone()),
        None => {
            let keys: serde_json::Value = source
                .get(KEYS_PATH)?
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default();
            let key = keys
                .get("log_vkey")
                .and_then(|v| v.as_str())
                .ok_or(MonitorError::NoLogKey)?;
            let key = Verifier::parse(key).map_err(|e| MonitorError::BadKey(e.to_string()))?;
            let ws = keys
                .get("witness_vkeys")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str())
                        .map(|v| {
                            CosignatureVerifier::parse(v)
                                .map_err(|e| MonitorError::BadKey(e.to_string()))
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?
                .unwrap_or_default();
            (key, ws)
        }
    };
    if !opts.witnesses.is_empty() {
        witnesses = opts.witnesses.clone();
    }
    let key = match trusted {
        Some(v) => Verifier::parse(v).map_err(|e| MonitorError::BadKey(e.to_string()))?,
        None => key,
    };
    let k = opts.witness_threshold.unwrap_or(witnesses.len());
    LogPolicy::for_log_key(key, witnesses, k).map_err(|e| MonitorError::Policy(e.to_string()))
}

/// The checkpoint, checked: signed by the log, listed witnesses' lines valid, enough of them.
fn fetch_checkpoint(
    source: &dyn LogSource,
    policy: &LogPolicy,
    findings: &mut Vec<Finding>,
) -> Result<Option<(Checkpoint, String)>, MonitorError> {
    let note = source.get(CHECKPOINT_PATH)?.ok_or_else(|| {
        MonitorError::NoCheckpoint(format!("{}/{CHECKPOINT_PATH}", source.name()))
    })?;
    let text = String::from_utf8_lossy(&note).into_owned();
    let opened = match open_cosigned_checkpoint(&note, &policy.log_keys, &policy.witnesses) {
        Ok(o) => o,
        Err(CosignatureError::Checkpoint(e)) => {
            findings.push(Finding::new(
                FindingKind::Signature,
                format!("the checkpoint is not signed by the log key: {e}"),
            ));
            return Ok(None);
        }
        Err(e) => {
            findings.push(Finding::new(
                FindingKind::Signature,
                format!("the checkpoint carries a bad cosignature: {e}"),
            ));
            return Ok(None);
        }
    };
    let cp = opened.signed.checkpoint;
    if cp.origin != policy.origin {
        findings.push(Finding::new(
            FindingKind::Origin,
            format!(
                "the checkpoint is for the log {:?}, not {:?}",
                cp.origin, policy.origin
            ),
        ));
        return Ok(None);
    }
    if opened.cosignatures.len() < policy.witness_threshold {
        findings.push(Finding::new(
            FindingKind::Witnesses,
            format!(
                "the checkpoint of size {} is cosigned by {} of the {} listed witnesses; the \
                 policy needs {}",
                cp.size,
                opened.cosignatures.len(),
                policy.witnesses.len(),
                policy.witness_threshold
            ),
        ));
    }
    Ok(Some((cp, text)))
}

/// One monitoring run against `source`, with the state in `state_path` (see the crate docs).
pub fn run(
    source: &dyn LogSource,
    opts: &MonitorOptions,
    state_path: &Path,
) -> Result<MonitorReport, MonitorError> {
    let mut state = MonitorState::load(state_path)?;
    let trusted = state.as_ref().and_then(|s| s.log_vkey.clone());
    let policy = policy(source, opts, trusted.as_deref())?;
    // A checkpoint signed by another key counts only through the log's key changes.
    let (policy, key_changes) = key_chain::resolve(source, &policy)?;
    let mut findings = Vec::new();
    let previous_size = state.as_ref().map(|s| s.size);
    let report = |findings: Vec<Finding>, size: u64, advanced: bool| MonitorReport {
        origin: policy.origin.clone(),
        size,
        previous_size,
        findings,
        state_advanced: advanced,
    };
    let Some((cp, note)) = fetch_checkpoint(source, &policy, &mut findings)? else {
        return Ok(report(findings, 0, false));
    };
    let stored_root = state.as_ref().and_then(|s| parse_hash(&s.root));
    if let Some(s) = &state {
        let refuse = |kind: FindingKind, message: String| Finding::new(kind, message);
        let found = if s.origin != cp.origin {
            Some(refuse(
                FindingKind::Origin,
                format!(
                    "the state is for the log {:?}, the checkpoint for {:?}",
                    s.origin, cp.origin
                ),
            ))
        } else if cp.size < s.size {
            Some(refuse(
                FindingKind::Rollback,
                format!(
                    "rollback: the checkpoint's size {} is smaller than the stored size {}",
                    cp.size, s.size
                ),
            ))
        } else if cp.size == s.size && Some(cp.root) != stored_root {
            Some(refuse(
                FindingKind::Fork,
                format!(
                    "fork: a checkpoint of size {} with root {}, but the stored one of that size \
                     has root {}",
                    cp.size,
                    hash_to_base64(&cp.root),
                    s.root
                ),
            ))
        } else {
            None
        };
        if let Some(f) = found {
            let mut s = s.clone();
            if f.kind != FindingKind::Origin {
                s.add_evidence(Evidence {
                    checkpoint: note,
                    finding: f.message.clone(),
                });
                s.save(state_path)?;
            }
            findings.push(f);
            return Ok(report(findings, cp.size, false));
        }
    }
    let log_findings_before = findings.len();
    let Some(tree) = tree::rebuild(source, cp.size, cp.root, &mut findings)? else {
        return Ok(report(findings, cp.size, false));
    };
    if let (Some(s), Some(old_root), true) = (&state, stored_root, tree.root_matches) {
        let consistent = tree
            .store
            .consistency_proof(s.size, cp.size)
            .map_err(|e| MonitorError::Tree(e.to_string()))
            .map(|proof| verify_consistency(&proof, s.size, old_root, cp.size, cp.root).is_ok())?;
        if !consistent {
            let at = tree
                .store
                .root_at(s.size)
                .map(|r| hash_to_base64(&r))
                .unwrap_or_default();
            findings.push(Finding::new(
                FindingKind::Fork,
                format!(
                    "the log's history changed: the tree of size {} now has root {at}, but the \
                     stored checkpoint signed {}",
                    s.size, s.root
                ),
            ));
        }
    }
    let chain_holds = key_chain::check(&key_changes, &tree, &mut findings);
    let log_consistent = tree.root_matches
        && chain_holds
        && !findings[log_findings_before..].iter().any(|f| {
            matches!(
                f.kind,
                FindingKind::Fork | FindingKind::Tile | FindingKind::Entries
            )
        });
    let view = invariants::check(&tree.entries, &mut findings);
    documents::check_forms(source, &tree.entries, &mut findings)?;
    if let Some(s) = &state {
        invariants::check_stations(&s.stations, &view, &mut findings);
    }
    if !log_consistent {
        if let Some(s) = state.as_mut() {
            s.add_evidence(Evidence {
                checkpoint: note,
                finding: findings
                    .iter()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            });
            s.save(state_path)?;
        }
        return Ok(report(findings, cp.size, false));
    }
    let evidence = state.map(|s| s.evidence).unwrap_or_default();
    MonitorState {
        origin: cp.origin.clone(),
        size: cp.size,
        root: hash_to_base64(&cp.root),
        checkpoint: note,
        log_vkey: policy.log_keys.first().map(Verifier::to_vkey),
        stations: view.stations.into_iter().collect(),
        evidence,
    }
    .save(state_path)?;
    Ok(report(findings, cp.size, true))
}

/// An offline C2SP tlog-proof for the capture `manifest_hash`: its latest leaf
/// (`image_verified`, else `manifest_received`) in the current checkpoint's tree, computed from
/// the published entries (which must be consistent with the checkpoint), and checked before it
/// is returned.
pub fn prove(
    source: &dyn LogSource,
    opts: &MonitorOptions,
    manifest_hash: &Sha256Digest,
) -> Result<TlogProof, MonitorError> {
    let policy = policy(source, opts, None)?;
    let mut findings = Vec::new();
    let checked = fetch_checkpoint(source, &policy, &mut findings)?;
    let tree = match &checked {
        Some((cp, _)) => tree::rebuild(source, cp.size, cp.root, &mut findings)?,
        None => None,
    };
    let (Some((cp, note)), Some(tree), true) = (checked, tree, findings.is_empty()) else {
        let text: Vec<String> = findings.iter().map(ToString::to_string).collect();
        return Err(MonitorError::Inconsistent(text.join("\n")));
    };
    let names_capture = |entry: &[u8]| {
        matches!(
            LeafBody::from_leaf_bytes(entry).map(|b| b.event),
            Ok(LogEvent::ManifestReceived { manifest_hash: m, .. }
                | LogEvent::ImageVerified { manifest_hash: m, .. }) if m == *manifest_hash
        )
    };
    let found = tree
        .entries
        .iter()
        .rposition(|e| names_capture(e))
        .map(|i| i as u64);
    let index = found.ok_or_else(|| MonitorError::NotLogged(manifest_hash.to_hex()))?;
    let hashes = tree
        .store
        .inclusion_proof(index, cp.size)
        .map_err(|e| MonitorError::Tree(e.to_string()))?;
    let proof = TlogProof::new(index, hashes, note);
    let leaf =
        &tree.entries[usize::try_from(index).map_err(|e| MonitorError::Tree(e.to_string()))?];
    proof
        .verify_leaf(leaf, &policy)
        .map_err(|e| MonitorError::Inconsistent(e.to_string()))?;
    Ok(proof)
}
