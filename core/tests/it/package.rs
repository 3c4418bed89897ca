//! The signed election package: building, signing, opening, the package hash, the worked example.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tallyseal_core::hash::sha256;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::model::{
    Candidate, Constituency, GenderCounts, Geofence, LatLon, PollingStation, StationLocation,
    StationType,
};
use tallyseal_core::note::{NoteError, Signer, Verifier, sign_note};
use tallyseal_core::package::{ElectionPackage, PACKAGE_FORMAT, PackageError, SignedPackage};

pub use tallyseal_testkit::fixtures::election_2024;

/// The test Commission key used in `docs/election-package.md` (testkit's fixture).
pub fn test_signer() -> Signer {
    tallyseal_testkit::fixtures::commission_test_signer().unwrap()
}

fn candidate(n: u32, name: &str, party: &str, symbol: &str) -> Candidate {
    Candidate {
        ballot_no: n,
        name: name.into(),
        name_local: None,
        party: party.into(),
        symbol: symbol.into(),
    }
}

fn station(n: u32, name: &str, t: StationType, lat: f64, lon: f64) -> PollingStation {
    PollingStation {
        number: n,
        name: name.into(),
        station_type: t,
        location: Some(StationLocation {
            point: LatLon { lat, lon },
            geofence: Geofence::Radius { radius_m: 150.0 },
        }),
        registered: None,
        booths: None,
    }
}

/// The small package of the worked example in `docs/election-package.md`.
pub fn example_package() -> ElectionPackage {
    let mut s2 = station(
        2,
        "Govt Girls High School, Custom Colony Lahore CANTT (Female)-I",
        StationType::Female,
        31.5204,
        74.4107,
    );
    s2.registered = Some(GenderCounts {
        male: 0,
        female: 1210,
        transgender: 0,
    });
    s2.booths = Some(3);
    ElectionPackage::new(
        election_2024(),
        vec![Constituency {
            code: "NA-128".into(),
            name: "Lahore-XII".into(),
            assembly: "National Assembly".into(),
            returning_officer: None,
            candidates: vec![
                candidate(1, "Candidate One", "Independent", "BAT"),
                candidate(2, "Candidate Two", "Party B", "TIGER"),
            ],
            stations: vec![
                station(
                    1,
                    "Govt Girls High School, Custom Colony Lahore CANTT (Male)-I",
                    StationType::Male,
                    31.5204,
                    74.4107,
                ),
                s2,
            ],
        }],
        "2024-01-25T12:00:00+05:00",
    )
}

/// A package built in memory signs to a note that opens again, whatever its coordinates: the
/// JSON reader must read every double back exactly (serde_json's `float_roundtrip`), or the
/// canonical check of the note's own bytes fails for about one double in fifteen.
#[test]
fn every_coordinate_survives_signing_and_opening() {
    let signer = test_signer();
    let mut p = example_package();
    for lat in [31.804440380009254, 31.514_999_999_999_997, 0.1 + 0.2] {
        let station = &mut p.constituencies[0].stations[0];
        station.location.as_mut().unwrap().point.lat = lat;
        let signed = p.sign(&signer).unwrap();
        let (opened, _) = SignedPackage::open(signed.note.as_bytes(), &[signer.verifier()])
            .unwrap_or_else(|e| panic!("{lat}: {e}"));
        assert_eq!(opened, p);
    }
}

#[test]
fn a_good_package_validates_signs_and_opens() {
    let p = example_package();
    assert_eq!(p.validate(), vec![]);
    assert_eq!(p.format, PACKAGE_FORMAT);
    let signer = test_signer();
    let signed = p.sign(&signer).unwrap();
    assert!(signed.note.starts_with(&p.to_note_text()));
    assert!(p.to_note_text().ends_with("}\n"));

    let (opened, again) =
        SignedPackage::open(signed.note.as_bytes(), &[signer.verifier()]).unwrap();
    assert_eq!(opened, p);
    assert_eq!(again, signed);
    // The package hash is SHA-256 of the whole signed note.
    assert_eq!(signed.hash(), sha256(signed.note.as_bytes()));
    assert_eq!(again.hash(), signed.hash());
    // Ed25519 is deterministic: signing again gives the same note and hash.
    assert_eq!(p.sign(&signer).unwrap(), signed);

    assert_eq!(opened.constituency("NA-128").unwrap().name, "Lahore-XII");
    assert_eq!(
        opened.station("NA-128", 2).unwrap().station_type,
        StationType::Female
    );
    assert!(opened.station("NA-128", 3).is_none());
    assert!(opened.station("NA-129", 1).is_none());
    assert_eq!(opened.station_count(), 2);
}

