//! The single-phone commands.

use std::path::Path;
use std::sync::Arc;

use clap::Args;
use tallyseal_core::client::capture::{CaptureRequest, PageInput};
use tallyseal_core::client::clock::{Clock, SystemClock, system_wall_ms};
use tallyseal_core::client::custody::FileKeyCustody;
use tallyseal_core::client::http::StdHttpTransport;
use tallyseal_core::client::outbox::OutboxItem;
use tallyseal_core::client::uploader::SyncReport;
use tallyseal_core::client::{ClientError, ClientResult, PhoneClient, PhoneOptions};
use tallyseal_core::demo;
use tallyseal_core::form::{FormFigures, FormKind};
use tallyseal_core::seal::LocationFix;

use crate::{Cli, Command, admin, load, photo, recapture};

/// Where and how the "phone" takes its picture.
#[derive(Debug, Clone, Args)]
pub struct CaptureArgs {
    /// A JPEG to use as the photo (default: a synthetic photo whose EXIF matches --lat/--lon and
    /// the phone's clock).
    #[arg(long)]
    pub image: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = demo::STATION_1.lat)]
    pub lat: f64,
    #[arg(long, default_value_t = demo::STATION_1.lon)]
    pub lon: f64,
    #[arg(long, default_value_t = 8.0)]
    pub accuracy: f64,
    /// The location came from a mock provider.
    #[arg(long)]
    pub mock: bool,
    /// Seconds added to the phone's wall clock (a phone whose clock is set wrong).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub clock_offset: i64,
    /// Pages in the capture set.
    #[arg(long, default_value_t = 1)]
    pub pages: u32,
    /// `demo` (a correct Form-45 for demo station 1), `none`, or a JSON file of `FormFigures`.
    #[arg(long, default_value = "demo")]
    pub figures: String,
    /// Size of the synthetic photo, KiB.
    #[arg(long, default_value_t = 300)]
    pub photo_kb: u32,
    /// Varies the synthetic photo.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Kill-test workload.
#[derive(Debug, Clone, Args)]
pub struct ChurnArgs {
    /// Captures to make in total (counting those already in the outbox).
    #[arg(long, default_value_t = 5)]
    pub captures: u64,
    #[arg(long, default_value_t = 40)]
    pub photo_kb: u32,
    /// Bytes per PATCH, KiB (small, so kills land mid-upload).
    #[arg(long, default_value_t = 16)]
    pub chunk_kb: u64,
}

/// Open the simulated phone in `dir` (key custody = a 0600 file next to the data directory's files).
pub fn open_phone(dir: &Path, clock_offset_s: i64) -> ClientResult<PhoneClient> {
    std::fs::create_dir_all(dir)
        .map_err(|e| ClientError::storage("creating the data directory", e))?;
    PhoneClient::open(PhoneOptions {
        data_dir: dir.to_owned(),
        app: format!("tallyseal-field/{}", env!("CARGO_PKG_VERSION")),
        transport: Arc::new(StdHttpTransport::default()),
        custody: Arc::new(FileKeyCustody {
            path: dir.join("device.key"),
        }),
        clock: Arc::new(SystemClock {
            wall_offset_ms: clock_offset_s.saturating_mul(1000),
            tz_offset_min: 300,
        }),
        listener: None,
    })
}

fn figures(spec: &str) -> ClientResult<Option<FormFigures>> {
    match spec {
        "none" => Ok(None),
        "demo" => Ok(Some(FormFigures::Form45(demo::form45_station1()))),
        path => {
            let bytes = std::fs::read(path).map_err(|e| ClientError::storage(path, e))?;
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ClientError::InvalidInput(format!("{path}: {e}")))
        }
    }
}

