//! The demo's server and its two log witnesses, in this process: the embedded default (SQLite
//! and a local objects folder under `<dir>/server`, as `tallyseal serve` runs with no
//! configuration), the transparency log cosigned by two C2SP witnesses (`tallyseal-witness`) on
//! loopback with a policy of 2. The log's key is generated on the first run where `tallyseal
//! serve` looks for it (`<dir>/server/log.key`), the witnesses' keys in `<dir>/keys/` (mode 0600),
//! so a second run is the same log, and `tallyseal serve --data-dir <dir>/server` serves it too.
//!
//! It must never start the server on anything but the demo's own directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::cosignature::Cosigner;
use tallyseal_core::note::Signer;
use tallyseal_server::Application;
use tallyseal_server::config::{ServerConfig, WitnessConfig};
use tallyseal_server::db::Database;
use tallyseal_witness::{KnownLog, Witness};

use crate::CliError;

/// The log's origin (its checkpoints' first line and its key's name).
pub const LOG_ORIGIN: &str = "tallyseal-demo.localhost/log";

/// What the rest of the demo needs from the running server.
#[derive(Debug, Clone)]
pub struct Running {
    pub url: String,
    pub admin_token: String,
    pub commission_key: tallyseal_core::keys::PublicKey,
    pub log_vkey: String,
    pub witness_vkeys: Vec<String>,
    pub data_dir: PathBuf,
}

fn fail(what: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Failed(format!("{what}: {e}"))
}

/// A seed kept in `path`: read it, or generate and write it (0600, fsynced) on the first run.
fn seed(path: &Path) -> Result<DeviceKey, CliError> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let bytes = hex::decode(text.trim()).map_err(|e| fail(&path.display().to_string(), e))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| fail(&path.display().to_string(), "not 32 bytes"))?;
        return Ok(DeviceKey::from_seed(&arr));
    }
    let key = DeviceKey::generate().map_err(|e| fail("key", e))?;
    write_secret(path, &hex::encode(key.seed()))?;
    Ok(key)
}

fn write_secret(path: &Path, text: &str) -> Result<(), CliError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let io = |e| CliError::Io(path.to_owned(), e);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| CliError::Io(parent.to_owned(), e))?;
    }
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(&tmp).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

/// The address to listen on: the one the night's first run listened on (`<dir>/address`), which
/// its phones were enrolled with and keep sending to, else `asked`.
pub fn address(dir: &Path, asked: &str) -> Result<String, CliError> {
    match std::fs::read_to_string(dir.join("address")) {
        Ok(first) => {
            let first = first.trim().to_owned();
            if first != asked && !asked.ends_with(":0") {
                println!(
                    "Listening on {first}, as this night's first run did: its phones send there (not {asked})."
                );
            }
            Ok(first)
        }
        Err(_) => Ok(asked.to_owned()),
    }
}

/// Start both witnesses and the server on `rt`; the server keeps running on the runtime.
pub fn start(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    bind: &str,
) -> Result<(Running, Database), CliError> {
    let keys = dir.join("keys");
    let data_dir = dir.join("server");
    let log_key = seed(&data_dir.join("log.key"))?;
    let log_vkey = Signer::new(LOG_ORIGIN, DeviceKey::from_seed(&log_key.seed()))
        .map_err(|e| fail("log key", e))?
        .verifier();
    let mut witnesses = Vec::new();
    for name in ["a", "b"] {
        let cosigner = Cosigner::new(
            &format!("witness-{name}.tallyseal-demo.localhost"),
            seed(&keys.join(format!("witness-{name}.seed")))?,
        )
        .map_err(|e| fail("witness key", e))?;
        let witness = Witness::open(
            cosigner,
            vec![KnownLog {
                origin: LOG_ORIGIN.into(),
                keys: vec![log_vkey.clone()],
            }],
            &dir.join(format!("witness-{name}.json")),
        )
        .map_err(|e| fail("witness state", e))?;
        let vkey = witness.verifier().to_vkey();
        let (server, port) = rt
            .block_on(async { tallyseal_witness::http::serve(Arc::new(witness), "127.0.0.1:0") })
            .map_err(|e| fail("witness", e))?;
        rt.spawn(server);
        witnesses.push(WitnessConfig {
            url: format!("http://127.0.0.1:{port}"),
            vkey,
        });
    }
    let config = ServerConfig {
        data_dir: data_dir.clone(),
        bind: bind.to_owned(),
        log_origin: Some(LOG_ORIGIN.into()),
        log_witnesses: witnesses.clone(),
        log_witness_policy: 2,
        ..ServerConfig::default()
    };
    let app = rt
        .block_on(Application::build(config))
        .map_err(|e| fail("cannot start the server", e))?;
    let host = match bind.rsplit_once(':').map(|(h, _)| h) {
        Some("0.0.0.0" | "[::]") | None => "127.0.0.1",
        Some(h) => h,
    };
    let address = format!("{host}:{}", app.port());
    let address_file = dir.join("address");
    if !address_file.exists() {
        std::fs::write(&address_file, &address).map_err(|e| CliError::Io(address_file, e))?;
    }
    let running = Running {
        url: format!("http://{address}"),
        admin_token: app.admin_token(),
        commission_key: app.commission_key(),
        log_vkey: log_vkey.to_vkey(),
        witness_vkeys: witnesses.iter().map(|w| w.vkey.clone()).collect(),
        data_dir,
    };
    // The accounts are made through the server's own database handle.
    let db = app.state().db.clone();
    rt.spawn(app.run_until_stopped());
    Ok((running, db))
}
