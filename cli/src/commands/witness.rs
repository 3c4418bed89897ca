//! `tallyseal witness`: run a C2SP tlog-witness for the logs given with `--log` (docs/log.md).

use std::path::PathBuf;
use std::sync::Arc;

use tallyseal_core::log::cosignature::Cosigner;
use tallyseal_core::note::Verifier;
use tallyseal_witness::{KnownLog, Witness};

use crate::CliError;
use crate::commands::keygen::read_key;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The witness's name (its cosignature key name), e.g. witness.example.org/w1.
    #[arg(long)]
    name: String,
    /// The witness's own key file (from `tallyseal keygen`).
    #[arg(long)]
    key: PathBuf,
    /// The state file: the latest cosigned checkpoint of each log (created if missing).
    #[arg(long)]
    state: PathBuf,
    /// A log to witness, as ORIGIN=VKEY (the log's note verifier key); repeat for more keys or logs.
    #[arg(long = "log", required = true)]
    logs: Vec<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    bind: String,
}

fn parse_logs(specs: &[String]) -> Result<Vec<KnownLog>, CliError> {
    let mut logs: Vec<KnownLog> = Vec::new();
    for spec in specs {
        let (origin, vkey) = spec
            .split_once('=')
            .filter(|(o, _)| !o.is_empty())
            .ok_or_else(|| CliError::Usage(format!("--log {spec:?}: expected ORIGIN=VKEY")))?;
        let key =
            Verifier::parse(vkey).map_err(|e| CliError::Usage(format!("--log {origin}: {e}")))?;
        match logs.iter_mut().find(|l| l.origin == origin) {
            Some(l) => l.keys.push(key),
            None => logs.push(KnownLog {
                origin: origin.to_string(),
                keys: vec![key],
            }),
        }
    }
    Ok(logs)
}

pub fn run(a: Args) -> Result<u8, CliError> {
    let logs = parse_logs(&a.logs)?;
    let cosigner =
        Cosigner::new(&a.name, read_key(&a.key)?).map_err(|e| CliError::Usage(e.to_string()))?;
    let witness =
        Witness::open(cosigner, logs, &a.state).map_err(|e| CliError::Io(a.state.clone(), e))?;
    let vkey = witness.verifier().to_vkey();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let (server, port) = tallyseal_witness::http::serve(Arc::new(witness), &a.bind)
            .map_err(|e| CliError::Failed(format!("cannot listen on {}: {e}", a.bind)))?;
        println!("tallyseal witness listening on port {port}");
        println!("cosigner key       {vkey}");
        println!("state              {}", a.state.display());
        server
            .await
            .map_err(|e| CliError::Failed(format!("witness stopped: {e}")))
    })?;
    Ok(0)
}
