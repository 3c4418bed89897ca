//! The verification context file read by `tallyseal verify --context FILE` (docs/verify-context.md).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tallyseal_core::keys::PublicKey;
use tallyseal_core::note::Verifier;
use tallyseal_core::package::SignedPackage;
use tallyseal_core::verify::{
    EnrolledDevice, KnownImage, PriorCapture, VerificationContext, VerificationPolicy,
    parse_rfc3339_ms,
};

use crate::CliError;

/// The JSON file. Every field is optional: what is missing is reported as "not checked".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextFile {
    /// Path of the signed election package (C2SP note), relative to the context file.
    pub package_file: Option<PathBuf>,
    /// Or the signed note inline.
    pub package_note: Option<String>,
    /// Commission verifier keys (`name+hexid+base64`) the package must be signed by.
    #[serde(default)]
    pub commission_keys: Vec<String>,
    #[serde(default)]
    pub devices: Vec<EnrolledDevice>,
    /// Keys trusted for time anchors (hex).
    #[serde(default)]
    pub time_anchor_keys: Vec<PublicKey>,
    /// Keys trusted for receipts (hex).
    #[serde(default)]
    pub server_keys: Vec<PublicKey>,
    /// When the server received the capture (RFC 3339), if not taken from the bundle's receipt.
    pub received_at: Option<String>,
    #[serde(default)]
    pub known_images: Vec<KnownImage>,
    #[serde(default)]
    pub prior_captures: Vec<PriorCapture>,
    #[serde(default)]
    pub policy: Option<VerificationPolicy>,
}

/// Read a context file and turn it into a verification context. The package's signature is checked
/// here: a context whose package does not verify is an error, not evidence.
pub fn load(path: &Path, now_ms: i64) -> Result<VerificationContext, CliError> {
    let bytes = crate::read_file(path)?;
    let file: ContextFile = serde_json::from_slice(&bytes).map_err(|e| {
        CliError::Usage(format!("{}: not a valid context file: {e}", path.display()))
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    build(file, base, now_ms)
}

pub fn build(file: ContextFile, base: &Path, now_ms: i64) -> Result<VerificationContext, CliError> {
    let note = match (&file.package_file, &file.package_note) {
        (Some(p), _) => {
            let p = base.join(p);
            Some(crate::read_file(&p)?)
        }
        (None, Some(n)) => Some(n.as_bytes().to_vec()),
        (None, None) => None,
    };
    let (package, package_hash) = match note {
        None => (None, None),
        Some(note) => {
            if file.commission_keys.is_empty() {
                return Err(CliError::Usage(
                    "the context has an election package but no commission_keys to check it with"
                        .into(),
                ));
            }
            let verifiers = file
                .commission_keys
                .iter()
                .map(|k| Verifier::parse(k))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CliError::Usage(format!("commission key: {e}")))?;
            let (pkg, signed) = SignedPackage::open(&note, &verifiers).map_err(|e| {
                CliError::Usage(format!(
                    "the context's election package does not verify: {e}"
                ))
            })?;
            (Some(pkg), Some(signed.hash()))
        }
    };
    let received_at_ms = match &file.received_at {
        None => None,
        Some(s) => Some(parse_rfc3339_ms(s).ok_or_else(|| {
            CliError::Usage(format!("received_at {s:?} is not an RFC 3339 time"))
        })?),
    };
    Ok(VerificationContext {
        package,
        package_hash,
        devices: file.devices,
        anchor_keys: file.time_anchor_keys,
        receipt_keys: file.server_keys,
        received_at_ms,
        now_ms,
        known_images: file.known_images,
        prior_captures: file.prior_captures,
        policy: file.policy.unwrap_or_default(),
    })
}
