//! `tallyseal`: verify evidence bundles, read EXIF, seal test captures, run the demo and the server.
//!
//! Exit status of `verify`: 0 verified, 3 verified with warnings, 1 failed, 2 the command itself
//! could not run (bad arguments, unreadable file, invalid context). `log monitor`: 0 clean, 1 on
//! any finding, 2 could not run.

mod commands;
mod context_file;
mod report_text;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{}: {}", .0.display(), .1)]
    Io(PathBuf, std::io::Error),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failed(String),
}

#[derive(Debug, Parser)]
#[command(
    name = "tallyseal",
    version,
    about = "Forensic capture and verification of polling-station results"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verify an evidence bundle (exit 0 verified, 3 with warnings, 1 failed, 2 could not run).
    Verify(commands::verify::Args),
    /// Show what the verifier reads from an image's EXIF.
    Exif(commands::exif::Args),
    /// Seal a test capture from a JPEG with a given device key (no phone needed).
    Seal(commands::seal::Args),
    /// Generate a device key file (32-byte seed, hex) and print its public key.
    Keygen(commands::keygen::Args),
    /// Run an election night: the server, real 2024 constituencies, simulated phones and ROs.
    Demo(commands::demo::Args),
    /// Run the server (embedded default: SQLite + local files under ./tallyseal-data).
    Serve(commands::serve::Args),
    /// Build, sign and inspect election packages.
    #[command(subcommand)]
    Package(commands::package::Command),
    /// Run a C2SP tlog-witness: cosign consistent checkpoints of the given logs.
    Witness(commands::witness::Args),
    /// Manage console accounts (add, disable, enable, reset, list) in the server's database.
    #[command(subcommand)]
    User(commands::user::Command),
    /// Audit a transparency log (`monitor`) or print an offline proof for a capture (`prove`).
    #[command(subcommand)]
    Log(commands::log::Command),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Verify(a) => commands::verify::run(a),
        Command::Exif(a) => commands::exif::run(a),
        Command::Seal(a) => commands::seal::run(a),
        Command::Keygen(a) => commands::keygen::run(a),
        Command::Demo(a) => {
            // The demo tells its own story on stdout; the server's lines would interleave.
            init_server_logging("warn");
            commands::demo::run(a)
        }
        Command::Package(c) => commands::package::run(c),
        Command::Serve(a) => {
            init_server_logging("info");
            commands::serve::run(a)
        }
        Command::Witness(a) => commands::witness::run(a),
        Command::User(c) => commands::user::run(c),
        Command::Log(c) => commands::log::run(c),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("tallyseal: {e}");
            ExitCode::from(match e {
                CliError::Failed(_) => 1,
                _ => 2,
            })
        }
    }
}

/// Logging for the commands that run a server (`serve`, `demo`), on stderr, at `default` unless
/// `RUST_LOG` says otherwise, which includes the access log (target `tallyseal::access`, one line
/// per request). `RUST_LOG=info,tallyseal::access=off` keeps the rest without it.
fn init_server_logging(default: &str) {
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default))
        .try_init();
}

/// Current time, Unix ms (defined once, in core's `system`).
pub use tallyseal_core::system::now_ms;

/// Print to stdout, ignoring a closed pipe (`tallyseal verify x --json | head`).
pub fn out(text: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}

/// Largest input file read (a bundle holds at most a 64 MiB image; a national package is far
/// smaller): a bigger one, or an endless one (`/dev/zero`), is refused instead of filling memory.
pub const MAX_INPUT_BYTES: u64 = 128 << 20;

pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let io = |e| CliError::Io(path.to_owned(), e);
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::Usage(format!(
            "{}: larger than {} MiB, not a tallyseal input",
            path.display(),
            MAX_INPUT_BYTES >> 20
        )));
    }
    Ok(bytes)
}

pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|e| CliError::Io(path.to_owned(), e))
}
