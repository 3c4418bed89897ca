//! The election's invariants, over the log's leaves in order (what the v1 leaves allow checking):
//!
//! - every `image_verified` leaf follows a `manifest_received` leaf of the same manifest (an
//!   accepted capture has its receipt leaf);
//! - every `ro_decision` names a capture (manifest hash) an earlier `manifest_received` leaf
//!   names: the RO decided on a capture the log had received;
//! - a device key is enrolled for one station at a time in an election: a second enrolment for
//!   another station without a revocation between is refused, and a revocation must name the
//!   station the key is enrolled for (leaves carry the enrolment, not the capture's device, so
//!   this is how "a device signs only for its station" shows in the log);
//! - a `form_version` that corrects names the document of an earlier version of the same form
//!   of the same constituency, with a lower version number;
//! - no station disappears: every station the previous run knew (by its enrolments) is still
//!   known.
//!
//! That a Form-47 figure is the sum of the station figures it cites needs the documents the
//! leaves name by hash: [`crate::documents`].

use std::collections::{BTreeMap, BTreeSet};

use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::log::leaf::{LeafBody, LogEvent, ResultForm};

use crate::finding::{Finding, FindingKind};

/// What the leaves say, gathered in one pass.
#[derive(Debug, Default)]
pub struct ElectionView {
    /// Stations (`election/station`) with an enrolment, ever.
    pub stations: BTreeSet<String>,
}

/// A form of a constituency of an election: (election, constituency, form).
type FormKey = (String, String, &'static str);

fn station_key(election: &str, station: &str) -> String {
    format!("{election}/{station}")
}

/// Check every leaf in order; findings name the entry index.
pub fn check(entries: &[Vec<u8>], findings: &mut Vec<Finding>) -> ElectionView {
    let mut view = ElectionView::default();
    let mut manifests: BTreeMap<Sha256Digest, u64> = BTreeMap::new();
    // (election, device key) -> (station, entry of the enrolment)
    let mut enrolled: BTreeMap<(String, String), (String, u64)> = BTreeMap::new();
    // (election, constituency, form) -> document hash -> (version, entry)
    let mut versions: BTreeMap<FormKey, BTreeMap<Sha256Digest, (u32, u64)>> = BTreeMap::new();
    let mut bad = |i: u64, kind: FindingKind, msg: String| {
        findings.push(Finding::new(kind, format!("entry {i}: {msg}")))
    };
    for (i, entry) in entries.iter().enumerate() {
        let i = i as u64;
        let body = match LeafBody::from_leaf_bytes(entry) {
            Ok(b) => b,
            Err(e) => {
                bad(i, FindingKind::Leaf, format!("not a v1 leaf: {e}"));
                continue;
            }
        };
        match body.event {
            LogEvent::ManifestReceived { manifest_hash, .. } => {
                manifests.entry(manifest_hash).or_insert(i);
            }
            LogEvent::ImageVerified { manifest_hash, .. }
                if !manifests.contains_key(&manifest_hash) =>
            {
                bad(
                    i,
                    FindingKind::Invariant,
                    format!(
                        "image_verified for manifest {manifest_hash} with no earlier \
                         manifest_received"
                    ),
                );
            }
            LogEvent::RoDecision {
                manifest_hash,
                constituency_id,
                ..
            } if !manifests.contains_key(&manifest_hash) => {
                bad(
                    i,
                    FindingKind::Invariant,
                    format!(
                        "ro_decision in {constituency_id} on manifest {manifest_hash}, which no \
                         earlier manifest_received names"
                    ),
                );
            }
            LogEvent::DeviceEnrolled {
                election_id,
                device_key,
                station_id,
            } => {
                view.stations.insert(station_key(&election_id, &station_id));
                let key = (election_id, device_key.to_hex());
                match enrolled.get(&key) {
                    Some((station, at)) if *station != station_id => bad(
                        i,
                        FindingKind::Invariant,
                        format!(
                            "device {} enrolled for station {station_id} while enrolled for \
                             station {station} (entry {at})",
                            key.1
                        ),
                    ),
                    _ => {
                        enrolled.insert(key, (station_id, i));
                    }
                }
            }
            LogEvent::DeviceRevoked {
                election_id,
                device_key,
                station_id,
            } => {
                let key = (election_id, device_key.to_hex());
                match enrolled.get(&key) {
                    Some((station, _)) if *station == station_id => {
                        enrolled.remove(&key);
                    }
                    Some((station, at)) => bad(
                        i,
                        FindingKind::Invariant,
                        format!(
                            "device {} revoked for station {station_id}, but it is enrolled \
                             for station {station} (entry {at})",
                            key.1
                        ),
                    ),
                    None => bad(
                        i,
                        FindingKind::Invariant,
                        format!("device {} revoked but not enrolled", key.1),
                    ),
                }
            }
            LogEvent::FormVersion {
                election_id,
                constituency_id,
                form,
                version,
                document_hash,
                corrects,
                ..
            } => {
                let name = match form {
                    ResultForm::Form47 => "form-47",
                    ResultForm::Form48 => "form-48",
                    ResultForm::Form49 => "form-49",
                };
                let seen = versions
                    .entry((election_id, constituency_id.clone(), name))
                    .or_default();
                if let Some(c) = corrects {
                    match seen.get(&c) {
                        None => bad(
                            i,
                            FindingKind::Invariant,
                            format!(
                                "{name} version {version} of {constituency_id} corrects {c}, \
                                 which no earlier version of it is"
                            ),
                        ),
                        Some((v, at)) if *v >= version => bad(
                            i,
                            FindingKind::Invariant,
                            format!(
                                "{name} version {version} of {constituency_id} corrects version \
                                 {v} (entry {at}), which is not older"
                            ),
                        ),
                        Some(_) => {}
                    }
                }
                seen.insert(document_hash, (version, i));
            }
            _ => {}
        }
    }
    view
}

/// Every station known before is still known.
pub fn check_stations(previous: &[String], view: &ElectionView, findings: &mut Vec<Finding>) {
    for s in previous {
        if !view.stations.contains(s) {
            findings.push(Finding::new(
                FindingKind::Invariant,
                format!("station {s} disappeared: no enrolment for it remains in the log"),
            ));
        }
    }
}
