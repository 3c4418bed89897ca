//! The one place the server talks to `tallyseal-core` about provenance: manifests, receipts, time
//! anchors, election packages (signed notes), perceptual hashes and capture verification.
//!
//! Everything is the core's own code (manifest, receipt, time anchor, package and signed note,
//! perceptual hash, verification), so the server verifies exactly as a phone or an auditor does;
//! this module only adapts names and error types. Nothing here does I/O.

use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::keys::{DeviceKey, SignatureBytes};
use tallyseal_core::manifest::{CaptureManifest, ManifestError, verify_manifest_signature};

pub use tallyseal_core::note::{Signer, Verifier};
pub use tallyseal_core::package::{ElectionPackage, PackageError, SignedPackage};
pub use tallyseal_core::phash::dhash;
pub use tallyseal_core::receipt::{Receipt, ReceiptBody, ReceiptStatus};
pub use tallyseal_core::time::TimeAnchor;
pub use tallyseal_core::verify::{
    CheckId, EnrolledDevice, KnownImage, Outcome, PriorCapture, Verdict, VerificationContext,
    VerificationPolicy, VerificationReport, verify_capture,
};

/// Parse manifest bytes and check the device signature (key taken from `manifest.device.key`).
pub fn open_manifest(
    bytes: &[u8],
    signature: &SignatureBytes,
) -> Result<CaptureManifest, ManifestError> {
    verify_manifest_signature(bytes, signature)
}

/// Issue a signed time anchor.
pub fn issue_time_anchor(
    key: &DeviceKey,
    nonce: &str,
    server_time_ms: i64,
    uncertainty_ms: u64,
) -> Result<TimeAnchor, String> {
    TimeAnchor::issue(key, nonce, server_time_ms, uncertainty_ms).map_err(|e| e.to_string())
}

/// The server's note signer (its commission key under `name`).
pub fn server_signer(name: &str, key: &DeviceKey) -> Result<Signer, PackageError> {
    Ok(Signer::new(name, DeviceKey::from_seed(&key.seed()))?)
}

/// An election package whose signed note has been checked, with its hash.
#[derive(Debug, Clone)]
pub struct OpenedPackage {
    pub package: ElectionPackage,
    pub signed: SignedPackage,
    pub hash: Sha256Digest,
}

/// Check a signed package note against `verifiers` and parse it.
pub fn open_package(note: &str, verifiers: &[Verifier]) -> Result<OpenedPackage, PackageError> {
    let (package, signed) = SignedPackage::open(note.as_bytes(), verifiers)?;
    let hash = signed.hash();
    Ok(OpenedPackage {
        package,
        signed,
        hash,
    })
}

/// Sign a package with the server's signer.
pub fn sign_package(
    package: &ElectionPackage,
    signer: &Signer,
) -> Result<OpenedPackage, PackageError> {
    let signed = package.sign(signer)?;
    let hash = signed.hash();
    Ok(OpenedPackage {
        package: package.clone(),
        signed,
        hash,
    })
}
