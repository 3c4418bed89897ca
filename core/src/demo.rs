//! A small, fixed demonstration scenario: one election, one constituency (NA-128 Lahore-XII, with
//! real 2024 candidate and station names from the project's test data), keys derived from fixed
//! seeds, and helpers to seal captures in it.
//!
//! Used by `tallyseal demo`, the test suites, the documented test vectors and the benchmarks.
//! **Never use these keys for anything real**: their seeds are published.

use crate::form::{CandidateVotes, Form45Figures, FormFigures, FormKind};
use crate::hash::Sha256Digest;
use crate::keys::DeviceKey;
use crate::model::{
    Candidate, Constituency, Election, GenderCounts, Geofence, LatLon, PollingStation,
    StationLocation, StationType,
};
use crate::note::{Signer, Verifier};
use crate::package::{ElectionPackage, PackageError, SignedPackage};
use crate::seal::{CaptureInput, LocationFix};
use crate::time::{AnchorEvidence, ClockReadings, TimeAnchor, TimeError};
use crate::verify::{EnrolledDevice, VerificationContext};

/// Seed of the demo Commission key (signs the package).
pub const COMMISSION_SEED: [u8; 32] = [0x42; 32];
/// Seed of the demo server key (signs time anchors and receipts).
pub const SERVER_SEED: [u8; 32] = [0x43; 32];
/// Seed of the demo Presiding Officer's phone.
pub const DEVICE_SEED: [u8; 32] = [0x01; 32];
/// Name of the demo Commission key in signed notes.
pub const COMMISSION_KEY_NAME: &str = "demo.tallyseal.invalid";

/// Poll close of the demo election: 2024-02-08T17:00:00+05:00, in Unix ms.
pub const POLL_CLOSE_MS: i64 = 1_707_393_600_000;
/// A capture time 40 minutes after poll close.
pub const CAPTURE_MS: i64 = POLL_CLOSE_MS + 40 * 60_000;

pub fn commission_key() -> DeviceKey {
    DeviceKey::from_seed(&COMMISSION_SEED)
}
pub fn server_key() -> DeviceKey {
    DeviceKey::from_seed(&SERVER_SEED)
}
pub fn device_key() -> DeviceKey {
    DeviceKey::from_seed(&DEVICE_SEED)
}

/// The note signer / verifier of the demo Commission key.
pub fn commission_signer() -> Result<Signer, PackageError> {
    Ok(Signer::new(COMMISSION_KEY_NAME, commission_key())?)
}
pub fn commission_verifier() -> Result<Verifier, PackageError> {
    Ok(commission_signer()?.verifier())
}

/// Location of demo station 1 (Lahore Cantonment); the others lie a few hundred metres away.
pub const STATION_1: LatLon = LatLon {
    lat: 31.5204,
    lon: 74.3587,
};

fn station(number: u32, name: &str, t: StationType, dlat: f64, reg: (u32, u32)) -> PollingStation {
    PollingStation {
        number,
        name: name.to_owned(),
        station_type: t,
        location: Some(StationLocation {
            point: LatLon {
                lat: STATION_1.lat + dlat,
                lon: STATION_1.lon,
            },
            geofence: Geofence::Radius { radius_m: 250.0 },
        }),
        registered: Some(GenderCounts {
            male: reg.0,
            female: reg.1,
            transgender: 0,
        }),
        booths: Some(3),
    }
}

/// The demo election package (unsigned).
pub fn package() -> ElectionPackage {
    let candidates = [
        ("Muhammad Aun Saqlain", "PML(N)", "TIGER"),
        ("Salman Akram Raja", "Independent", "RACKET"),
        (
            "Shahid Mehmood",
            "Pakistan Peoples Party Parliamentarians",
            "ARROW",
        ),
        ("Muhammad Javed", "Tehreek-e-Labbaik Pakistan", "CRANE"),
    ];
    let constituency = Constituency {
        code: "NA-128".into(),
        name: "Lahore-XII".into(),
        assembly: "National Assembly".into(),
        returning_officer: Some("Demo Returning Officer".into()),
        candidates: candidates
            .iter()
            .enumerate()
            .map(|(i, (name, party, symbol))| Candidate {
                ballot_no: i as u32 + 1,
                name: (*name).into(),
                name_local: None,
                party: (*party).into(),
                symbol: (*symbol).into(),
            })
            .collect(),
        stations: vec![
            station(
                1,
                "Govt Girls High School, Custom Colony Lahore CANTT (Male)-I",
                StationType::Male,
                0.0,
                (1_450, 0),
            ),
            station(
                2,
                "Govt Girls High School, Custom Colony Lahore CANTT (Female)-I",
                StationType::Female,
                0.0,
                (0, 1_320),
            ),
            station(
                3,
                "Ali Garh College of Nursing, Ali Colony, Lahore Cantt (Combined)",
                StationType::Combined,
                0.006,
                (980, 870),
            ),
        ],
    };
    let election = Election {
        id: "pk-ge-2024-demo".into(),
        name: "General Election 2024 (demonstration)".into(),
        poll_date: "2024-02-08".into(),
        time_zone: "Asia/Karachi".into(),
        poll_open: "2024-02-08T08:00:00+05:00".into(),
        poll_close: "2024-02-08T17:00:00+05:00".into(),
        results_deadline: "2024-02-09T02:00:00+05:00".into(),
    };
    ElectionPackage::new(election, vec![constituency], "2024-02-01T09:00:00+05:00")
}

