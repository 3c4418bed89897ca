//! The JSON bodies of the server's HTTP API, shared by the server (`tallyseal-server`), the phone
//! client (`core::client`) and the field simulator, so both ends of the wire use one definition.
//! Plain data: no I/O. The API itself is described in `docs/server-api.md`.
//!
//! [`enrolment_qr`] is the one non-JSON format here: the enrolment QR payload the server writes and
//! the phone reads.
//!
//! Requests refuse unknown fields (a typo is an error, not a silently ignored value); responses
//! accept them, so an older phone keeps working against a newer server.

pub mod enrolment_qr;

use serde::{Deserialize, Serialize};

use crate::package::ElectionPackage;
use crate::receipt::Receipt;

/// `GET /api/v1/keys`: the server's public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysResponse {
    /// Signs receipts, time anchors and election packages (ed25519, hex).
    pub commission_key: String,
    /// The C2SP signed-note verifier key of the same key.
    pub note_verifier: String,
    /// Every verifier key whose election packages this server accepts.
    pub package_verifiers: Vec<String>,
    pub commission_name: String,
    /// The public transparency log's origin line (`docs/log.md`); empty from servers without it.
    #[serde(default)]
    pub log_origin: String,
    /// The C2SP signed-note verifier key of the log's checkpoints.
    #[serde(default)]
    pub log_vkey: String,
    /// The C2SP cosignature vkeys of the witnesses the log asks to cosign its checkpoints.
    #[serde(default)]
    pub witness_vkeys: Vec<String>,
    /// How many of those witnesses must cosign a checkpoint for it to count as witnessed.
    #[serde(default)]
    pub witness_policy: usize,
    /// Every change of the log's key, oldest first: how to go from a key one trusts to
    /// `log_vkey` (`docs/log.md`, "Log key rotation").
    #[serde(default)]
    pub log_key_changes: Vec<LogKeyChange>,
}

/// A change of the log's signing key: the `log_key_changed` leaf at `leaf_index` names the new
/// key, and `boundary`, the checkpoint of size `from_size` signed by the OLD key, covers that
/// leaf; checkpoints of larger trees are signed by the new key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogKeyChange {
    pub old_vkey: String,
    pub new_vkey: String,
    pub leaf_index: u64,
    pub from_size: u64,
    /// The boundary checkpoint, a signed note (as served at `/log/checkpoint` at the time).
    pub boundary: String,
}

/// `POST /api/v1/elections` body (admin): either a package for the server to sign with its
/// Commission key, or a note already signed by a key the server trusts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<ElectionPackage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_note: Option<String>,
}

/// `POST /api/v1/elections` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportResponse {
    pub election: String,
    pub package_hash: String,
}

/// `POST /api/v1/time-anchor` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeAnchorRequest {
    /// The phone's random nonce, 1-128 hex digits.
    pub nonce: String,
}

/// `POST /api/v1/elections/{election}/enrolment-codes` body (admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    pub constituency: String,
    pub station: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
}

/// An issued one-time enrolment code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeResponse {
    /// The code to print (`XXXX-XXXX-XXXX`); shown once, only its hash is stored.
    pub code: String,
    /// Text for a QR code: `tallyseal:enrol?server=<url>&election=<id>&code=<code>&vkey=<key>`,
    /// every value percent-encoded; `vkey` is the C2SP verifier key of the package signer, so the
    /// phone can pin it instead of trusting the server's word ([`enrolment_qr`] writes and reads
    /// it).
    pub qr_payload: String,
    pub election: String,
    pub constituency: String,
    pub station: u32,
    pub expires_at_ms: i64,
}

/// `POST /api/v1/enrol` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    pub code: String,
    /// The device's ed25519 public key, hex.
    pub device_key: String,
    pub officer_name: String,
}

/// `POST /api/v1/enrol` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub device_key: String,
    pub election: String,
    pub constituency: String,
    pub station: u32,
    pub officer_name: String,
    pub enrolled_at_ms: i64,
    /// The signed election package (C2SP signed note).
    pub package_note: String,
    pub package_hash: String,
    /// The key that signs receipts, time anchors and the package.
    pub commission_key: String,
}

/// `POST /api/v1/captures` body: the signed manifest, sent before the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestSubmission {
    /// The canonical manifest bytes, standard base64.
    pub manifest: String,
    /// The device's signature over them, 128 hex digits.
    pub signature: String,
}

/// Answer to a manifest submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionResponse {
    pub manifest_hash: String,
    pub status: String,
    pub receipt: Receipt,
    /// Where to create the tus upload for the image.
    pub upload_endpoint: String,
}

/// `GET /api/v1/captures/{hash}`: the latest receipt and, once verified, the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureStatus {
    pub manifest_hash: String,
    pub status: String,
    pub election: String,
    pub constituency: String,
    pub station: i64,
    pub received_at_ms: i64,
    pub image_received_at_ms: Option<i64>,
    pub verdict: Option<String>,
    pub receipt: Receipt,
    /// The `VerificationReport`, as JSON.
    pub report: Option<serde_json::Value>,
    /// The Returning Officer asked the Presiding Officer for a new capture of this one: the phone
    /// shows it at its next sync, and the new capture names this one in `supersedes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recapture: Option<RecaptureRequest>,
    /// The capture's latest leaf in the public transparency log with its inclusion proof against
    /// a published checkpoint, once the log has sequenced it (`docs/log.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogInclusion>,
}

/// A Returning Officer's request for a new capture of a station's form (a console decision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecaptureRequest {
    /// The decision's id (client-generated, stable across servers and offline offices).
    pub request_id: String,
    /// A reason code from the console's fixed list (e.g. `illegible`, `wrong-form`).
    pub reason_code: String,
    /// The RO's words, shown to the PO as text.
    pub reason: String,
    pub requested_at_ms: i64,
    /// The RO's stable opaque id (never a name or e-mail).
    pub requested_by: String,
}

/// A leaf of the public log and a C2SP tlog-proof of its inclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogInclusion {
    /// The leaf's index in the log.
    pub leaf_index: u64,
    /// The leaf's exact bytes (`tallyseal-log-leaf/v1` text), UTF-8.
    pub leaf: String,
    /// A C2SP `tlog-proof@v1` for the leaf, its checkpoint carrying the log's signature and the
    /// witnesses' cosignatures collected so far.
    pub proof: String,
}
