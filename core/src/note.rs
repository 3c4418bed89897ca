//! C2SP signed notes (https://c2sp.org/signed-note), Ed25519 signature type only.
//!
//! The election package is published as a signed note whose text is the package JSON, so anyone
//! can check it with existing tools, and the same format will carry transparency-log checkpoints.
//!
//! A signed note is a text ending in a newline, a blank line, and one or more signature lines
//! `— <key name> base64(key ID || signature)`. The key ID of an Ed25519 key is the first four bytes
//! (big-endian) of `SHA-256(key name || 0x0A || 0x01 || public key)`. A verifier key is written
//! `name+hexkeyid+base64(0x01 || public key)` (the golang.org/x/mod/sumdb/note "vkey" form).
//!
//! [`open_note`] follows the specification and the Go reference implementation: the note must be
//! valid UTF-8 without ASCII control characters other than newline; signatures from unknown keys
//! are ignored; every line from a known key is verified, repeated lines too, and one that does not
//! verify rejects the whole note; at least one known key must verify; at most [`MAX_SIGNATURES`]
//! signature lines and [`MAX_NOTE_BYTES`] bytes.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::hash::sha256;
use crate::keys::{DeviceKey, PublicKey, SignatureBytes};

/// Signature type identifier byte of Ed25519 (C2SP signed-note).
pub const ED25519_TYPE: u8 = 0x01;

/// Largest note [`open_note`] accepts, in bytes.
pub const MAX_NOTE_BYTES: usize = 16 << 20;

/// Most signature lines [`open_note`] accepts (the specification requires at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// The signature line prefix: em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// Why a note could not be signed or opened, or a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the note is not valid UTF-8")]
    NotUtf8,
    #[error("the note contains an ASCII control character (0x{byte:02x}) at byte {offset}")]
    ControlCharacter { byte: u8, offset: usize },
    #[error("the note text must end with a newline")]
    TextMustEndWithNewline,
    #[error("the note has no signature block (a blank line followed by signature lines)")]
    MissingSignatures,
    #[error("the signature block does not end with a newline")]
    MissingFinalNewline,
    #[error("signature line {line} is malformed: {reason}")]
    MalformedSignatureLine { line: usize, reason: &'static str },
    #[error("the note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("the signature by {name} (key ID {key_id:08x}) does not verify")]
    InvalidSignature { name: String, key_id: u32 },
    #[error("no signature on the note is from a known key")]
    NoVerifiedSignature,
    #[error("more than one known key is named {name} with key ID {key_id:08x}")]
    AmbiguousVerifier { name: String, key_id: u32 },
    #[error("invalid key name {0:?} (must be non-empty, without spaces or '+')")]
    InvalidKeyName(String),
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    #[error("malformed signer key: {0}")]
    MalformedSignerKey(&'static str),
    #[error("unsupported signature type 0x{0:02x} (only Ed25519, 0x01, is supported)")]
    UnsupportedKeyType(u8),
    #[error("the key ID {stated:08x} does not match the key (computed {computed:08x})")]
    KeyIdMismatch { stated: u32, computed: u32 },
    #[error("at least one signer is required")]
    NoSigners,
}

/// Whether `name` is a valid key name: non-empty, no Unicode white space, no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The key ID of an Ed25519 key: `SHA-256(name || 0x0A || 0x01 || public key)[:4]`, big-endian.
pub fn key_id(name: &str, key: &PublicKey) -> u32 {
    let mut buf = Vec::with_capacity(name.len() + 2 + 32);
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'\n');
    buf.push(ED25519_TYPE);
    buf.extend_from_slice(&key.0);
    let h = sha256(&buf);
    u32::from_be_bytes([h.0[0], h.0[1], h.0[2], h.0[3]])
}

/// A key that signs notes: a name and an Ed25519 key.
#[derive(Debug)]
pub struct Signer {
    pub name: String,
    pub key: DeviceKey,
}

/// A key that verifies notes: name, key ID and Ed25519 public key.
///
/// Build it with [`Verifier::new`] or parse it from its text form (`name+hexkeyid+base64`) so that
/// the key ID is consistent with the name and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub name: String,
    pub key_id: u32,
    pub key: PublicKey,
}

