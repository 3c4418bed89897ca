//! C2SP tlog-cosignature, Ed25519 `cosignature/v1` (https://c2sp.org/tlog-cosignature).
//!
//! A witness's cosignature is a note signature line on the checkpoint,
//! `— <witness name> base64(key ID || timestamp || signature)`, where
//! - the key ID is `SHA-256(name || 0x0A || 0x04 || public key)[:4]` (signature type 0x04),
//! - the timestamp is 8 bytes, big-endian POSIX seconds, below 2^63,
//! - the signature is Ed25519 over `cosignature/v1\ntime <timestamp>\n` followed by the whole
//!   checkpoint body (with its final newline, without any signature line).
//!
//! Written here rather than taken from a crate: no maintained Rust crate implements it, and it is
//! these few lines on top of [`crate::note`]. Pure: the caller passes the time in.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::hash::sha256;
use crate::keys::{DeviceKey, PublicKey, SignatureBytes};
use crate::log::checkpoint::{CheckpointError, SignedCheckpoint, open_checkpoint};
use crate::note::{self, NoteError, Verifier};

/// Signature type byte of Ed25519 `cosignature/v1` (in the key ID and the vkey).
pub const COSIGNATURE_V1_TYPE: u8 = 0x04;

/// Largest timestamp allowed (2^63 − 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

const SIG_PREFIX: &str = "\u{2014} ";
const SIGNATURE_LEN: usize = 4 + 8 + 64;

/// Why a cosignature could not be made or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    #[error("invalid cosigner name {0:?} (must be non-empty, without spaces or '+')")]
    InvalidName(String),
    #[error("cosignature timestamp {0} is zero or not below 2^63")]
    BadTimestamp(u64),
    #[error("malformed cosigner key: {0}")]
    MalformedKey(&'static str),
    #[error("the key ID {stated:08x} does not match the cosigner key (computed {computed:08x})")]
    KeyIdMismatch { stated: u32, computed: u32 },
    #[error("the cosignature by {name} (key ID {key_id:08x}) does not verify")]
    InvalidCosignature { name: String, key_id: u32 },
    #[error("the cosignature line is malformed: {0}")]
    MalformedLine(&'static str),
    #[error("the checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
}

/// The key ID of an Ed25519 cosigner key: `SHA-256(name || 0x0A || 0x04 || key)[:4]`.
pub fn cosignature_key_id(name: &str, key: &PublicKey) -> u32 {
    let mut buf = Vec::with_capacity(name.len() + 2 + 32);
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'\n');
    buf.push(COSIGNATURE_V1_TYPE);
    buf.extend_from_slice(&key.0);
    let h = sha256(&buf);
    u32::from_be_bytes([h.0[0], h.0[1], h.0[2], h.0[3]])
}

/// The signed message: `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint body.
pub fn signed_message(checkpoint_body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_body}").into_bytes()
}

/// A witness's signing key: its name and Ed25519 key.
#[derive(Debug)]
pub struct Cosigner {
    name: String,
    key: DeviceKey,
}

impl Cosigner {
    /// A cosigner named `name` (a note key name: non-empty, no spaces, no `+`).
    pub fn new(name: &str, key: DeviceKey) -> Result<Self, CosignatureError> {
        if !note::is_valid_key_name(name) {
            return Err(CosignatureError::InvalidName(name.to_string()));
        }
        Ok(Self {
            name: name.to_string(),
            key,
        })
    }

    /// The cosigner's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureVerifier {
        let key = self.key.public_key();
        CosignatureVerifier {
            name: self.name.clone(),
            key_id: cosignature_key_id(&self.name, &key),
            key,
        }
    }

    /// The cosignature line (ending in a newline) on `checkpoint_body` at `timestamp` (POSIX
    /// seconds, 1 ..= 2^63 − 1).
    pub fn cosign(
        &self,
        checkpoint_body: &str,
        timestamp: u64,
    ) -> Result<String, CosignatureError> {
        if timestamp == 0 || timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::BadTimestamp(timestamp));
        }
        let sig = self
            .key
            .sign_raw(&signed_message(checkpoint_body, timestamp));
        let mut raw = Vec::with_capacity(SIGNATURE_LEN);
        raw.extend_from_slice(
            &cosignature_key_id(&self.name, &self.key.public_key()).to_be_bytes(),
        );
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(&sig.0);
        Ok(format!("{SIG_PREFIX}{} {}\n", self.name, B64.encode(raw)))
    }
}

