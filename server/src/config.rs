//! Server configuration: built-in defaults, then an optional TOML file, then `TALLYSEAL_*`
//! environment variables (each layer overrides the one before).
//!
//! With no file and no variables the server runs the embedded default: one data directory
//! (`./tallyseal-data`) holding the SQLite database `tallyseal.db`, the `objects/` folder, the
//! commission key and the admin token, listening on `127.0.0.1:8080`.

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
            .finish()
    }
}

/// A comma-separated list, trimmed, without empty items.
fn comma_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
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

    /// Refuse settings that would break the server rather than limit it (`Application::build`
    /// calls it, whatever built the configuration): a zero that would
    /// refuse every request (no upload slot, no body, no image) or make analysers take each
    /// other's claims at once, an expired-on-issue enrolment code.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        let positive: [(&'static str, u64); 12] = [
            ("limits.max_json_bytes", l.max_json_bytes as u64),
            ("limits.max_package_bytes", l.max_package_bytes as u64),
            ("limits.max_manifest_bytes", l.max_manifest_bytes as u64),
            ("limits.max_image_bytes", l.max_image_bytes),
            (
                "limits.upload_slots_per_device",
                u64::from(l.upload_slots_per_device),
            ),
            ("limits.upload_slot_idle_secs", l.upload_slot_idle_secs),
            ("limits.upload_sweep_secs", l.upload_sweep_secs),
            ("limits.enrolment_code_ttl_secs", l.enrolment_code_ttl_secs),
            ("limits.body_idle_secs", l.body_idle_secs),
            ("limits.body_rate_window_secs", l.body_rate_window_secs),
            (
                "analysis.claim_timeout_secs",
                self.analysis.claim_timeout_secs,
            ),
            (
                "database_max_connections",
                u64::from(self.database_max_connections),
            ),
        ];
        match positive.into_iter().find(|(_, v)| *v == 0) {
            Some((name, _)) => Err(ConfigError::Invalid {
                name,
                message: "must be at least 1".into(),
            }),
            None => Ok(()),
        }
    }

    /// Parse a TOML file (missing keys take their defaults).
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })
    }

    /// Parse TOML text. The error names the line and column, not the line's text: that line may
    /// hold a secret (a misspelt `secret_access_key = …`), and the error goes to the terminal and
    /// the logs.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e: toml::de::Error| {
            let at = e.span().map(|span| {
                let before = text.get(..span.start).unwrap_or(text);
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!(" (line {line}, column {column})")
            });
            format!("{}{}", e.message(), at.unwrap_or_default())
        })
    }

    /// Override fields from variables read through `var` (the environment, or a map in tests).
    ///
    /// `TALLYSEAL_DATA_DIR`, `TALLYSEAL_BIND`, `TALLYSEAL_DATABASE_URL`, `TALLYSEAL_WORKERS`,
    /// `TALLYSEAL_ADMIN_TOKEN`, `TALLYSEAL_SERVER_KEY` (hex seed), `TALLYSEAL_PUBLIC_URL`,
    /// `TALLYSEAL_TRUSTED_PACKAGE_KEYS` (comma-separated verifier keys),
    /// `TALLYSEAL_OBJECT_STORE` (`local` or `s3`), `TALLYSEAL_OBJECTS_PATH`, `TALLYSEAL_S3_ENDPOINT`,
    /// `TALLYSEAL_S3_BUCKET`, `TALLYSEAL_S3_REGION`, `TALLYSEAL_S3_ACCESS_KEY`,
    /// `TALLYSEAL_S3_SECRET_KEY`, `TALLYSEAL_S3_PATH_STYLE`, `TALLYSEAL_S3_PREFIX`,
    /// `TALLYSEAL_S3_TIMEOUT_SECS` (each over the file's value; see `apply_object_store_env`),
    /// `TALLYSEAL_MAX_JSON_BYTES`, `TALLYSEAL_MAX_IMAGE_BYTES`, `TALLYSEAL_UPLOAD_SLOTS_PER_DEVICE`,
    /// `TALLYSEAL_CONNECTIONS_PER_CLIENT`, `TALLYSEAL_CORS_READ_ORIGINS` and
    /// `TALLYSEAL_CORS_WRITE_ORIGINS` (comma-separated origins).
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = var("TALLYSEAL_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = var("TALLYSEAL_BIND") {
            self.bind = v;
        }
        if let Some(v) = var("TALLYSEAL_DATABASE_URL") {
            self.database_url = Some(v);
        }
        if let Some(v) = var("TALLYSEAL_WORKERS") {
            self.workers = Some(parse_num("TALLYSEAL_WORKERS", &v)?);
        }
        if let Some(v) = var("TALLYSEAL_ADMIN_TOKEN") {
            self.admin_token = Some(v);
        }
        if let Some(v) = var("TALLYSEAL_SERVER_KEY") {
            self.server_key_seed = Some(v);
        }
        if let Some(v) = var("TALLYSEAL_TRUSTED_PACKAGE_KEYS") {
            self.trusted_package_keys = v
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = var("TALLYSEAL_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = var("TALLYSEAL_MAX_JSON_BYTES") {
            self.limits.max_json_bytes = parse_num("TALLYSEAL_MAX_JSON_BYTES", &v)?;
        }
        if let Some(v) = var("TALLYSEAL_MAX_IMAGE_BYTES") {
            self.limits.max_image_bytes = parse_num("TALLYSEAL_MAX_IMAGE_BYTES", &v)?;
        }
        if let Some(v) = var("TALLYSEAL_UPLOAD_SLOTS_PER_DEVICE") {
            self.limits.upload_slots_per_device =
                parse_num("TALLYSEAL_UPLOAD_SLOTS_PER_DEVICE", &v)?;
        }
        if let Some(v) = var("TALLYSEAL_UPLOAD_SLOT_IDLE_SECS") {
            self.limits.upload_slot_idle_secs = parse_num("TALLYSEAL_UPLOAD_SLOT_IDLE_SECS", &v)?;
        }
        if let Some(v) = var("TALLYSEAL_PART_FILE_IDLE_SECS") {
            self.limits.part_file_idle_secs = parse_num("TALLYSEAL_PART_FILE_IDLE_SECS", &v)?;
        }
        if let Some(v) = var("TALLYSEAL_UPLOAD_SWEEP_SECS") {
            self.limits.upload_sweep_secs = parse_num("TALLYSEAL_UPLOAD_SWEEP_SECS", &v)?;
        }
        if let Some(v) = var("TALLYSEAL_BODY_IDLE_SECS") {
            self.limits.body_idle_secs = parse_num("TALLYSEAL_BODY_IDLE_SECS", &v)?;
        }
        if let Some(v) = var("TALLYSEAL_CONNECTIONS_PER_CLIENT") {
            self.limits.connections_per_client = parse_num("TALLYSEAL_CONNECTIONS_PER_CLIENT", &v)?;
        }
        if let Some(v) = var("TALLYSEAL_CORS_READ_ORIGINS") {
            self.cors.read_origins = comma_list(&v);
        }
        if let Some(v) = var("TALLYSEAL_CORS_WRITE_ORIGINS") {
            self.cors.write_origins = comma_list(&v);
        }
        if let Some(v) = var("TALLYSEAL_ANALYSIS") {
            self.analysis.enabled = match v.as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                _ => {
                    return Err(ConfigError::Env {
                        name: "TALLYSEAL_ANALYSIS",
                        message: "expected on or off".into(),
                    });
                }
            };
        }
        if let Some(v) = var("TALLYSEAL_ANALYSIS_IDLE_MS") {
            self.analysis.idle_ms = parse_num("TALLYSEAL_ANALYSIS_IDLE_MS", &v)?;
        }
        if let Some(v) = var("TALLYSEAL_ANALYSIS_MAX_LAG_SECS") {
            self.analysis.max_lag_secs = parse_num("TALLYSEAL_ANALYSIS_MAX_LAG_SECS", &v)?;
        }
        self.apply_object_store_env(&var)?;
        Ok(())
    }

    /// The object store's variables, each over the value before it (the TOML file's, or the
    /// default). `TALLYSEAL_OBJECT_STORE` switches the kind (keeping the file's settings when the
    /// kind is the same); `TALLYSEAL_OBJECTS_PATH` applies to a local store, `TALLYSEAL_S3_*` to an
    /// S3 one, and either set for the other kind is an error rather than silently ignored.
    fn apply_object_store_env(
        &mut self,
        var: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        const S3_VARS: [&str; 8] = [
            "TALLYSEAL_S3_ENDPOINT",
            "TALLYSEAL_S3_BUCKET",
            "TALLYSEAL_S3_REGION",
            "TALLYSEAL_S3_ACCESS_KEY",
            "TALLYSEAL_S3_SECRET_KEY",
            "TALLYSEAL_S3_PATH_STYLE",
            "TALLYSEAL_S3_PREFIX",
            "TALLYSEAL_S3_TIMEOUT_SECS",
        ];
        let kind = var("TALLYSEAL_OBJECT_STORE");
        match (kind.as_deref(), &self.object_store) {
            (None, _)
            | (Some("local"), ObjectStoreConfig::Local { .. })
            | (Some("s3"), ObjectStoreConfig::S3(_)) => {}
            (Some("local"), _) => self.object_store = ObjectStoreConfig::Local { path: None },
            (Some("s3"), _) => {
                self.object_store = ObjectStoreConfig::S3(S3Config {
                    endpoint: None,
                    bucket: String::new(),
                    region: default_region(),
                    access_key_id: String::new(),
                    secret_access_key: String::new(),
                    path_style: true,
                    prefix: String::new(),
                    timeout_secs: default_s3_timeout_secs(),
                });
            }
            (Some(_), _) => {
                return Err(ConfigError::Env {
                    name: "TALLYSEAL_OBJECT_STORE",
                    message: "expected local or s3".into(),
                });
            }
        }
        match &mut self.object_store {
            ObjectStoreConfig::Local { path } => {
                if let Some(name) = S3_VARS.into_iter().find(|n| var(n).is_some()) {
                    return Err(ConfigError::Env {
                        name,
                        message: "set, but the object store is local (TALLYSEAL_OBJECT_STORE=s3 switches)".into(),
                    });
                }
                if let Some(v) = var("TALLYSEAL_OBJECTS_PATH") {
                    *path = Some(v.into());
                }
            }
            ObjectStoreConfig::S3(s3) => {
                if var("TALLYSEAL_OBJECTS_PATH").is_some() {
                    return Err(ConfigError::Env {
                        name: "TALLYSEAL_OBJECTS_PATH",
                        message: "set, but the object store is s3".into(),
                    });
                }
                if let Some(v) = var("TALLYSEAL_S3_ENDPOINT") {
                    s3.endpoint = Some(v);
                }
                for (name, field) in [
                    ("TALLYSEAL_S3_BUCKET", &mut s3.bucket),
                    ("TALLYSEAL_S3_REGION", &mut s3.region),
                    ("TALLYSEAL_S3_ACCESS_KEY", &mut s3.access_key_id),
                    ("TALLYSEAL_S3_SECRET_KEY", &mut s3.secret_access_key),
                    ("TALLYSEAL_S3_PREFIX", &mut s3.prefix),
                ] {
                    if let Some(v) = var(name) {
                        *field = v;
                    }
                }
                if let Some(v) = var("TALLYSEAL_S3_PATH_STYLE") {
                    s3.path_style = match v.as_str() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => {
                            return Err(ConfigError::Env {
                                name: "TALLYSEAL_S3_PATH_STYLE",
                                message: "expected true or false".into(),
                            });
                        }
                    };
                }
                if let Some(v) = var("TALLYSEAL_S3_TIMEOUT_SECS") {
                    s3.timeout_secs = parse_num("TALLYSEAL_S3_TIMEOUT_SECS", &v)?;
                }
                for (name, value) in [
                    ("TALLYSEAL_S3_BUCKET", &s3.bucket),
                    ("TALLYSEAL_S3_ACCESS_KEY", &s3.access_key_id),
                    ("TALLYSEAL_S3_SECRET_KEY", &s3.secret_access_key),
                ] {
                    if value.is_empty() {
                        return Err(ConfigError::Env {
                            name,
                            message: "required for s3 (here or in the configuration file)".into(),
                        });
                    }
                }
                if s3.timeout_secs == 0 {
                    return Err(ConfigError::Env {
                        name: "TALLYSEAL_S3_TIMEOUT_SECS",
                        message: "must be at least 1 (here or in the configuration file)".into(),
                    });
                }
            }
        }
        Ok(())
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

