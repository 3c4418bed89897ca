//! The signed election package: validation, signing, opening, the package hash.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tallyseal_core::hash::sha256;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::model::{
    Candidate, Constituency, Election, GenderCounts, Geofence, LatLon, PollingStation,
    StationLocation, StationType,
};
use tallyseal_core::note::{NoteError, Signer, Verifier, sign_note};
use tallyseal_core::package::{
    ElectionPackage, PACKAGE_FORMAT, PackageError, ProblemKind, SignedPackage,
};

/// The test Commission key used in `docs/election-package.md`: seed = 32 bytes of 0x42.
pub fn test_signer() -> Signer {
    Signer::new(
        "tallyseal.example/commission-test",
        DeviceKey::from_seed(&[0x42; 32]),
    )
    .unwrap()
}

pub fn election_2024() -> Election {
    Election {
        id: "pk-ge-2024".into(),
        name: "General Elections 2024".into(),
        poll_date: "2024-02-08".into(),
        time_zone: "Asia/Karachi".into(),
        poll_open: "2024-02-08T08:00:00+05:00".into(),
        poll_close: "2024-02-08T17:00:00+05:00".into(),
        results_deadline: "2024-02-09T02:00:00+05:00".into(),
    }
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

fn kinds(p: &ElectionPackage) -> Vec<ProblemKind> {
    p.validate().into_iter().map(|x| x.kind).collect()
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

#[test]
fn missing_location_is_refused() {
    let mut p = example_package();
    p.constituencies[0].stations[1].location = None;
    let problems = p.validate();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::MissingLocation);
    assert_eq!(problems[0].location, "NA-128 station 2");
    match p.sign(&test_signer()) {
        Err(PackageError::Invalid(ps)) => assert_eq!(ps, problems),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn geofence_rules() {
    let set = |f: &dyn Fn(&mut StationLocation)| {
        let mut p = example_package();
        f(p.constituencies[0].stations[0].location.as_mut().unwrap());
        kinds(&p)
    };
    assert_eq!(
        set(&|l| l.geofence = Geofence::Radius { radius_m: 0.0 }),
        vec![ProblemKind::BadRadius]
    );
    assert_eq!(
        set(&|l| l.geofence = Geofence::Radius { radius_m: -5.0 }),
        vec![ProblemKind::BadRadius]
    );
    assert_eq!(
        set(&|l| l.geofence = Geofence::Radius { radius_m: 5000.0 }),
        vec![]
    );
    assert_eq!(
        set(&|l| l.geofence = Geofence::Radius { radius_m: 5000.1 }),
        vec![ProblemKind::BadRadius]
    );
    assert_eq!(
        set(&|l| l.geofence = Geofence::Radius { radius_m: f64::NAN }),
        vec![ProblemKind::BadRadius]
    );
    assert_eq!(
        set(&|l| l.geofence = Geofence::Radius {
            radius_m: f64::INFINITY
        }),
        vec![ProblemKind::BadRadius]
    );
    assert_eq!(
        set(&|l| l.point = LatLon { lat: 0.0, lon: 0.0 }),
        vec![ProblemKind::BadCoordinate]
    );
    assert_eq!(
        set(&|l| l.point = LatLon {
            lat: 91.0,
            lon: 74.0
        }),
        vec![ProblemKind::BadCoordinate]
    );
    assert_eq!(
        set(&|l| l.point = LatLon {
            lat: 31.0,
            lon: -180.5
        }),
        vec![ProblemKind::BadCoordinate]
    );
    assert_eq!(
        set(&|l| l.point = LatLon {
            lat: f64::NAN,
            lon: 74.0
        }),
        vec![ProblemKind::BadCoordinate]
    );

    let square = |d: f64| {
        vec![
            LatLon {
                lat: 31.5204 - d,
                lon: 74.4107 - d,
            },
            LatLon {
                lat: 31.5204 - d,
                lon: 74.4107 + d,
            },
            LatLon {
                lat: 31.5204 + d,
                lon: 74.4107 + d,
            },
            LatLon {
                lat: 31.5204 + d,
                lon: 74.4107 - d,
            },
        ]
    };
    assert_eq!(
        set(&|l| l.geofence = Geofence::Polygon {
            vertices: square(0.001)
        }),
        vec![]
    );
    // too few (distinct) vertices
    assert_eq!(
        set(&|l| l.geofence = Geofence::Polygon {
            vertices: square(0.001)[..2].to_vec()
        }),
        vec![ProblemKind::BadPolygon]
    );
    assert_eq!(
        set(&|l| {
            let v = square(0.001);
            l.geofence = Geofence::Polygon {
                vertices: vec![v[0], v[1], v[0], v[1]],
            }
        }),
        vec![ProblemKind::BadPolygon]
    );
    // a polygon covering a whole district
    assert_eq!(
        set(&|l| l.geofence = Geofence::Polygon {
            vertices: square(0.5)
        }),
        vec![ProblemKind::BadPolygon]
    );
    // the station outside its own polygon
    assert_eq!(
        set(&|l| {
            l.geofence = Geofence::Polygon {
                vertices: square(0.001),
            };
            l.point = LatLon {
                lat: 31.5304,
                lon: 74.4107,
            };
        }),
        vec![ProblemKind::BadPolygon]
    );
    // a vertex at 0,0
    assert_eq!(
        set(&|l| {
            let mut v = square(0.001);
            v[2] = LatLon { lat: 0.0, lon: 0.0 };
            l.geofence = Geofence::Polygon { vertices: v };
        }),
        vec![ProblemKind::BadCoordinate]
    );
}

#[test]
fn structure_rules() {
    let mut p = example_package();
    let c = p.constituencies[0].clone();
    p.constituencies.push(c);
    assert_eq!(kinds(&p), vec![ProblemKind::DuplicateConstituency]);

    let mut p = example_package();
    p.constituencies[0].stations[1].number = 1;
    assert_eq!(kinds(&p), vec![ProblemKind::DuplicateStation]);

    let mut p = example_package();
    p.constituencies[0].stations[1].number = 0;
    assert_eq!(kinds(&p), vec![ProblemKind::BadStationNumber]);

    let mut p = example_package();
    p.constituencies[0].candidates[1].ballot_no = 3;
    assert_eq!(kinds(&p), vec![ProblemKind::BallotNumbers]);
    let mut p = example_package();
    p.constituencies[0].candidates.swap(0, 1);
    assert_eq!(kinds(&p), vec![ProblemKind::BallotNumbers]);

    let mut p = example_package();
    p.constituencies[0].candidates.clear();
    assert_eq!(kinds(&p), vec![ProblemKind::NoCandidates]);
    let mut p = example_package();
    p.constituencies[0].stations.clear();
    assert_eq!(kinds(&p), vec![ProblemKind::NoStations]);

    let mut p = example_package();
    p.constituencies[0].code = " ".into();
    assert_eq!(kinds(&p), vec![ProblemKind::EmptyIdentifier]);
    for bad in [
        "../../etc",
        "..",
        ".hidden",
        "NA 128",
        "NA/128",
        "NA%2F128",
        "ÑA-1",
        "-x",
    ] {
        let mut p = example_package();
        p.constituencies[0].code = bad.into();
        assert_eq!(kinds(&p), vec![ProblemKind::BadIdentifier], "{bad:?}");
        let mut p = example_package();
        p.election.id = bad.into();
        assert_eq!(kinds(&p), vec![ProblemKind::BadIdentifier], "{bad:?}");
    }
    let mut p = example_package();
    p.election.id = "x".repeat(tallyseal_core::package::MAX_IDENTIFIER_LEN + 1);
    assert_eq!(kinds(&p), vec![ProblemKind::BadIdentifier]);
    p.election.id = "pk-ge_2024.r2".into();
    assert_eq!(kinds(&p), Vec::<ProblemKind>::new());

    let mut p = example_package();
    p.format = "something-else".into();
    p.version = 2;
    assert_eq!(
        kinds(&p),
        vec![ProblemKind::WrongFormat, ProblemKind::WrongFormat]
    );
}

#[test]
fn time_rules() {
    let with = |f: &dyn Fn(&mut ElectionPackage)| {
        let mut p = example_package();
        f(&mut p);
        kinds(&p)
    };
    assert_eq!(
        with(&|p| p.published_at = "yesterday".into()),
        vec![ProblemKind::BadTime]
    );
    assert_eq!(
        with(&|p| p.election.poll_open = "2024-02-08 08:00".into()),
        vec![ProblemKind::BadTime]
    );
    // close before open
    assert_eq!(
        with(&|p| p.election.poll_close = "2024-02-08T07:00:00+05:00".into()),
        vec![ProblemKind::BadTime]
    );
    // close == open
    assert_eq!(
        with(&|p| p.election.poll_close = p.election.poll_open.clone()),
        vec![ProblemKind::BadTime]
    );
    // the same instant written with another offset is still after open
    assert_eq!(
        with(&|p| p.election.poll_close = "2024-02-08T12:00:00Z".into()),
        vec![]
    );
    assert_eq!(
        with(&|p| p.election.results_deadline = "2024-02-08T16:00:00+05:00".into()),
        vec![ProblemKind::BadTime]
    );
    assert_eq!(
        with(&|p| p.election.poll_date = "2024-02-09".into()),
        vec![ProblemKind::BadTime]
    );
    assert_eq!(
        with(&|p| p.election.poll_date = "8 Feb 2024".into()),
        vec![ProblemKind::BadTime]
    );
}

#[test]
fn open_refuses_unknown_fields_non_canonical_text_and_invalid_content() {
    let signer = test_signer();
    let v = [signer.verifier()];
    let p = example_package();

    // A field this version does not know.
    let text = p.to_note_text().replacen("{\n", "{\n  \"extra\": 1,\n", 1);
    let note = sign_note(&text, std::slice::from_ref(&signer)).unwrap();
    assert!(matches!(
        SignedPackage::open(note.as_bytes(), &v),
        Err(PackageError::Json(_))
    ));

    // The same content in compact JSON: one package, one text, one hash.
    let compact = serde_json::to_string(&p).unwrap() + "\n";
    let note = sign_note(&compact, std::slice::from_ref(&signer)).unwrap();
    assert_eq!(
        SignedPackage::open(note.as_bytes(), &v),
        Err(PackageError::NotCanonical)
    );

    // Signed, but not a valid package (someone signed without validating).
    let mut bad = p.clone();
    bad.constituencies[0].stations[0].location = None;
    let note = sign_note(&bad.to_note_text(), std::slice::from_ref(&signer)).unwrap();
    assert!(matches!(
        SignedPackage::open(note.as_bytes(), &v),
        Err(PackageError::Invalid(_))
    ));

    // Not JSON at all.
    let note = sign_note("hello\n", std::slice::from_ref(&signer)).unwrap();
    assert!(matches!(
        SignedPackage::open(note.as_bytes(), &v),
        Err(PackageError::Json(_))
    ));
}

#[test]
fn problems_read_well() {
    let mut p = example_package();
    p.constituencies[0].stations[0]
        .location
        .as_mut()
        .unwrap()
        .geofence = Geofence::Radius { radius_m: 7500.0 };
    let problems = p.validate();
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems[0].to_string(),
        "NA-128 station 1: geofence radius 7500 m is not in (0, 5000] m"
    );
    let err = p.sign(&test_signer()).unwrap_err();
    assert!(err.to_string().contains("1 problem"), "{err}");
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

/// Every name a person is shown (election, constituency, assembly, returning officer, candidate
/// names, local names, parties, symbols, stations) is refused with a control or bidirectional-
/// formatting character, so neither the packager nor the server signs or imports one; the
/// problem names the field without repeating the character.
#[test]
fn names_with_control_or_bidi_characters_are_refused() {
    type Edit = Box<dyn Fn(&mut ElectionPackage, &str)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("election name", Box::new(|p, v| p.election.name = v.into())),
        (
            "constituency name",
            Box::new(|p, v| p.constituencies[0].name = v.into()),
        ),
        (
            "assembly",
            Box::new(|p, v| p.constituencies[0].assembly = v.into()),
        ),
        (
            "returning officer",
            Box::new(|p, v| p.constituencies[0].returning_officer = Some(v.into())),
        ),
        (
            "name of candidate 1",
            Box::new(|p, v| p.constituencies[0].candidates[0].name = v.into()),
        ),
        (
            "local name of candidate 1",
            Box::new(|p, v| p.constituencies[0].candidates[0].name_local = Some(v.into())),
        ),
        (
            "party of candidate 1",
            Box::new(|p, v| p.constituencies[0].candidates[0].party = v.into()),
        ),
        (
            "symbol of candidate 1",
            Box::new(|p, v| p.constituencies[0].candidates[0].symbol = v.into()),
        ),
        (
            "station name",
            Box::new(|p, v| p.constituencies[0].stations[0].name = v.into()),
        ),
    ];
    for (field, edit) in &edits {
        for bad in ["PO\u{0}\u{202E}evil", "a\u{2067}b", "x\u{200F}", "\u{85}"] {
            let mut p = example_package();
            edit(&mut p, bad);
            let problems = p.validate();
            assert_eq!(
                problems.iter().map(|p| p.kind).collect::<Vec<_>>(),
                vec![ProblemKind::UnsafeText],
                "{field}: {bad:?}"
            );
            assert!(problems[0].detail.contains(field), "{}", problems[0].detail);
            assert!(problems[0].detail.contains("U+"), "{}", problems[0].detail);
            assert!(!problems[0].detail.contains(bad), "{}", problems[0].detail);
            assert!(p.sign(&test_signer()).is_err());
        }
        // Urdu with a zero-width non-joiner is a name like any other.
        let mut p = example_package();
        edit(&mut p, "محمد\u{200C}علی");
        assert_eq!(kinds(&p), Vec::<ProblemKind>::new(), "{field}");
    }
}

/// The text rule is a publish-time rule: a package signed before it existed (here signed with the
/// note signer directly, past `ElectionPackage::sign`) still opens, so its election keeps working
/// and its evidence can still be verified; opening it to publish it anew refuses it.
#[test]
fn stored_package_with_unsafe_text_still_opens() {
    let signer = test_signer();
    let mut p = example_package();
    p.constituencies[0].stations[0].name = "School\u{202E}loohcS".into();
    p.election.name = "General\u{0}Elections".into();
    assert!(p.sign(&signer).is_err());
    assert_eq!(p.validate_stored(), vec![]);
    let note = sign_note(&p.to_note_text(), std::slice::from_ref(&signer)).unwrap();

    let (opened, signed) = SignedPackage::open(note.as_bytes(), &[signer.verifier()]).unwrap();
    assert_eq!(opened, p);
    assert_eq!(signed.as_bytes(), note.as_bytes());

    match SignedPackage::open_to_publish(note.as_bytes(), &[signer.verifier()]) {
        Err(PackageError::Invalid(problems)) => assert_eq!(
            problems.iter().map(|p| p.kind).collect::<Vec<_>>(),
            vec![ProblemKind::UnsafeText, ProblemKind::UnsafeText]
        ),
        other => panic!("expected the text rule to refuse it, got {other:?}"),
    }
    // Any other problem still stops a stored package from opening.
    let mut bad = p.clone();
    bad.constituencies[0].stations[0].number = 0;
    let note = sign_note(&bad.to_note_text(), std::slice::from_ref(&signer)).unwrap();
    assert!(matches!(
        SignedPackage::open(note.as_bytes(), &[signer.verifier()]),
        Err(PackageError::Invalid(_))
    ));
}