impl Signer {
    /// A signer named `name` (checked: non-empty, no spaces, no `+`).
    pub fn new(name: &str, key: DeviceKey) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_string()));
        }
        Ok(Self {
            name: name.to_string(),
            key,
        })
    }

    /// Parse the Go "skey" form `PRIVATE+KEY+name+hexkeyid+base64(0x01 || 32-byte seed)`.
    pub fn from_skey(skey: &str) -> Result<Self, NoteError> {
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::MalformedSignerKey("missing PRIVATE+KEY+ prefix"))?;
        let (name, id, key) = split_key_text(rest).ok_or(NoteError::MalformedSignerKey(
            "expected PRIVATE+KEY+name+hexkeyid+base64key",
        ))?;
        let stated = parse_key_id(id).ok_or(NoteError::MalformedSignerKey("bad key ID"))?;
        let raw = B64
            .decode(key)
            .map_err(|_| NoteError::MalformedSignerKey("bad base64"))?;
        let (&alg, seed) = raw
            .split_first()
            .ok_or(NoteError::MalformedSignerKey("empty key"))?;
        if alg != ED25519_TYPE {
            return Err(NoteError::UnsupportedKeyType(alg));
        }
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| NoteError::MalformedSignerKey("Ed25519 seed must be 32 bytes"))?;
        let signer = Signer::new(name, DeviceKey::from_seed(&seed))?;
        let computed = signer.key_id();
        if computed != stated {
            return Err(NoteError::KeyIdMismatch { stated, computed });
        }
        Ok(signer)
    }

    /// The key ID of this signer's key.
    pub fn key_id(&self) -> u32 {
        key_id(&self.name, &self.key.public_key())
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Verifier {
        let key = self.key.public_key();
        Verifier {
            name: self.name.clone(),
            key_id: key_id(&self.name, &key),
            key,
        }
    }
}

impl Verifier {
    /// A verifier for `key` under `name`, with the key ID computed.
    pub fn new(name: &str, key: PublicKey) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_string()));
        }
        Ok(Self {
            name: name.to_string(),
            key_id: key_id(name, &key),
            key,
        })
    }

    /// Parse the text form `name+hexkeyid+base64(0x01 || 32-byte public key)`.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let (name, id, key) = split_key_text(vkey).ok_or(NoteError::MalformedVerifierKey(
            "expected name+hexkeyid+base64key",
        ))?;
        let stated = parse_key_id(id).ok_or(NoteError::MalformedVerifierKey("bad key ID"))?;
        let raw = B64
            .decode(key)
            .map_err(|_| NoteError::MalformedVerifierKey("bad base64"))?;
        let (&alg, public) = raw
            .split_first()
            .ok_or(NoteError::MalformedVerifierKey("empty key"))?;
        if alg != ED25519_TYPE {
            return Err(NoteError::UnsupportedKeyType(alg));
        }
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| NoteError::MalformedVerifierKey("Ed25519 public key must be 32 bytes"))?;
        let public = PublicKey(public);
        if !public.is_valid_point() {
            return Err(NoteError::MalformedVerifierKey(
                "not a usable Ed25519 public key",
            ));
        }
        let v = Verifier::new(name, public)?;
        if v.key_id != stated {
            return Err(NoteError::KeyIdMismatch {
                stated,
                computed: v.key_id,
            });
        }
        Ok(v)
    }

    /// The text form `name+hexkeyid+base64(0x01 || public key)`.
    pub fn to_vkey(&self) -> String {
        let mut raw = Vec::with_capacity(33);
        raw.push(ED25519_TYPE);
        raw.extend_from_slice(&self.key.0);
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }
}

impl FromStr for Verifier {
    type Err = NoteError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verifier::parse(s)
    }
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_vkey())
    }
}

/// Split `name+id+key` where the name itself cannot contain `+`.
fn split_key_text(s: &str) -> Option<(&str, &str, &str)> {
    let mut it = s.splitn(3, '+');
    let name = it.next()?;
    let id = it.next()?;
    let key = it.next()?;
    Some((name, id, key))
}

fn parse_key_id(s: &str) -> Option<u32> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// A signature line from a key the caller did not list (ignored for verification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedSignature {
    pub name: String,
    pub key_id: u32,
}

