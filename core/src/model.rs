//! The election model: election, constituencies, polling stations, candidates.
//!
//! These are the facts the Commission publishes in the signed election package
//! ([`crate::package`]). Coordinates are decimal degrees (WGS 84).

use serde::{Deserialize, Serialize};

/// One election (for example the 2024 general election).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Election {
    /// Stable identifier, e.g. `pk-ge-2024`.
    pub id: String,
    pub name: String,
    /// Poll date, `YYYY-MM-DD`, in the election's time zone.
    pub poll_date: String,
    /// IANA time zone name for display, e.g. `Asia/Karachi`.
    pub time_zone: String,
    /// When polling opens and closes, RFC 3339 with the local offset, e.g.
    /// `2024-02-08T08:00:00+05:00`.
    pub poll_open: String,
    pub poll_close: String,
    /// Deadline for provisional results (s.13(3): 2:00 a.m. the day after polling), RFC 3339.
    pub results_deadline: String,
}

/// A constituency (a "seat"), with its candidates in ballot order and its polling scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constituency {
    /// Code such as `NA-128`, `PP-145`, `PS-94`.
    pub code: String,
    pub name: String,
    /// Assembly, e.g. `National Assembly`, `Provincial Assembly of the Punjab`.
    pub assembly: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returning_officer: Option<String>,
    /// Candidates in ballot order (ballot numbers 1..=n).
    pub candidates: Vec<Candidate>,
    /// The polling scheme: every station of the constituency.
    pub stations: Vec<PollingStation>,
}

/// A contesting candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// Position on the ballot, from 1.
    pub ballot_no: u32,
    pub name: String,
    /// The name in the local script (Urdu), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_local: Option<String>,
    pub party: String,
    pub symbol: String,
}

/// Station type: whom the station serves. Decides which gender columns may be non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationType {
    Male,
    Female,
    Combined,
}

/// Voter counts by gender (registered electors, or votes polled).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenderCounts {
    pub male: u32,
    pub female: u32,
    #[serde(default)]
    pub transgender: u32,
}

impl GenderCounts {
    pub fn total(&self) -> u64 {
        u64::from(self.male) + u64::from(self.female) + u64::from(self.transgender)
    }
}

/// A point in WGS 84 decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// The area a capture for this station must be taken in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Geofence {
    /// Within `radius_m` metres (geodesic) of the station's location.
    Radius { radius_m: f64 },
    /// Inside the polygon (vertices in order; the ring closes itself).
    Polygon { vertices: Vec<LatLon> },
}

/// Where a station is and the geofence around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationLocation {
    pub point: LatLon,
    pub geofence: Geofence,
}

/// A polling station in a constituency's polling scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollingStation {
    /// Number in the constituency's polling scheme (from 1).
    pub number: u32,
    pub name: String,
    pub station_type: StationType,
    /// Required in a signed package (geofencing); `None` only in an importer's draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<StationLocation>,
    /// Registered electors, when the electoral roll is part of the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered: Option<GenderCounts>,
    /// Number of polling booths, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booths: Option<u32>,
}

impl Constituency {
    pub fn station(&self, number: u32) -> Option<&PollingStation> {
        self.stations.iter().find(|s| s.number == number)
    }
}
