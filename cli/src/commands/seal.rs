//! `tallyseal seal`: seal a test capture from a JPEG with a given device key.

use std::path::PathBuf;

use tallyseal_core::form::{FormFigures, FormKind};
use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::manifest::Supersedes;
use tallyseal_core::note::Verifier;
use tallyseal_core::package::SignedPackage;
use tallyseal_core::seal::{CaptureInput, ChainState, LocationFix, new_capture_set_id, seal};
use tallyseal_core::time::ClockReadings;
use tallyseal_core::verify::parse_rfc3339_ms;

use crate::commands::keygen::read_key;
use crate::{CliError, now_ms, read_file, write_file};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The photograph (JPEG).
    #[arg(long)]
    image: PathBuf,
    /// Device key file (from `tallyseal keygen`).
    #[arg(long)]
    key: PathBuf,
    /// Where to write the evidence bundle.
    #[arg(long)]
    out: PathBuf,
    /// Signed election package the phone holds (its hash is committed in the manifest).
    #[arg(long)]
    package: Option<PathBuf>,
    /// Verifier key of the package's signer (`name+hexid+base64`); required with --package.
    #[arg(long)]
    commission_key: Option<String>,
    /// Election id (taken from --package when given).
    #[arg(long)]
    election: Option<String>,
    #[arg(long)]
    constituency: String,
    #[arg(long)]
    station: u32,
    /// form45 or form46.
    #[arg(long, default_value = "form45")]
    form: String,
    #[arg(long, default_value_t = 1)]
    page: u32,
    #[arg(long, default_value_t = 1)]
    pages: u32,
    /// 32 hex digits shared by the pages of one set (random if omitted).
    #[arg(long)]
    capture_set: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    lat: f64,
    #[arg(long, allow_hyphen_values = true)]
    lon: f64,
    /// Fix accuracy, metres.
    #[arg(long, default_value_t = 10.0)]
    accuracy: f64,
    #[arg(long, default_value = "gps")]
    provider: String,
    /// Mark the fix as coming from a mock location provider.
    #[arg(long)]
    mock: bool,
    /// Device clock at capture, RFC 3339 (default: now).
    #[arg(long)]
    time: Option<String>,
    /// GNSS time of the fix, RFC 3339 (default: none).
    #[arg(long)]
    gnss_time: Option<String>,
    /// Device UTC offset in minutes.
    #[arg(long, default_value_t = 300, allow_hyphen_values = true)]
    tz_offset_min: i32,
    /// Figures as JSON (`{"form":"form45", ...}`, see docs/manifest.md).
    #[arg(long)]
    figures: Option<PathBuf>,
    /// Device chain: this capture's sequence number (default 1).
    #[arg(long, default_value_t = 1)]
    seq: u64,
    /// Device chain: manifest hash of the previous capture.
    #[arg(long)]
    prev: Option<Sha256Digest>,
    /// Manifest hash of a capture this one corrects.
    #[arg(long)]
    supersedes: Option<Sha256Digest>,
    /// Reason for the correction.
    #[arg(long)]
    reason: Option<String>,
}

fn time_arg(s: &Option<String>, name: &str) -> Result<Option<i64>, CliError> {
    s.as_ref()
        .map(|t| {
            parse_rfc3339_ms(t)
                .ok_or_else(|| CliError::Usage(format!("--{name} {t:?} is not RFC 3339")))
        })
        .transpose()
}

pub fn run(a: Args) -> Result<u8, CliError> {
    let key = read_key(&a.key)?;
    let image = read_file(&a.image)?;
    let (package_hash, package_election) = match &a.package {
        None => (None, None),
        Some(p) => {
            let note = read_file(p)?;
            let vk = a
                .commission_key
                .as_deref()
                .ok_or_else(|| CliError::Usage("--package needs --commission-key".into()))?;
            let v = Verifier::parse(vk)
                .map_err(|e| CliError::Usage(format!("--commission-key: {e}")))?;
            let (pkg, signed) = SignedPackage::open(&note, &[v])
                .map_err(|e| CliError::Usage(format!("{}: {e}", p.display())))?;
            (Some(signed.hash()), Some(pkg.election.id))
        }
    };
    let election = a
        .election
        .or(package_election)
        .ok_or_else(|| CliError::Usage("give --election or --package".into()))?;
    let form = match a.form.as_str() {
        "form45" => FormKind::Form45,
        "form46" => FormKind::Form46,
        other => {
            return Err(CliError::Usage(format!(
                "--form {other:?}: use form45 or form46"
            )));
        }
    };
    let figures: Option<FormFigures> = match &a.figures {
        None => None,
        Some(p) => Some(
            serde_json::from_slice(&read_file(p)?)
                .map_err(|e| CliError::Usage(format!("{}: {e}", p.display())))?,
        ),
    };
    let device_time_ms = time_arg(&a.time, "time")?.unwrap_or_else(now_ms);
    let gnss_time_ms = time_arg(&a.gnss_time, "gnss-time")?;
    let monotonic_ms = 3_600_000;
    let capture_set = match a.capture_set {
        Some(s) => s,
        None => new_capture_set_id().map_err(|e| CliError::Failed(e.to_string()))?,
    };
    let supersedes = match (a.supersedes, a.reason) {
        (Some(manifest), Some(reason)) => Some(Supersedes { manifest, reason }),
        (None, None) => None,
        _ => {
            return Err(CliError::Usage(
                "--supersedes and --reason go together".into(),
            ));
        }
    };
    let input = CaptureInput {
        image,
        media_type: "image/jpeg".into(),
        election,
        package: package_hash,
        constituency: a.constituency,
        station: a.station,
        form,
        page: a.page,
        pages: a.pages,
        capture_set,
        fix: Some(LocationFix {
            lat: a.lat,
            lon: a.lon,
            accuracy_m: a.accuracy,
            altitude_m: None,
            provider: a.provider,
            mock: a.mock,
            gnss_time_ms,
            fix_monotonic_ms: Some(monotonic_ms),
        }),
        clock: ClockReadings {
            device_time_ms,
            tz_offset_min: a.tz_offset_min,
            monotonic_ms,
            boot_id: None,
            anchor: None,
        },
        figures,
        supersedes,
        app: format!("tallyseal-cli/{}", env!("CARGO_PKG_VERSION")),
    };
    let chain = ChainState {
        next_seq: a.seq,
        prev: a.prev,
    };
    let sealed = seal(input, &key, &chain).map_err(|e| CliError::Usage(e.to_string()))?;
    write_file(&a.out, &sealed.to_bundle().to_bytes())?;
    println!("{}", sealed.manifest_hash);
    Ok(0)
}