#[test]
fn tampered_text_is_rejected() {
    let p = example_package();
    let signed = p.sign(&test_signer()).unwrap();
    let v = [test_signer().verifier()];
    // Move station 1 by changing a digit of its latitude.
    let tampered = signed.note.replacen("31.5204", "31.5205", 1);
    assert_ne!(tampered, signed.note);
    assert!(matches!(
        SignedPackage::open(tampered.as_bytes(), &v),
        Err(PackageError::Note(NoteError::InvalidSignature { .. }))
    ));
    // Changing the type of a station.
    let tampered = signed.note.replacen("\"female\"", "\"combined\"", 1);
    assert!(SignedPackage::open(tampered.as_bytes(), &v).is_err());
    // Dropping the signature.
    let unsigned = p.to_note_text();
    assert!(SignedPackage::open(unsigned.as_bytes(), &v).is_err());
}

#[test]
fn wrong_key_is_rejected() {
    let signed = example_package().sign(&test_signer()).unwrap();
    let other = Signer::new(
        "tallyseal.example/commission-test",
        DeviceKey::from_seed(&[0x43; 32]),
    )
    .unwrap();
    // Same name, different key: a different key ID, so the signature is from an unknown key.
    assert!(matches!(
        SignedPackage::open(signed.note.as_bytes(), &[other.verifier()]),
        Err(PackageError::Note(NoteError::NoVerifiedSignature))
    ));
    // Same name and key ID but another public key: the signature is checked and fails.
    let impostor = Verifier {
        key: other.key.public_key(),
        ..test_signer().verifier()
    };
    assert!(matches!(
        SignedPackage::open(signed.note.as_bytes(), &[impostor]),
        Err(PackageError::Note(NoteError::InvalidSignature { .. }))
    ));
    assert!(SignedPackage::open(signed.note.as_bytes(), &[]).is_err());
}

/// A package has exactly one signature line. Lines appended to a published package (another
/// key's, or a second copy of the Commission's) would give the same package another hash; such a
/// copy is refused, never opened under it, whichever keys the reader lists.
#[test]
fn a_package_has_exactly_one_signature_line() {
    let signer = test_signer();
    let other = Signer::new(
        "observer.example/witness",
        DeviceKey::from_seed(&[0x44; 32]),
    )
    .unwrap();
    let both_keys = [signer.verifier(), other.verifier()];
    let v = [signer.verifier()];
    let signed = example_package().sign(&signer).unwrap();
    let text = example_package().to_note_text();
    let lines = |note: &str| note[text.len() + 1..].to_string();
    let own_line = lines(&signed.note);
    let other_line = lines(&sign_note(&text, std::slice::from_ref(&other)).unwrap());

    for (note, count) in [
        (format!("{}{other_line}", signed.note), 2),
        (format!("{text}\n{other_line}{own_line}"), 2),
        (format!("{}{own_line}", signed.note), 2),
        (format!("{}{other_line}{other_line}", signed.note), 3),
    ] {
        assert_ne!(sha256(note.as_bytes()), signed.hash());
        for keys in [&v[..], &both_keys[..]] {
            assert_eq!(
                SignedPackage::open(note.as_bytes(), keys),
                Err(PackageError::NotOneSignature { lines: count }),
                "{note}"
            );
        }
    }
    // Signed by two keys at once: refused too (one package, one key, one hash).
    let both = sign_note(&text, &[signer, other]).unwrap();
    assert_eq!(
        SignedPackage::open(both.as_bytes(), &both_keys),
        Err(PackageError::NotOneSignature { lines: 2 })
    );
    // The published note itself opens, under its own hash.
    let (_, opened) = SignedPackage::open(signed.note.as_bytes(), &v).unwrap();
    assert_eq!(opened.hash(), signed.hash());
}

/// The worked example of `docs/election-package.md` must be the note this code produces.
/// Run with `--nocapture` to print it.
#[test]
fn docs_worked_example_is_current() {
    let signer = test_signer();
    let signed = example_package().sign(&signer).unwrap();
    println!("vkey: {}", signer.verifier());
    println!("hash: {}", signed.hash());
    println!("{}", signed.note);
    let doc =
        std::fs::read_to_string(crate::support::testdata().join("../docs/election-package.md"))
            .unwrap();
    assert!(
        doc.contains(&signed.note),
        "docs/election-package.md does not contain the current note"
    );
    assert!(doc.contains(&signer.verifier().to_vkey()));
    assert!(doc.contains(&signed.hash().to_hex()));
}
