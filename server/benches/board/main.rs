//! Arrival-board benchmark: the board of one constituency of `BENCH_STATIONS` polling stations
//! (default 500), server-side (the service call and its JSON, no HTTP), and the national summary.
//!
//!     cargo bench -p tallyseal-server --bench board
//!     BENCH_STATIONS=500 BENCH_DATABASE_URL=postgres://… cargo bench -p tallyseal-server --bench board
//!
//! The data goes through the real intake of a real server (SQLite in a temporary directory, or
//! the PostgreSQL database `BENCH_DATABASE_URL` names, which must be empty): a package of that
//! many stations, one enrolled phone per station; 1 in 10 stations sends nothing (awaited), the
//! others a Form-45 manifest, its image from 4 in 5 of all stations, a Form-46 manifest from about
//! 3 in 10, and a decision on 1 in 4 of those that sent. Then the board is
//! built once cold (no manifest read yet on this server) and `BENCH_RUNS` times warm; the times
//! printed are the service's, per board. Figures: docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::StreamExt;
use serde_json::json;
use tallyseal_core::demo;
use tallyseal_core::form::FormKind;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::model::LatLon;
use tallyseal_core::seal::{ChainState, SealedCapture, UPLOAD_AUTH_HEADER, seal};
use tallyseal_server::accounts::{Actor, ConstituencyRef, Role, Scope};
use tallyseal_server::config::ServerConfig;
use tallyseal_server::figures::board_states;
use tallyseal_server::review::{self, DecisionRequest};
use tallyseal_server::stations::{self, BoardFilter};
use tallyseal_server::{Application, db};

const ELECTION: &str = "pk-ge-2024-demo";
const CODE: &str = "NA-128";

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

/// The demo package with `n` stations in NA-128 (copies of station 1, 30 m apart).
fn package(n: u32) -> tallyseal_core::package::ElectionPackage {
    let mut p = demo::package();
    let c = p
        .constituencies
        .iter_mut()
        .find(|c| c.code == CODE)
        .unwrap();
    let template = c.stations[0].clone();
    c.stations = (1..=n)
        .map(|i| {
            let mut s = template.clone();
            s.number = i;
            s.name = format!("Polling station {i}");
            if let Some(l) = s.location.as_mut() {
                l.point.lat += f64::from(i) * 0.0003;
            }
            s
        })
        .collect();
    p
}

fn position(p: &tallyseal_core::package::ElectionPackage, station: u32) -> LatLon {
    p.station(CODE, station)
        .and_then(|s| s.location.as_ref())
        .map(|l| l.point)
        .unwrap()
}

