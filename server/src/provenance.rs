//! The one place the server talks to `tallyseal-core` about provenance: manifests, receipts, time
//! anchors, election packages (signed notes), perceptual hashes, capture verification, and the
//! transparency log's leaves, checkpoints and cosignatures.
//!
//! Everything is the core's own code (manifest, receipt, time anchor, package and signed note,
//! perceptual hash, verification), so the server verifies exactly as a phone or an auditor does;
//! this module only adapts names and error types. Nothing here does I/O.

use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::keys::{DeviceKey, SignatureBytes};
use tallyseal_core::manifest::{CaptureManifest, ManifestError, verify_manifest_signature};

pub use tallyseal_core::log::checkpoint::Checkpoint;
pub use tallyseal_core::log::cosignature::{
    CosignatureError, CosignatureVerifier, open_cosigned_checkpoint,
};
pub use tallyseal_core::log::leaf::{LeafBody, LeafError, LogEvent};
pub use tallyseal_core::log::proof::TlogProof;
pub use tallyseal_core::note::{Signer, Verifier};
pub use tallyseal_core::package::{ElectionPackage, PackageError, SignedPackage};
pub use tallyseal_core::phash::dhash;
pub use tallyseal_core::receipt::{
    RECEIPT_HEADER, Receipt, ReceiptBody, ReceiptError, ReceiptStatus,
};
pub use tallyseal_core::seal::verify_upload_auth;
pub use tallyseal_core::time::{TimeAnchor, TimeError};
pub use tallyseal_core::verify::{
    CheckId, EnrolledDevice, KnownImage, Outcome, PriorCapture, Verdict, VerificationContext,
    VerificationPolicy, VerificationReport, device_enrolment_check, near_duplicate_check,
    verify_capture,
};

/// The signature domain of a signed result form (Forms 47, 48, 49): a statement in canonical
/// JSON, signed with the Commission key on the RO's behalf (docs/console.md, "Signing").
pub const SIGNED_FORM_DOMAIN: &str = "tallyseal/signed-form/v1";

/// Sign a result form's canonical statement with the server's Commission key.
pub fn sign_form_statement(key: &DeviceKey, canonical: &[u8]) -> SignatureBytes {
    key.sign(SIGNED_FORM_DOMAIN, canonical)
}

/// Check a result form's signature.
pub fn verify_form_statement(
    key: &tallyseal_core::keys::PublicKey,
    canonical: &[u8],
    signature: &SignatureBytes,
) -> bool {
    key.verify(SIGNED_FORM_DOMAIN, canonical, signature).is_ok()
}

/// Serialize a statement as canonical JSON (RFC 8785, integers only), the bytes that are signed.
pub fn canonical_statement<T: serde::Serialize>(
    value: &T,
) -> Result<Vec<u8>, tallyseal_core::canonical::CanonicalError> {
    tallyseal_core::canonical::to_canonical_bytes(value)
}

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
) -> Result<TimeAnchor, TimeError> {
    TimeAnchor::issue(key, nonce, server_time_ms, uncertainty_ms)
}

/// The server's note signer (its commission key under `name`).
pub fn server_signer(name: &str, key: &DeviceKey) -> Result<Signer, PackageError> {
    Ok(Signer::new(name, DeviceKey::from_seed(&key.seed()))?)
}

/// The log's checkpoint signer: its key under the log's origin (the key name is the origin).
pub fn log_signer(
    origin: &str,
    key: &DeviceKey,
) -> Result<Signer, tallyseal_core::note::NoteError> {
    Signer::new(origin, DeviceKey::from_seed(&key.seed()))
}

/// Sign the checkpoint of a tree of `size` leaves with root `root`.
pub fn sign_checkpoint(
    signer: &Signer,
    origin: &str,
    size: u64,
    root: tallyseal_core::log::merkle::Hash,
) -> Result<String, tallyseal_core::log::checkpoint::CheckpointError> {
    Checkpoint::new(origin, size, root).sign(signer)
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

/// Check a signed package note that is about to be published here: as [`open_package`], and
/// also the publish-time rules ([`ElectionPackage::validate`], text rule included), so a new
/// package is held to the rules a package signed here is.
pub fn open_package_to_publish(
    note: &str,
    verifiers: &[Verifier],
) -> Result<OpenedPackage, PackageError> {
    let (package, signed) = SignedPackage::open_to_publish(note.as_bytes(), verifiers)?;
    let hash = signed.hash();
    Ok(OpenedPackage {
        package,
        signed,
        hash,
    })
}

/// The C2SP verifier keys (`name+hexid+base64`) among `verifiers` whose signatures on `note`
/// verify: what an enrolment QR code carries so the phone can pin the package signer.
pub fn package_signer_vkeys(note: &str, verifiers: &[Verifier]) -> Vec<String> {
    match tallyseal_core::note::open_note(note.as_bytes(), verifiers) {
        Ok(opened) => verifiers
            .iter()
            .filter(|v| opened.verified_by.iter().any(|n| n == &v.name))
            .map(Verifier::to_vkey)
            .collect(),
        Err(_) => Vec::new(),
    }
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

/// Verify a capture whose image has just been received, hashing the image **once**.
///
/// The core's [`verify_capture`] hashes the image for its `image_hash` check; the server needs
/// the same hash to decide whether the bytes may be stored under the signed content address.
/// Rather than hash 2 MB twice, this reads the core's own `image_hash` check: the image's SHA-256
/// is `signed_image_sha256` exactly when that check passed (it compares the actual hash and size
/// with the manifest's, and the manifest is the one whose hash is `manifest_hash`). Returns the
/// report and whether the image is the signed one.
pub fn verify_received_image(
    manifest_bytes: &[u8],
    manifest_hash: &Sha256Digest,
    signature: &SignatureBytes,
    image: &[u8],
    ctx: &VerificationContext,
) -> (VerificationReport, bool) {
    let report = verify_capture(manifest_bytes, signature, Some(image), ctx);
    let image_matches = &report.manifest_hash == manifest_hash
        && report
            .checks
            .iter()
            .any(|c| c.check == CheckId::ImageHash && c.outcome == Outcome::Pass);
    (report, image_matches)
}

/// A manifest the server stored after checking its signature at intake, read back (structure
/// only: the signature was checked when it was accepted).
pub fn read_stored_manifest(bytes: &[u8]) -> Result<CaptureManifest, ManifestError> {
    CaptureManifest::parse(bytes)
}

/// The best estimate of when a manifest's capture was taken, as the verification's capture-time
/// check computes it: GNSS time from a fix that is not mocked, else a time anchor signed by one of
/// `anchor_keys`, else the device clock.
pub fn best_capture_time(
    manifest: &CaptureManifest,
    anchor_keys: &[tallyseal_core::keys::PublicKey],
) -> tallyseal_core::time::TimeEstimate {
    let gnss = manifest.fix.as_ref().filter(|f| !f.mock).and_then(|f| {
        f.gnss_time_ms.map(|t| tallyseal_core::time::GnssReading {
            gnss_time_ms: t,
            fix_monotonic_ms: f.fix_monotonic_ms,
        })
    });
    tallyseal_core::time::assess_time(&manifest.clock, gnss, anchor_keys).best
}
