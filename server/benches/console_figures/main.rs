//! Console figures benchmark: 8 operators keying the blind double entry of a 500-station
//! constituency at the same time (claim, one draft, submit per entry; two entries per station),
//! then the server-side time to compile Form-47 and Form-48 (gather, quarantine checks, totals)
//! and to sign Form-47, against the embedded default (SQLite) and, when `TALLYSEAL_TEST_PG_URL`
//! is set (scripts/services.sh), PostgreSQL.
//!
//!     cargo bench -p tallyseal-server --bench console_figures
//!     BENCH_STATIONS=500 BENCH_OPERATORS=8 BENCH_RUNS=5 cargo bench -p tallyseal-server --bench console_figures
//!
//! Captures are seeded as the intake leaves them (verified submission rows); the figures go
//! through the services the console's routes call.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Connection;
use tallyseal_core::model::{
    Candidate, Constituency, Election, Geofence, LatLon, PollingStation, StationLocation,
    StationType,
};
use tallyseal_core::package::ElectionPackage;
use tallyseal_core::wire::ImportRequest;
use tallyseal_server::accounts::{Actor, ConstituencyRef, Role, Scope};
use tallyseal_server::config::ServerConfig;
use tallyseal_server::figures::compile::ResultForm;
use tallyseal_server::figures::entries::{self, ClaimRequest, SaveRequest};
use tallyseal_server::figures::records::RecordMeta;
use tallyseal_server::figures::signing::{self, SignRequest};
use tallyseal_server::{Application, elections, random_hex};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn package(stations: u32, candidates: u32) -> ElectionPackage {
    let election = Election {
        id: "bench-2099".into(),
        name: "Benchmark election".into(),
        poll_date: "2099-02-08".into(),
        time_zone: "Asia/Karachi".into(),
        poll_open: "2099-02-08T08:00:00+05:00".into(),
        poll_close: "2099-02-08T17:00:00+05:00".into(),
        results_deadline: "2099-02-09T02:00:00+05:00".into(),
    };
    let c = Constituency {
        code: "NA-500".into(),
        name: "Benchmark".into(),
        assembly: "National Assembly".into(),
        returning_officer: None,
        candidates: (1..=candidates)
            .map(|n| Candidate {
                ballot_no: n,
                name: format!("Candidate {n}"),
                name_local: None,
                party: "Independent".into(),
                symbol: format!("S{n}"),
            })
            .collect(),
        stations: (1..=stations)
            .map(|n| PollingStation {
                number: n,
                name: format!("Station {n}"),
                station_type: StationType::Combined,
                location: Some(StationLocation {
                    point: LatLon {
                        lat: 31.0 + f64::from(n) * 0.0005,
                        lon: 74.3,
                    },
                    geofence: Geofence::Radius { radius_m: 150.0 },
                }),
                registered: None,
                booths: None,
            })
            .collect(),
    };
    ElectionPackage::new(election, vec![c], "2099-01-01T00:00:00Z")
}

