//! Where the monitor reads the log from: C2SP tlog-tiles paths under `<url>/log/` and the
//! server's keys at `<url>/api/v1/keys`, over plain HTTP with core's small client (the CLI's own;
//! no TLS: put an `https://` log behind a local TLS-terminating proxy, or use another
//! [`LogSource`]). A missing resource (404) is `None`; anything else that is not 200 is an error.

use tallyseal_core::client::http::{HttpRequest, HttpTransport, StdHttpTransport};

/// Why a resource could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("{url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("not an http:// URL: {0}")]
    BadUrl(String),
}

/// Reads resources of one log server by path (`log/checkpoint`, `log/tile/0/000`,
/// `api/v1/keys`).
pub trait LogSource {
    /// The resource's bytes, or `None` when the server says it does not exist (404).
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError>;
    /// A name for messages (the base URL).
    fn name(&self) -> String;
}

/// A log server over HTTP.
#[derive(Debug)]
pub struct HttpLogSource {
    base: String,
    transport: StdHttpTransport,
}

impl HttpLogSource {
    /// `url` is the server's base URL (`http://host:port`, without `/log`).
    pub fn new(url: &str) -> Result<Self, SourceError> {
        let base = url.trim().trim_end_matches('/').to_string();
        if !base.starts_with("http://") {
            return Err(SourceError::BadUrl(url.to_string()));
        }
        Ok(Self {
            base,
            transport: StdHttpTransport::default(),
        })
    }
}

impl LogSource for HttpLogSource {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        let url = format!("{}/{}", self.base, path.trim_start_matches('/'));
        let resp = self
            .transport
            .execute(HttpRequest::new("GET", url.clone()))
            .map_err(|e| SourceError::Unreachable {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        match resp.status {
            200 => Ok(Some(resp.body)),
            404 => Ok(None),
            status => Err(SourceError::Status { url, status }),
        }
    }

    fn name(&self) -> String {
        self.base.clone()
    }
}