/// Build a capture request: pages from `--image` or synthetic photos.
pub fn capture_request(args: &CaptureArgs, clock: &dyn Clock) -> ClientResult<CaptureRequest> {
    let now = clock.now();
    let real_now = system_wall_ms();
    let seed = args.seed.unwrap_or(real_now as u64);
    let fix = LocationFix {
        lat: args.lat,
        lon: args.lon,
        accuracy_m: args.accuracy,
        altitude_m: Some(214.0),
        provider: if args.mock {
            "mock".into()
        } else {
            "gps".into()
        },
        mock: args.mock,
        // GNSS time is satellite time: right even when the phone's clock is not.
        gnss_time_ms: (!args.mock).then_some(real_now - 1_000),
        fix_monotonic_ms: Some(now.monotonic_ms.saturating_sub(1_000)),
    };
    let mut pages = Vec::new();
    for p in 0..args.pages.max(1) {
        let image = match &args.image {
            Some(path) => std::fs::read(path)
                .map_err(|e| ClientError::storage(path.display().to_string(), e))?,
            None => photo::synthetic_photo(
                args.lat,
                args.lon,
                now.wall_ms,
                seed.wrapping_add(u64::from(p)),
                args.photo_kb,
            ),
        };
        pages.push(PageInput {
            image,
            media_type: "image/jpeg".into(),
            fix: Some(fix.clone()),
        });
    }
    let figures = figures(&args.figures)?;
    Ok(CaptureRequest {
        form: FormKind::Form45,
        figures,
        pages,
        supersedes: None,
    })
}

pub fn print_report(r: &SyncReport) {
    println!(
        "SYNC manifests={} images={} verified={} pending={} needs_attention={} bytes_sent={} next_in_ms={} error={} log_updates={} recaptures={}",
        r.manifests_acknowledged,
        r.images_completed,
        r.verified,
        r.pending,
        r.needs_attention,
        r.bytes_sent,
        r.next_attempt_in_ms.map_or("-".into(), |v| v.to_string()),
        r.last_error.as_deref().unwrap_or("-").replace(' ', "_"),
        r.log_inclusions_updated,
        r.recaptures_pending,
    );
}

fn item_json(i: &OutboxItem) -> serde_json::Value {
    serde_json::json!({
        "seq": i.seq,
        "manifest_hash": i.manifest_hash.to_hex(),
        "page": i.manifest.page,
        "pages": i.manifest.pages,
        "capture_set": i.manifest.capture_set,
        "stage": i.state.stage.as_str(),
        "offset": i.state.offset,
        "image_bytes": i.manifest.image.bytes,
        "attempts": i.state.attempts,
        "last_error": i.state.last_error,
        "needs_attention": i.state.needs_attention.as_ref().map(|a| a.reason.clone()),
        "receipt_status": i.state.final_receipt.as_ref().or(i.state.manifest_receipt.as_ref()).map(|r| format!("{:?}", r.body.status)),
        "has_image": i.has_image,
        "has_bundle": i.has_bundle,
        "supersedes": i.manifest.supersedes.as_ref().map(|s| s.manifest.to_hex()),
    })
}