/// A cosigner's public key, in the vkey text form `name+hexkeyid+base64(0x04 || key)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    pub name: String,
    pub key_id: u32,
    pub key: PublicKey,
}

impl CosignatureVerifier {
    /// A verifier for `key` under `name`, with the key ID computed.
    pub fn new(name: &str, key: PublicKey) -> Result<Self, CosignatureError> {
        if !note::is_valid_key_name(name) {
            return Err(CosignatureError::InvalidName(name.to_string()));
        }
        Ok(Self {
            name: name.to_string(),
            key_id: cosignature_key_id(name, &key),
            key,
        })
    }

    /// Parse `name+hexkeyid+base64(0x04 || 32-byte key)`.
    pub fn parse(vkey: &str) -> Result<Self, CosignatureError> {
        let bad = CosignatureError::MalformedKey;
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected name+hexkeyid+base64key"));
        };
        if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("bad key ID"));
        }
        let stated = u32::from_str_radix(id, 16).map_err(|_| bad("bad key ID"))?;
        let raw = B64.decode(key).map_err(|_| bad("bad base64"))?;
        let (&alg, public) = raw.split_first().ok_or(bad("empty key"))?;
        if alg != COSIGNATURE_V1_TYPE {
            return Err(bad("not a cosignature/v1 key (type 0x04)"));
        }
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| bad("Ed25519 public key must be 32 bytes"))?;
        let public = PublicKey(public);
        if !public.is_valid_point() {
            return Err(bad("not a usable Ed25519 public key"));
        }
        let v = Self::new(name, public)?;
        if v.key_id != stated {
            return Err(CosignatureError::KeyIdMismatch {
                stated,
                computed: v.key_id,
            });
        }
        Ok(v)
    }

    /// The vkey text form.
    pub fn to_vkey(&self) -> String {
        let mut raw = Vec::with_capacity(33);
        raw.push(COSIGNATURE_V1_TYPE);
        raw.extend_from_slice(&self.key.0);
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }

    /// Verify the base64 part of a signature line (key ID, timestamp, signature) on
    /// `checkpoint_body`; returns the timestamp.
    pub fn verify(
        &self,
        checkpoint_body: &str,
        signature_b64: &str,
    ) -> Result<u64, CosignatureError> {
        let invalid = || CosignatureError::InvalidCosignature {
            name: self.name.clone(),
            key_id: self.key_id,
        };
        let raw = B64.decode(signature_b64).map_err(|_| invalid())?;
        if raw.len() != SIGNATURE_LEN || raw[..4] != self.key_id.to_be_bytes() {
            return Err(invalid());
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&raw[4..12]);
        let timestamp = u64::from_be_bytes(ts);
        if timestamp > MAX_TIMESTAMP {
            return Err(invalid());
        }
        let mut sig = [0u8; 64];
        sig.copy_from_slice(&raw[12..]);
        self.key
            .verify_raw(
                &signed_message(checkpoint_body, timestamp),
                &SignatureBytes(sig),
            )
            .map_err(|_| invalid())?;
        Ok(timestamp)
    }
}

impl FromStr for CosignatureVerifier {
    type Err = CosignatureError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for CosignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_vkey())
    }
}

/// A cosignature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCosignature {
    /// The witness's name.
    pub witness: String,
    /// When it cosigned (POSIX seconds).
    pub timestamp: u64,
}

/// A checkpoint whose log signature verified, with the cosignatures of known witnesses.
#[derive(Debug, Clone, PartialEq)]
pub struct CosignedCheckpoint {
    pub signed: SignedCheckpoint,
    /// Each known witness at most once, in the order of their lines.
    pub cosignatures: Vec<VerifiedCosignature>,
}

