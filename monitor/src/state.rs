//! The monitor's state: the last checkpoint it accepted (and found consistent with every earlier
//! one), and the evidence of any inconsistency it met, in one JSON file replaced atomically
//! (temporary file, fsync, rename, fsync of the directory). An inconsistent checkpoint never
//! replaces the stored one: the state is never rolled back.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Most evidence records kept (the oldest are kept; later ones are reported, not stored).
pub const MAX_EVIDENCE: usize = 64;

/// What one state file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorState {
    /// The log's origin.
    pub origin: String,
    /// The accepted checkpoint's size and root (base64), and the note as it was served.
    pub size: u64,
    pub root: String,
    pub checkpoint: String,
    /// The log key that signed it: the one given or published at the first run, or the one the
    /// log's key changes led to since (`key_chain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_vkey: Option<String>,
    /// Stations (`election/station`) the log's enrolments named at that checkpoint.
    #[serde(default)]
    pub stations: Vec<String>,
    /// Checkpoints that were inconsistent with the accepted one (the note and why), as evidence.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

/// A checkpoint the monitor refused, kept as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub checkpoint: String,
    pub finding: String,
}

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0}: not a monitor state file: {1}")]
    Format(PathBuf, String),
}

impl MonitorState {
    /// Read the state file; `None` when it does not exist yet (first run).
    pub fn load(path: &Path) -> Result<Option<Self>, StateError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StateError::Format(path.to_owned(), e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateError::Io(path.to_owned(), e)),
        }
    }

    /// Replace the state file atomically.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let io = |e| StateError::Io(path.to_owned(), e);
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| StateError::Format(path.to_owned(), e.to_string()))?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let tmp = path.with_extension("tmp");
        {
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            f.write_all(&bytes).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(io)?;
        tallyseal_core::system::sync_dir(&dir).map_err(io)
    }

    /// Keep `evidence` (once; at most [`MAX_EVIDENCE`] records).
    pub fn add_evidence(&mut self, evidence: Evidence) {
        if self.evidence.len() < MAX_EVIDENCE && !self.evidence.contains(&evidence) {
            self.evidence.push(evidence);
        }
    }
}
