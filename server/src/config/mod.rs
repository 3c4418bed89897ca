//! Server configuration: built-in defaults, then an optional TOML file, then `TALLYSEAL_*`
//! environment variables (each layer overrides the one before).
//!
//! With no file and no variables the server runs the embedded default: one data directory
//! (`./tallyseal-data`) holding the SQLite database `tallyseal.db`, the `objects/` folder, the
//! commission key and the admin token, listening on `127.0.0.1:8080`.
//!
//! Files: this module (the settings and their defaults), `sources` (the TOML file and the
//! `TALLYSEAL_*` variables), `validation` (settings that would break the server).

mod sources;
#[cfg(test)]
mod tests;
mod validation;

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where objects (manifests, images) are kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ObjectStoreConfig {
    /// A folder on the local filesystem (default: `<data_dir>/objects`).
    Local {
        #[serde(default)]
        path: Option<PathBuf>,
    },
    /// An S3-compatible store (Garage, MinIO, Ceph, AWS S3).
    S3(S3Config),
}

/// Connection settings for an S3-compatible store.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// e.g. `http://127.0.0.1:3900`; `None` means AWS's regional endpoint.
    #[serde(default)]
    pub endpoint: Option<String>,
    pub bucket: String,
    #[serde(default = "default_region")]
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Path-style addressing (`endpoint/bucket/key`), needed for Garage and MinIO.
    #[serde(default = "default_true")]
    pub path_style: bool,
    /// Prepended to every key (a deployment-level namespace, never an administrative one).
    #[serde(default)]
    pub prefix: String,
    /// Longest wait for one request to the store (answer included), in seconds; a store that
    /// stops answering then fails the request (503 to the phone, which retries) instead of
    /// holding it, and the upload's lease, for ever.
    #[serde(default = "default_s3_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_s3_timeout_secs() -> u64 {
    60
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("path_style", &self.path_style)
            .field("prefix", &self.prefix)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

fn default_region() -> String {
    "garage".to_owned()
}
fn default_true() -> bool {
    true
}

/// Limits on what clients may send.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest JSON request body (captures, enrolment, elections import), in bytes.
    pub max_json_bytes: usize,
    /// Largest election package, in bytes (the import endpoint's own limit).
    pub max_package_bytes: usize,
    /// Largest signed manifest, in bytes.
    pub max_manifest_bytes: usize,
    /// Largest image a tus upload may declare (`Upload-Length`), in bytes.
    pub max_image_bytes: u64,
    /// Unfinished tus uploads one device may hold at once.
    pub upload_slots_per_device: u32,
    /// An unfinished upload created longer ago than this no longer holds one of its device's
    /// slots (it can still be resumed), so abandoned uploads — a phone reinstalled, an outbox
    /// lost — never lock a device out. Seconds.
    pub upload_slot_idle_secs: u64,
    /// A part file (the bytes of an unfinished upload) untouched for this long is deleted, and
    /// its upload starts over from offset 0: disk space is bounded even when phones never come
    /// back. The image itself is never lost: the phone keeps it until it holds the verified
    /// receipt. Seconds; 0 keeps them however old they are.
    pub part_file_idle_secs: u64,
    /// How often the server looks for such part files (and for leftovers of completed or never
    /// created uploads) in `<data_dir>/uploads`. Seconds.
    pub upload_sweep_secs: u64,
    /// How long an enrolment code stays valid, in seconds (also the longest a request may ask).
    pub enrolment_code_ttl_secs: u64,
    /// A request body that sends nothing for this long is cut (what arrived of an upload is kept
    /// and the upload's lease released, as for a dropped connection): a client that stalls, or
    /// a link that died without a reset, cannot hold a connection, or an upload, for ever.
    /// Seconds.
    pub body_idle_secs: u64,
    /// A request body must also keep up at least this rate, in bytes per second, averaged over
    /// each `body_rate_window_secs` the server spends waiting for it; a slower body is cut like a
    /// stalled one. It stops a client holding connections (and upload leases) open by sending a
    /// byte every few seconds. The default is a quarter of what a 2G phone sends (about 1 kB/s),
    /// so a poor link passes. 0: no minimum rate.
    pub body_min_bytes_per_sec: u64,
    /// The window over which `body_min_bytes_per_sec` is measured, in seconds: a body is first
    /// judged after this long, so a short request is never cut by it.
    pub body_rate_window_secs: u64,
    /// Open connections one client address may hold; the request on one more is answered 429
    /// `too-many-connections` and its connection closed. 0: no cap. Behind a reverse proxy every
    /// client shares the proxy's address: set 0 there and cap per client in the proxy
    /// (`X-Forwarded-For` is never read). Phones behind a carrier's NAT also share addresses,
    /// hence a generous default.
    pub connections_per_client: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_json_bytes: 64 * 1024,
            max_package_bytes: 32 * 1024 * 1024,
            max_manifest_bytes: 32 * 1024,
            max_image_bytes: 25 * 1024 * 1024,
            upload_slots_per_device: 4,
            upload_slot_idle_secs: 24 * 3600,
            part_file_idle_secs: 7 * 24 * 3600,
            upload_sweep_secs: 3600,
            enrolment_code_ttl_secs: 3 * 24 * 3600,
            body_idle_secs: 60,
            body_min_bytes_per_sec: 256,
            body_rate_window_secs: 30,
            connections_per_client: 256,
        }
    }
}

