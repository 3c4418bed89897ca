//! The server's two secrets: the commission signing key (signs packages, receipts and time
//! anchors) and the admin bearer token (Commission / Returning Officer endpoints).
//!
//! Each comes from the configuration (`server_key_seed`, `admin_token`, or their `TALLYSEAL_*`
//! variables) or, failing that, from a file in the data directory that is generated on first run
//! with mode 0600: `commission.key` (64 hex digits) and `admin-token`; likewise the transparency
//! log's checkpoint key (`log_key_seed`, or `log.key`) and the key that encrypts the console's
//! session cookie (`session_key_seed`, or `session.key`). Secrets never appear in
//! logs, errors or `Debug` output.

use std::path::Path;

use tallyseal_core::keys::DeviceKey;

use crate::config::ServerConfig;

/// Why a secret could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read or create {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is not 64 hex digits")]
    BadSeed(&'static str),
    #[error("{0} is not 128 hex digits")]
    BadSessionKey(&'static str),
    #[error("the admin token must be at least 16 characters")]
    ShortToken,
    #[error("the operating system's random number generator failed")]
    Randomness,
    #[error(
        "the database signs with Commission key {recorded}, and this server has no key of its own \
         ({path} is missing): give it that key (server_key_seed / TALLYSEAL_SERVER_KEY, or a copy \
         of commission.key) rather than a new one nobody trusts"
    )]
    NoKeyForDatabase { recorded: String, path: String },
    #[error(
        "this server's Commission key is {ours}, but the database signs with {recorded}: receipts, \
         anchors and packages from this server would not verify on the phones; configure the \
         database's key (server_key_seed / TALLYSEAL_SERVER_KEY, or a copy of commission.key)"
    )]
    KeyMismatch { ours: String, recorded: String },
    #[error(
        "the database already has a transparency log and this server has no log key ({path} is \
         missing): give it the log's key (log_key_seed / TALLYSEAL_LOG_KEY, or a copy of log.key)"
    )]
    NoLogKeyForDatabase { path: String },
    #[error(
        "this server's log key gives the vkey {ours}, but the database's log is signed by \
         {recorded}: configure the log's key (log_key_seed / TALLYSEAL_LOG_KEY, or a copy of log.key)"
    )]
    LogKeyMismatch { ours: String, recorded: String },
}

/// The admin bearer token.
#[derive(Clone)]
pub struct AdminToken(String);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

impl AdminToken {
    /// Constant-time comparison with a presented token.
    pub fn matches(&self, presented: &str) -> bool {
        let a = tallyseal_core::hash::sha256(self.0.as_bytes());
        let b = tallyseal_core::hash::sha256(presented.as_bytes());
        a.0.iter()
            .zip(b.0.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SecretError + '_ {
    move |source| SecretError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Read `path`, or create it with `make()` (mode 0600, fsynced) when it does not exist.
fn read_or_create(
    path: &Path,
    make: impl FnOnce() -> Result<String, SecretError>,
) -> Result<String, SecretError> {
    match std::fs::read_to_string(path) {
        Ok(s) => return Ok(s.trim().to_owned()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err(path)(e)),
        Err(_) => {}
    }
    let value = make()?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err(path))?;
    // Written whole under a temporary name, fsynced, then linked to its name (a link never
    // replaces a file) and the directory fsynced: another process never reads it half-written,
    // and after a power loss it is there whole or not at all, never empty.
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("secret"),
        crate::random_hex(8).map_err(|_| SecretError::Randomness)?
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&tmp).and_then(|mut f| {
        use std::io::Write;
        f.write_all(format!("{value}\n").as_bytes())?;
        f.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            crate::store::sync_dir(dir).map_err(io_err(path))?;
            Ok(value)
        }
        // Another process created it first: use theirs (whole, since it was linked whole).
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(path)
                .map_err(io_err(path))?
                .trim()
                .to_owned())
        }
        Err(e) => Err(io_err(path)(e)),
    }
}

fn parse_seed(hex_seed: &str, what: &'static str) -> Result<DeviceKey, SecretError> {
    let mut seed = [0u8; 32];
    hex::decode_to_slice(hex_seed.trim(), &mut seed).map_err(|_| SecretError::BadSeed(what))?;
    Ok(DeviceKey::from_seed(&seed))
}

/// The commission signing key. `recorded` is the key (hex) the database was first used with:
/// when there is one, a key is never generated (only the configured one or the file's is used),
/// and it must be that one. Several servers on one database thus all sign with its key, or
/// refuse to start.
pub fn load_commission_key(
    config: &ServerConfig,
    recorded: Option<&str>,
) -> Result<DeviceKey, SecretError> {
    let key = if let Some(seed) = &config.server_key_seed {
        parse_seed(seed, "server_key_seed")?
    } else {
        let path = config.data_dir.join("commission.key");
        let seed = read_or_create(&path, || match recorded {
            Some(recorded) => Err(SecretError::NoKeyForDatabase {
                recorded: recorded.to_owned(),
                path: path.display().to_string(),
            }),
            None => crate::random_hex(32).map_err(|_| SecretError::Randomness),
        })?;
        parse_seed(&seed, "commission.key")?
    };
    match recorded {
        Some(recorded) => is_the_database_key(&key, recorded).map(|()| key),
        None => Ok(key),
    }
}

/// The transparency log's checkpoint key: `log_key_seed` (`TALLYSEAL_LOG_KEY`) or
/// `<data_dir>/log.key`, generated on first run unless the database already has a log (`has_log`):
/// a second server must be given the first one's key, never make its own. The caller checks it
/// against the vkey the database records.
pub fn load_log_key(config: &ServerConfig, has_log: bool) -> Result<DeviceKey, SecretError> {
    if let Some(seed) = &config.log_key_seed {
        return parse_seed(seed, "log_key_seed");
    }
    let path = config.data_dir.join("log.key");
    let seed = read_or_create(&path, || {
        if has_log {
            Err(SecretError::NoLogKeyForDatabase {
                path: path.display().to_string(),
            })
        } else {
            crate::random_hex(32).map_err(|_| SecretError::Randomness)
        }
    })?;
    parse_seed(&seed, "log.key")
}

