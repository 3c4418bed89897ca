//! `tallyseal-field`: a command-line Presiding Officer phone (or many) built on the *same*
//! [`tallyseal_core::client::PhoneClient`] the Android and iOS apps use through
//! `tallyseal-mobile`. Used for demos, the end-to-end tests (including the kill test, whose child
//! process is this program) and load runs.
//!
//! ```text
//! tallyseal-field --data DIR enrol --code 'tallyseal:enrol?server=…&code=…' [--officer NAME]
//! tallyseal-field --data DIR capture [--image FILE.jpg] --lat 31.5204 --lon 74.3587 [--clock-offset SECS]
//! tallyseal-field --data DIR sync [--wait SECS]
//! tallyseal-field --data DIR outbox [--json]
//! tallyseal-field --data DIR recaptures                             # pending recapture requests
//! tallyseal-field --data DIR recapture [capture options]            # answer them, then sync
//! tallyseal-field code --server URL --admin-token T --station 1      # issue an enrolment code
//! tallyseal-field load --server URL --admin-token T --phones 20 --captures 3 --data DIR
//! ```
//!
//! Every line a command prints that a program may read starts with an upper-case tag
//! (`ENROLLED`, `SEALED`, `SYNC`, `ITEM`, `CODE`, `LOAD`, `RECAPTURE`) followed by `key=value` pairs.

pub mod admin;
pub mod commands;
pub mod load;
pub mod photo;
pub mod recapture;
pub mod sheet;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "tallyseal-field",
    about = "Simulated Presiding Officer phones (tallyseal)"
)]
pub struct Cli {
    /// The phone's data directory (app-private storage on a real phone).
    #[arg(long, global = true, default_value = "field-phone")]
    pub data: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enrol this phone with a code or QR payload.
    Enrol {
        #[arg(long)]
        code: String,
        /// Server URL when the code is a bare code.
        #[arg(long)]
        server: Option<String>,
        #[arg(long, default_value = "Field Simulator PO")]
        officer: String,
        /// C2SP verifier key(s) of the package signer built into the "app".
        #[arg(long)]
        trust: Vec<String>,
    },
    /// Photograph (or load) a result sheet, seal it and put it in the outbox.
    Capture(commands::CaptureArgs),
    /// Send what the outbox holds.
    Sync {
        /// Keep going (sleeping out backoff) until nothing is pending, at most this many seconds.
        #[arg(long)]
        wait: Option<u64>,
        /// Ignore the backoff schedule.
        #[arg(long)]
        force: bool,
        /// Bytes per PATCH, in KiB (saved in the phone's settings).
        #[arg(long)]
        chunk_kb: Option<u64>,
        /// Backoff base in ms (saved in the phone's settings).
        #[arg(long)]
        backoff_ms: Option<u64>,
    },
    /// List the outbox.
    Outbox {
        #[arg(long)]
        json: bool,
    },
    /// Fetch a new server time anchor.
    Anchor,
    /// Put an item that needs attention back in the queue.
    Retry { seq: u64 },
    /// Remove a verified item (and its bundle).
    Clear { seq: u64 },
    /// Write an item's evidence bundle to a file.
    Bundle {
        seq: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Issue an enrolment code (admin; convenience for demos and tests).
    Code {
        #[arg(long)]
        server: String,
        #[arg(long)]
        admin_token: String,
        #[arg(long, default_value = "pk-ge-2024-demo")]
        election: String,
        #[arg(long, default_value = "NA-128")]
        constituency: String,
        #[arg(long)]
        station: u32,
    },
    /// List the Returning Officer's recapture requests not answered yet (read at each sync).
    Recaptures,
    /// Answer every pending recapture request with a new capture that supersedes the old one,
    /// then sync.
    Recapture(commands::CaptureArgs),
    /// Kill-test workload: capture and sync in a loop, printing `SEALED` after each durable capture.
    Churn(commands::ChurnArgs),
    /// Many phones at once: enrol each with a fresh code, capture, sync; print throughput.
    Load(load::LoadArgs),
}

/// Parse the process arguments and run.
pub fn main_from_env() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tallyseal-field: {e}");
            ExitCode::FAILURE
        }
    }
}
