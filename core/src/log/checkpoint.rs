//! C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed tree head of the log.
//!
//! A checkpoint's body is the origin line, the tree size in decimal (no leading zeros), the root
//! hash in base64 and optional non-empty extension lines, each ending in a newline. It is published
//! as a C2SP signed note ([`crate::note`]) signed by the log key, whose key name should be the
//! origin. The body is parsed and formatted by `tlog_tiles`; the signature is this crate's note
//! code.
//!
//! Pure: no I/O, no clock. Untrusted notes are bounded by [`MAX_CHECKPOINT_NOTE_BYTES`].

use crate::log::merkle::{EMPTY_HASH, Hash};
use crate::note::{self, NoteError, OpenedNote, Signer, Verifier};

/// Largest signed checkpoint accepted (body and every signature line, cosignatures included).
pub const MAX_CHECKPOINT_NOTE_BYTES: usize = 64 * 1024;

/// A checkpoint body: which log, how many leaves, which root.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The log's identity (first line), e.g. `tallyseal.example/log/2026-general`.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 root hash of the first `size` leaves.
    pub root: Hash,
    /// Extension lines, without their newlines (each non-empty). Not recommended; usually empty.
    pub extensions: Vec<String>,
}

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error(
        "malformed checkpoint body: expected an origin line, a decimal size without leading \
         zeros, a base64 SHA-256 root hash and optional non-empty extension lines, each ending \
         in a newline"
    )]
    Malformed,
    #[error("invalid checkpoint origin {0:?}: it must be non-empty, without spaces or '+'")]
    InvalidOrigin(String),
    #[error("an empty checkpoint (size 0) must have the empty tree's root hash")]
    EmptyTreeWrongRoot,
    #[error("the checkpoint note: {0}")]
    Note(#[from] NoteError),
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.to_string(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Parse a checkpoint body (the note text, ending with a newline).
    pub fn parse_body(body: &str) -> Result<Self, CheckpointError> {
        let cp = tlog_tiles::Checkpoint::from_bytes(body.as_bytes())
            .map_err(|_| CheckpointError::Malformed)?;
        let extensions = cp
            .extension()
            .split_terminator('\n')
            .map(str::to_string)
            .collect();
        Ok(Self {
            origin: cp.origin().to_string(),
            size: cp.size(),
            root: *cp.hash(),
            extensions,
        })
    }

    /// The body in its one text form.
    pub fn body(&self) -> Result<String, CheckpointError> {
        let mut ext = String::new();
        for line in &self.extensions {
            ext.push_str(line);
            ext.push('\n');
        }
        let cp = tlog_tiles::Checkpoint::new(&self.origin, self.size, self.root, &ext)
            .map_err(|_| CheckpointError::Malformed)?;
        String::from_utf8(cp.to_bytes()).map_err(|_| CheckpointError::Malformed)
    }

    /// Whether a size-0 checkpoint has the empty tree's root (C2SP tlog-witness requires it).
    pub fn check_empty_root(&self) -> Result<(), CheckpointError> {
        if self.size == 0 && self.root != EMPTY_HASH {
            return Err(CheckpointError::EmptyTreeWrongRoot);
        }
        Ok(())
    }

    /// Sign as a note with the log key (whose name should be the origin).
    pub fn sign(&self, log_key: &Signer) -> Result<String, CheckpointError> {
        if !note::is_valid_key_name(&self.origin) {
            return Err(CheckpointError::InvalidOrigin(self.origin.clone()));
        }
        Ok(note::sign_note(
            &self.body()?,
            std::slice::from_ref(log_key),
        )?)
    }
}

/// A checkpoint whose log signature verified.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    /// The opened note: its text (the body) and which keys verified.
    pub note: OpenedNote,
}

/// The origin line of a signed checkpoint, read without checking anything else (to find which
/// log's keys to verify it with). `None` when there is no complete first line.
pub fn peek_origin(note: &[u8]) -> Option<&str> {
    let end = note.iter().position(|&b| b == b'\n')?;
    std::str::from_utf8(&note[..end])
        .ok()
        .filter(|s| !s.is_empty())
}

/// Open a signed checkpoint: the note must verify with one of `log_keys` (signatures by other
/// keys, such as cosignatures, are ignored) and its text must be a checkpoint body.
pub fn open_checkpoint(
    note_bytes: &[u8],
    log_keys: &[Verifier],
) -> Result<SignedCheckpoint, CheckpointError> {
    let opened = note::open_note_with_limit(note_bytes, log_keys, MAX_CHECKPOINT_NOTE_BYTES)?;
    let checkpoint = Checkpoint::parse_body(&opened.text)?;
    Ok(SignedCheckpoint {
        checkpoint,
        note: opened,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DeviceKey;
    use crate::log::merkle::leaf_hash;

    #[test]
    fn body_round_trip_and_format() {
        let mut cp = Checkpoint::new("example.com/origin", 123, leaf_hash(b"hello world"));
        assert_eq!(
            cp.body().unwrap(),
            "example.com/origin\n123\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"
        );
        cp.extensions = vec!["abc".into(), "def".into()];
        let body = cp.body().unwrap();
        assert!(body.ends_with("=\nabc\ndef\n"));
        assert_eq!(Checkpoint::parse_body(&body).unwrap(), cp);
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let root = "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=";
        for bad in [
            String::new(),
            format!("o\n0123\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("o\n12\n{root}"),
            format!("\n12\n{root}\n"),
            format!("o\n12\n{root}x\n"),
            "o\n12\nAAAA\n".to_string(),
            format!("o\n12\n{root}\n\nabc\n"),
            format!("o\n18446744073709551616\n{root}\n"),
        ] {
            assert_eq!(
                Checkpoint::parse_body(&bad),
                Err(CheckpointError::Malformed),
                "{bad:?}"
            );
        }
        let mut cp = Checkpoint::new("o", 1, EMPTY_HASH);
        cp.extensions = vec![String::new()];
        assert_eq!(cp.body(), Err(CheckpointError::Malformed));
    }

    #[test]
    fn sign_open_and_refuse_a_wrong_key() {
        let signer = Signer::new("example.org/log", DeviceKey::from_seed(&[1; 32])).unwrap();
        let other = Signer::new("example.org/log", DeviceKey::from_seed(&[2; 32])).unwrap();
        let cp = Checkpoint::new("example.org/log", 7, leaf_hash(b"x"));
        let note = cp.sign(&signer).unwrap();
        assert_eq!(peek_origin(note.as_bytes()), Some("example.org/log"));
        let opened = open_checkpoint(note.as_bytes(), &[signer.verifier()]).unwrap();
        assert_eq!(opened.checkpoint, cp);
        assert_eq!(
            open_checkpoint(note.as_bytes(), &[other.verifier()]),
            Err(CheckpointError::Note(NoteError::NoVerifiedSignature))
        );
        let tampered = note.replacen("\n7\n", "\n8\n", 1);
        assert!(matches!(
            open_checkpoint(tampered.as_bytes(), &[signer.verifier()]),
            Err(CheckpointError::Note(NoteError::InvalidSignature { .. }))
        ));
        let bad_origin = Checkpoint::new("has space", 0, EMPTY_HASH);
        assert!(matches!(
            bad_origin.sign(&signer),
            Err(CheckpointError::InvalidOrigin(_))
        ));
        assert_eq!(
            Checkpoint::new("o", 0, leaf_hash(b"")).check_empty_root(),
            Err(CheckpointError::EmptyTreeWrongRoot)
        );
        Checkpoint::new("o", 0, EMPTY_HASH)
            .check_empty_root()
            .unwrap();
    }
}
