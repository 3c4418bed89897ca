//! Sealing: turning a photograph and its circumstances into a [`SealedCapture`] at the moment of
//! capture — EXIF read, image hashed, manifest built, chained to the device's previous capture, and
//! signed with the device key.
//!
//! Sealing is pure and deterministic: the same inputs and key give the same bytes
//! (`docs/vectors/` holds a test vector that proves it). Randomness (the capture-set id) and clocks
//! are inputs.

use crate::bundle::EvidenceBundle;
use crate::exif::extract_exif;
use crate::form::{FormFigures, FormKind};
use crate::hash::{Sha256Digest, sha256};
use crate::keys::{DeviceKey, PublicKey, SignatureBytes};
use crate::manifest::{
    CaptureManifest, DeviceChain, ImageRef, MANIFEST_DOMAIN, MANIFEST_FORMAT, MANIFEST_VERSION,
    ManifestError, ManifestExif, ManifestFix, Supersedes, to_e7, to_mm,
};
use crate::time::ClockReadings;

/// Domain of the upload authorisation: the device's signature over a manifest hash (its 32
/// bytes), which the server asks for before it takes image bytes for that manifest
/// (`docs/tus.md`, "Who may upload").
pub const UPLOAD_AUTH_DOMAIN: &str = "tallyseal/upload-auth/v1";

/// The request header carrying the upload authorisation (128 hex digits) on every tus request.
pub const UPLOAD_AUTH_HEADER: &str = "Tallyseal-Upload-Auth";

/// The device's authorisation to upload the image of the capture whose manifest hash is
/// `manifest_hash`. Deterministic (ed25519), so every retry presents the same value; it is never
/// published (unlike the manifest hash, which agents and bundles carry), so knowing a capture's
/// hash does not let anyone else write to its upload.
pub fn upload_auth(key: &DeviceKey, manifest_hash: &Sha256Digest) -> SignatureBytes {
    key.sign(UPLOAD_AUTH_DOMAIN, &manifest_hash.0)
}

/// Whether `auth` is `device`'s upload authorisation for `manifest_hash`.
pub fn verify_upload_auth(
    device: &PublicKey,
    manifest_hash: &Sha256Digest,
    auth: &SignatureBytes,
) -> bool {
    device
        .verify(UPLOAD_AUTH_DOMAIN, &manifest_hash.0, auth)
        .is_ok()
}

/// Largest image accepted for sealing, bytes (a phone photo of a sheet is 1-8 MB).
pub const MAX_IMAGE_BYTES: u64 = 64 * 1024 * 1024;

/// A location fix as the platform reports it (floating point, as Android/iOS give it).
#[derive(Debug, Clone, PartialEq)]
pub struct LocationFix {
    pub lat: f64,
    pub lon: f64,
    /// Horizontal accuracy, metres (68 % radius).
    pub accuracy_m: f64,
    pub altitude_m: Option<f64>,
    pub provider: String,
    pub mock: bool,
    pub gnss_time_ms: Option<i64>,
    pub fix_monotonic_ms: Option<u64>,
}

/// Everything that goes into one sealed page.
#[derive(Debug, Clone)]
pub struct CaptureInput {
    pub image: Vec<u8>,
    pub media_type: String,
    pub election: String,
    pub package: Option<Sha256Digest>,
    pub constituency: String,
    pub station: u32,
    pub form: FormKind,
    pub page: u32,
    pub pages: u32,
    /// 32 lowercase hex digits, the same for every page of the set.
    pub capture_set: String,
    pub fix: Option<LocationFix>,
    pub clock: ClockReadings,
    pub figures: Option<FormFigures>,
    pub supersedes: Option<Supersedes>,
    pub app: String,
}

/// Where the device's hash chain stands before a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainState {
    pub next_seq: u64,
    pub prev: Option<Sha256Digest>,
}

impl ChainState {
    /// The state of a device that has never captured.
    pub fn genesis() -> ChainState {
        ChainState {
            next_seq: 1,
            prev: None,
        }
    }
}

