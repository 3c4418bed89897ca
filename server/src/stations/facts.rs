//! What the board needs from a capture's signed manifest (page, capture set, the capture it
//! supersedes, the best capture time), read once per manifest and kept: a manifest never changes,
//! so the facts of a manifest hash are the same on every server and forever.
//!
//! Reading is the core's ([`crate::provenance::read_stored_manifest`],
//! [`crate::provenance::best_capture_time`]); this module never writes anything.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use tallyseal_core::keys::PublicKey;

use crate::db::{BoardCaptureRow, Sha256Hex};
use crate::provenance;

/// A capture's manifest, as far as station states need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFacts {
    pub page: u32,
    pub pages: u32,
    pub capture_set: String,
    /// The earlier capture this one corrects, and why (the PO's words).
    pub supersedes: Option<(Sha256Hex, String)>,
    /// The best capture-time estimate (GNSS, anchor or device clock), Unix ms.
    pub captured_at_ms: Option<i64>,
    /// Where that estimate came from: `gnss`, `anchor` or `device_clock`.
    pub capture_time_source: Option<&'static str>,
}

impl ManifestFacts {
    /// A row without readable manifest bytes (rows older than migration 0002): one page, no
    /// supersession, no capture time.
    fn unknown(row: &BoardCaptureRow) -> ManifestFacts {
        ManifestFacts {
            page: 1,
            pages: 1,
            capture_set: row.manifest_hash.to_hex(),
            supersedes: None,
            captured_at_ms: None,
            capture_time_source: None,
        }
    }

    fn read(row: &BoardCaptureRow, anchor_keys: &[PublicKey]) -> ManifestFacts {
        let bytes = row
            .manifest
            .as_ref()
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok());
        let Some(manifest) = bytes.and_then(|b| provenance::read_stored_manifest(&b).ok()) else {
            return ManifestFacts::unknown(row);
        };
        let best = provenance::best_capture_time(&manifest, anchor_keys);
        ManifestFacts {
            page: manifest.page,
            pages: manifest.pages,
            capture_set: manifest.capture_set.clone(),
            supersedes: manifest
                .supersedes
                .as_ref()
                .map(|s| (Sha256Hex(s.manifest), s.reason.clone())),
            captured_at_ms: Some(best.time_ms),
            capture_time_source: Some(match best.source {
                tallyseal_core::time::TimeSource::Gnss => "gnss",
                tallyseal_core::time::TimeSource::Anchor => "anchor",
                tallyseal_core::time::TimeSource::DeviceClock => "device_clock",
            }),
        }
    }
}

/// Facts of the manifests read so far, by manifest hash (shared by the handlers of one server).
#[derive(Debug, Default)]
pub struct FactsCache {
    known: Mutex<HashMap<Sha256Hex, Arc<ManifestFacts>>>,
}

impl FactsCache {
    /// The facts of every row, reading only the manifests not seen before.
    pub fn facts_for(
        &self,
        rows: &[BoardCaptureRow],
        anchor_keys: &[PublicKey],
    ) -> Vec<Arc<ManifestFacts>> {
        let mut out: Vec<Option<Arc<ManifestFacts>>> = match self.known.lock() {
            Ok(known) => rows
                .iter()
                .map(|r| known.get(&r.manifest_hash).cloned())
                .collect(),
            Err(_) => vec![None; rows.len()],
        };
        let mut fresh = Vec::new();
        for (slot, row) in out.iter_mut().zip(rows) {
            if slot.is_none() {
                let facts = Arc::new(ManifestFacts::read(row, anchor_keys));
                fresh.push((row.manifest_hash, facts.clone()));
                *slot = Some(facts);
            }
        }
        if !fresh.is_empty()
            && let Ok(mut known) = self.known.lock()
        {
            known.extend(fresh);
        }
        out.into_iter()
            .zip(rows)
            .map(|(f, r)| f.unwrap_or_else(|| Arc::new(ManifestFacts::unknown(r))))
            .collect()
    }
}
