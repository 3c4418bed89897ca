//! `tallyseal verify BUNDLE [--context FILE] [--json]`

use std::path::PathBuf;

use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::verify::{Verdict, VerificationContext, verify_bundle};

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
}

pub fn run(a: Args) -> Result<u8, CliError> {
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
    let report = verify_bundle(&bundle, &ctx);
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