/// A sealed capture: the image, its canonical manifest and the device's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedCapture {
    pub manifest: CaptureManifest,
    pub manifest_bytes: Vec<u8>,
    pub manifest_hash: Sha256Digest,
    pub signature: SignatureBytes,
    pub image: Vec<u8>,
    /// The device's authorisation to upload the image ([`upload_auth`]); not part of the
    /// evidence, never written into a bundle.
    pub upload_auth: SignatureBytes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the image is empty")]
    EmptyImage,
    #[error("the image is {0} bytes; the limit is {MAX_IMAGE_BYTES}")]
    ImageTooLarge(u64),
    #[error("{0}")]
    Manifest(#[from] ManifestError),
}

/// Random capture-set identifier (32 hex digits) from the OS random number generator.
pub fn new_capture_set_id() -> Result<String, crate::keys::KeyError> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).map_err(|_| crate::keys::KeyError::Randomness)?;
    Ok(hex::encode(b))
}

/// Seal one page. See the module documentation.
pub fn seal(
    input: CaptureInput,
    key: &DeviceKey,
    chain: &ChainState,
) -> Result<SealedCapture, SealError> {
    if input.image.is_empty() {
        return Err(SealError::EmptyImage);
    }
    let len = input.image.len() as u64;
    if len > MAX_IMAGE_BYTES {
        return Err(SealError::ImageTooLarge(len));
    }
    let exif = extract_exif(&input.image);
    let fix = input.fix.as_ref().and_then(|f| {
        Some(ManifestFix {
            lat_e7: to_e7(f.lat)?,
            lon_e7: to_e7(f.lon)?,
            accuracy_mm: to_mm(f.accuracy_m)?,
            altitude_mm: f.altitude_m.and_then(to_mm),
            provider: f.provider.clone(),
            mock: f.mock,
            gnss_time_ms: f.gnss_time_ms,
            fix_monotonic_ms: f.fix_monotonic_ms,
        })
    });
    let manifest = CaptureManifest {
        format: MANIFEST_FORMAT.to_owned(),
        v: MANIFEST_VERSION,
        election: input.election,
        package: input.package,
        constituency: input.constituency,
        station: input.station,
        form: input.form,
        page: input.page,
        pages: input.pages,
        capture_set: input.capture_set,
        image: ImageRef {
            sha256: sha256(&input.image),
            bytes: len,
            media_type: input.media_type,
        },
        exif: ManifestExif::from_summary(&exif),
        fix,
        clock: input.clock,
        figures: input.figures,
        device: DeviceChain {
            key: key.public_key(),
            seq: chain.next_seq,
            prev: chain.prev,
        },
        supersedes: input.supersedes,
        app: input.app,
    };
    manifest.check_consistency()?;
    let manifest_bytes = manifest.to_bytes()?;
    let signature = key.sign(MANIFEST_DOMAIN, &manifest_bytes);
    let manifest_hash = sha256(&manifest_bytes);
    Ok(SealedCapture {
        upload_auth: upload_auth(key, &manifest_hash),
        manifest_hash,
        manifest,
        manifest_bytes,
        signature,
        image: input.image,
    })
}

impl SealedCapture {
    /// The chain state for the device's next capture.
    pub fn next_chain(&self) -> ChainState {
        ChainState {
            next_seq: self.manifest.device.seq + 1,
            prev: Some(self.manifest_hash),
        }
    }

    /// The one-file evidence bundle (no receipt yet).
    pub fn to_bundle(&self) -> EvidenceBundle {
        EvidenceBundle {
            manifest: self.manifest_bytes.clone(),
            signature: self.signature,
            image: Some(self.image.clone()),
            receipt: None,
            log_proof: None,
        }
    }

    /// The one-file evidence bundle (no receipt yet), without copying the image.
    pub fn into_bundle(self) -> EvidenceBundle {
        EvidenceBundle {
            manifest: self.manifest_bytes,
            signature: self.signature,
            image: Some(self.image),
            receipt: None,
            log_proof: None,
        }
    }
}
