//! `tallyseal verify BUNDLE [--context FILE] [--json] [--log-key VKEY [--witness VKEY]...
//! [--witness-policy K]]`

use std::path::PathBuf;

use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::log::cosignature::CosignatureVerifier;
use tallyseal_core::log::proof::LogPolicy;
use tallyseal_core::note::Verifier;
use tallyseal_core::verify::{Verdict, VerificationContext, verify_bundle_with_log};

use crate::{CliError, context_file, now_ms, out, read_file, report_text};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The evidence bundle (.tsb).
    bundle: PathBuf,
    /// Verification context: election package, enrolled devices, trusted keys (JSON).
    #[arg(long)]
    context: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// The transparency log's C2SP verifier key (its name is the log's origin): check the
    /// bundle's log proof against it. Without it only the Merkle proof is checked (a warning).
    #[arg(long, value_name = "VKEY")]
    log_key: Option<String>,
    /// A trusted witness's cosigner key (C2SP vkey); repeat for each witness.
    #[arg(long = "witness", value_name = "VKEY", requires = "log_key")]
    witnesses: Vec<String>,
    /// How many of the given witnesses must have cosigned the checkpoint (default: all of them).
    #[arg(long, value_name = "K", requires = "log_key")]
    witness_policy: Option<usize>,
}

/// The log policy from `--log-key`, `--witness` and `--witness-policy`.
pub fn log_policy(
    log_key: Option<&str>,
    witnesses: &[String],
    witness_policy: Option<usize>,
) -> Result<Option<LogPolicy>, CliError> {
    let Some(log_key) = log_key else {
        return Ok(None);
    };
    let key = Verifier::parse(log_key.trim())
        .map_err(|e| CliError::Usage(format!("--log-key: not a note verifier key: {e}")))?;
    let ws = witnesses
        .iter()
        .map(|w| {
            CosignatureVerifier::parse(w.trim()).map_err(|e| {
                CliError::Usage(format!("--witness {w}: not a cosigner verifier key: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let k = witness_policy.unwrap_or(ws.len());
    LogPolicy::for_log_key(key, ws, k)
        .map(Some)
        .map_err(|e| CliError::Usage(format!("--witness-policy: {e}")))
}

pub fn run(a: Args) -> Result<u8, CliError> {
    let policy = log_policy(a.log_key.as_deref(), &a.witnesses, a.witness_policy)?;
    let bytes = read_file(&a.bundle)?;
    let ctx = match &a.context {
        Some(p) => context_file::load(p, now_ms())?,
        None => VerificationContext {
            now_ms: now_ms(),
            ..Default::default()
        },
    };
    let bundle = match EvidenceBundle::from_bytes(&bytes) {
        Ok(b) => b,
        Err(e) => {
            if a.json {
                out(&format!(
                    "{}\n",
                    serde_json::json!({"verdict": "failed", "error": format!("not a valid evidence bundle: {e}")})
                ));
            } else {
                out(&format!(
                    "not a valid evidence bundle: {e}\nverdict: failed\n"
                ));
            }
            return Ok(1);
        }
    };
    let report = verify_bundle_with_log(&bundle, &ctx, policy.as_ref());
    if a.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CliError::Usage(format!("cannot encode the report: {e}")))?;
        out(&format!("{text}\n"));
    } else {
        out(&report_text::render(&report));
    }
    Ok(exit_code(report.verdict))
}

pub fn exit_code(v: Verdict) -> u8 {
    match v {
        Verdict::Verified => 0,
        Verdict::VerifiedWithWarnings => 3,
        Verdict::Failed => 1,
    }
}