/// Everything the server needs to start. Its `Debug` output leaves the secrets out (the admin
/// token, the key seed, a database URL's password; the S3 secret key is left out by
/// [`S3Config`]'s).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Holds the SQLite database, local objects, unfinished uploads, key and token files.
    pub data_dir: PathBuf,
    /// `host:port` to listen on; port 0 picks a free port (tests).
    pub bind: String,
    /// `sqlite://…` or `postgres://…`; default `sqlite://<data_dir>/tallyseal.db`.
    pub database_url: Option<String>,
    /// `postgres://…` of a read replica of `database_url` (a PostgreSQL hot standby): the public
    /// open data (`crate::public`) and the portal's pages read from it, while intake and the
    /// console write to, and read their own writes from, `database_url`. Default: none, everything
    /// on `database_url` (docs/deployment.md).
    pub database_read_url: Option<String>,
    /// Largest number of pooled database connections.
    pub database_max_connections: u32,
    /// HTTP worker threads; default: one per core.
    pub workers: Option<usize>,
    /// Bearer token for the Commission/RO endpoints; default: `<data_dir>/admin-token`
    /// (generated on first run).
    pub admin_token: Option<String>,
    /// Hex seed (64 hex digits) of the commission signing key; default: `<data_dir>/commission.key`
    /// (generated on first run).
    pub server_key_seed: Option<String>,
    /// The signer name in signed notes (election packages the server signs itself).
    pub commission_name: String,
    /// C2SP verifier keys (`name+hexkeyid+base64`) whose signed packages may be imported, besides
    /// the server's own key (e.g. an offline Commission key).
    pub trusted_package_keys: Vec<String>,
    /// The URL clients use to reach this server (QR payloads); default `http://<bind>`.
    pub public_url: Option<String>,
    pub object_store: ObjectStoreConfig,
    pub limits: Limits,
    /// The near-duplicate analysis that runs after the receipt (`[analysis]`).
    pub analysis: AnalysisConfig,
    /// Which web pages (origins) may call the API from a browser (`[cors]`).
    pub cors: CorsConfig,
    /// The node that records console decisions (`origin` of a review decision): `centre` for the
    /// Commission's servers, a name of its own for an RO office that works offline and syncs
    /// later (docs/console.md).
    pub node_id: String,
    /// The Returning Officers' console: sessions and login lock-out (`[console]`).
    pub console: ConsoleConfig,
    /// The log's origin line (`docs/log.md`); default `<host of public_url>/tallyseal-log`. The
    /// database records the first server's, which every server on it then uses.
    pub log_origin: Option<String>,
    /// Hex seed (64 hex digits) of the log's checkpoint key; default: `<data_dir>/log.key`
    /// (generated on first run; several servers on one database need the same key).
    pub log_key_seed: Option<String>,
    /// Hex seed of the log key in force before `log_key_seed`, given once to change the log's
    /// key (`docs/log.md`, "Log key rotation"); default: `<data_dir>/log.previous.key` if it
    /// exists.
    pub log_previous_key_seed: Option<String>,
    /// Hex (128 hex digits) of the key that encrypts the console's session cookie; default:
    /// `<data_dir>/session.key` (generated on first run; several servers on one database need
    /// the same key, or a cookie from one is refused by the others).
    pub session_key_seed: Option<String>,
    /// How often the sequencer publishes new leaves (tiles and a signed checkpoint), in ms.
    pub log_sequence_interval_ms: u64,
    /// How long the results and the ledger of the public API are served from an in-process copy
    /// before they are read again, in ms (`crate::public::memo`); 0 reads every time.
    pub public_cache_ms: u64,
    /// The witnesses asked to cosign each new checkpoint (C2SP tlog-witness).
    pub log_witnesses: Vec<WitnessConfig>,
    /// How many of `log_witnesses` must cosign a checkpoint for it to count as witnessed (k of n).
    pub log_witness_policy: usize,
    /// Longest wait for one witness's answer, in ms: a witness that does not answer delays
    /// nothing else.
    pub log_witness_timeout_ms: u64,
    /// Whether a capture's events (manifest received, image verified) become log leaves with
    /// their index in the receipt. Always on in an election; off (`TALLYSEAL_LOG_CAPTURES=off`)
    /// only so the intake benchmark can measure, in one run, what the log costs intake.
    pub log_captures: bool,
}

