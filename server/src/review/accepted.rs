//! Which captures of a constituency the RO accepted: the one function the figures domain (double
//! entry, quarantine, Forms 47/48/49) reads acceptance through.
//!
//! Until the review's decisions are stored (`capture_decisions`), every verified capture counts
//! as accepted: this function is the single place that changes when they are, and nothing else
//! reads acceptance. It never writes.

use sqlx::{AnyPool, Row};

use crate::accounts::ConstituencyRef;

/// A capture the RO accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedManifest {
    pub manifest_hash: String,
    pub station: u32,
    /// `form45` or `form46`.
    pub form: String,
    pub received_at_ms: i64,
}

/// The accepted captures of a constituency, by station then time received.
///
/// Reads verified captures (`submissions.status = 'verified'`) while the review's decision table
/// does not exist; see the module documentation.
pub async fn accepted_manifests(
    db: &AnyPool,
    constituency: &ConstituencyRef,
) -> Result<Vec<AcceptedManifest>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT manifest_hash, station, form, received_at_ms FROM submissions \
         WHERE election_id = $1 AND constituency = $2 AND status = 'verified' \
         ORDER BY station, received_at_ms, manifest_hash",
    )
    .bind(constituency.election.clone())
    .bind(constituency.code.clone())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let station: i64 = r.try_get("station")?;
            Ok(AcceptedManifest {
                manifest_hash: r.try_get("manifest_hash")?,
                station: u32::try_from(station).unwrap_or(0),
                form: r.try_get("form")?,
                received_at_ms: r.try_get("received_at_ms")?,
            })
        })
        .collect()
}