/// The `i`th copy of `photo`, with bytes (and a SHA-256) of its own.
fn retake(photo: &[u8], i: usize) -> Vec<u8> {
    let comment = format!("station {i}");
    let mut out = photo[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xfe]);
    out.extend_from_slice(&u16::try_from(comment.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(comment.as_bytes());
    out.extend_from_slice(&photo[2..]);
    out
}

struct Station {
    number: u32,
    key: DeviceKey,
    form45: SealedCapture,
    form46: Option<SealedCapture>,
}

async fn intake(http: &reqwest::Client, base: &str, token: &str, s: &Station, image: bool) {
    let r = http
        .post(format!(
            "{base}/api/v1/elections/{ELECTION}/enrolment-codes"
        ))
        .bearer_auth(token)
        .json(&json!({"constituency": CODE, "station": s.number}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let code = r.json::<serde_json::Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = http
        .post(format!("{base}/api/v1/enrol"))
        .json(
            &json!({"code": code, "device_key": s.key.public_key().to_hex(),
                      "officer_name": format!("PO {}", s.number)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    for sealed in std::iter::once(&s.form45).chain(s.form46.as_ref()) {
        let r = http
            .post(format!("{base}/api/v1/captures"))
            .json(&json!({
                "manifest": base64::engine::general_purpose::STANDARD.encode(&sealed.manifest_bytes),
                "signature": sealed.signature.to_hex(),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    if image {
        let sealed = &s.form45;
        let meta = format!(
            "manifest_hash {}",
            base64::engine::general_purpose::STANDARD.encode(sealed.manifest_hash.to_hex())
        );
        let r = http
            .post(format!("{base}/api/v1/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", sealed.image.len().to_string())
            .header("Upload-Metadata", meta)
            .header(UPLOAD_AUTH_HEADER, sealed.upload_auth.to_hex())
            .header("Content-Type", "application/offset+octet-stream")
            .body(sealed.image.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
}

fn summary(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label}: runs {} min {:.1} ms median {:.1} ms p95 {:.1} ms max {:.1} ms",
        times.len(),
        ms(times[0]),
        ms(p(0.5)),
        ms(p(0.95)),
        ms(times[times.len() - 1])
    );
}

async fn run() {
    let n = u32::try_from(env_num("BENCH_STATIONS", 500)).unwrap();
    let runs = env_num("BENCH_RUNS", 30);
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        data_dir: dir.path().to_owned(),
        bind: "127.0.0.1:0".into(),
        workers: Some(2),
        database_url: std::env::var("BENCH_DATABASE_URL").ok(),
        server_key_seed: Some(hex::encode(demo::SERVER_SEED)),
        trusted_package_keys: vec![demo::commission_verifier().unwrap().to_vkey()],
        ..ServerConfig::default()
    };
    let app = Application::build(config).await.expect("server starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let token = app.admin_token();
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();

    let pkg = package(n);
    let note = pkg.sign(&demo::commission_signer().unwrap()).unwrap().note;
    let r = http
        .post(format!("{base}/api/v1/elections"))
        .bearer_auth(&token)
        .json(&json!({"signed_note": note}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/images/camera_gps/nikon_P6000_DSCN0010.jpg"
    ))
    .unwrap();
    let started = Instant::now();
    let stations: Vec<Station> = (1..=n)
        .map(|number| {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&number.to_le_bytes());
            seed[31] = 0xb0;
            let key = DeviceKey::from_seed(&seed);
            let at = position(&pkg, number);
            let mut input = demo::capture_input(retake(&photo, number as usize), None, at).unwrap();
            input.station = number;
            input.figures = None;
            let form45 = seal(input.clone(), &key, &ChainState::genesis()).unwrap();
            let form46 = (number % 5 < 2).then(|| {
                let mut input = input;
                input.form = FormKind::Form46;
                input.image = retake(&photo, 100_000 + number as usize);
                seal(input, &key, &form45.next_chain()).unwrap()
            });
            Station {
                number,
                key,
                form45,
                form46,
            }
        })
        .collect();
    let stations: Vec<Station> = stations
        .into_iter()
        .filter(|s| s.number % 10 != 0)
        .collect();
    futures_util::stream::iter(&stations)
        .for_each_concurrent(8, |s| {
            let (http, base, token) = (&http, &base, &token);
            async move { intake(http, base, token, s, s.number % 5 != 0).await }
        })
        .await;
    let actor = Actor {
        user_id: "u-bench-ro".into(),
        role: Role::ReturningOfficer,
        scope: Scope::Constituencies(vec![ConstituencyRef::new(ELECTION, CODE)]),
    };
    let c = ConstituencyRef::new(ELECTION, CODE);
    for s in stations.iter().filter(|s| s.number % 4 == 0) {
        let req = DecisionRequest {
            decision_id: format!("00000000-0000-4000-8000-{:012x}", s.number),
            action: "recapture".into(),
            reason_code: Some("illegible".into()),
            reason: "glare".into(),
            supersedes: None,
        };
        let hash = s.form45.manifest_hash.to_hex();
        assert!(
            review::record_decision(&state, &actor, &c, &hash, &req)
                .await
                .is_ok()
        );
    }
    // The analysis of every image finishes before the board is timed.
    loop {
        let (backlog, _) = db::analysis_backlog(&state.db.pool).await.unwrap();
        if backlog == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "{n} stations ({} sent) on {:?}: intake of {} captures in {:.1} s",
        stations.len(),
        state.db.backend,
        stations.len() + stations.iter().filter(|s| s.form46.is_some()).count(),
        started.elapsed().as_secs_f64()
    );

    let board = |state: actix_web::web::Data<tallyseal_server::state::AppState>| async move {
        let t = Instant::now();
        // As the board route: the figures domain's states, then the board.
        let figures =
            board_states::constituency_figures(&state, &ConstituencyRef::new(ELECTION, CODE))
                .await
                .unwrap();
        let b =
            stations::constituency_board(&state, ELECTION, CODE, BoardFilter::default(), &figures)
                .await
                .unwrap();
        let body = serde_json::to_vec(&b).unwrap();
        (t.elapsed(), body.len(), b)
    };
    let (cold, bytes, b) = board(state.clone()).await;
    println!(
        "board cold (manifests read): {:.1} ms, {} stations, JSON {} bytes, form45 awaited {}",
        cold.as_secs_f64() * 1000.0,
        b.stations_total,
        bytes,
        b.counts["form45"]["awaited"]
    );
    let mut warm = Vec::new();
    for _ in 0..runs {
        warm.push(board(state.clone()).await.0);
    }
    summary("board warm", warm);
    let mut national = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let figures = board_states::election_figures(&state, ELECTION, &|_| true)
            .await
            .unwrap();
        let s = stations::national_summary(&state, ELECTION, &|_| true, &figures)
            .await
            .unwrap();
        let _ = serde_json::to_vec(&s).unwrap();
        national.push(t.elapsed());
    }
    summary("national summary warm", national);
}
