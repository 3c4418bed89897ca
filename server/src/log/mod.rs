//! The public transparency log, server side (`docs/log.md`): every public event becomes a leaf in
//! the transaction of the event itself, a sequencer publishes tiles and signed checkpoints, and
//! witnesses cosign them.
//!
//! - this module: [`LogState`] (origin, checkpoint key, witnesses), building a leaf
//!   ([`leaf`]), and [`append`], the one way a service adds a public event to the log inside its
//!   own transaction.
//! - [`hashes`]: the tree's stored hashes read from the database behind `tlog_tiles`' reader.
//! - [`sequencer`]: the background worker (one server at a time: a database lease) that turns new
//!   leaves into stored hashes, tiles and entry bundles in the object store, and a checkpoint.
//! - [`witnesses`]: sends each new checkpoint to the witnesses (C2SP tlog-witness) and stores
//!   their cosignatures.
//! - [`publication`]: what `/log/…` serves (checkpoint with cosignatures, tiles) and a capture's
//!   inclusion in the log.
//! - [`witness_set`]: at start, each change of the configured witnesses becomes a leaf.
//!
//! Must never: append a leaf outside the transaction of its event (a leaf for an event that did
//! not commit, or an event without its leaf); put anything personal in a leaf (core's leaf type
//! refuses it); let a witness that is down or slow hold up intake (the sequencer and the witness
//! calls never run on a request's path).

pub mod hashes;
pub mod publication;
pub mod rotation;
pub mod sequencer;
pub mod witness_set;
pub mod witnesses;

use sqlx::AnyConnection;
use tallyseal_core::keys::DeviceKey;

use crate::config::ServerConfig;
use crate::db::{self, LeafToAppend};
use crate::provenance::{self, CosignatureVerifier, LeafBody, LeafError, LogEvent, Signer};

/// The log as this server runs it: origin, checkpoint key, witnesses and policy.
#[derive(Debug)]
pub struct LogState {
    pub origin: String,
    /// Signs checkpoints (key name = origin).
    pub signer: Signer,
    /// The key in force before `signer`, while this server completes a change of the log key
    /// ([`rotation`]); `None` otherwise.
    pub previous: Option<Signer>,
    /// The witnesses asked to cosign (URL and parsed vkey), in configuration order.
    pub witnesses: Vec<Witness>,
    /// Cosignatures a checkpoint needs to count as witnessed.
    pub policy: usize,
    /// The client witness requests go through (plain HTTP: a witness behind TLS is reached
    /// through a local proxy).
    pub http: reqwest::Client,
}

/// A configured witness.
#[derive(Debug, Clone)]
pub struct Witness {
    pub url: String,
    pub verifier: CosignatureVerifier,
}

/// Why the log could not be set up at start.
#[derive(Debug, thiserror::Error)]
pub enum LogSetupError {
    #[error("log origin {0:?}: {1}")]
    Origin(String, String),
    #[error("witness vkey {0:?}: {1}")]
    WitnessKey(String, String),
    #[error("witness URL {0:?} must start with http://")]
    WitnessUrl(String),
    #[error("the HTTP client for witnesses: {0}")]
    Http(String),
}

impl LogState {
    /// The log of `config`, with the origin in force and its key.
    pub fn new(
        config: &ServerConfig,
        origin: &str,
        key: &DeviceKey,
    ) -> Result<Self, LogSetupError> {
        let signer = provenance::log_signer(origin, key)
            .map_err(|e| LogSetupError::Origin(origin.to_owned(), e.to_string()))?;
        let witnesses = config
            .log_witnesses
            .iter()
            .map(|w| {
                if !w.url.starts_with("http://") {
                    return Err(LogSetupError::WitnessUrl(w.url.clone()));
                }
                let verifier = CosignatureVerifier::parse(&w.vkey)
                    .map_err(|e| LogSetupError::WitnessKey(w.vkey.clone(), e.to_string()))?;
                Ok(Witness {
                    url: w.url.trim_end_matches('/').to_owned(),
                    verifier,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| LogSetupError::Http(e.to_string()))?;
        Ok(Self {
            http,
            origin: origin.to_owned(),
            signer,
            previous: None,
            witnesses,
            policy: config.log_witness_policy,
        })
    }

    /// The C2SP note vkey of the checkpoint key.
    pub fn vkey(&self) -> String {
        self.signer.verifier().to_vkey()
    }

    /// The witnesses' cosignature vkeys.
    pub fn witness_vkeys(&self) -> Vec<String> {
        self.witnesses
            .iter()
            .map(|w| w.verifier.to_vkey())
            .collect()
    }
}

/// The default origin: the public URL's host (and port) followed by `/tallyseal-log`.
pub fn default_origin(public_url: &str) -> String {
    let host = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .trim_end_matches('/');
    format!("{host}/tallyseal-log")
}

/// The leaf of `event`, logged at `at_ms`, about `subject` (what its capture or device status
/// finds it by). Refused when core refuses the event (an id too long, a personal operator id).
pub fn leaf(event: LogEvent, subject: &str, at_ms: i64) -> Result<LeafToAppend, LeafError> {
    let body = LeafBody {
        event,
        logged_at_ms: at_ms,
    };
    let bytes = body.to_leaf_bytes()?;
    let leaf_hash = tallyseal_core::log::merkle::leaf_hash(&bytes);
    let kind = serde_json::to_value(&body.event)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_default();
    Ok(LeafToAppend {
        // Canonical JSON after an ASCII line: always UTF-8.
        leaf: String::from_utf8_lossy(&bytes).into_owned(),
        leaf_hash: hex::encode(leaf_hash.0),
        kind,
        subject: subject.to_owned(),
        logged_at_ms: at_ms,
    })
}

/// Why an event could not be logged.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("the event cannot be a leaf: {0}")]
    Leaf(#[from] LeafError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Append the public event `event` to the log inside the caller's transaction `tx` (the same one
/// that records the event); returns the leaf's index. The index is fixed when the transaction
/// commits; should it roll back, the index goes to the next event (indexes stay gapless). The
/// console's services call this for their public events (RO decisions, releases, confirmed
/// figures, form versions).
pub async fn append(
    tx: &mut AnyConnection,
    event: LogEvent,
    subject: &str,
    at_ms: i64,
) -> Result<u64, AppendError> {
    let leaf = leaf(event, subject, at_ms)?;
    Ok(db::append_leaf(tx, &leaf).await?)
}
