//! The election package's rules: what stops a package from being signed, and the text rule
//! that applies only when a package is published.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::package::{example_package, test_signer};
use tallyseal_core::model::{Geofence, LatLon, StationLocation};
use tallyseal_core::note::sign_note;
use tallyseal_core::package::{ElectionPackage, PackageError, ProblemKind, SignedPackage};

fn kinds(p: &ElectionPackage) -> Vec<ProblemKind> {
    p.validate().into_iter().map(|x| x.kind).collect()
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
