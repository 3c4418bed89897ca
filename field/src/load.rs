//! Many phones at once, each in its own thread and data directory, through the same client API.

use std::path::Path;
use std::time::Instant;

use clap::Args;
use tallyseal_core::client::clock::SystemClock;
use tallyseal_core::client::{ClientError, ClientResult};
use tallyseal_core::demo;

use crate::admin::issue_code;
use crate::commands::{CaptureArgs, capture_request, open_phone};

/// `load` options.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    #[arg(long)]
    pub server: String,
    #[arg(long)]
    pub admin_token: String,
    #[arg(long, default_value = "pk-ge-2024-demo")]
    pub election: String,
    #[arg(long, default_value = "NA-128")]
    pub constituency: String,
    /// Stations to spread the phones over, round robin.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub stations: Vec<u32>,
    #[arg(long, default_value_t = 10)]
    pub phones: u32,
    /// Captures per phone.
    #[arg(long, default_value_t = 2)]
    pub captures: u32,
    #[arg(long, default_value_t = 200)]
    pub photo_kb: u32,
    /// Give up waiting for a phone's outbox after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub wait: u64,
}

fn one_phone(dir: &Path, args: &LoadArgs, i: u32) -> ClientResult<(u32, u32)> {
    let station = args.stations[i as usize % args.stations.len().max(1)];
    let code = issue_code(
        &args.server,
        &args.admin_token,
        &args.election,
        &args.constituency,
        station,
    )?;
    let phone = open_phone(dir, 0)?;
    phone.enrol(
        &code.qr_payload,
        &format!("Load PO {i}"),
        Some(&args.server),
    )?;
    let clock = SystemClock {
        wall_offset_ms: 0,
        tz_offset_min: 300,
    };
    for c in 0..args.captures {
        let capture = CaptureArgs {
            image: None,
            lat: demo::STATION_1.lat,
            lon: demo::STATION_1.lon,
            accuracy: 8.0,
            mock: false,
            clock_offset: 0,
            pages: 1,
            figures: "none".into(),
            photo_kb: args.photo_kb,
            seed: Some(u64::from(i) * 1_000 + u64::from(c)),
        };
        phone.capture(capture_request(&capture, &clock)?)?;
    }
    let report = phone.sync_until_settled(args.wait.saturating_mul(1000))?;
    Ok((report.verified, report.needs_attention))
}

/// Run the load: prints one `LOAD` line per phone and a summary.
pub fn run(dir: &Path, args: &LoadArgs) -> ClientResult<()> {
    if args.stations.is_empty() {
        return Err(ClientError::InvalidInput("--stations is empty".into()));
    }
    let start = Instant::now();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.phones)
            .map(|i| {
                let d = dir.join(format!("phone-{i:05}"));
                s.spawn(move || (i, one_phone(&d, args, i)))
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let secs = start.elapsed().as_secs_f64();
    let (mut verified, mut attention, mut failed) = (0u32, 0u32, 0u32);
    for (i, r) in &results {
        match r {
            Ok((v, a)) => {
                verified += v;
                attention += a;
                println!("LOAD phone={i} verified={v} needs_attention={a}");
            }
            Err(e) => {
                failed += 1;
                println!("LOAD phone={i} error={}", e.to_string().replace(' ', "_"));
            }
        }
    }
    println!(
        "LOAD total phones={} captures_verified={verified} needs_attention={attention} failed_phones={failed} seconds={secs:.1} captures_per_s={:.2}",
        args.phones,
        f64::from(verified) / secs.max(0.001)
    );
    if failed > 0 || verified < args.phones * args.captures {
        return Err(ClientError::Protocol(
            "not every capture was verified".into(),
        ));
    }
    Ok(())
}
