//! Intake benchmark: sealed 2 MB captures pushed through the full path — manifest, tus creation
//! carrying the whole image (creation-with-upload; its answer carries the receipt),
//! verification, storage, verified receipt — by many concurrent clients, then the time the
//! near-duplicate analysis (which follows the receipts) takes to drain its backlog, against the embedded
//! default (SQLite + local folder) and, when `TALLYSEAL_TEST_PG_URL` and `TALLYSEAL_TEST_S3_*`
//! are set (scripts/services.sh), PostgreSQL + Garage. Next to it, the raw PUT throughput of the
//! same object store, measured in the same run.
//!
//!     cargo bench -p tallyseal-server --bench intake
//!     BENCH_CAPTURES=600 BENCH_CLIENTS=32 BENCH_IMAGE_BYTES=2000000 cargo bench -p tallyseal-server --bench intake
//!
//! The server runs as a child process (this executable, re-run with `TALLYSEAL_BENCH_ROLE=server`)
//! so its peak memory (VmHWM) is measured on its own.
//!
//! Each configuration runs twice in the same run: with the transparency log as in production
//! (every capture's events are leaves; two witnesses cosign, 2 of 2; `log_watch` times each leaf
//! from its receipt to the first signed and the first witnessed checkpoint covering it), then
//! with capture leaves off (`TALLYSEAL_LOG_CAPTURES=off`), to show what the log costs intake.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod log_watch;
mod photos;
mod process;
mod server;

