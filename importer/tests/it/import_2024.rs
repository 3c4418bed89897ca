//! The 2024 importer on the real data in `importer/testdata/elections/pakistan/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use tallyseal_core::model::{Geofence, StationType};
use tallyseal_core::package::{ProblemKind, SignedPackage, summarize};
use tallyseal_import::{ImportError, NameType, import_2024, parse_results_csv};

use crate::support::{election_2024, read_testdata, test_signer, testdata};

const PUBLISHED: &str = "2024-01-25T12:00:00+05:00";

fn candidate_files() -> Vec<Vec<u8>> {
    ["punjab", "sindh", "kpk", "balochistan"]
        .iter()
        .map(|p| {
            read_testdata(&format!(
                "elections/pakistan/candidates_2024_zlenner/NA/{p}.json"
            ))
        })
        .collect()
}

fn station_files() -> Vec<(String, Vec<u8>)> {
    let dir = testdata().join("elections/pakistan/form45_2024_zlenner");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .map(|p| {
            let code = p.file_stem().unwrap().to_str().unwrap().to_string();
            (code, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn refs(files: &[Vec<u8>]) -> Vec<&[u8]> {
    files.iter().map(|f| f.as_slice()).collect()
}

fn station_refs(files: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    files
        .iter()
        .map(|(c, b)| (c.as_str(), b.as_slice()))
        .collect()
}

#[test]
fn all_266_na_constituencies_and_5155_candidates() {
    let files = candidate_files();
    let r = import_2024(&refs(&files), &[], None, election_2024(), PUBLISHED).unwrap();
    let p = &r.package;
    assert_eq!(p.constituencies.len(), 266);
    assert_eq!(
        p.constituencies
            .iter()
            .map(|c| c.candidates.len())
            .sum::<usize>(),
        5155
    );
    // NA-1 … NA-266, in numeric order, all National Assembly.
    let codes: Vec<String> = p.constituencies.iter().map(|c| c.code.clone()).collect();
    let want: Vec<String> = (1..=266).map(|n| format!("NA-{n}")).collect();
    assert_eq!(codes, want);
    assert!(
        p.constituencies
            .iter()
            .all(|c| c.assembly == "National Assembly")
    );
    // Ballot numbers are 1..n in every constituency.
    for c in &p.constituencies {
        assert!(!c.candidates.is_empty(), "{}", c.code);
        for (i, cand) in c.candidates.iter().enumerate() {
            assert_eq!(cand.ballot_no as usize, i + 1, "{}", c.code);
        }
    }
    let na46 = p.constituency("NA-46").unwrap();
    assert_eq!(na46.name, "Islamabad");
    assert_eq!(na46.returning_officer.as_deref(), Some("Kamran Ali Cheema"));
    assert_eq!(na46.candidates[0].name, "Amina Sadaf");
    assert_eq!(na46.candidates[0].name_local.as_deref(), Some("امینہ صدف"));
    assert_eq!(na46.candidates[0].symbol, "AEROPLANE");
    assert_eq!(na46.candidates[1].party, "PML(N)");
    // Candidates with only an Urdu name keep it as their name.
    let na4 = p.constituency("NA-4").unwrap();
    assert_eq!(na4.candidates[0].name, "کل حاتم خان");

    // Source serial numbers with gaps or repeats were renumbered, with a warning each.
    let mut renumbered: Vec<&str> = r
        .warnings
        .iter()
        .filter(|w| w.message.contains("serial numbers"))
        .map(|w| w.constituency.as_str())
        .collect();
    renumbered.sort();
    assert_eq!(
        renumbered,
        vec!["NA-175", "NA-19", "NA-249", "NA-48", "NA-84", "NA-99"]
    );
    let na48 = r
        .warnings
        .iter()
        .find(|w| w.constituency == "NA-48")
        .unwrap();
    assert!(na48.message.contains("25→24"), "{}", na48.message);

    // No stations yet: the draft is not signable.
    assert!(r.missing_locations.is_empty());
    let problems = p.validate();
    assert_eq!(
        problems
            .iter()
            .filter(|x| x.kind == ProblemKind::NoStations)
            .count(),
        266
    );
}

#[test]
fn the_58_station_files_give_their_stations_with_types() {
    let cands = candidate_files();
    let stations = station_files();
    assert_eq!(stations.len(), 58);
    let r = import_2024(
        &refs(&cands),
        &station_refs(&stations),
        None,
        election_2024(),
        PUBLISHED,
    )
    .unwrap();
    // 15,849 data rows; four have no usable station number (NA-236 repeats its header as
    // "PS No", NA-55 has "NA", NA-56 has "N/A" and an empty one) and are skipped.
    assert_eq!(r.station_rows_read, 15_849);
    assert_eq!(r.station_rows_skipped, 4);
    let p = &r.package;
    assert_eq!(p.station_count(), 15_845);
    let s = summarize(p);
    assert_eq!(s["stations_male"], 2_782);
    assert_eq!(s["stations_female"], 2_697);
    assert_eq!(s["stations_combined"], 10_366);
    // 266 NA constituencies plus 9 provincial ones with station results but no candidate list.
    assert_eq!(p.constituencies.len(), 275);
    for code in [
        "PK-79", "PP-145", "PP-169", "PS-94", "PS-97", "PS-100", "PS-102", "PS-116", "PS-120",
    ] {
        let c = p.constituency(code).unwrap();
        assert!(c.candidates.is_empty());
        assert!(!c.stations.is_empty());
        assert!(
            r.warnings
                .iter()
                .any(|w| w.constituency == code && w.message.contains("no candidate list"))
        );
    }
    assert_eq!(
        p.constituency("PP-145").unwrap().assembly,
        "Provincial Assembly of the Punjab"
    );
    assert_eq!(
        p.constituency("PS-94").unwrap().assembly,
        "Provincial Assembly of Sindh"
    );
    assert_eq!(
        p.constituency("PK-79").unwrap().assembly,
        "Provincial Assembly of Khyber Pakhtunkhwa"
    );

    let ty = |code: &str, n: u32| p.station(code, n).unwrap().station_type;
    // "(Male)-I" / "(Female)-I"
    assert_eq!(ty("NA-128", 1), StationType::Male);
    assert_eq!(ty("NA-128", 2), StationType::Female);
    // Urdu (مرد) / (عورت)
    assert_eq!(ty("NA-98", 1), StationType::Male);
    assert_eq!(ty("NA-98", 2), StationType::Female);
    // garbled right-to-left Urdu: ")رمد(" and ")وعرت("
    assert_eq!(ty("NA-46", 1), StationType::Male);
    assert_eq!(ty("NA-46", 2), StationType::Female);
    // "... Para Male (Part-I)", "... Para Female (Part-II)"
    assert_eq!(ty("NA-219", 1), StationType::Male);
    assert_eq!(ty("NA-219", 2), StationType::Female);
    // names that are only a number: no type, imported as combined with a warning
    assert_eq!(p.station("NA-117", 1).unwrap().name, "1");
    assert_eq!(ty("NA-117", 1), StationType::Combined);
    let w = r
        .warnings
        .iter()
        .find(|w| w.constituency == "NA-117" && w.message.contains("no station type"))
        .unwrap();
    assert_eq!(w.stations.len(), 329);
    let flagged = |what: &str| -> usize {
        r.warnings
            .iter()
            .filter(|w| w.message.contains(what))
            .map(|w| w.stations.len())
            .sum()
    };
    assert_eq!(flagged("gives no station type"), 6_298);
    assert_eq!(flagged("more than one station type"), 2);
    // "(Male) (Female)-I": ambiguous, combined with a warning
    assert!(r.warnings.iter().any(|w| w.constituency == "NA-77"
        && w.message.contains("more than one station type")
        && w.stations.len() == 2));
    // Line breaks inside quoted names are collapsed.
    assert_eq!(
        p.station("NA-59", 1).unwrap().name,
        "1 - Government High School Buchal Khurd (Male)-I"
    );
    // The skipped rows are reported with their line.
    assert!(
        r.warnings
            .iter()
            .any(|w| w.constituency == "NA-236" && w.message.contains("\"PS No\""))
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.constituency == "NA-55" && w.message.contains("\"NA\""))
    );

    // Station numbers are unique and sorted in every constituency.
    for c in &p.constituencies {
        assert!(
            c.stations.windows(2).all(|w| w[0].number < w[1].number),
            "{}",
            c.code
        );
    }

    // Without coordinates every station is missing its location, and signing is refused.
    assert_eq!(r.missing_locations.len(), 15_845);
    assert_eq!(r.missing_locations[0].constituency, "NA-46");
    assert!(p.sign(&test_signer()).is_err());
    let problems = p.validate();
    assert_eq!(
        problems
            .iter()
            .filter(|x| x.kind == ProblemKind::MissingLocation)
            .count(),
        15_845
    );
}

/// Synthetic coordinates for every station (the published data has none): a grid over Pakistan.
fn coordinates_for(files: &[(String, Vec<u8>)]) -> String {
    let mut csv = String::from("constituency,station,lat,lon,radius_m\n");
    let mut i = 0u32;
    for (code, bytes) in files {
        let t = parse_results_csv(code, bytes).unwrap();
        for row in t.rows {
            if let Some(n) = row.number {
                let lat = 24.0 + f64::from(i % 1000) * 0.01;
                let lon = 61.0 + f64::from(i / 1000) * 0.5;
                csv.push_str(&format!("{code},{n},{lat:.5},{lon:.5},150\n"));
                i += 1;
            }
        }
    }
    csv
}

#[test]
fn with_coordinates_every_station_gets_a_geofence_and_the_package_signs_and_opens() {
    let cands = candidate_files();
    let stations = station_files();
    let coords = coordinates_for(&stations);
    let r = import_2024(
        &refs(&cands),
        &station_refs(&stations),
        Some(coords.as_bytes()),
        election_2024(),
        PUBLISHED,
    )
    .unwrap();
    assert!(r.missing_locations.is_empty());
    let mut p = r.package;
    for c in &p.constituencies {
        for s in &c.stations {
            let loc = s.location.as_ref().unwrap();
            assert_eq!(loc.geofence, Geofence::Radius { radius_m: 150.0 });
        }
    }
    // Still not signable as a whole: 217 NA seats have no station list here, and the 9
    // provincial seats have no candidate list.
    let problems = p.validate();
    let mut by_kind: BTreeMap<ProblemKind, usize> = BTreeMap::new();
    for x in &problems {
        *by_kind.entry(x.kind).or_default() += 1;
    }
    assert_eq!(
        by_kind,
        BTreeMap::from([
            (ProblemKind::NoCandidates, 9),
            (ProblemKind::NoStations, 217)
        ])
    );

    // Keep the 49 seats that have both, and the package signs and opens.
    p.constituencies
        .retain(|c| !c.stations.is_empty() && !c.candidates.is_empty());
    assert_eq!(p.constituencies.len(), 49);
    assert_eq!(p.validate(), vec![]);
    let signer = test_signer();
    let signed = p.sign(&signer).unwrap();
    let (opened, again) =
        SignedPackage::open(signed.note.as_bytes(), &[signer.verifier()]).unwrap();
    assert_eq!(opened, p);
    assert_eq!(again.hash(), signed.hash());
    assert_eq!(opened.station_count(), 15_845 - 1_007);
    println!(
        "49-seat package: {} bytes, hash {}",
        signed.note.len(),
        signed.hash()
    );
}

#[test]
fn import_is_deterministic() {
    let cands = candidate_files();
    let stations = station_files();
    let a = import_2024(
        &refs(&cands),
        &station_refs(&stations),
        None,
        election_2024(),
        PUBLISHED,
    )
    .unwrap();
    // Candidate files in another order give the same package.
    let mut rev = refs(&cands);
    rev.reverse();
    let b = import_2024(
        &rev,
        &station_refs(&stations),
        None,
        election_2024(),
        PUBLISHED,
    )
    .unwrap();
    assert_eq!(a.package, b.package);
    assert_eq!(a.package.to_note_text(), b.package.to_note_text());
}

#[test]
fn coordinates_file_errors_and_warnings() {
    let cands = candidate_files();
    let na128 = read_testdata("elections/pakistan/form45_2024_zlenner/NA-128.csv");
    let st = [("NA-128", na128.as_slice())];
    let run = |coords: &str| {
        import_2024(
            &refs(&cands),
            &st,
            Some(coords.as_bytes()),
            election_2024(),
            PUBLISHED,
        )
    };

    // A station not in the package: a warning, not an error.
    let r = run(
        "constituency,station,lat,lon,radius_m\nNA-128,1,31.5,74.4,100\nNA-128,999,31.5,74.4,100\n",
    )
    .unwrap();
    assert_eq!(r.missing_locations.len(), 432);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.constituency == "NA-128" && w.stations == vec![999])
    );
    let s1 = r
        .package
        .station("NA-128", 1)
        .unwrap()
        .location
        .as_ref()
        .unwrap();
    assert_eq!((s1.point.lat, s1.point.lon), (31.5, 74.4));

    // Columns in another order, lower/upper case codes.
    let r = run("lat,lon,radius_m,station,constituency\n31.5,74.4,100,2,na-128\n").unwrap();
    assert!(r.package.station("NA-128", 2).unwrap().location.is_some());

    // Errors name the line.
    let e = run(
        "constituency,station,lat,lon,radius_m\nNA-128,1,31.5,74.4,100\nNA-128,1,31.6,74.4,100\n",
    )
    .unwrap_err();
    assert!(
        matches!(e, ImportError::CoordinatesCsv { line: 3, .. }),
        "{e}"
    );
    let e = run("constituency,station,lat,lon,radius_m\nNA-128,x,31.5,74.4,100\n").unwrap_err();
    assert!(
        matches!(e, ImportError::CoordinatesCsv { line: 2, .. }),
        "{e}"
    );
    let e = run("constituency,station,lat,lon,radius_m\nNA-128,1,north,74.4,100\n").unwrap_err();
    assert!(
        matches!(e, ImportError::CoordinatesCsv { line: 2, .. }),
        "{e}"
    );
    let e = run("constituency,station,lat,lon\nNA-128,1,31.5,74.4\n").unwrap_err();
    assert!(
        matches!(e, ImportError::CoordinatesCsv { line: 1, .. }),
        "{e}"
    );

    // Out-of-range values are imported as given and caught by validation.
    let r =
        run("constituency,station,lat,lon,radius_m\nNA-128,1,0,0,100\nNA-128,2,31.5,74.4,9000\n")
            .unwrap();
    let kinds: Vec<ProblemKind> = r
        .package
        .validate()
        .into_iter()
        .filter(|x| x.location == "NA-128 station 1" || x.location == "NA-128 station 2")
        .map(|x| x.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![ProblemKind::BadCoordinate, ProblemKind::BadRadius]
    );
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let e = import_2024(&[b"not json"], &[], None, election_2024(), PUBLISHED).unwrap_err();
    assert!(matches!(e, ImportError::CandidateJson { file: 0, .. }));
    let e = import_2024(
        &[],
        &[("NA-1", b"a,b\n1,2\n")],
        None,
        election_2024(),
        PUBLISHED,
    )
    .unwrap_err();
    assert!(matches!(e, ImportError::StationCsv { .. }), "{e}");
    let e = import_2024(
        &[],
        &[("NA-1", b"No,Name\n\"1,x\n")],
        None,
        election_2024(),
        PUBLISHED,
    )
    .unwrap_err();
    assert!(matches!(e, ImportError::StationCsv { .. }), "{e}");
    let e = import_2024(
        &[],
        &[("NA-1", b"\xff\xfe")],
        None,
        election_2024(),
        PUBLISHED,
    )
    .unwrap_err();
    assert!(matches!(e, ImportError::StationCsv { .. }), "{e}");
    let dup = [
        ("NA-1", &b"No,Name\n1,x\n"[..]),
        ("na-1", &b"No,Name\n1,x\n"[..]),
    ];
    let e = import_2024(&[], &dup, None, election_2024(), PUBLISHED).unwrap_err();
    assert_eq!(e, ImportError::DuplicateConstituency("NA-1".into()));
    // The same constituency in two candidate files.
    let f = br#"{"NA-1": {"Constituency No": "NA-1", "Candidates": []}}"#;
    let e = import_2024(&[f, f], &[], None, election_2024(), PUBLISHED).unwrap_err();
    assert_eq!(e, ImportError::DuplicateConstituency("NA-1".into()));
}

#[test]
fn results_rows_parse_votes() {
    let t = parse_results_csv(
        "NA-128",
        &read_testdata("elections/pakistan/form45_2024_zlenner/NA-128.csv"),
    )
    .unwrap();
    assert_eq!(t.parties, vec!["PTI-IND".to_string(), "IPP".to_string()]);
    assert_eq!(t.rows.len(), 433);
    let r = &t.rows[0];
    assert_eq!(r.number, Some(1));
    assert_eq!(
        r.name,
        "Govt Girls High School, Custom Colony Lahore CANTT (Male)-I"
    );
    assert_eq!(r.name_type, NameType::Found(StationType::Male));
    assert_eq!(r.votes, vec![Some(250), Some(159)]);
}