/// Run one parsed command line.
pub fn run(cli: Cli) -> ClientResult<()> {
    let dir = cli.data.as_path();
    match cli.command {
        Command::Enrol {
            code,
            server,
            officer,
            trust,
        } => {
            let phone = open_phone(dir, 0)?;
            if !trust.is_empty() {
                let mut s = phone.settings();
                s.trusted_package_keys = trust;
                phone.update_settings(s)?;
            }
            let e = phone.enrol(&code, &officer, server.as_deref())?;
            println!(
                "ENROLLED key={} election={} constituency={} station={} package={} trust={:?}",
                e.device_key,
                e.election,
                e.constituency,
                e.station,
                e.package_hash,
                e.package_trust
            );
        }
        Command::Capture(args) => {
            let phone = open_phone(dir, args.clock_offset)?;
            let clock = SystemClock {
                wall_offset_ms: args.clock_offset.saturating_mul(1000),
                tz_offset_min: 300,
            };
            let outcome = phone.capture(capture_request(&args, &clock)?)?;
            for p in &outcome.pages {
                println!(
                    "SEALED seq={} manifest={} page={}/{} verdict={}",
                    p.seq,
                    p.manifest_hash,
                    p.page,
                    p.pages,
                    p.self_check.verdict.as_str()
                );
                for c in p
                    .self_check
                    .checks
                    .iter()
                    .filter(|c| c.outcome != tallyseal_core::verify::Outcome::Pass)
                {
                    println!("  CHECK {} {:?}: {}", c.check.as_str(), c.outcome, c.reason);
                }
                println!("  AGENT {}", p.agent_copy);
            }
            for v in &outcome.figure_problems {
                println!("  FIGURES {}: {}", v.rule, v.detail);
            }
        }
        Command::Sync {
            wait,
            force,
            chunk_kb,
            backoff_ms,
        } => {
            let phone = open_phone(dir, 0)?;
            if chunk_kb.is_some() || backoff_ms.is_some() {
                let mut s = phone.settings();
                if let Some(c) = chunk_kb {
                    s.chunk_bytes = c.max(1) * 1024;
                }
                if let Some(b) = backoff_ms {
                    s.backoff_base_ms = b.max(1);
                }
                phone.update_settings(s)?;
            }
            let report = match wait {
                Some(secs) => {
                    if force {
                        phone.sync(true)?;
                    }
                    phone.sync_until_settled(secs.saturating_mul(1000))?
                }
                None => phone.sync(force)?,
            };
            print_report(&report);
        }
        Command::Outbox { json } => {
            let phone = open_phone(dir, 0)?;
            let items = phone.items()?;
            if json {
                let v: Vec<_> = items.iter().map(item_json).collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for i in &items {
                    println!(
                        "ITEM seq={} manifest={} page={}/{} stage={} offset={}/{} attention={}",
                        i.seq,
                        i.manifest_hash,
                        i.manifest.page,
                        i.manifest.pages,
                        i.state.stage.as_str(),
                        i.state.offset,
                        i.manifest.image.bytes,
                        i.state
                            .needs_attention
                            .as_ref()
                            .map_or("-".into(), |a| a.reason.replace(' ', "_"))
                    );
                }
            }
        }
        Command::Anchor => {
            let phone = open_phone(dir, 0)?;
            let a = phone.refresh_time_anchor()?;
            println!(
                "ANCHOR server_time_ms={} monotonic_ms={}",
                a.anchor.body.server_time_ms, a.received_monotonic_ms
            );
        }
        Command::Retry { seq } => open_phone(dir, 0)?.retry(seq)?,
        Command::Clear { seq } => open_phone(dir, 0)?.clear(seq)?,
        Command::Bundle { seq, out } => {
            let bytes = open_phone(dir, 0)?.bundle(seq)?;
            std::fs::write(&out, bytes)
                .map_err(|e| ClientError::storage(out.display().to_string(), e))?;
        }
        Command::Code {
            server,
            admin_token,
            election,
            constituency,
            station,
        } => {
            let c = admin::issue_code(&server, &admin_token, &election, &constituency, station)?;
            println!("CODE code={} qr={}", c.code, c.qr_payload);
        }
        Command::Recaptures => recapture::list(dir)?,
        Command::Recapture(args) => {
            recapture::answer_all(dir, &args)?;
        }
        Command::Churn(args) => churn(dir, &args)?,
        Command::Load(args) => load::run(dir, &args)?,
    }
    Ok(())
}

/// Capture until the outbox holds `captures` items, syncing after each; then sync until settled.
/// Prints `SEALED seq=… manifest=…` only after the capture is durable.
fn churn(dir: &Path, args: &ChurnArgs) -> ClientResult<()> {
    let phone = open_phone(dir, 0)?;
    let mut s = phone.settings();
    s.chunk_bytes = args.chunk_kb.max(1) * 1024;
    s.backoff_base_ms = 50;
    s.backoff_cap_ms = 1_000;
    phone.update_settings(s)?;
    let clock = SystemClock {
        wall_offset_ms: 0,
        tz_offset_min: 300,
    };
    loop {
        let have = phone.items()?.last().map_or(0, |i| i.seq);
        if have >= args.captures {
            break;
        }
        let capture = CaptureArgs {
            image: None,
            lat: demo::STATION_1.lat,
            lon: demo::STATION_1.lon,
            accuracy: 8.0,
            mock: false,
            clock_offset: 0,
            pages: 1,
            figures: "demo".into(),
            photo_kb: args.photo_kb,
            seed: Some(have + 1),
        };
        let outcome = phone.capture(capture_request(&capture, &clock)?)?;
        for p in &outcome.pages {
            println!("SEALED seq={} manifest={}", p.seq, p.manifest_hash);
        }
        print_report(&phone.sync(true)?);
    }
    let report = phone.sync_until_settled(120_000)?;
    print_report(&report);
    if !report.settled() {
        return Err(ClientError::Protocol(format!("not settled: {report:?}")));
    }
    Ok(())
}
