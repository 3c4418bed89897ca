//! The other submissions a capture is checked against: the same image anywhere (exact
//! duplicates), the device's neighbours in its hash chain, and the constituency's perceptual
//! hashes (near duplicates).

use sqlx::{AnyPool, FromRow, Row};

use super::DbResult;
use super::columns::Sha256Hex;

/// A submission's image as another capture's duplicate check sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KnownImageRow {
    pub manifest_hash: Sha256Hex,
    pub image_sha256: Sha256Hex,
    /// The perceptual hash, 16 hex digits, once the analysis has recorded it.
    pub image_phash: Option<String>,
    pub constituency: String,
    pub station: i64,
}

/// One row of the duplicate queries as the core's `KnownImage` (`None` for a row that does not
/// decode).
pub fn known_image(row: KnownImageRow) -> Option<tallyseal_core::verify::KnownImage> {
    Some(tallyseal_core::verify::KnownImage {
        sha256: row.image_sha256.digest(),
        phash: row
            .image_phash
            .and_then(|p| u64::from_str_radix(&p, 16).ok()),
        constituency: row.constituency,
        station: u32::try_from(row.station).ok()?,
        manifest_hash: row.manifest_hash.digest(),
    })
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
    pub chain_neighbours: Vec<(i64, Sha256Hex)>,
}

/// The submissions whose image hash is `image_sha256`, and `device`'s submissions with sequence
/// number `seq` or `seq - 1`.
pub async fn related_captures(
    db: &AnyPool,
    image_sha256: &Sha256Hex,
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
    .bind(*image_sha256)
    .bind(device.to_owned())
    .bind(seq - 1)
    .bind(seq)
    .fetch_all(db)
    .await?;
    let mut related = RelatedCaptures::default();
    for r in &rows {
        let row_seq: i64 = r.try_get("seq")?;
        let image = KnownImageRow::from_row(r)?;
        if row_seq <= seq && r.try_get::<String, _>("device_key")? == device {
            related
                .chain_neighbours
                .push((row_seq, image.manifest_hash));
        }
        if image.image_sha256 == *image_sha256 {
            related.same_image.push(image);
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
    sqlx::query_as(
        "SELECT manifest_hash, image_sha256, image_phash, constituency, station FROM submissions \
         WHERE election_id = $1 AND constituency = $2 AND image_phash IS NOT NULL \
           AND manifest_hash <> $3",
    )
    .bind(election.to_owned())
    .bind(constituency.to_owned())
    .bind(except_manifest.to_owned())
    .fetch_all(db)
    .await
}