/// An opened note: its text and who verifiably signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedNote {
    /// The note text, including its final newline (not the blank separator line).
    pub text: String,
    /// Names of the known keys whose signatures verified, in order of appearance, each once.
    pub verified_by: Vec<String>,
    /// The signature lines that verified (without their newline), in order, each distinct line
    /// once: re-serialising the note from `text`, a blank line and these gives a note with only
    /// verified signatures.
    pub verified_lines: Vec<String>,
    /// Signatures by keys the caller did not list, each distinct line once.
    pub unverified: Vec<UnverifiedSignature>,
    /// How many signature lines the note has, counting every line (unknown and repeated ones too).
    pub signature_lines: usize,
}

fn check_text_bytes(bytes: &[u8]) -> Result<(), NoteError> {
    if let Some(offset) = bytes.iter().position(|&b| b < 0x20 && b != b'\n') {
        return Err(NoteError::ControlCharacter {
            byte: bytes[offset],
            offset,
        });
    }
    Ok(())
}

/// Sign `text` with every signer, giving the note's text form.
///
/// `text` must end with a newline and contain no ASCII control characters other than newline.
/// Ed25519 is deterministic: the same text and keys always give the same note.
pub fn sign_note(text: &str, signers: &[Signer]) -> Result<String, NoteError> {
    if signers.is_empty() {
        return Err(NoteError::NoSigners);
    }
    if !text.ends_with('\n') {
        return Err(NoteError::TextMustEndWithNewline);
    }
    check_text_bytes(text.as_bytes())?;
    let mut sigs = String::new();
    for s in signers {
        if !is_valid_key_name(&s.name) {
            return Err(NoteError::InvalidKeyName(s.name.clone()));
        }
        let sig = s.key.sign_raw(text.as_bytes());
        let mut raw = Vec::with_capacity(4 + 64);
        raw.extend_from_slice(&s.key_id().to_be_bytes());
        raw.extend_from_slice(&sig.0);
        sigs.push_str(SIG_PREFIX);
        sigs.push_str(&s.name);
        sigs.push(' ');
        sigs.push_str(&B64.encode(raw));
        sigs.push('\n');
    }
    let mut out = String::with_capacity(text.len() + 1 + sigs.len());
    out.push_str(text);
    out.push('\n');
    out.push_str(&sigs);
    if out.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge {
            size: out.len(),
            limit: MAX_NOTE_BYTES,
        });
    }
    Ok(out)
}

/// Open a signed note, checking its signatures against `verifiers` (limit [`MAX_NOTE_BYTES`]).
pub fn open_note(note: &[u8], verifiers: &[Verifier]) -> Result<OpenedNote, NoteError> {
    open_note_with_limit(note, verifiers, MAX_NOTE_BYTES)
}

