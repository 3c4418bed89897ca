//! The capture manifest: the small, signed, canonical JSON document that commits to a captured image
//! and everything known at the moment of capture. Its SHA-256 (the *manifest hash*) is the
//! submission's identity everywhere: on the phone, on the server, in receipts and in the public log.
//!
//! Format: `docs/manifest.md`. The manifest is canonical JSON ([`crate::canonical`]) with integers
//! only: coordinates are in units of 1e-7 degrees, lengths in millimetres, times in Unix
//! milliseconds.

use serde::{Deserialize, Serialize};

use crate::canonical::{CanonicalError, from_canonical_bytes, to_canonical_bytes};
pub use crate::exif::ManifestExif;
use crate::form::{FormFigures, FormKind};
use crate::hash::Sha256Digest;
use crate::keys::{KeyError, PublicKey, SignatureBytes};
use crate::time::ClockReadings;

/// Signature domain of capture manifests.
pub const MANIFEST_DOMAIN: &str = "tallyseal/capture-manifest/v1";
/// Value of the manifest's `format` field.
pub const MANIFEST_FORMAT: &str = "tallyseal.capture";
/// The manifest version this code writes and reads.
pub const MANIFEST_VERSION: u32 = 1;
/// Largest manifest accepted, bytes.
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;
/// Most pages one capture set may have.
pub const MAX_PAGES: u32 = 50;

/// The signed capture manifest (version 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureManifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// Always [`MANIFEST_VERSION`].
    pub v: u32,
    /// Election identifier from the package.
    pub election: String,
    /// SHA-256 of the signed election package the phone held, if it held one.
    pub package: Option<Sha256Digest>,
    pub constituency: String,
    pub station: u32,
    pub form: FormKind,
    /// Page number, from 1.
    pub page: u32,
    /// Number of pages in this capture set.
    pub pages: u32,
    /// Random identifier shared by the pages of one capture set (32 hex digits).
    pub capture_set: String,
    pub image: ImageRef,
    /// What the phone read from the image's EXIF at sealing time.
    pub exif: ManifestExif,
    /// The location fix at capture, or `None` when the phone had none (or it was not a number).
    pub fix: Option<ManifestFix>,
    pub clock: ClockReadings,
    /// Figures the Presiding Officer entered.
    pub figures: Option<FormFigures>,
    pub device: DeviceChain,
    /// Set when this capture corrects an earlier one.
    pub supersedes: Option<Supersedes>,
    /// Capturing software and version, e.g. `tallyseal-android/0.1.0`.
    pub app: String,
}

/// The image a manifest commits to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRef {
    pub sha256: Sha256Digest,
    pub bytes: u64,
    pub media_type: String,
}

/// A location fix in integer units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFix {
    pub lat_e7: i64,
    pub lon_e7: i64,
    /// Horizontal accuracy (68 % radius), millimetres.
    pub accuracy_mm: i64,
    pub altitude_mm: Option<i64>,
    /// `gps`, `network`, `fused`, ...
    pub provider: String,
    /// The platform said this fix came from a mock location provider.
    pub mock: bool,
    /// UTC time of the fix from GNSS, Unix ms.
    pub gnss_time_ms: Option<i64>,
    /// Monotonic clock when the fix was taken, ms since boot.
    pub fix_monotonic_ms: Option<u64>,
}

/// The device's hash chain: every capture names the one before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceChain {
    pub key: PublicKey,
    /// 1 for the device's first capture, then +1 each capture.
    pub seq: u64,
    /// Manifest hash of capture `seq - 1` (None for the first).
    pub prev: Option<Sha256Digest>,
}

/// A correction: this capture replaces an earlier one, for a stated reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supersedes {
    pub manifest: Sha256Digest,
    pub reason: String,
}

/// Why bytes are not a valid manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest is {0} bytes; the limit is {MAX_MANIFEST_BYTES}")]
    TooLarge(usize),
    #[error("manifest is not canonical JSON: {0}")]
    Canonical(#[from] CanonicalError),
    #[error("unsupported manifest format {format:?} version {v}")]
    Unsupported { format: String, v: u32 },
    #[error("manifest is inconsistent: {0}")]
    Invalid(String),
    #[error("manifest signature: {0}")]
    Signature(#[from] KeyError),
}

impl CaptureManifest {
    /// Parse and structurally check manifest bytes. Does not check the signature.
    pub fn parse(bytes: &[u8]) -> Result<CaptureManifest, ManifestError> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge(bytes.len()));
        }
        let m: CaptureManifest = from_canonical_bytes(bytes)?;
        if m.format != MANIFEST_FORMAT || m.v != MANIFEST_VERSION {
            return Err(ManifestError::Unsupported {
                format: m.format,
                v: m.v,
            });
        }
        // Every field must be present (no defaults): the struct's own encoding must be the input.
        if to_canonical_bytes(&m)? != bytes {
            return Err(ManifestError::Canonical(CanonicalError::NotCanonical));
        }
        m.check_consistency()?;
        Ok(m)
    }

    /// Canonical bytes of this manifest.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ManifestError> {
        let bytes = to_canonical_bytes(self)?;
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge(bytes.len()));
        }
        Ok(bytes)
    }

    /// Rules every manifest must satisfy, whatever its context.
    pub fn check_consistency(&self) -> Result<(), ManifestError> {
        let bad = |s: String| Err(ManifestError::Invalid(s));
        if self.page == 0 || self.page > self.pages || self.pages > MAX_PAGES {
            return bad(format!(
                "page {} of {} is not a valid page number",
                self.page, self.pages
            ));
        }
        if self.capture_set.len() != 32
            || !self
                .capture_set
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return bad("capture_set must be 32 lowercase hex digits".into());
        }
        if self.device.seq == 0 {
            return bad("device sequence numbers start at 1".into());
        }
        if self.image.bytes == 0 {
            return bad("the image is empty".into());
        }
        if (self.device.seq == 1) != self.device.prev.is_none() {
            return bad("only the first capture (seq 1) has no previous manifest".into());
        }
        if let Some(f) = &self.figures
            && f.kind() != self.form
        {
            return bad(format!(
                "figures are for {} but the capture is {}",
                f.kind().as_str(),
                self.form.as_str()
            ));
        }
        if self.election.is_empty() || self.constituency.is_empty() || self.station == 0 {
            return bad("election, constituency and station must be set".into());
        }
        Ok(())
    }
}

/// Parse `bytes` and check `signature` with the device key named inside the manifest.
pub fn verify_manifest_signature(
    bytes: &[u8],
    signature: &SignatureBytes,
) -> Result<CaptureManifest, ManifestError> {
    let m = CaptureManifest::parse(bytes)?;
    m.device.key.verify(MANIFEST_DOMAIN, bytes, signature)?;
    Ok(m)
}

/// Degrees to integer 1e-7 degrees; `None` for NaN or infinity.
pub fn to_e7(deg: f64) -> Option<i64> {
    let v = (deg * 1e7).round();
    (v.is_finite() && v.abs() < 9.0e15).then_some(v as i64)
}

/// Metres to integer millimetres; `None` for NaN or infinity.
pub fn to_mm(m: f64) -> Option<i64> {
    let v = (m * 1000.0).round();
    (v.is_finite() && v.abs() < 9.0e15).then_some(v as i64)
}

/// Integer 1e-7 degrees back to degrees.
pub fn from_e7(v: i64) -> f64 {
    v as f64 / 1e7
}