/// Open a cosigned checkpoint: the log signature must verify with one of `log_keys`; each line
/// from a known witness must verify (one that does not rejects the whole note, as the signed-note
/// rules do for known keys); lines from unknown keys are ignored.
pub fn open_cosigned_checkpoint(
    note_bytes: &[u8],
    log_keys: &[Verifier],
    witnesses: &[CosignatureVerifier],
) -> Result<CosignedCheckpoint, CosignatureError> {
    let signed = open_checkpoint(note_bytes, log_keys)?;
    // open_checkpoint checked UTF-8, the size limit and the signature block's shape.
    let text_len = signed.note.text.len();
    let sigs = note_bytes
        .get(text_len + 1..)
        .and_then(|s| std::str::from_utf8(s).ok())
        .ok_or(CheckpointError::Note(NoteError::MissingSignatures))?;
    let mut cosignatures: Vec<VerifiedCosignature> = Vec::new();
    for line in sigs.split_terminator('\n') {
        let line = line
            .strip_prefix(SIG_PREFIX)
            .ok_or(CosignatureError::MalformedLine("no em dash"))?;
        let (name, b64) = line
            .split_once(' ')
            .ok_or(CosignatureError::MalformedLine("no signature"))?;
        let Some(id) = B64.decode(b64).ok().and_then(|raw| {
            raw.get(..4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        }) else {
            continue;
        };
        let Some(w) = witnesses.iter().find(|w| w.name == name && w.key_id == id) else {
            continue;
        };
        let timestamp = w.verify(&signed.note.text, b64)?;
        if !cosignatures.iter().any(|c| c.witness == w.name) {
            cosignatures.push(VerifiedCosignature {
                witness: w.name.clone(),
                timestamp,
            });
        }
    }
    Ok(CosignedCheckpoint {
        signed,
        cosignatures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::checkpoint::Checkpoint;
    use crate::log::merkle::leaf_hash;
    use crate::note::Signer;

    fn witness(seed: u8) -> Cosigner {
        Cosigner::new("witness.example/w1", DeviceKey::from_seed(&[seed; 32])).unwrap()
    }

    #[test]
    fn message_is_the_spec_example() {
        let body =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(
            signed_message(body, 1679315147),
            b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
    }

    #[test]
    fn cosign_verify_and_vkey_round_trip() {
        let w = witness(3);
        let v = w.verifier();
        assert_eq!(CosignatureVerifier::parse(&v.to_vkey()).unwrap(), v);
        // A type 0x01 (note) vkey for the same key is not a cosigner key.
        let note_vkey = Verifier::new(w.name(), v.key).unwrap().to_vkey();
        assert!(CosignatureVerifier::parse(&note_vkey).is_err());
        assert_ne!(v.key_id, note::key_id(w.name(), &v.key));

        let log = Signer::new("example.org/log", DeviceKey::from_seed(&[1; 32])).unwrap();
        let cp = Checkpoint::new("example.org/log", 5, leaf_hash(b"r"));
        let signed = cp.sign(&log).unwrap();
        let line = w.cosign(&cp.body().unwrap(), 1_700_000_000).unwrap();
        let cosigned = format!("{signed}{line}");
        let opened = open_cosigned_checkpoint(
            cosigned.as_bytes(),
            &[log.verifier()],
            std::slice::from_ref(&v),
        )
        .unwrap();
        assert_eq!(
            opened.cosignatures,
            vec![VerifiedCosignature {
                witness: "witness.example/w1".into(),
                timestamp: 1_700_000_000
            }]
        );
        // Unknown witnesses are ignored.
        let opened = open_cosigned_checkpoint(cosigned.as_bytes(), &[log.verifier()], &[]).unwrap();
        assert!(opened.cosignatures.is_empty());
        // A cosignature over another checkpoint is refused.
        let other = Checkpoint::new("example.org/log", 6, leaf_hash(b"r"));
        let wrong = w.cosign(&other.body().unwrap(), 1_700_000_000).unwrap();
        let bad = format!("{signed}{wrong}");
        assert!(matches!(
            open_cosigned_checkpoint(bad.as_bytes(), &[log.verifier()], &[v]),
            Err(CosignatureError::InvalidCosignature { .. })
        ));
        assert_eq!(w.cosign("x\n", 0), Err(CosignatureError::BadTimestamp(0)));
        assert_eq!(
            w.cosign("x\n", 1 << 63),
            Err(CosignatureError::BadTimestamp(1 << 63))
        );
    }
}