/// Plausible, station-specific figures (turnout 50 %): none held in quarantine.
fn figures(station: u32, candidates: u32) -> serde_json::Value {
    // Candidate 1's count is the station's own: no two stations have identical counts.
    let votes: Vec<u32> = (1..=candidates)
        .map(|c| {
            if c == 1 {
                100 + station
            } else {
                40 + (station * 7 + c * 13) % 90
            }
        })
        .collect();
    let valid: u32 = votes.iter().sum();
    let rejected = station % 7;
    let polled = valid + rejected;
    let (m, f) = (polled - polled / 2, polled / 2);
    let mut o = serde_json::Map::new();
    for (k, v) in [
        ("registered_male", m * 2),
        ("registered_female", f * 2),
        ("registered_transgender", 0),
        ("polled_male", m),
        ("polled_female", f),
        ("polled_transgender", 0),
        ("total_valid", valid),
        ("rejected", rejected),
        ("total_polled", polled),
    ] {
        o.insert(k.into(), json!(v));
    }
    for (i, v) in votes.iter().enumerate() {
        o.insert(format!("candidate_{}", i + 1), json!(v));
    }
    serde_json::Value::Object(o)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn run(label: &str, config: ServerConfig) {
    let stations = env_num("BENCH_STATIONS", 500) as u32;
    let operators = env_num("BENCH_OPERATORS", 8).max(2);
    let runs = env_num("BENCH_RUNS", 5);
    let app = Application::build(config).await.expect("server builds");
    let state = app.state();
    let pkg = package(stations, 6);
    elections::import(
        &state,
        ImportRequest {
            package: Some(pkg.clone()),
            signed_note: None,
        },
    )
    .await
    .unwrap();
    let c = ConstituencyRef::new("bench-2099", "NA-500");
    let pool = &state.db.pool;
    sqlx::query("INSERT INTO devices (device_key, election_id, constituency, station, officer_name, enrolled_at_ms) VALUES ($1, $2, $3, 1, 'PO', 1)")
        .bind("ab".repeat(32)).bind(c.election.clone()).bind(c.code.clone()).execute(pool).await.unwrap();
    let mut hashes = Vec::new();
    for n in 1..=stations {
        let hash = tallyseal_core::hash::sha256(format!("bench {n}").as_bytes()).to_hex();
        sqlx::query(
            "INSERT INTO submissions (manifest_hash, device_key, election_id, constituency, station, form, seq, \
               signature, image_sha256, image_bytes, media_type, received_at_ms, status, image_received_at_ms, \
               verdict, receipt, analysed_at_ms) \
             VALUES ($1, $2, $3, $4, $5, 'form45', $5, $6, $1, 1000, 'image/jpeg', $5, 'verified', $5, 'verified', '{}', $5)",
        )
        .bind(hash.clone()).bind("ab".repeat(32)).bind(c.election.clone()).bind(c.code.clone())
        .bind(i64::from(n)).bind("00".repeat(64)).execute(pool).await.unwrap();
        hashes.push((n, hash));
    }
    let actors: Vec<Actor> = (0..operators)
        .map(|i| Actor {
            user_id: format!("u-op{i}"),
            role: Role::Operator,
            scope: Scope::Constituencies(vec![c.clone()]),
        })
        .collect();
    // Entry (capture i, slot s) goes to operator (i + s) % operators: never the same one twice.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (k, actor) in actors.iter().enumerate() {
        let (state, c, actor) = (state.clone(), c.clone(), actor.clone());
        let work: Vec<(u32, String, i64)> = hashes
            .iter()
            .enumerate()
            .flat_map(|(i, (n, h))| {
                [1i64, 2]
                    .into_iter()
                    .filter(move |s| (i + *s as usize) % operators == k)
                    .map(move |s| (*n, h.clone(), s))
            })
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for (n, hash, slot) in work {
                let meta = |o: &str| RecordMeta {
                    id: random_hex(16).unwrap(),
                    origin: o.into(),
                };
                let t = Instant::now();
                entries::claim(
                    &state,
                    &c,
                    &actor,
                    &hash,
                    slot,
                    &ClaimRequest { meta: meta("ws") },
                )
                .await
                .map_err(|e| format!("{e:?}"))
                .unwrap();
                lat.push(t.elapsed());
                let f = figures(n, 6);
                let mut draft = f.clone();
                draft
                    .as_object_mut()
                    .unwrap()
                    .retain(|k, _| k.starts_with("registered"));
                let t = Instant::now();
                entries::save(
                    &state,
                    &c,
                    &actor,
                    &hash,
                    slot,
                    &SaveRequest {
                        meta: meta("ws"),
                        version: 1,
                        figures: draft,
                    },
                    false,
                )
                .await
                .map_err(|e| format!("{e:?}"))
                .unwrap();
                lat.push(t.elapsed());
                let t = Instant::now();
                entries::save(
                    &state,
                    &c,
                    &actor,
                    &hash,
                    slot,
                    &SaveRequest {
                        meta: meta("ws"),
                        version: 2,
                        figures: f,
                    },
                    true,
                )
                .await
                .map_err(|e| format!("{e:?}"))
                .unwrap();
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    lat.sort();
    let confirmed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM figure_confirmations")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(confirmed, i64::from(stations));
    println!(
        "{label}: {operators} operators, {} entries ({} requests) in {:.2} s: {:.0} requests/s; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        stations * 2,
        lat.len(),
        wall.as_secs_f64(),
        lat.len() as f64 / wall.as_secs_f64(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.95).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
    );
    for form in [ResultForm::Form47, ResultForm::Form48] {
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let v = signing::preview(&state, &c, form).await.unwrap();
            times.push(t.elapsed());
            assert_eq!(v["complete"], true);
        }
        times.sort();
        println!(
            "{label}: {} of {stations} stations compiled: median {:.1} ms, min {:.1} ms, max {:.1} ms ({runs} runs)",
            form.as_str(),
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
        );
    }
    let ro = Actor {
        user_id: "u-ro".into(),
        role: Role::ReturningOfficer,
        scope: Scope::Constituencies(vec![c.clone()]),
    };
    let t = Instant::now();
    signing::sign(
        &state,
        &c,
        &ro,
        ResultForm::Form47,
        &SignRequest {
            meta: RecordMeta {
                id: random_hex(16).unwrap(),
                origin: "ro".into(),
            },
            supersedes: None,
            reason: None,
            late_reason: None,
        },
    )
    .await
    .map_err(|e| format!("{e:?}"))
    .unwrap();
    println!(
        "{label}: Form-47 compiled, signed and stored in {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let config = ServerConfig {
            data_dir: dir.path().to_owned(),
            bind: "127.0.0.1:0".into(),
            ..ServerConfig::default()
        };
        run("SQLite", config).await;
        if let Ok(admin) = std::env::var("TALLYSEAL_TEST_PG_URL") {
            let name = format!("bench_{}", random_hex(6).unwrap());
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let (base, _) = admin.rsplit_once('/').unwrap();
            let pg_dir = tempfile::tempdir().unwrap();
            let config = ServerConfig {
                data_dir: pg_dir.path().to_owned(),
                bind: "127.0.0.1:0".into(),
                database_url: Some(format!("{base}/{name}")),
                ..ServerConfig::default()
            };
            run("PostgreSQL", config).await;
        }
    });
}
