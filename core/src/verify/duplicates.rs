//! Identical and nearly identical images already submitted.
//! Like every check, it must never do I/O, read the clock or panic on what a capture holds.

use serde_json::json;

use super::context::{KnownImage, VerificationContext, VerificationPolicy};
use super::report::{CheckId, CheckResult, Checks, Outcome, check_result};
use crate::hash::Sha256Digest;
use crate::manifest::CaptureManifest;
use crate::phash;

pub(super) fn check_duplicates(
    m: &CaptureManifest,
    manifest_hash: &Sha256Digest,
    image: Option<&[u8]>,
    ctx: &VerificationContext,
    c: &mut Checks,
) -> Option<u64> {
    let same: Vec<&KnownImage> = ctx
        .known_images
        .iter()
        .filter(|k| k.sha256 == m.image.sha256 && &k.manifest_hash != manifest_hash)
        .collect();
    let elsewhere = same
        .iter()
        .find(|k| k.constituency != m.constituency || k.station != m.station);
    if let Some(k) = elsewhere {
        c.fail(
            CheckId::DuplicateImage,
            format!(
                "the same image was already submitted for {} station {}",
                k.constituency, k.station
            ),
            json!({"other_manifest": k.manifest_hash, "other_constituency": k.constituency, "other_station": k.station}),
        );
    } else if let Some(k) = same.first() {
        c.warn(
            CheckId::DuplicateImage,
            "the same image was already submitted for this station under another manifest",
            json!({"other_manifest": k.manifest_hash}),
        );
    } else {
        c.pass(
            CheckId::DuplicateImage,
            format!("no identical image among {} known", ctx.known_images.len()),
            json!({"known_images": ctx.known_images.len()}),
        );
    }

    if ctx.policy.defer_near_duplicates {
        return None;
    }
    // The perceptual hash is computed when there is something to compare it with, or when the
    // policy asks for it to be recorded for the captures that come later.
    let has_candidates = ctx
        .known_images
        .iter()
        .any(|k| is_near_duplicate_candidate(k, &m.image.sha256, &m.constituency, m.station));
    if !has_candidates && !ctx.policy.record_phash {
        // Nothing to compare with, and no hash wanted: the image is not decoded at all.
        c.pass(
            CheckId::NearDuplicateImage,
            "no perceptual hashes of other stations' images to compare",
            json!({}),
        );
        return None;
    }
    let ours = image.and_then(phash::dhash);
    c.0.push(near_duplicate_check(
        ours,
        &m.image.sha256,
        &m.constituency,
        m.station,
        &ctx.known_images,
        &ctx.policy,
    ));
    ours
}

/// Near-copies matter across stations (one sheet passed off as another station's). At the same
/// station a near-copy is a retake or the next page of the same sheet, which is expected; an
/// identical image is the exact-duplicate check's business.
pub(super) fn is_near_duplicate_candidate(
    k: &KnownImage,
    sha: &Sha256Digest,
    constituency: &str,
    station: u32,
) -> bool {
    k.phash.is_some()
        && &k.sha256 != sha
        && (k.constituency != constituency || k.station != station)
}

/// The near-duplicate check of an image whose perceptual hash is `phash` (`None`: the image could
/// not be decoded) against `known` images: a warning naming the nearest other station's image
/// within `policy.near_duplicate_max_distance` bits. Used inside [`verify_capture`](super::verify_capture), and on its own
/// by an analysis that runs after the receipt (see [`VerificationPolicy::defer_near_duplicates`](super::VerificationPolicy::defer_near_duplicates)).
pub fn near_duplicate_check(
    phash: Option<u64>,
    sha256: &Sha256Digest,
    constituency: &str,
    station: u32,
    known: &[KnownImage],
    policy: &VerificationPolicy,
) -> CheckResult {
    let candidates: Vec<&KnownImage> = known
        .iter()
        .filter(|k| is_near_duplicate_candidate(k, sha256, constituency, station))
        .collect();
    // An image without a perceptual hash is compared with nothing, now or later (later images
    // are compared only with hashed ones): a warning even when there is nothing to compare yet.
    let Some(ours) = phash else {
        return check_result(
            CheckId::NearDuplicateImage,
            Outcome::Warn,
            "the image could not be decoded for a perceptual hash; it is not compared with other stations' images",
            json!({"compared": 0}),
        );
    };
    if candidates.is_empty() {
        check_result(
            CheckId::NearDuplicateImage,
            Outcome::Pass,
            "no perceptual hashes of other stations' images to compare",
            json!({"phash": format!("{ours:016x}")}),
        )
    } else {
        let nearest = candidates
            .iter()
            .filter_map(|k| k.phash.map(|p| (phash::distance(p, ours), *k)))
            .min_by_key(|(d, _)| *d);
        match nearest {
            Some((d, k)) if d <= policy.near_duplicate_max_distance => check_result(
                CheckId::NearDuplicateImage,
                Outcome::Warn,
                format!(
                    "nearly the same picture as one submitted for {} station {} ({d} of 64 bits differ)",
                    k.constituency, k.station
                ),
                json!({"phash": format!("{ours:016x}"), "distance": d, "other_manifest": k.manifest_hash,
                       "other_constituency": k.constituency, "other_station": k.station,
                       "compared": candidates.len()}),
            ),
            _ => check_result(
                CheckId::NearDuplicateImage,
                Outcome::Pass,
                "no near-duplicate among the known images",
                json!({"phash": format!("{ours:016x}"), "compared": candidates.len()}),
            ),
        }
    }
}
