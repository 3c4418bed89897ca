//! The log's leaves: one per public event, in one canonical, versioned byte form.
//!
//! A leaf is the line `tallyseal-log-leaf/v1` and a newline, then the canonical JSON
//! ([`crate::canonical`]) of a [`LeafBody`]: `{"event":{"kind":…,…},"logged_at_ms":…}`. Its
//! Merkle leaf hash is `SHA-256(0x00 || leaf bytes)`. Parsing insists on the exact canonical form,
//! so one event has exactly one leaf. A leaf is at most [`MAX_LEAF_BYTES`] (it must fit a C2SP
//! entry bundle).
//!
//! Nothing personal goes in a leaf: operators appear by a stable opaque id ([`OperatorId`],
//! which refuses anything with an `@`), never by name, e-mail or password. See `docs/log.md`.

use serde::{Deserialize, Serialize};

use crate::canonical::{self, CanonicalError};
use crate::hash::Sha256Digest;
use crate::keys::PublicKey;
use crate::log::merkle::{Hash, leaf_hash};
use crate::log::tiles::MAX_ENTRY_BYTES;

/// The first line of every v1 leaf.
pub const LEAF_FORMAT_V1: &str = "tallyseal-log-leaf/v1";

/// Largest leaf, in bytes.
pub const MAX_LEAF_BYTES: usize = MAX_ENTRY_BYTES;

/// Longest id (election, station, constituency, operator) a leaf carries.
pub const MAX_ID_LEN: usize = 128;

/// A stable, opaque operator id (e.g. `ro-na-046-1`): ASCII letters, digits, `-`, `_`, `.`, `:`
/// only — never an e-mail address or a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OperatorId(String);

impl OperatorId {
    pub fn new(id: &str) -> Result<Self, LeafError> {
        let ok = !id.is_empty()
            && id.len() <= MAX_ID_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if !ok {
            return Err(LeafError::BadOperatorId(id.chars().take(40).collect()));
        }
        Ok(Self(id.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OperatorId {
    type Error = LeafError;
    fn try_from(s: String) -> Result<Self, LeafError> {
        Self::new(&s)
    }
}

impl From<OperatorId> for String {
    fn from(id: OperatorId) -> String {
        id.0
    }
}

/// The Form-45 follow-up forms whose versions are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResultForm {
    #[serde(rename = "form-47")]
    Form47,
    #[serde(rename = "form-48")]
    Form48,
    #[serde(rename = "form-49")]
    Form49,
}

/// Every event the public may rely on. Hashes are SHA-256 of the exact bytes published elsewhere
/// (package, manifest, image, report, decision or form document); keys are Ed25519 public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LogEvent {
    /// The Commission published a signed election package.
    ElectionPackagePublished {
        election_id: String,
        package_hash: Sha256Digest,
        commission_key: PublicKey,
    },
    /// A phone's key was enrolled for a polling station.
    DeviceEnrolled {
        election_id: String,
        device_key: PublicKey,
        station_id: String,
    },
    /// A phone's key was revoked.
    DeviceRevoked {
        election_id: String,
        device_key: PublicKey,
        station_id: String,
    },
    /// A capture manifest was received (hash-first intake).
    ManifestReceived {
        manifest_hash: Sha256Digest,
        received_at_ms: i64,
    },
    /// The image of a capture was received and verified.
    ImageVerified {
        manifest_hash: Sha256Digest,
        image_hash: Sha256Digest,
        verdict: String,
        report_hash: Sha256Digest,
    },
    /// A Returning Officer's decision on a capture (the capture by its manifest hash, the
    /// decision record by hash).
    RoDecision {
        election_id: String,
        constituency_id: String,
        manifest_hash: Sha256Digest,
        decision_hash: Sha256Digest,
        operator: OperatorId,
    },
    /// Figures released for a constituency.
    ResultsReleased {
        election_id: String,
        constituency_id: String,
        document_hash: Sha256Digest,
        operator: OperatorId,
    },
    /// Figures confirmed for a constituency.
    FiguresConfirmed {
        election_id: String,
        constituency_id: String,
        figures_hash: Sha256Digest,
        operator: OperatorId,
    },
    /// A version of Form-47/48/49; `corrects` names the version it replaces.
    FormVersion {
        election_id: String,
        constituency_id: String,
        form: ResultForm,
        version: u32,
        document_hash: Sha256Digest,
        corrects: Option<Sha256Digest>,
        operator: OperatorId,
    },
    /// The log's signing key changed (C2SP vkeys of the old and new keys).
    LogKeyChanged { old_vkey: String, new_vkey: String },
    /// A witness was added to or removed from the log's witness policy (its cosigner vkey).
    WitnessChanged { witness_vkey: String, added: bool },
}

/// The JSON of a leaf after its format line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeafBody {
    pub event: LogEvent,
    /// When the log sequenced the event (milliseconds since the Unix epoch).
    pub logged_at_ms: i64,
}

/// Why a leaf was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafError {
    #[error("the leaf does not start with the line {LEAF_FORMAT_V1:?}")]
    UnknownFormat,
    #[error("the leaf is {0} bytes, more than the limit of {MAX_LEAF_BYTES}")]
    TooLarge(usize),
    #[error("the leaf JSON: {0}")]
    Json(#[from] CanonicalError),
    #[error("invalid operator id {0:?}: use a stable id of letters, digits, '-', '_', '.', ':'")]
    BadOperatorId(String),
    #[error("the id {0:?} is empty, longer than {MAX_ID_LEN} bytes or has a control character")]
    BadId(String),
}

fn check_id(id: &str) -> Result<(), LeafError> {
    if id.is_empty() || id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(LeafError::BadId(id.chars().take(40).collect()));
    }
    Ok(())
}

