//! The witness's durable state: the latest cosigned checkpoint of each log, and the evidence of
//! refused checkpoints.
//!
//! The state is one JSON file, replaced atomically (temporary file, fsync, rename, fsync of the
//! directory), so a crash leaves either the old or the new state, never a mix. Evidence is
//! appended as JSON lines to `<state>.evidence.jsonl` and fsynced; it is never rewritten.
//! This module must never write the state in place.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The latest checkpoint the witness cosigned for one log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    pub size: u64,
    /// Root hash, base64.
    pub root: String,
    /// The checkpoint body, the log signature lines that verified and the witness's cosignature
    /// line.
    pub checkpoint: String,
}

/// Everything the witness must remember across restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessState {
    /// By origin.
    pub logs: BTreeMap<String, LogRecord>,
}

/// A refused checkpoint whose log signature verified and which has the size of the cosigned one
/// but another root: a split view, proof of log misbehaviour by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// `split_view` (same size, different root); older files may also hold `inconsistent` (a
    /// proof that did not verify), which is no longer recorded.
    pub kind: String,
    pub origin: String,
    /// When it was seen (POSIX seconds).
    pub seen_at: u64,
    /// The checkpoint the witness had cosigned.
    pub cosigned: Option<String>,
    /// The refused checkpoint, as received.
    pub offered: String,
    /// The consistency proof sent with it, base64 hashes.
    pub proof: Vec<String>,
}

/// Where the evidence lines of the state at `state_path` go.
pub fn evidence_path(state_path: &Path) -> PathBuf {
    let mut name = state_path.as_os_str().to_owned();
    name.push(".evidence.jsonl");
    PathBuf::from(name)
}

/// Load the state; a missing file is the empty state (a new witness).
pub fn load(path: &Path) -> io::Result<WitnessState> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a witness state file: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(WitnessState::default()),
        Err(e) => Err(e),
    }
}

fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    tallyseal_core::system::sync_dir(dir)
}

/// Replace the state file atomically and durably.
pub fn save(path: &Path, state: &WitnessState) -> io::Result<()> {
    let bytes = serde_json::to_vec_pretty(state).map_err(io::Error::other)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    sync_parent_dir(path)
}

/// Largest size of the evidence file: past it, no more records are appended.
pub const MAX_EVIDENCE_BYTES: u64 = 64 << 20;

/// Append one evidence record and fsync it; `Ok(false)` (nothing written) when the file already
/// holds [`MAX_EVIDENCE_BYTES`] or more.
pub fn append_evidence(state_path: &Path, evidence: &Evidence) -> io::Result<bool> {
    let path = evidence_path(state_path);
    let existed = path.exists();
    let mut line = serde_json::to_vec(evidence).map_err(io::Error::other)?;
    line.push(b'\n');
    let mut f = OpenOptions::new().create(true).append(true).open(&path)?;
    if f.metadata()?.len() >= MAX_EVIDENCE_BYTES {
        return Ok(false);
    }
    f.write_all(&line)?;
    f.sync_all()?;
    if !existed {
        sync_parent_dir(&path)?;
    }
    Ok(true)
}

/// Read back every evidence record (for tests and operators).
pub fn read_evidence(state_path: &Path) -> io::Result<Vec<Evidence>> {
    let text = match std::fs::read_to_string(evidence_path(state_path)) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    text.lines()
        .map(|l| serde_json::from_str(l).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)))
        .collect()
}