use photos::{noise, photograph_all, retake, station_position};
use process::{cpu_seconds, cpu_seconds_named, machine_ticks, peak_rss_kib, pin_store_to};
use server::{production_config, spawn_server};

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};
use tallyseal_core::demo;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::seal::{ChainState, seal};
use tallyseal_server::config::{ObjectStoreConfig, ServerConfig};
use tallyseal_server::store::raw_put::RawPut;
use tallyseal_server::store::{LocalFsStore, s3::S3Store};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if std::env::var("TALLYSEAL_BENCH_ROLE").as_deref() == Ok("server") {
        tallyseal_server::allocator::limit_arenas();
        // The log's witnesses come in a TOML file (`log_watch::start_witnesses`).
        let file = std::env::var_os("TALLYSEAL_BENCH_CONFIG").map(std::path::PathBuf::from);
        let config = ServerConfig::load(file.as_deref()).expect("config");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(tallyseal_server::run(config)).expect("server");
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful: run small.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let data = tempfile::tempdir().unwrap();
        for log in [true, false] {
            let embedded = ServerConfig {
                data_dir: data.path().join(format!("embedded-log-{log}")),
                ..ServerConfig::default()
            };
            run_case("embedded (SQLite + local folder)", embedded, log).await;
        }
        match production_config(data.path()).await {
            Some(config) => {
                run_case("production (PostgreSQL + Garage)", config.clone(), true).await;
                let again = production_config(data.path())
                    .await
                    .unwrap_or(config.clone());
                run_case("production (PostgreSQL + Garage)", again, false).await;
                // BENCH_STORE_CPU=N: once more with Garage alone on CPU N and everything else
                // (server, PostgreSQL, clients) on the other CPUs, as if the store had a machine
                // of its own, so the ratio shows what intake costs the store rather than what
                // the server's CPU takes from it.
                if let Some(cpu) = std::env::var("BENCH_STORE_CPU")
                    .ok()
                    .and_then(|v| v.parse::<usize>().ok())
                {
                    let config = production_config(data.path()).await.unwrap_or(config);
                    pin_store_to(Some(cpu));
                    run_case(
                        &format!("production (PostgreSQL + Garage), Garage alone on CPU {cpu}"),
                        config,
                        true,
                    )
                    .await;
                    pin_store_to(None);
                }
            }
            None => println!(
                "SKIPPED (no PostgreSQL/Garage): production case — run scripts/services.sh start"
            ),
        }
    });
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run_case(label: &str, config: ServerConfig, log: bool) {
    let captures = env_num("BENCH_CAPTURES", 400);
    let clients = env_num("BENCH_CLIENTS", 32).max(1);
    let image_bytes = env_num("BENCH_IMAGE_BYTES", 2_000_000);
    std::fs::create_dir_all(&config.data_dir).unwrap();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log_file = config.data_dir.join("bench-log.toml");
    if log {
        let origin = format!(
            "bench.tallyseal.invalid/{}",
            tallyseal_server::random_hex(4).unwrap()
        );
        let toml = log_watch::start_witnesses(&origin, &config.data_dir);
        std::fs::write(&log_file, toml).unwrap();
    }
    let server = spawn_server(&config, port, log.then_some(log_file.as_path()));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    for _ in 0..200 {
        if http
            .get(format!("{base}/api/v1/health"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let admin = "bench-admin-token-0123456789";
    let (_, signed) = demo::signed_package().unwrap();
    let r = http
        .post(format!("{base}/api/v1/elections"))
        .bearer_auth(admin)
        .json(&json!({"signed_note": signed.note}))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "import: {}",
        r.text().await.unwrap()
    );

    // One phone per client, enrolled for one of the demo stations; captures sealed in advance.
    // Each phone photographs its own sheet (a ~2 MB baseline JPEG with EXIF, like a phone
    // camera's); its retakes differ by a comment segment, so every capture has its own SHA-256.
    let per_client = captures.div_ceil(clients);
    let (package, _) = demo::signed_package().unwrap();
    // BENCH_IMAGES=noise sends random bytes instead (no EXIF, nothing to decode): what the path
    // costs without reading the picture, to separate that cost out.
    let noise_images = std::env::var("BENCH_IMAGES").as_deref() == Ok("noise");
    let photos = if noise_images {
        Vec::new()
    } else {
        photograph_all(clients, image_bytes, &package)
    };
    let mut work: Vec<Vec<Capture>> = Vec::new();
    for c in 0..clients {
        let station = (c % 3) as u32 + 1;
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&(c as u64 + 1000).to_le_bytes());
        let key = DeviceKey::from_seed(&seed);
        let code: Value = http
            .post(format!(
                "{base}/api/v1/elections/pk-ge-2024-demo/enrolment-codes"
            ))
            .bearer_auth(admin)
            .json(&json!({"constituency": "NA-128", "station": station}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = http
            .post(format!("{base}/api/v1/enrol"))
            .json(&json!({"code": code["code"], "device_key": key.public_key().to_hex(), "officer_name": "bench"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let mut chain = ChainState::genesis();
        let mut list = Vec::new();
        let position = station_position(&package, station);
        for i in 0..per_client {
            let image = if noise_images {
                noise(image_bytes, (c * 100_000 + i) as u64)
            } else {
                retake(photos.get(c).unwrap(), i)
            };
            let mut input = demo::capture_input(image, Some(signed.hash()), position).unwrap();
            input.station = station;
            input.figures = None;
            let s = seal(input, &key, &chain).unwrap();
            chain = s.next_chain();
            list.push(Capture {
                manifest_json: serde_json::to_vec(&json!({
                    "manifest": base64::engine::general_purpose::STANDARD.encode(&s.manifest_bytes),
                    "signature": s.signature.to_hex(),
                }))
                .unwrap(),
                manifest_hash: s.manifest_hash.to_hex(),
                upload_auth: s.upload_auth.to_hex(),
                image: Bytes::from(s.image),
            });
        }
        work.push(list);
    }
    let total: usize = work.iter().map(Vec::len).sum();
    let sent_bytes: usize = work.iter().flatten().map(|c| c.image.len()).sum();

    let server_cpu_before = cpu_seconds(server.0.id());
    let client_cpu_before = cpu_seconds(std::process::id());
    let machine_before = machine_ticks();
    let services_before = [cpu_seconds_named("garage"), cpu_seconds_named("postgres")];
    // With the log: start from a quiet, witnessed log (the enrolments' leaves published).
    let watcher = if log {
        log_watch::wait_until_quiet(&http, &base).await;
        Some(log_watch::Watcher::start(http.clone(), base.clone()))
    } else {
        None
    };
    let size_before = log_watch::size(&http, &base).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for list in work {
        let http = http.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut steps = [Duration::ZERO; 2];
            let mut receipts = Vec::new();
            for s in list {
                let t = Instant::now();
                let (took, index) = intake_one(&http, &base, &s).await;
                latencies.push(t.elapsed());
                if let Some(i) = index {
                    receipts.push((i, Instant::now()));
                }
                for (sum, d) in steps.iter_mut().zip(took) {
                    *sum += d;
                }
            }
            (latencies, steps, receipts)
        }));
    }
    let mut latencies = Vec::new();
    let mut steps = [Duration::ZERO; 2];
    let mut receipts = Vec::new();
    for t in tasks {
        let (l, s, r) = t.await.unwrap();
        latencies.extend(l);
        receipts.extend(r);
        for (sum, d) in steps.iter_mut().zip(s) {
            *sum += d;
        }
    }
    let elapsed = started.elapsed();
    let server_cpu = cpu_seconds(server.0.id())
        .zip(server_cpu_before)
        .map(|(a, b)| a - b);
    let client_cpu = cpu_seconds(std::process::id())
        .zip(client_cpu_before)
        .map(|(a, b)| a - b);
    let services = [
        cpu_seconds_named("garage") - services_before[0],
        cpu_seconds_named("postgres") - services_before[1],
    ];
    let machine_busy = machine_ticks()
        .zip(machine_before)
        .map(|((b1, t1), (b0, t0))| 100.0 * (b1 - b0) as f64 / (t1 - t0).max(1) as f64);
    latencies.sort();
    // The near-duplicate analysis runs after the receipts (intake first): wait for its backlog to
    // drain, and measure that too.
    let analysis_wait = Instant::now();
    loop {
        let health: Value = http
            .get(format!("{base}/api/v1/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if health["analysis"]["waiting"] == 0 {
            break;
        }
        assert!(
            analysis_wait.elapsed() < Duration::from_secs(600),
            "analysis backlog did not drain: {health}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let analysis_after = analysis_wait.elapsed();
    let log_seen = match watcher {
        Some(w) => {
            let last = receipts.iter().map(|r| r.0 + 1).max().unwrap_or(0);
            Some(
                w.finish(last.max(log_watch::size(&http, &base).await))
                    .await,
            )
        }
        None => None,
    };
    let with_analysis = started.elapsed();
    let server_cpu_all = cpu_seconds(server.0.id())
        .zip(server_cpu_before)
        .map(|(a, b)| a - b);
    let rss = peak_rss_kib(server.0.id());
    drop(server);

    // Raw PUT of the same store, same concurrency, same object size (`store::raw_put`, outside
    // the production trait).
    let store: Arc<dyn RawPut> = match &config.object_store {
        ObjectStoreConfig::Local { .. } => {
            Arc::new(LocalFsStore::open(config.data_dir.join("objects")).unwrap())
        }
        ObjectStoreConfig::S3(s3) => Arc::new(S3Store::new(s3)),
    };
    // Objects like the captures' images (photos, or noise under BENCH_IMAGES=noise), each with
    // bytes of its own: a store that compresses or deduplicates treats them as it did the images.
    let raw_objects: Vec<Vec<Bytes>> = (0..clients)
        .map(|c| {
            (0..per_client)
                .map(|i| {
                    Bytes::from(match photos.get(c) {
                        Some(photo) => retake(photo, per_client + i),
                        None => noise(image_bytes, (c * 100_000 + per_client + i) as u64),
                    })
                })
                .collect()
        })
        .collect();
    let garage_raw_before = cpu_seconds_named("garage");
    let started_raw = Instant::now();
    let mut tasks = Vec::new();
    for (c, objects) in raw_objects.into_iter().enumerate() {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for (i, object) in objects.into_iter().enumerate() {
                store
                    .put_raw(&format!("bench/{c}/{i}"), object)
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let raw_elapsed = started_raw.elapsed();
    let garage_raw = cpu_seconds_named("garage") - garage_raw_before;
    let raw_per_s = total as f64 / raw_elapsed.as_secs_f64();
    let per_s = total as f64 / elapsed.as_secs_f64();

    println!(
        "== intake benchmark: {label}, transparency log {}",
        if log {
            "on (2 witnesses, 2 of 2)"
        } else {
            "off (TALLYSEAL_LOG_CAPTURES=off)"
        }
    );
    println!(
        "   {total} captures ({}, mean {:.2} MB), {clients} concurrent clients, {:.1} s",
        if noise_images {
            "random bytes, BENCH_IMAGES=noise"
        } else {
            "baseline JPEG photos with EXIF"
        },
        sent_bytes as f64 / total as f64 / 1e6,
        elapsed.as_secs_f64()
    );
    println!(
        "   full intake: {per_s:.1} captures/s   p50 {:.0} ms   p99 {:.0} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0
    );
    println!(
        "   raw PUT of the same store: {raw_per_s:.1} objects/s ({:.1} MB/s)   intake = {:.0}% of raw",
        raw_per_s * image_bytes as f64 / 1e6,
        100.0 * per_s / raw_per_s
    );
    println!(
        "   near-duplicate analysis (after the receipts): backlog drained {:.1} s after the last receipt; \
         {:.1} captures/s from first request to last analysis{}",
        analysis_after.as_secs_f64(),
        total as f64 / with_analysis.as_secs_f64(),
        server_cpu_all.map_or(String::new(), |c| format!(
            "; server CPU with the analysis {:.2} ms/capture",
            c * 1000.0 / total as f64
        ))
    );
    match rss {
        Some(kib) => println!("   server peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("   server peak RSS: unavailable"),
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0 / total as f64;
    println!(
        "   mean time per step: manifest {:.1} ms, tus creation with the image (upload + verify + store + receipt) {:.1} ms",
        ms(steps[0]),
        ms(steps[1])
    );
    if let (Some(server), Some(client)) = (server_cpu, client_cpu) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        println!(
            "   CPU during the timed run: server {:.2} ms/capture, benchmark clients {:.2} ms/capture ({:.0}% of {cores} cores busy with the two)",
            server * 1000.0 / total as f64,
            client * 1000.0 / total as f64,
            100.0 * (server + client) / (elapsed.as_secs_f64() * cores as f64)
        );
    }
    if matches!(config.object_store, ObjectStoreConfig::S3(_)) {
        println!(
            "   CPU of the services during the timed run: garage {:.2} ms/capture, postgres {:.2} ms/capture",
            services[0] * 1000.0 / total as f64,
            services[1] * 1000.0 / total as f64
        );
    }
    if matches!(config.object_store, ObjectStoreConfig::S3(_)) {
        println!(
            "   CPU of garage during the raw PUTs: {:.2} ms/object",
            garage_raw * 1000.0 / total as f64
        );
    }
    if let Some(seen) = &log_seen {
        log_watch::print(&log_watch::figures(started, size_before, &receipts, seen));
    }
    if let Some(busy) = machine_busy {
        println!(
            "   whole machine during the timed run: {busy:.0}% CPU busy (all processes: database, object store, others)"
        );
    }
}

/// A capture sealed before the timed run, with its request bodies ready.
struct Capture {
    manifest_json: Vec<u8>,
    manifest_hash: String,
    /// The device's upload authorisation (`Tallyseal-Upload-Auth`).
    upload_auth: String,
    image: Bytes,
}

/// Manifest, then tus creation carrying the whole image (`creation-with-upload`), whose answer
/// carries the verified receipt; the time each step took and the receipt's log index.
async fn intake_one(
    http: &reqwest::Client,
    base: &str,
    s: &Capture,
) -> ([Duration; 2], Option<u64>) {
    let t0 = Instant::now();
    let r = http
        .post(format!("{base}/api/v1/captures"))
        .header("Content-Type", "application/json")
        .body(s.manifest_json.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let t1 = Instant::now();
    let r = http
        .post(format!("{base}/api/v1/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", s.image.len().to_string())
        .header(
            "Upload-Metadata",
            format!(
                "manifest_hash {}",
                base64::engine::general_purpose::STANDARD.encode(&s.manifest_hash)
            ),
        )
        .header(tallyseal_core::seal::UPLOAD_AUTH_HEADER, &s.upload_auth)
        .header("Content-Type", "application/offset+octet-stream")
        .body(s.image.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(
        r.headers()["Upload-Offset"].to_str().unwrap(),
        s.image.len().to_string()
    );
    let receipt: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(r.headers()[tallyseal_core::receipt::RECEIPT_HEADER].as_bytes())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(receipt["body"]["status"], "verified", "{receipt}");
    assert_eq!(receipt["body"]["manifest_hash"], s.manifest_hash.as_str());
    (
        [t1 - t0, t1.elapsed()],
        receipt["body"]["log_index"].as_u64(),
    )
}