/// [`open_note`] with a caller-chosen size limit in bytes.
pub fn open_note_with_limit(
    note: &[u8],
    verifiers: &[Verifier],
    max_bytes: usize,
) -> Result<OpenedNote, NoteError> {
    if note.len() > max_bytes {
        return Err(NoteError::TooLarge {
            size: note.len(),
            limit: max_bytes,
        });
    }
    let note = std::str::from_utf8(note).map_err(|_| NoteError::NotUtf8)?;
    check_text_bytes(note.as_bytes())?;

    let split = note.rfind("\n\n").ok_or(NoteError::MissingSignatures)?;
    let text = &note[..split + 1];
    let sigs = &note[split + 2..];
    if sigs.is_empty() {
        return Err(NoteError::MissingSignatures);
    }
    if !sigs.ends_with('\n') {
        return Err(NoteError::MissingFinalNewline);
    }

    let mut opened = OpenedNote {
        text: text.to_string(),
        verified_by: Vec::new(),
        verified_lines: Vec::new(),
        unverified: Vec::new(),
        signature_lines: 0,
    };
    let mut seen_unknown: Vec<&str> = Vec::new();
    // `sigs` ends with '\n', so the last piece of the split is empty and skipped.
    let lines = sigs[..sigs.len() - 1].split('\n');
    for (index, whole_line) in lines.enumerate() {
        let line_no = index + 1;
        if line_no > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        opened.signature_lines = line_no;
        let malformed = |reason| NoteError::MalformedSignatureLine {
            line: line_no,
            reason,
        };
        let line = whole_line
            .strip_prefix(SIG_PREFIX)
            .ok_or_else(|| malformed("does not start with an em dash and a space"))?;
        let (name, b64) = line
            .split_once(' ')
            .ok_or_else(|| malformed("no signature"))?;
        if !is_valid_key_name(name) {
            return Err(malformed("invalid key name"));
        }
        if b64.is_empty() {
            return Err(malformed("empty signature"));
        }
        let raw = B64
            .decode(b64)
            .map_err(|_| malformed("signature is not base64"))?;
        if raw.len() < 5 {
            return Err(malformed("signature too short"));
        }
        let id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
        let sig = &raw[4..];

        let mut matching = verifiers
            .iter()
            .filter(|v| v.name == name && v.key_id == id);
        let Some(v) = matching.next() else {
            if !seen_unknown.contains(&line) {
                seen_unknown.push(line);
                opened.unverified.push(UnverifiedSignature {
                    name: name.to_string(),
                    key_id: id,
                });
            }
            continue;
        };
        if matching.any(|other| other.key != v.key) {
            return Err(NoteError::AmbiguousVerifier {
                name: name.to_string(),
                key_id: id,
            });
        }
        // Every line from a known key is verified, repeated ones too (signed-note: "verifiers MUST
        // verify the signature"); only the lists below are de-duplicated.
        let invalid = || NoteError::InvalidSignature {
            name: name.to_string(),
            key_id: id,
        };
        let sig: [u8; 64] = sig.try_into().map_err(|_| invalid())?;
        v.key
            .verify_raw(text.as_bytes(), &SignatureBytes(sig))
            .map_err(|_| invalid())?;
        if !opened.verified_by.iter().any(|n| n == name) {
            opened.verified_by.push(name.to_string());
        }
        if !opened.verified_lines.iter().any(|l| l == whole_line) {
            opened.verified_lines.push(whole_line.to_string());
        }
    }
    if opened.verified_by.is_empty() {
        return Err(NoteError::NoVerifiedSignature);
    }
    Ok(opened)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_open_round_trip_and_vkey() {
        let signer = Signer::new("example.org/test", DeviceKey::from_seed(&[9u8; 32])).unwrap();
        let v = signer.verifier();
        assert_eq!(Verifier::parse(&v.to_vkey()).unwrap(), v);
        let note = sign_note("hello\n\nworld\n", &[signer]).unwrap();
        let opened = open_note(note.as_bytes(), &[v]).unwrap();
        assert_eq!(opened.text, "hello\n\nworld\n");
        assert_eq!(opened.verified_by, vec!["example.org/test".to_string()]);
    }

    #[test]
    fn repeated_line_from_a_known_key_is_verified_too() {
        let signer = Signer::new("example.org/test", DeviceKey::from_seed(&[9u8; 32])).unwrap();
        let v = signer.verifier();
        let note = sign_note("hello\n", &[signer]).unwrap();
        let mut raw = v.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&[0u8; 64]);
        let forged = format!("{note}{SIG_PREFIX}{} {}\n", v.name, B64.encode(raw));
        assert_eq!(
            open_note(forged.as_bytes(), std::slice::from_ref(&v)),
            Err(NoteError::InvalidSignature {
                name: v.name.clone(),
                key_id: v.key_id
            })
        );
        // A repeat of the valid line verifies and is listed once.
        let line = note.lines().last().unwrap();
        let twice = format!("{note}{line}\n");
        let opened = open_note(twice.as_bytes(), &[v]).unwrap();
        assert_eq!(opened.verified_lines, vec![line.to_string()]);
        assert_eq!(opened.signature_lines, 2);
    }

    #[test]
    fn sign_refuses_bad_text_and_names() {
        let k = || DeviceKey::from_seed(&[9u8; 32]);
        let s = Signer {
            name: "ok".into(),
            key: k(),
        };
        assert_eq!(
            sign_note("no newline", &[s]),
            Err(NoteError::TextMustEndWithNewline)
        );
        let s = Signer {
            name: "ok".into(),
            key: k(),
        };
        assert!(matches!(
            sign_note("a\rb\n", &[s]),
            Err(NoteError::ControlCharacter { .. })
        ));
        let s = Signer {
            name: "bad name".into(),
            key: k(),
        };
        assert!(matches!(
            sign_note("a\n", &[s]),
            Err(NoteError::InvalidKeyName(_))
        ));
        assert!(Signer::new("a+b", k()).is_err());
        assert_eq!(sign_note("a\n", &[]), Err(NoteError::NoSigners));
    }
}
