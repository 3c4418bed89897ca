//! What the monitor reports: each inconsistency it found, by kind, with a message naming what
//! changed (which checkpoint, tile, entry or index).

use std::fmt;

/// The kinds of finding (stable names, printed and matched by scripts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    /// The checkpoint is not signed by the log key, or a listed witness's cosignature fails.
    Signature,
    /// Fewer listed witnesses cosigned than the policy requires.
    Witnesses,
    /// The checkpoint is for another log than the stored one.
    Origin,
    /// A smaller tree than the stored checkpoint's.
    Rollback,
    /// Another root for a size already seen, or a history that no longer leads to it.
    Fork,
    /// A published tile that is missing or differs from the one the entries give.
    Tile,
    /// An entry bundle that is missing, malformed, or changed.
    Entries,
    /// An entry that is not a valid leaf.
    Leaf,
    /// An election invariant the leaves (and the documents they name) break.
    Invariant,
    /// A document a leaf names by hash that the server does not publish, or publishes altered.
    Document,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Signature => "signature",
            FindingKind::Witnesses => "witnesses",
            FindingKind::Origin => "origin",
            FindingKind::Rollback => "rollback",
            FindingKind::Fork => "fork",
            FindingKind::Tile => "tile",
            FindingKind::Entries => "entries",
            FindingKind::Leaf => "leaf",
            FindingKind::Invariant => "invariant",
            FindingKind::Document => "document",
        }
    }
}

/// One inconsistency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    pub message: String,
}

impl Finding {
    pub fn new(kind: FindingKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FINDING {}: {}", self.kind.as_str(), self.message)
    }
}