/// The log key in force before this server's, when the log's key is being changed:
/// `log_previous_key_seed` (`TALLYSEAL_LOG_PREVIOUS_KEY`) or `<data_dir>/log.previous.key` if
/// that file exists; `None` otherwise (never generated).
pub fn load_previous_log_key(config: &ServerConfig) -> Result<Option<DeviceKey>, SecretError> {
    if let Some(seed) = &config.log_previous_key_seed {
        return parse_seed(seed, "log_previous_key_seed").map(Some);
    }
    let path = config.data_dir.join("log.previous.key");
    match std::fs::read_to_string(&path) {
        Ok(seed) => parse_seed(&seed, "log.previous.key").map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SecretError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// The key actix-session encrypts the console's session cookie with (64 bytes):
/// `session_key_seed` (`TALLYSEAL_SESSION_KEY`) or `<data_dir>/session.key`, generated on first
/// run. Several servers on one database must be given the same one (the sessions are shared; a
/// cookie sealed with another key is refused, its holder signs in again).
pub fn load_session_key(config: &ServerConfig) -> Result<actix_web::cookie::Key, SecretError> {
    let (hex_key, what) = match &config.session_key_seed {
        Some(seed) => (seed.clone(), "session_key_seed"),
        None => {
            let path = config.data_dir.join("session.key");
            let key = read_or_create(&path, || {
                crate::random_hex(64).map_err(|_| SecretError::Randomness)
            })?;
            (key, "session.key")
        }
    };
    let mut bytes = [0u8; 64];
    hex::decode_to_slice(hex_key.trim(), &mut bytes)
        .map_err(|_| SecretError::BadSessionKey(what))?;
    Ok(actix_web::cookie::Key::from(&bytes))
}

/// `key` must be the one the database records (hex).
pub fn is_the_database_key(key: &DeviceKey, recorded: &str) -> Result<(), SecretError> {
    let ours = key.public_key().to_hex();
    if ours == recorded {
        Ok(())
    } else {
        Err(SecretError::KeyMismatch {
            ours,
            recorded: recorded.to_owned(),
        })
    }
}

/// The admin bearer token.
pub fn load_admin_token(config: &ServerConfig) -> Result<AdminToken, SecretError> {
    let token = match &config.admin_token {
        Some(t) => t.clone(),
        None => read_or_create(&config.data_dir.join("admin-token"), || {
            crate::random_hex(24).map_err(|_| SecretError::Randomness)
        })?,
    };
    if token.len() < 16 {
        return Err(SecretError::ShortToken);
    }
    Ok(AdminToken(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_on_first_run_then_stable() {
        let dir = tempfile::tempdir().unwrap();
        let config = ServerConfig {
            data_dir: dir.path().to_owned(),
            ..Default::default()
        };
        let k1 = load_commission_key(&config, None).unwrap();
        let k2 = load_commission_key(&config, Some(&k1.public_key().to_hex())).unwrap();
        assert_eq!(k1.public_key(), k2.public_key());
        // No temporary file is left next to the secrets.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        let t1 = load_admin_token(&config).unwrap();
        assert!(load_admin_token(&config).unwrap().matches(t1.as_str()));
        assert!(!t1.matches("wrong"));
        assert!(!format!("{t1:?}").contains(t1.as_str()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("commission.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    /// The session cookie's key: generated once (0600), the same on the next start; a configured
    /// one wins; a malformed one is refused.
    #[test]
    fn session_key_generated_once_or_configured() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServerConfig {
            data_dir: dir.path().to_owned(),
            ..Default::default()
        };
        let k1 = load_session_key(&config).unwrap();
        let k2 = load_session_key(&config).unwrap();
        assert_eq!(k1.master(), k2.master());
        let file = std::fs::read_to_string(dir.path().join("session.key")).unwrap();
        assert_eq!(file.trim().len(), 128);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("session.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        config.session_key_seed = Some("ab".repeat(64));
        let k3 = load_session_key(&config).unwrap();
        assert_eq!(k3.master(), [0xab; 64].as_slice());
        assert_ne!(k1.master(), k3.master());
        config.session_key_seed = Some("ab".repeat(32));
        assert!(matches!(
            load_session_key(&config),
            Err(SecretError::BadSessionKey("session_key_seed"))
        ));
    }

    /// A database that already signs with a key: never a new key, never another key.
    #[test]
    fn a_database_s_key_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let config = ServerConfig {
            data_dir: dir.path().to_owned(),
            ..Default::default()
        };
        let recorded = DeviceKey::from_seed(&[3; 32]).public_key().to_hex();
        let e = load_commission_key(&config, Some(&recorded)).unwrap_err();
        assert!(matches!(e, SecretError::NoKeyForDatabase { .. }), "{e}");
        assert!(
            !dir.path().join("commission.key").exists(),
            "nothing generated"
        );
        let configured = ServerConfig {
            server_key_seed: Some("04".repeat(32)),
            ..config.clone()
        };
        let e = load_commission_key(&configured, Some(&recorded)).unwrap_err();
        assert!(matches!(e, SecretError::KeyMismatch { .. }), "{e}");
        let right = ServerConfig {
            server_key_seed: Some("03".repeat(32)),
            ..config
        };
        let key = load_commission_key(&right, Some(&recorded)).unwrap();
        assert_eq!(key.public_key().to_hex(), recorded);
    }
}
