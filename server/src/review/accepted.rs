//! Which captures of a constituency the RO accepted: the one function the figures domain (double
//! entry, quarantine, Forms 47/48/49) reads acceptance through.
//!
//! A capture is accepted when the head of its decision chain (`stations::state::head_decisions`,
//! the one reading of the chain) is `accept`: a later reject or recapture request takes the
//! acceptance back without changing the earlier decision. Nothing else reads acceptance. It never
//! writes.

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
/// Reads the verified captures (`submissions.status = 'verified'`) and keeps those whose head
/// decision accepts them.
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
    let decisions =
        crate::db::decisions_for_board(db, &constituency.election, Some(&constituency.code))
            .await?;
    let heads = crate::stations::state::head_decisions(&decisions);
    let accepted = |hash: &str| heads.get(hash).is_some_and(|d| d.action == "accept");
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
        .filter(|r: &Result<AcceptedManifest, sqlx::Error>| {
            r.as_ref().map_or(true, |m| accepted(&m.manifest_hash))
        })
        .collect()
}
