//! The EXIF record: the one definition of the EXIF fields that travel — signed in every capture
//! manifest (`exif` in `docs/manifest.md`) and compared by the verifier, whether it reads them
//! from the manifest or from the image itself ([`ManifestExif::from_summary`]).
//!
//! Its serialized form is part of the signed manifest. Reordering its fields changes no bytes
//! (canonical JSON sorts keys); renaming, adding or removing one changes every manifest's bytes
//! and needs a new manifest version. It must never change silently.

use serde::{Deserialize, Serialize};

use super::{ExifStatus, ExifSummary};
use crate::manifest::{to_e7, to_mm};

/// EXIF as read at sealing, in integer units: what a manifest signs and what the verifier's EXIF
/// checks read. Built from the extractor's fuller reading ([`ExifSummary`]) by
/// [`ManifestExif::from_summary`], the only conversion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestExif {
    pub status: ExifStatus,
    pub make: Option<String>,
    pub model: Option<String>,
    pub software: Option<String>,
    /// DateTimeOriginal exactly as written (read by [`super::dates`]).
    pub datetime_original: Option<String>,
    /// OffsetTimeOriginal exactly as written.
    pub offset_time_original: Option<String>,
    pub gps_lat_e7: Option<i64>,
    pub gps_lon_e7: Option<i64>,
    pub gps_altitude_mm: Option<i64>,
    pub gps_time_ms: Option<i64>,
    /// Codes of the extractor's findings.
    pub findings: Vec<String>,
}

impl ManifestExif {
    /// The integer form of what the EXIF extractor read.
    pub fn from_summary(s: &ExifSummary) -> ManifestExif {
        ManifestExif {
            status: s.status,
            make: s.make.clone(),
            model: s.model.clone(),
            software: s.software.clone(),
            datetime_original: s.datetime_original.clone(),
            offset_time_original: s.offset_time_original.clone(),
            gps_lat_e7: s.gps.and_then(|g| to_e7(g.lat)),
            gps_lon_e7: s.gps.and_then(|g| to_e7(g.lon)),
            gps_altitude_mm: s.gps.and_then(|g| g.altitude_m).and_then(to_mm),
            gps_time_ms: s.gps.and_then(|g| g.timestamp_ms),
            findings: s.findings.iter().map(|f| f.code.clone()).collect(),
        }
    }
}