impl LogEvent {
    fn check(&self) -> Result<(), LeafError> {
        use LogEvent::*;
        let ids: Vec<&str> = match self {
            ElectionPackagePublished { election_id, .. } => vec![election_id],
            DeviceEnrolled {
                election_id,
                station_id,
                ..
            }
            | DeviceRevoked {
                election_id,
                station_id,
                ..
            } => vec![election_id, station_id],
            ManifestReceived { .. } => vec![],
            ImageVerified { verdict, .. } => vec![verdict],
            RoDecision {
                election_id,
                constituency_id,
                ..
            }
            | ResultsReleased {
                election_id,
                constituency_id,
                ..
            }
            | FiguresConfirmed {
                election_id,
                constituency_id,
                ..
            }
            | FormVersion {
                election_id,
                constituency_id,
                ..
            } => vec![election_id, constituency_id],
            LogKeyChanged { .. } | WitnessChanged { .. } => vec![],
        };
        ids.into_iter().try_for_each(check_id)
    }
}

impl LeafBody {
    /// The leaf bytes: the format line, then canonical JSON.
    pub fn to_leaf_bytes(&self) -> Result<Vec<u8>, LeafError> {
        self.event.check()?;
        let json = canonical::to_canonical_bytes(self)?;
        let mut out = Vec::with_capacity(LEAF_FORMAT_V1.len() + 1 + json.len());
        out.extend_from_slice(LEAF_FORMAT_V1.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&json);
        if out.len() > MAX_LEAF_BYTES {
            return Err(LeafError::TooLarge(out.len()));
        }
        Ok(out)
    }

    /// Parse leaf bytes (which must be exactly canonical).
    pub fn from_leaf_bytes(bytes: &[u8]) -> Result<Self, LeafError> {
        if bytes.len() > MAX_LEAF_BYTES {
            return Err(LeafError::TooLarge(bytes.len()));
        }
        let json = bytes
            .strip_prefix(LEAF_FORMAT_V1.as_bytes())
            .and_then(|rest| rest.strip_prefix(b"\n"))
            .ok_or(LeafError::UnknownFormat)?;
        let body: Self = canonical::from_canonical_bytes(json)?;
        // Canonical JSON text is not enough: the value must re-encode to these very bytes (an
        // omitted optional field parses as `None` but re-encodes as `null`), so that one event has
        // exactly one leaf and one leaf hash.
        if body.to_leaf_bytes()? != bytes {
            return Err(LeafError::Json(CanonicalError::NotCanonical));
        }
        Ok(body)
    }