fn parse_num<T: std::str::FromStr>(name: &'static str, v: &str) -> Result<T, ConfigError> {
    v.parse().map_err(|_| ConfigError::Env {
        name,
        message: format!("not a number: {v:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn slow_client_and_cors_settings() {
        let c = ServerConfig::default();
        assert_eq!(c.limits.body_min_bytes_per_sec, 256);
        assert_eq!(c.limits.connections_per_client, 256);
        assert_eq!(c.cors.read_origins, vec!["*".to_owned()]);
        assert!(c.cors.write_origins.is_empty());
        let mut c = ServerConfig::from_toml(
            "[limits]\nconnections_per_client = 0\nbody_min_bytes_per_sec = 0\n\
             [cors]\nread_origins = []\nwrite_origins = [\"https://portal.example\"]\n",
        )
        .unwrap();
        assert_eq!(c.limits.connections_per_client, 0);
        assert!(c.cors.read_origins.is_empty());
        let env: HashMap<&str, &str> = [
            ("TALLYSEAL_CONNECTIONS_PER_CLIENT", "8"),
            (
                "TALLYSEAL_CORS_WRITE_ORIGINS",
                "https://a.example, https://b.example",
            ),
        ]
        .into();
        c.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(c.limits.connections_per_client, 8);
        assert_eq!(
            c.cors.write_origins,
            ["https://a.example", "https://b.example"]
        );
        let c = ServerConfig::from_toml("[limits]\nbody_rate_window_secs = 0\n").unwrap();
        assert!(c.validate().is_err());
    }

    #[test]
    fn zero_config_is_the_embedded_default() {
        let c = ServerConfig::default();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.object_store, ObjectStoreConfig::Local { path: None });
        assert!(
            c.effective_database_url()
                .starts_with("sqlite://./tallyseal-data/tallyseal.db")
        );
    }

    #[test]
    fn toml_then_env_override() {
        let mut c = ServerConfig::from_toml(
            r#"
            bind = "0.0.0.0:9000"
            database_url = "postgres://u@localhost/db"
            [object_store]
            kind = "s3"
            endpoint = "http://127.0.0.1:3900"
            bucket = "b"
            access_key_id = "k"
            secret_access_key = "s"
            [limits]
            max_image_bytes = 1000
            "#,
        )
        .unwrap();
        assert_eq!(c.limits.max_image_bytes, 1000);
        assert_eq!(c.limits.max_json_bytes, Limits::default().max_json_bytes);
        let ObjectStoreConfig::S3(s3) = &c.object_store else {
            panic!("s3 expected")
        };
        assert!(s3.path_style);
        assert_eq!(s3.region, "garage");
        let env: HashMap<&str, &str> = [
            ("TALLYSEAL_BIND", "127.0.0.1:0"),
            ("TALLYSEAL_OBJECT_STORE", "local"),
            ("TALLYSEAL_PART_FILE_IDLE_SECS", "600"),
        ]
        .into();
        c.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(c.bind, "127.0.0.1:0");
        assert_eq!(c.limits.part_file_idle_secs, 600);
        assert_eq!(
            c.limits.upload_sweep_secs,
            Limits::default().upload_sweep_secs
        );
        assert_eq!(c.object_store, ObjectStoreConfig::Local { path: None });
        assert!(!format!("{:?}", ServerConfig::from_toml("[object_store]\nkind=\"s3\"\nbucket=\"b\"\naccess_key_id=\"k\"\nsecret_access_key=\"TOPSECRET\"").unwrap()).contains("TOPSECRET"));
    }

    #[test]
    fn analysis_settings_from_toml_and_env() {
        let mut c = ServerConfig::from_toml("[analysis]\nenabled = false\nidle_ms = 10\n").unwrap();
        assert!(!c.analysis.enabled);
        assert_eq!(c.analysis.idle_ms, 10);
        assert_eq!(
            c.analysis.max_lag_secs,
            AnalysisConfig::default().max_lag_secs
        );
        let env: HashMap<&str, &str> = [
            ("TALLYSEAL_ANALYSIS", "on"),
            ("TALLYSEAL_ANALYSIS_MAX_LAG_SECS", "5"),
        ]
        .into();
        c.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert!(c.analysis.enabled);
        assert_eq!(c.analysis.max_lag_secs, 5);
        let bad: HashMap<&str, &str> = [("TALLYSEAL_ANALYSIS", "maybe")].into();
        assert!(c.apply_env(|k| bad.get(k).map(|v| v.to_string())).is_err());
        assert!(ServerConfig::from_toml("[analysis]\nidle = 1\n").is_err());
    }

    /// The environment overrides the file's object store one setting at a time.
    #[test]
    fn object_store_variables_override_the_file_field_by_field() {
        let toml = r#"
            [object_store]
            kind = "s3"
            endpoint = "http://10.0.0.5:3900"
            bucket = "results"
            prefix = "prod/"
            access_key_id = "k"
            secret_access_key = "old"
            "#;
        let mut c = ServerConfig::from_toml(toml).unwrap();
        let env: HashMap<&str, &str> = [
            ("TALLYSEAL_OBJECT_STORE", "s3"),
            ("TALLYSEAL_S3_SECRET_KEY", "rotated"),
            ("TALLYSEAL_S3_TIMEOUT_SECS", "5"),
        ]
        .into();
        c.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        let ObjectStoreConfig::S3(s3) = &c.object_store else {
            panic!("s3 expected")
        };
        assert_eq!(
            (
                s3.endpoint.as_deref(),
                s3.bucket.as_str(),
                s3.prefix.as_str(),
                s3.secret_access_key.as_str(),
                s3.timeout_secs
            ),
            (
                Some("http://10.0.0.5:3900"),
                "results",
                "prod/",
                "rotated",
                5
            )
        );
        // S3 variables for a local store are a mistake to report, not to ignore.
        let mut local = ServerConfig::default();
        let err = local
            .apply_env(|k| (k == "TALLYSEAL_S3_BUCKET").then(|| "b".to_owned()))
            .unwrap_err();
        assert!(err.to_string().contains("TALLYSEAL_S3_BUCKET"), "{err}");
        // Switching to s3 from the environment alone needs the credentials.
        let err = ServerConfig::default()
            .apply_env(|k| (k == "TALLYSEAL_OBJECT_STORE").then(|| "s3".to_owned()))
            .unwrap_err();
        assert!(err.to_string().contains("TALLYSEAL_S3_BUCKET"), "{err}");
    }

    /// Secrets stay out of `Debug` output and of parse errors.
    #[test]
    fn secrets_are_not_shown() {
        let c = ServerConfig {
            admin_token: Some("ADMIN-TOKEN-VALUE".into()),
            server_key_seed: Some("SEED-VALUE".into()),
            database_url: Some("postgres://app:DBPASSWORD@db.example:5432/tallyseal".into()),
            ..Default::default()
        };
        let shown = format!("{c:?}");
        for secret in ["ADMIN-TOKEN-VALUE", "SEED-VALUE", "DBPASSWORD"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("postgres://app:<redacted>@db.example:5432/tallyseal"));
        assert_eq!(
            redact_url_password("postgres://db.example/t?user=app&password=SECRET&sslmode=require"),
            "postgres://db.example/t?user=app&password=<redacted>&sslmode=require"
        );
        let err = ServerConfig::from_toml(
            "[object_store]\nkind = \"s3\"\nbucket = \"b\"\naccess_key_id = \"k\"\nsecret_acess_key = \"TOPSECRET\"\n",
        )
        .unwrap_err();
        assert!(!err.contains("TOPSECRET"), "{err}");
        assert!(err.contains("line"), "{err}");
    }

    #[test]
    fn zeros_that_would_break_the_server_are_refused() {
        assert!(ServerConfig::default().validate().is_ok());
        let c = ServerConfig::from_toml("[limits]\nupload_slots_per_device = 0\n").unwrap();
        let err = c.validate().unwrap_err();
        assert!(err.to_string().contains("upload_slots_per_device"), "{err}");
        let c = ServerConfig::from_toml("[analysis]\nclaim_timeout_secs = 0\n").unwrap();
        assert!(c.validate().is_err());
        // 0 is meaningful where documented: part files kept however old.
        let c = ServerConfig::from_toml("[limits]\npart_file_idle_secs = 0\n").unwrap();
        assert!(c.validate().is_ok());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(ServerConfig::from_toml("bnid = \"x\"").is_err());
    }
}
