//! `tallyseal log monitor | prove`: audit a transparency log from its public files
//! (`tallyseal-monitor`), and print an offline C2SP tlog-proof for one capture.
//!
//! `monitor` exits 0 when the log is consistent and the election's invariants hold, 1 on any
//! finding (each printed as `FINDING <kind>: <what changed>`), 2 when it could not run.

use std::path::PathBuf;

use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::log::cosignature::CosignatureVerifier;
use tallyseal_core::note::Verifier;
use tallyseal_monitor::{HttpLogSource, MonitorError, MonitorOptions};

use crate::{CliError, out, write_file};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check the log's latest checkpoint, its consistency with the stored one, every tile and
    /// entry, and the election's invariants (exit 0 clean, 1 findings, 2 could not run).
    Monitor(MonitorArgs),
    /// Print an offline C2SP tlog-proof that a capture is in the log (computed from its tiles).
    Prove(ProveArgs),
}

/// The log's keys (`--log-key`, `--witness`, `--witness-policy`).
#[derive(Debug, clap::Args)]
pub struct KeyArgs {
    /// The log's C2SP note verifier key (default: `log_vkey` from the server's /api/v1/keys).
    #[arg(long, value_name = "VKEY")]
    log_key: Option<String>,
    /// A trusted witness's cosigner key; repeat for each (default: the server's `witness_vkeys`).
    #[arg(long = "witness", value_name = "VKEY")]
    witnesses: Vec<String>,
    /// How many of the witnesses must have cosigned (default: all of them).
    #[arg(long, value_name = "K")]
    witness_policy: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct MonitorArgs {
    /// The server's base URL (`http://host:port`); the log is read under `/log/`.
    #[arg(long)]
    url: String,
    /// The monitor's state file (created on the first run; replaced atomically).
    #[arg(long)]
    state: PathBuf,
    #[command(flatten)]
    keys: KeyArgs,
}

#[derive(Debug, clap::Args)]
pub struct ProveArgs {
    #[arg(long)]
    url: String,
    /// The capture's manifest hash (64 hex digits).
    #[arg(long)]
    capture: String,
    /// Write the proof here (`.tlog-proof`) instead of printing it.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    keys: KeyArgs,
}

fn options(k: &KeyArgs) -> Result<MonitorOptions, CliError> {
    let log_key = k
        .log_key
        .as_deref()
        .map(|v| {
            Verifier::parse(v.trim())
                .map_err(|e| CliError::Usage(format!("--log-key: not a note verifier key: {e}")))
        })
        .transpose()?;
    let witnesses = k
        .witnesses
        .iter()
        .map(|w| {
            CosignatureVerifier::parse(w.trim()).map_err(|e| {
                CliError::Usage(format!("--witness {w}: not a cosigner verifier key: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MonitorOptions {
        log_key,
        witnesses,
        witness_threshold: k.witness_policy,
    })
}

fn failed(e: MonitorError) -> CliError {
    CliError::Usage(e.to_string())
}

pub fn run(c: Command) -> Result<u8, CliError> {
    match c {
        Command::Monitor(a) => {
            let opts = options(&a.keys)?;
            let source = HttpLogSource::new(&a.url).map_err(|e| CliError::Usage(e.to_string()))?;
            let r = tallyseal_monitor::run(&source, &opts, &a.state).map_err(failed)?;
            let mut text = String::new();
            for f in &r.findings {
                text.push_str(&format!("{f}\n"));
            }
            text.push_str(&format!(
                "log {} size {} (stored before: {}); {} finding(s); state {}\n",
                r.origin,
                r.size,
                r.previous_size
                    .map_or_else(|| "none".to_string(), |s| s.to_string()),
                r.findings.len(),
                if r.state_advanced { "advanced" } else { "kept" }
            ));
            out(&text);
            Ok(if r.is_clean() { 0 } else { 1 })
        }
        Command::Prove(a) => {
            let opts = options(&a.keys)?;
            let hash: Sha256Digest = a.capture.trim().parse().map_err(|_| {
                CliError::Usage("--capture: not a manifest hash (64 hex digits)".into())
            })?;
            let source = HttpLogSource::new(&a.url).map_err(|e| CliError::Usage(e.to_string()))?;
            let proof = match tallyseal_monitor::prove(&source, &opts, &hash) {
                Ok(p) => p,
                Err(e @ (MonitorError::Inconsistent(_) | MonitorError::NotLogged(_))) => {
                    return Err(CliError::Failed(e.to_string()));
                }
                Err(e) => return Err(failed(e)),
            };
            let text = proof.to_text();
            match &a.out {
                Some(p) => write_file(p, text.as_bytes())?,
                None => out(&text),
            }
            Ok(0)
        }
    }
}
