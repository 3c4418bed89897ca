//! The other submissions a capture is checked against: the same image anywhere (exact
//! duplicates), the device's neighbours in its hash chain, and the constituency's perceptual
//! hashes (near duplicates).

use sqlx::{AnyPool, Row};

use super::DbResult;

/// A submission's image as another capture's duplicate check sees it.
/// Rows: (manifest_hash, image_sha256, image_phash, constituency, station).
pub type KnownImageRow = (String, String, Option<String>, String, i64);

/// One row of the duplicate queries as the core's `KnownImage` (`None` for a row that does not
/// decode).
pub fn known_image(
    (manifest_hash, sha256, phash, constituency, station): KnownImageRow,
) -> Option<tallyseal_core::verify::KnownImage> {
    Some(tallyseal_core::verify::KnownImage {
        sha256: sha256.parse().ok()?,
        phash: phash.and_then(|p| u64::from_str_radix(&p, 16).ok()),
        constituency,
        station: u32::try_from(station).ok()?,
        manifest_hash: manifest_hash.parse().ok()?,
    })
}

fn known_image_from_row(r: &sqlx::any::AnyRow) -> DbResult<KnownImageRow> {
    Ok((
        r.try_get("manifest_hash")?,
        r.try_get("image_sha256")?,
        r.try_get("image_phash")?,
        r.try_get("constituency")?,
        r.try_get("station")?,
    ))
}

fn known_images_from_rows(rows: &[sqlx::any::AnyRow]) -> DbResult<Vec<KnownImageRow>> {
    rows.iter().map(known_image_from_row).collect()
}

/// What the checks of a completed upload need from the other submissions, in one query.
#[derive(Debug, Default)]
pub struct RelatedCaptures {
    /// Every submission, in any election or constituency, whose signed image hash is the
    /// capture's (the exact-duplicate check at intake).
    pub same_image: Vec<KnownImageRow>,
    /// The device's submissions with the capture's sequence number or the one before (the
    /// capture itself among them), and when there is none before, the highest below:
    /// (seq, manifest_hash). The hash chain check finds the predecessor, a fork (another capture
    /// with the same number), or where a gap starts, among them.
    pub chain_neighbours: Vec<(i64, String)>,
}

/// The submissions whose image hash is `image_sha256`, and `device`'s submissions with sequence
/// number `seq` or `seq - 1`.
pub async fn related_captures(
    db: &AnyPool,
    image_sha256: &str,
    device: &str,
    seq: i64,
) -> DbResult<RelatedCaptures> {
    // The device's captures numbered `seq` (forks) and `seq - 1` (the link), and when `seq - 1`
    // is missing the highest one below it, so a gap is reported from where it starts.
    let rows = sqlx::query(
        "SELECT manifest_hash, image_sha256, image_phash, constituency, station, device_key, seq \
         FROM submissions \
         WHERE image_sha256 = $1 \
            OR (device_key = $2 AND (seq = $3 OR seq = $4 OR seq = \
                (SELECT MAX(seq) FROM submissions WHERE device_key = $2 AND seq < $3)))",
    )
    .bind(image_sha256.to_owned())
    .bind(device.to_owned())
    .bind(seq - 1)
    .bind(seq)
    .fetch_all(db)
    .await?;
    let mut related = RelatedCaptures::default();
    for r in &rows {
        let row_seq: i64 = r.try_get("seq")?;
        if row_seq <= seq && r.try_get::<String, _>("device_key")? == device {
            related
                .chain_neighbours
                .push((row_seq, r.try_get("manifest_hash")?));
        }
        if r.try_get::<String, _>("image_sha256")? == image_sha256 {
            related.same_image.push(known_image_from_row(r)?);
        }
    }
    Ok(related)
}

/// Every other submission of the constituency with a perceptual hash (the near-duplicate
/// analysis).
pub async fn perceptual_candidates(
    db: &AnyPool,
    election: &str,
    constituency: &str,
    except_manifest: &str,
) -> DbResult<Vec<KnownImageRow>> {
    let rows = sqlx::query(
        "SELECT manifest_hash, image_sha256, image_phash, constituency, station FROM submissions \
         WHERE election_id = $1 AND constituency = $2 AND image_phash IS NOT NULL \
           AND manifest_hash <> $3",
    )
    .bind(election.to_owned())
    .bind(constituency.to_owned())
    .bind(except_manifest.to_owned())
    .fetch_all(db)
    .await?;
    known_images_from_rows(&rows)
}
