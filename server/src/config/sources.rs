//! Where settings come from besides the defaults: a TOML file, then `TALLYSEAL_*` environment
//! variables (each overrides the one before).

use std::path::{Path, PathBuf};

use super::{
    ConfigError, ObjectStoreConfig, S3Config, ServerConfig, default_region, default_s3_timeout_secs,
};

impl ServerConfig {
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
    /// `TALLYSEAL_DATA_DIR`, `TALLYSEAL_BIND`, `TALLYSEAL_DATABASE_URL`,
    /// `TALLYSEAL_DATABASE_READ_URL` (the public reads' replica), `TALLYSEAL_WORKERS`,
    /// `TALLYSEAL_ADMIN_TOKEN`, `TALLYSEAL_SERVER_KEY` (hex seed), `TALLYSEAL_PUBLIC_URL`,
    /// `TALLYSEAL_NODE_ID` (the origin of console decisions),
    /// `TALLYSEAL_ADMIN_TOKEN`, `TALLYSEAL_SERVER_KEY` (hex seed), `TALLYSEAL_LOG_KEY` (hex seed),
    /// `TALLYSEAL_SESSION_KEY` (128 hex digits),
    /// `TALLYSEAL_LOG_ORIGIN`, `TALLYSEAL_PUBLIC_URL`,
    /// `TALLYSEAL_TRUSTED_PACKAGE_KEYS` (comma-separated verifier keys),
    /// `TALLYSEAL_OBJECT_STORE` (`local` or `s3`), `TALLYSEAL_OBJECTS_PATH`, `TALLYSEAL_S3_ENDPOINT`,
    /// `TALLYSEAL_S3_BUCKET`, `TALLYSEAL_S3_REGION`, `TALLYSEAL_S3_ACCESS_KEY`,
    /// `TALLYSEAL_S3_SECRET_KEY`, `TALLYSEAL_S3_PATH_STYLE`, `TALLYSEAL_S3_PREFIX`,
    /// `TALLYSEAL_S3_TIMEOUT_SECS` (each over the file's value; see `apply_object_store_env`),
    /// `TALLYSEAL_MAX_JSON_BYTES`, `TALLYSEAL_MAX_IMAGE_BYTES`, `TALLYSEAL_UPLOAD_SLOTS_PER_DEVICE`,
    /// `TALLYSEAL_CONNECTIONS_PER_CLIENT`, `TALLYSEAL_CORS_READ_ORIGINS` and
    /// `TALLYSEAL_CORS_WRITE_ORIGINS` (comma-separated origins), `TALLYSEAL_CONSOLE_SECURE_COOKIE`
    /// (`true`/`false`), `TALLYSEAL_LOG_CAPTURES` (`on`/`off`, the benchmark's comparison only).
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
        if let Some(v) = var("TALLYSEAL_DATABASE_READ_URL") {
            self.database_read_url = Some(v);
        }
        if let Some(v) = var("TALLYSEAL_PUBLIC_CACHE_MS") {
            self.public_cache_ms = parse_num("TALLYSEAL_PUBLIC_CACHE_MS", &v)?;
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
        if let Some(v) = var("TALLYSEAL_LOG_KEY") {
            self.log_key_seed = Some(v);
        }
        if let Some(v) = var("TALLYSEAL_LOG_PREVIOUS_KEY") {
            self.log_previous_key_seed = Some(v);
        }
        if let Some(v) = var("TALLYSEAL_SESSION_KEY") {
            self.session_key_seed = Some(v);
        }
        if let Some(v) = var("TALLYSEAL_LOG_ORIGIN") {
            self.log_origin = Some(v);
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
        if let Some(v) = var("TALLYSEAL_NODE_ID") {
            self.node_id = v;
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
        if let Some(v) = var("TALLYSEAL_LOG_CAPTURES") {
            self.log_captures = match v.as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                _ => {
                    return Err(ConfigError::Env {
                        name: "TALLYSEAL_LOG_CAPTURES",
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
        if let Some(v) = var("TALLYSEAL_CONSOLE_SECURE_COOKIE") {
            self.console.secure_cookie = Some(matches!(v.as_str(), "1" | "true" | "yes"));
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
}

/// A comma-separated list, trimmed, without empty items.
fn comma_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_num<T: std::str::FromStr>(name: &'static str, v: &str) -> Result<T, ConfigError> {
    v.parse().map_err(|_| ConfigError::Env {
        name,
        message: format!("not a number: {v:?}"),
    })
}