    /// The Merkle leaf hash of this leaf.
    pub fn leaf_hash(&self) -> Result<Hash, LeafError> {
        Ok(leaf_hash(&self.to_leaf_bytes()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_ids_refuse_email_and_spaces() {
        assert!(OperatorId::new("ro-na-046-1").is_ok());
        for bad in ["", "officer@ecp.gov.pk", "Ali Khan", "a\nb"] {
            assert!(OperatorId::new(bad).is_err(), "{bad:?}");
        }
        let json = r#"{"event":{"constituency_id":"NA-46","decision_hash":"00","election_id":"e","kind":"ro_decision","operator":"x@y"},"logged_at_ms":1}"#;
        let mut leaf = b"tallyseal-log-leaf/v1\n".to_vec();
        leaf.extend_from_slice(json.as_bytes());
        assert!(LeafBody::from_leaf_bytes(&leaf).is_err());
    }

    #[test]
    fn leaves_round_trip_and_refuse_other_forms() {
        let body = LeafBody {
            event: LogEvent::FormVersion {
                election_id: "pk-2024-ge".into(),
                constituency_id: "NA-46".into(),
                form: ResultForm::Form47,
                version: 2,
                document_hash: crate::hash::sha256(b"v2"),
                corrects: Some(crate::hash::sha256(b"v1")),
                operator: OperatorId::new("ro-na-046").unwrap(),
            },
            logged_at_ms: 1_707_300_000_000,
        };
        let bytes = body.to_leaf_bytes().unwrap();
        assert_eq!(LeafBody::from_leaf_bytes(&bytes).unwrap(), body);
        assert_eq!(
            LeafBody::from_leaf_bytes(&bytes[1..]),
            Err(LeafError::UnknownFormat)
        );
        let mut spaced = bytes.clone();
        spaced.push(b' ');
        assert!(matches!(
            LeafBody::from_leaf_bytes(&spaced),
            Err(LeafError::Json(_))
        ));
        let big = vec![b'a'; MAX_LEAF_BYTES + 1];
        assert_eq!(
            LeafBody::from_leaf_bytes(&big),
            Err(LeafError::TooLarge(MAX_LEAF_BYTES + 1))
        );
        let bad_id = LeafBody {
            event: LogEvent::DeviceRevoked {
                election_id: String::new(),
                device_key: PublicKey([0; 32]),
                station_id: "s".into(),
            },
            logged_at_ms: 0,
        };
        assert!(matches!(bad_id.to_leaf_bytes(), Err(LeafError::BadId(_))));
    }

    #[test]
    fn an_omitted_optional_field_is_not_a_second_form_of_the_leaf() {
        let body = LeafBody {
            event: LogEvent::FormVersion {
                election_id: "pk-2024-ge".into(),
                constituency_id: "NA-46".into(),
                form: ResultForm::Form47,
                version: 1,
                document_hash: crate::hash::sha256(b"v1"),
                corrects: None,
                operator: OperatorId::new("ro-na-046").unwrap(),
            },
            logged_at_ms: 1_707_300_000_000,
        };
        let bytes = body.to_leaf_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"corrects\":null,"), "{text}");
        assert_eq!(LeafBody::from_leaf_bytes(&bytes).unwrap(), body);
        let omitted = text.replace("\"corrects\":null,", "");
        assert_eq!(
            LeafBody::from_leaf_bytes(omitted.as_bytes()),
            Err(LeafError::Json(CanonicalError::NotCanonical))
        );
    }
}
