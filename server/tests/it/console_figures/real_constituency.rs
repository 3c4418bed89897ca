//! Form-47 of a real constituency: PS-116's 2024 station results (importer/testdata, every
//! station, read with the importer's parser), entered twice, checked, released where held, and
//! compiled: the totals equal the sums of the confirmed Form-45 figures.

use std::collections::BTreeMap;

use serde_json::json;
use tallyseal_core::model::{Candidate, StationType};
use tallyseal_import::results_csv::parse_results_csv;
use tallyseal_import::station_name::NameType;
use tallyseal_server::accounts::Role;

use super::{Console, actor, constituency, fields, rid, station, typed};
use crate::helpers::{Db, Store};

const CSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../importer/testdata/elections/pakistan/form45_2024_zlenner/PS-116.csv"
);

async fn real_constituency(db: Db, _s: Store, test: &str) {
    let table = parse_results_csv("PS-116", &std::fs::read(CSV).unwrap()).unwrap();
    let candidates: Vec<Candidate> = table
        .parties
        .iter()
        .zip(1u32..)
        .map(|(party, n)| Candidate {
            ballot_no: n,
            name: format!("{party} candidate"),
            name_local: None,
            party: party.clone(),
            symbol: format!("S{n}"),
        })
        .collect();
    let rows: Vec<_> = table.rows.iter().filter(|r| r.number.is_some()).collect();
    assert_eq!(rows.len(), 37);
    let mut stations = Vec::new();
    let mut sheets = BTreeMap::new();
    for r in &rows {
        let n = r.number.unwrap();
        let votes: Vec<u32> = r.votes.iter().map(|v| v.unwrap_or(0)).collect();
        let polled: u32 = votes.iter().sum();
        // The CSV has no gender split: a station's type decides it, the roll is twice the polled.
        let station_type = match r.name_type {
            NameType::Found(t) => t,
            _ => StationType::Combined,
        };
        let split = match station_type {
            StationType::Male => (polled, 0),
            StationType::Female => (0, polled),
            StationType::Combined => (polled - polled / 2, polled / 2),
        };
        let mut st = station(n, None);
        st.name = r.name.clone();
        st.station_type = station_type;
        stations.push(st);
        sheets.insert(n, fields((split.0 * 2, split.1 * 2), split, &votes, 0));
    }
    let c = constituency("PS-116", candidates.clone(), stations);
    let election = tallyseal_testkit::fixtures::election_2024();
    let Some(console) = Console::start(db, test, election, c).await else {
        return;
    };
    let ro = actor("u-ro-116", Role::ReturningOfficer, &console.c);
    for (n, f) in &sheets {
        let hash = console
            .add_accepted_capture(*n, Some(typed(f, candidates.len() as u32)), None)
            .await;
        console.double_entry(&hash, f, f).await;
    }
    // Release whatever the checks hold (real results have outliers), each with a reason.
    let (_, list) = console.call(&ro, "GET", "/figures/quarantine", None).await;
    for q in list
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["quarantined"] == true)
    {
        let (s, v) = console
            .call(&ro, "POST", &format!("/figures/quarantine/{}/release", q["manifest_hash"].as_str().unwrap()), Some(json!({"id": rid(), "origin": "ro", "reason": "checked against the paper Form-45"})))
            .await;
        assert_eq!(s, 200, "{v}");
    }
    // The deadline (02:00 on 9 February 2024, Asia/Karachi) has passed: Form-47 says why it is late.
    let (s, v) = console
        .call(
            &ro,
            "POST",
            "/forms/form47/sign",
            Some(json!({"id": rid(), "origin": "ro"})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("late_reason"));
    let (s, signed) = console
        .call(&ro, "POST", "/forms/form47/sign", Some(json!({"id": rid(), "origin": "ro", "late_reason": "replayed from the 2024 results"})))
        .await;
    assert_eq!(s, 200, "{signed}");
    let f47 = &signed["statement"]["content"];
    assert_eq!(f47["deadline"]["status"], "late");
    assert_eq!(f47["stations_awaited"], json!([]));
    assert_eq!(f47["stations_counted"].as_array().unwrap().len(), 37);
    for (i, cand) in candidates.iter().enumerate() {
        let sum: u64 = sheets
            .values()
            .map(|f| u64::from(f[&format!("candidate_{}", cand.ballot_no)]))
            .sum();
        let from_csv: u64 = rows
            .iter()
            .map(|r| u64::from(r.votes[i].unwrap_or(0)))
            .sum();
        assert_eq!(sum, from_csv);
        assert_eq!(
            f47["candidates"][i]["votes"], sum,
            "candidate {}",
            cand.ballot_no
        );
    }
    let total: u64 = sheets.values().map(|f| u64::from(f["total_valid"])).sum();
    assert_eq!(f47["total_valid"], total);
    // And the same sums straight from what the database confirmed.
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT figures FROM figure_confirmations WHERE constituency = $1")
            .bind("PS-116")
            .fetch_all(console.pool())
            .await
            .unwrap();
    assert_eq!(stored.len(), 37);
    let db_total: u64 = stored
        .iter()
        .map(|s| {
            serde_json::from_str::<serde_json::Value>(s).unwrap()["total_valid"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(db_total, total);
}

crate::on_backends!(
    form47_totals_of_a_real_constituency,
    real_constituency,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);
