//! What the verifier is given besides the capture: enrolment records, known images, the device's
//! earlier captures, thresholds, and the election package. Plain data: never fetched from
//! anywhere by the verifier itself.

use serde::{Deserialize, Serialize};

use crate::hash::Sha256Digest;
use crate::keys::PublicKey;
use crate::package::ElectionPackage;
use crate::phash;

/// A device key as enrolled: bound to one station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolledDevice {
    pub key: PublicKey,
    pub constituency: String,
    pub station: u32,
    #[serde(default)]
    pub enrolled_at_ms: Option<i64>,
    #[serde(default)]
    pub revoked_at_ms: Option<i64>,
}

/// An image already submitted (for duplicate detection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownImage {
    pub sha256: Sha256Digest,
    #[serde(default)]
    pub phash: Option<u64>,
    pub constituency: String,
    pub station: u32,
    pub manifest_hash: Sha256Digest,
}

/// An earlier capture of the same device (for sequence and chain checks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorCapture {
    pub seq: u64,
    pub manifest_hash: Sha256Digest,
}

/// Thresholds. The defaults are what the server and CLI use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VerificationPolicy {
    /// EXIF GPS further than max(this, 3 × fix accuracy) from the fix fails.
    pub exif_gps_tolerance_m: f64,
    /// A fix less precise than this cannot place a capture: warning.
    pub max_fix_accuracy_m: f64,
    /// Device clock off by more than this: warning.
    pub clock_skew_warn_ms: i64,
    /// EXIF time this far from the best capture time (beyond its uncertainty): warning; twice as far
    /// or more than an hour: failure.
    pub exif_time_tolerance_ms: i64,
    /// A capture time this far after the received time is "in the future".
    pub future_tolerance_ms: i64,
    /// Hamming distance for near-duplicates.
    pub near_duplicate_max_distance: u32,
    /// Compute the image's perceptual hash (and record it in the report) even when there is no
    /// other station's image to compare it with — what a server that keeps the hashes for later
    /// captures needs. Off by default: decoding costs ~7-9 ms per MB of JPEG.
    pub record_phash: bool,
    /// Leave the near-duplicate check to a later, separate analysis ([`near_duplicate_check`](super::near_duplicate_check),
    /// [`VerificationReport::complete_pending`](super::VerificationReport::complete_pending)): the report lists it in `pending` and the image is
    /// not decoded. What a server does so that a receipt does not wait for the perceptual hash,
    /// and so that captures are compared one after another, never two at once unseen by each other.
    pub defer_near_duplicates: bool,
}

impl Default for VerificationPolicy {
    fn default() -> Self {
        VerificationPolicy {
            exif_gps_tolerance_m: 500.0,
            max_fix_accuracy_m: 500.0,
            clock_skew_warn_ms: 5 * 60_000,
            exif_time_tolerance_ms: 10 * 60_000,
            future_tolerance_ms: 2 * 60_000,
            near_duplicate_max_distance: phash::NEAR_DUPLICATE_MAX_DISTANCE,
            record_phash: false,
            defer_near_duplicates: false,
        }
    }
}

/// What the verifier knows besides the capture itself.
#[derive(Debug, Clone, Default)]
pub struct VerificationContext {
    /// The authentic election package (its signature already checked by the caller).
    pub package: Option<ElectionPackage>,
    /// Hash of that signed package.
    pub package_hash: Option<Sha256Digest>,
    /// Enrolment records. Empty means "unknown": the enrolment check then warns.
    pub devices: Vec<EnrolledDevice>,
    /// Keys trusted to sign time anchors.
    pub anchor_keys: Vec<PublicKey>,
    /// Keys trusted to sign receipts.
    pub receipt_keys: Vec<PublicKey>,
    /// When the server received the manifest (Unix ms), if known.
    pub received_at_ms: Option<i64>,
    /// The verifier's current time (Unix ms), used when no received time is known.
    pub now_ms: i64,
    /// Images already submitted, for duplicate detection.
    pub known_images: Vec<KnownImage>,
    /// This device's earlier captures known to the verifier.
    pub prior_captures: Vec<PriorCapture>,
    pub policy: VerificationPolicy,
}
