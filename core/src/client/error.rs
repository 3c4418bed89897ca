//! Errors of the phone side, and the server's RFC 9457 problem+json.

use serde::{Deserialize, Serialize};

use crate::client::http::TransportError;
use crate::seal::SealError;

/// An RFC 9457 problem as the server sends it (`docs/server-api.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type", default)]
    pub type_uri: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub detail: String,
}

impl Problem {
    /// The stable last segment of the `type` URI (`offset-conflict`, `unknown-device`, ...).
    pub fn slug(&self) -> &str {
        self.type_uri.rsplit('/').next().unwrap_or("")
    }

    /// A problem for a response that did not carry a problem+json body.
    pub fn from_status(status: u16, body: &[u8]) -> Problem {
        let text: String = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        Problem {
            type_uri: format!("http-{status}"),
            title: format!("HTTP {status}"),
            status,
            detail: text,
        }
    }

    /// Whether trying again later can succeed (server busy, storage down, race lost).
    pub fn is_retryable(&self) -> bool {
        matches!(self.status, 408 | 423 | 425 | 429 | 460 | 500..=599)
            || matches!(
                self.slug(),
                "offset-conflict" | "upload-busy" | "checksum-mismatch"
            )
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.slug(), self.status, self.detail)
    }
}

/// Everything that can go wrong on the phone side.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The network failed (no route, timeout, connection cut). Always retryable.
    #[error("network: {0}")]
    Network(#[from] TransportError),
    /// The server answered with a problem.
    #[error("the server refused: {0}")]
    Server(Problem),
    /// The phone's own storage failed.
    #[error("storage ({context}): {source}")]
    Storage {
        context: String,
        source: std::io::Error,
    },
    /// The caller passed something unusable.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The platform's key custody failed.
    #[error("key custody: {0}")]
    Custody(String),
    #[error("this phone is not enrolled yet")]
    NotEnrolled,
    #[error("this phone is already enrolled for {0}")]
    AlreadyEnrolled(String),
    /// A signature the phone must check (package, receipt, time anchor) did not verify.
    #[error("not trusted: {0}")]
    Untrusted(String),
    /// The server's answer was not what the protocol says.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    #[error("sealing: {0}")]
    Seal(#[from] SealError),
}

impl ClientError {
    pub fn storage(context: impl Into<String>, source: std::io::Error) -> ClientError {
        ClientError::Storage {
            context: context.into(),
            source,
        }
    }

    /// Whether the uploader should simply try again later (with backoff).
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Network(_) | ClientError::Protocol(_) => true,
            ClientError::Server(p) => p.is_retryable(),
            ClientError::Storage { .. } => true,
            _ => false,
        }
    }
}

/// Shorthand for the phone side's results.
pub type ClientResult<T> = Result<T, ClientError>;
