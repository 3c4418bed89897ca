//! The problems planted in the demo night, in one table: what happens at the station, which
//! existing check flags it (a check of core's `VerificationReport`, a finding of the figures'
//! double entry or quarantine, the intake's refusal, or the board's awaited list), and which
//! station of the first constituency carries it. `cli/tests/demo_night.rs` checks every row.
//!
//! It must never decide anything about a capture itself: it only says what is sent.

use serde::Serialize;

/// What goes wrong at a station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The photo is taken 2 km from the station.
    OutsideGeofence,
    /// The phone's position comes from a mock-location app.
    MockLocation,
    /// The exact photo of another station's sheet is sent as this station's.
    SamePhoto,
    /// A print of another station's sheet, photographed again here.
    RephotographedPrint,
    /// The phone's clock is two and a half hours behind.
    ClockWrong,
    /// The candidates' votes do not add up to the total valid votes written on the sheet.
    BadSum,
    /// The PO types figures into the phone that differ from the sheet photographed.
    FiguresDisagreeWithImage,
    /// On a 2G link: the manifest arrives at once, the image hours later.
    LateImage,
    /// The phone is revoked mid-evening (reported lost); its next capture is refused.
    RevokedDevice,
    /// The station never reports.
    NeverReports,
}

/// Where the flag is raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlaggedBy {
    /// A check of the capture's verification report (warn or fail), by its `CheckId` name.
    Check(&'static str),
    /// A quarantine finding of the confirmed figures (`docs/console.md`, Quarantine).
    Quarantine(&'static str),
    /// The intake refuses the manifest with this problem type.
    Intake(&'static str),
    /// The station is listed in the board's `awaited` and Form-47's `stations_awaited`.
    Awaited,
    /// The board shows the capture in `manifest_received` until the image arrives, and the
    /// capture's times show the image received after the manifest.
    ManifestBeforeImage,
}

/// One planted problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Planted {
    pub problem: Problem,
    /// Index among the first constituency's stations that have a result in the data.
    pub index: usize,
    /// For `SamePhoto` and `RephotographedPrint`: the index of the station whose sheet is sent.
    pub source: Option<usize>,
    pub flagged_by: FlaggedBy,
}

/// The planted problems. Stations 0, 2 and 4 (by index) stay clean; 2 and 4 are the sources.
pub const PLANTED: [Planted; 10] = [
    Planted {
        problem: Problem::OutsideGeofence,
        index: 1,
        source: None,
        flagged_by: FlaggedBy::Check("geofence"),
    },
    Planted {
        problem: Problem::SamePhoto,
        index: 3,
        source: Some(2),
        flagged_by: FlaggedBy::Check("duplicate_image"),
    },
    Planted {
        problem: Problem::RephotographedPrint,
        index: 5,
        source: Some(4),
        flagged_by: FlaggedBy::Check("near_duplicate_image"),
    },
    Planted {
        problem: Problem::MockLocation,
        index: 6,
        source: None,
        flagged_by: FlaggedBy::Check("mock_location"),
    },
    Planted {
        problem: Problem::ClockWrong,
        index: 7,
        source: None,
        flagged_by: FlaggedBy::Check("clock_skew"),
    },
    Planted {
        problem: Problem::BadSum,
        index: 8,
        source: None,
        flagged_by: FlaggedBy::Check("form_arithmetic"),
    },
    Planted {
        problem: Problem::FiguresDisagreeWithImage,
        index: 9,
        source: None,
        flagged_by: FlaggedBy::Quarantine("disagrees_with_sealed"),
    },
    Planted {
        problem: Problem::LateImage,
        index: 10,
        source: None,
        flagged_by: FlaggedBy::ManifestBeforeImage,
    },
    Planted {
        problem: Problem::RevokedDevice,
        index: 11,
        source: None,
        flagged_by: FlaggedBy::Intake("revoked-device"),
    },
    Planted {
        problem: Problem::NeverReports,
        index: 12,
        source: None,
        flagged_by: FlaggedBy::Awaited,
    },
];

/// The first constituency needs at least this many stations with a result.
pub const MIN_STATIONS: usize = 16;

/// The index of the clean station one operator mistypes (a disagreement the RO settles).
pub const OPERATOR_TYPO: usize = 13;

/// The problem planted at `index` of the first constituency, if any.
pub fn at(index: usize) -> Option<&'static Planted> {
    PLANTED.iter().find(|p| p.index == index)
}

/// Whether the station at `index` is a source other stations copy (it stays clean).
#[cfg(test)]
pub fn is_source(index: usize) -> bool {
    PLANTED.iter().any(|p| p.source == Some(index))
}

impl Problem {
    /// What a person reads in the demo's output.
    pub fn describe(self) -> &'static str {
        match self {
            Problem::OutsideGeofence => "photo taken 2 km from the station",
            Problem::MockLocation => "position from a mock-location app",
            Problem::SamePhoto => "the same photo sent for another station",
            Problem::RephotographedPrint => "a print of another station's sheet photographed again",
            Problem::ClockWrong => "the phone's clock is 2 h 30 min behind",
            Problem::BadSum => "the votes do not add up to the total valid votes",
            Problem::FiguresDisagreeWithImage => {
                "figures typed into the phone differ from the sheet"
            }
            Problem::LateImage => "2G link: the image arrives hours after its manifest",
            Problem::RevokedDevice => {
                "the phone is revoked mid-evening; its next capture is refused"
            }
            Problem::NeverReports => "the station never reports",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stations_are_distinct_and_sources_stay_clean() {
        let mut seen = std::collections::BTreeSet::new();
        for p in &PLANTED {
            assert!(seen.insert(p.index), "{:?}", p.problem);
            assert!(p.index < MIN_STATIONS);
            if let Some(s) = p.source {
                assert!(at(s).is_none(), "source {s} carries a problem");
            }
        }
        assert!(at(OPERATOR_TYPO).is_none() && !is_source(OPERATOR_TYPO));
        assert!(is_source(2) && is_source(4));
    }
}