/// The console's sessions and login protection (docs/console.md).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Send the session cookie with `Secure` (only over HTTPS). Default: on when `public_url`
    /// starts with `https://`; set it when a TLS proxy serves the console under another URL.
    pub secure_cookie: Option<bool>,
    /// A session unused this long ends, in seconds.
    pub session_idle_secs: u64,
    /// A session ends this long after its login however busy it is, in seconds.
    pub session_absolute_secs: u64,
    /// Failed logins of one account within `lockout_secs` that lock it for `lockout_secs`.
    pub max_failures_per_account: u32,
    /// Failed logins from one client address within `lockout_secs` that lock the address out.
    pub max_failures_per_client: u32,
    /// The lock-out window and duration, in seconds.
    pub lockout_secs: u64,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            secure_cookie: None,
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            max_failures_per_account: 5,
            max_failures_per_client: 20,
            lockout_secs: 15 * 60,
        }
    }
}

impl ServerConfig {
    /// Whether the console's cookies carry `Secure`.
    pub fn console_secure_cookie(&self) -> bool {
        self.console.secure_cookie.unwrap_or_else(|| {
            self.public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
        })
    }
}

/// A witness of the transparency log: where to send checkpoints and its cosignature vkey.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessConfig {
    /// Its base URL (`http://host:port`); `POST <url>/add-checkpoint`.
    pub url: String,
    /// Its C2SP cosignature/v1 vkey (`name+hexkeyid+base64`).
    pub vkey: String,
}

/// Cross-origin requests from browsers ([`crate::cors`]). Phones and the CLI send no `Origin`
/// and are not concerned. An origin is `scheme://host[:port]` as a browser sends it, or `*`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    /// Origins whose pages may read the public API (GET, HEAD). Default `["*"]`: published
    /// results, packages and keys are public, and a portal on another origin needs them.
    pub read_origins: Vec<String>,
    /// Origins whose pages may write (POST, PATCH, DELETE: enrolment, captures, tus uploads, the
    /// admin endpoints). Default none. A write carrying an `Origin` not listed is refused (403
    /// `origin-not-allowed`).
    pub write_origins: Vec<String>,
    /// How long a browser may cache a preflight answer, in seconds.
    pub max_age_secs: u64,
}

impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            read_origins: vec!["*".to_owned()],
            write_origins: Vec::new(),
            max_age_secs: 600,
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("ServerConfig")
            .field("data_dir", &self.data_dir)
            .field("bind", &self.bind)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url_password),
            )
            .field(
                "database_read_url",
                &self.database_read_url.as_deref().map(redact_url_password),
            )
            .field("database_max_connections", &self.database_max_connections)
            .field("workers", &self.workers)
            .field("admin_token", &redacted(&self.admin_token))
            .field("server_key_seed", &redacted(&self.server_key_seed))
            .field("commission_name", &self.commission_name)
            .field("trusted_package_keys", &self.trusted_package_keys)
            .field("public_url", &self.public_url)
            .field("object_store", &self.object_store)
            .field("limits", &self.limits)
            .field("analysis", &self.analysis)
            .field("cors", &self.cors)
            .field("node_id", &self.node_id)
            .field("console", &self.console)
            .field("log_origin", &self.log_origin)
            .field("log_key_seed", &redacted(&self.log_key_seed))
            .field(
                "log_previous_key_seed",
                &redacted(&self.log_previous_key_seed),
            )
            .field("session_key_seed", &redacted(&self.session_key_seed))
            .field("log_sequence_interval_ms", &self.log_sequence_interval_ms)
            .field("public_cache_ms", &self.public_cache_ms)
            .field("log_witnesses", &self.log_witnesses)
            .field("log_witness_policy", &self.log_witness_policy)
            .field("log_witness_timeout_ms", &self.log_witness_timeout_ms)
            .field("log_captures", &self.log_captures)
            .finish()
    }
}

/// A database URL with its password replaced: `scheme://user:password@host…` and a
/// `password=…` query parameter.
pub fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{user}:<redacted>@{host}")
        }
        _ => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=<redacted>"),
                    _ => kv.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// The near-duplicate analysis ([`crate::analysis`]): perceptual hashes of received images,
/// compared across stations one capture at a time, after the verified receipt.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisConfig {
    /// Run the analyser in this server. Several servers may run it against one database (each
    /// capture is claimed by one); a deployment can also leave it to some of them.
    pub enabled: bool,
    /// Intake comes first: the analyser starts a capture only when this server has received no
    /// upload bytes for this long, in milliseconds...
    pub idle_ms: u64,
    /// ...unless the oldest capture waiting is older than this, in seconds: then it analyses
    /// regardless of load, so a constantly busy server still gets through its backlog.
    pub max_lag_secs: u64,
    /// A claim older than this (a server that died mid-analysis) is taken over, in seconds.
    pub claim_timeout_secs: u64,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            idle_ms: 250,
            max_lag_secs: 300,
            claim_timeout_secs: 120,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./tallyseal-data"),
            bind: "127.0.0.1:8080".to_owned(),
            database_url: None,
            database_read_url: None,
            database_max_connections: 16,
            workers: None,
            admin_token: None,
            server_key_seed: None,
            commission_name: "tallyseal-commission".to_owned(),
            trusted_package_keys: Vec::new(),
            public_url: None,
            object_store: ObjectStoreConfig::Local { path: None },
            limits: Limits::default(),
            analysis: AnalysisConfig::default(),
            cors: CorsConfig::default(),
            node_id: "centre".to_owned(),
            console: ConsoleConfig::default(),
            log_origin: None,
            log_key_seed: None,
            log_previous_key_seed: None,
            session_key_seed: None,
            log_sequence_interval_ms: 1000,
            public_cache_ms: 1000,
            log_witnesses: Vec::new(),
            log_witness_policy: 0,
            log_witness_timeout_ms: 5000,
            log_captures: true,
        }
    }
}

/// The configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {name} is not valid: {message}")]
    Env { name: &'static str, message: String },
    #[error("setting {name} is not valid: {message}")]
    Invalid { name: &'static str, message: String },
}

impl ServerConfig {
    /// Defaults, then `file` (when given), then the `TALLYSEAL_*` variables of this process.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// The database URL in force (the SQLite file in the data directory by default).
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("tallyseal.db").display()
            ),
        }
    }
}