/// The demo package signed by the demo Commission key.
pub fn signed_package() -> Result<(ElectionPackage, SignedPackage), PackageError> {
    let p = package();
    let signed = p.sign(&commission_signer()?)?;
    Ok((p, signed))
}

/// A correct Form-45 for demo station 1 (a male station).
pub fn form45_station1() -> Form45Figures {
    let votes = [412, 268, 61, 37];
    let total_valid: u32 = votes.iter().sum();
    Form45Figures {
        registered: GenderCounts {
            male: 1_450,
            female: 0,
            transgender: 0,
        },
        polled: GenderCounts {
            male: total_valid + 14,
            female: 0,
            transgender: 0,
        },
        candidate_votes: votes
            .iter()
            .enumerate()
            .map(|(i, v)| CandidateVotes {
                ballot_no: i as u32 + 1,
                votes: *v,
            })
            .collect(),
        total_valid,
        rejected: 14,
        total_polled: total_valid + 14,
    }
}

/// A time anchor signed by the demo server key 2 hours before poll close, as the phone keeps it.
pub fn anchor_evidence() -> Result<AnchorEvidence, TimeError> {
    let issued = POLL_CLOSE_MS - 2 * 3_600_000;
    Ok(AnchorEvidence {
        anchor: TimeAnchor::issue(&server_key(), "6e6f6e63652d64656d6f2d3031", issued, 800)?,
        received_monotonic_ms: 20_000_000,
        received_device_time_ms: issued + 1_500,
        boot_id: Some("demo-boot-1".into()),
    })
}

/// Capture inputs for demo station 1 at `position`, taken at [`CAPTURE_MS`] by every clock.
pub fn capture_input(
    image: Vec<u8>,
    package_hash: Option<Sha256Digest>,
    position: LatLon,
) -> Result<CaptureInput, TimeError> {
    let anchor = anchor_evidence()?;
    let elapsed = (CAPTURE_MS - anchor.anchor.body.server_time_ms) as u64;
    let monotonic_ms = anchor.received_monotonic_ms + elapsed;
    Ok(CaptureInput {
        image,
        media_type: "image/jpeg".into(),
        election: "pk-ge-2024-demo".into(),
        package: package_hash,
        constituency: "NA-128".into(),
        station: 1,
        form: FormKind::Form45,
        page: 1,
        pages: 1,
        capture_set: "00112233445566778899aabbccddeeff".into(),
        fix: Some(LocationFix {
            lat: position.lat,
            lon: position.lon,
            accuracy_m: 12.5,
            altitude_m: Some(214.0),
            provider: "gps".into(),
            mock: false,
            gnss_time_ms: Some(CAPTURE_MS - 3_000),
            fix_monotonic_ms: Some(monotonic_ms - 3_000),
        }),
        clock: ClockReadings {
            device_time_ms: CAPTURE_MS + 1_500,
            tz_offset_min: 300,
            monotonic_ms,
            boot_id: Some("demo-boot-1".into()),
            anchor: Some(anchor),
        },
        figures: Some(FormFigures::Form45(form45_station1())),
        supersedes: None,
        app: "tallyseal-demo/0.1.0".into(),
    })
}

/// The verification context of the demo: the package, the demo phone enrolled for station 1, the
/// demo server key trusted for anchors and receipts, received 5 minutes after capture.
pub fn context() -> Result<VerificationContext, PackageError> {
    let (package, signed) = signed_package()?;
    Ok(VerificationContext {
        package_hash: Some(signed.hash()),
        package: Some(package),
        devices: vec![EnrolledDevice {
            key: device_key().public_key(),
            constituency: "NA-128".into(),
            station: 1,
            enrolled_at_ms: Some(POLL_CLOSE_MS - 86_400_000),
            revoked_at_ms: None,
        }],
        anchor_keys: vec![server_key().public_key()],
        receipt_keys: vec![server_key().public_key()],
        received_at_ms: Some(CAPTURE_MS + 5 * 60_000),
        now_ms: CAPTURE_MS + 10 * 60_000,
        ..VerificationContext::default()
    })
}
