//! The public error of the bindings: few variants, each one a phone can act on. Messages carry no
//! key material or personal data.

use tallyseal_core::client::ClientError;

/// What went wrong, in terms the app can act on.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum TallysealError {
    /// No connection or the connection broke: the outbox keeps everything; sync again later.
    #[error("network: {reason}")]
    Network { reason: String },
    /// The app passed something unusable (bad code, no pages, not enrolled, ...).
    #[error("invalid input: {reason}")]
    InvalidInput { reason: String },
    /// The phone's storage failed (full disk, ...).
    #[error("storage: {reason}")]
    Storage { reason: String },
    /// The server refused; `problem_type` is the stable problem slug (`unknown-code`, ...).
    #[error("server: {reason}")]
    Server {
        reason: String,
        problem_type: String,
        status: u16,
    },
    #[error("{reason}")]
    Other { reason: String },
}

impl From<ClientError> for TallysealError {
    fn from(e: ClientError) -> Self {
        let reason = e.to_string();
        match e {
            ClientError::Network(_) => TallysealError::Network { reason },
            ClientError::Server(p) => TallysealError::Server {
                reason: if p.detail.is_empty() {
                    p.title.clone()
                } else {
                    p.detail.clone()
                },
                problem_type: p.slug().to_owned(),
                status: p.status,
            },
            ClientError::Storage { .. } => TallysealError::Storage { reason },
            ClientError::InvalidInput(_)
            | ClientError::NotEnrolled
            | ClientError::AlreadyEnrolled(_) => TallysealError::InvalidInput { reason },
            ClientError::Custody(_)
            | ClientError::Untrusted(_)
            | ClientError::Protocol(_)
            | ClientError::Seal(_) => TallysealError::Other { reason },
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TallysealError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TallysealError::Other {
            reason: format!("platform callback failed: {}", e.reason),
        }
    }
}

/// Run `f`, turning a panic into [`TallysealError::Other`] so none crosses the FFI boundary.
pub fn guarded<T>(f: impl FnOnce() -> Result<T, TallysealError>) -> Result<T, TallysealError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            Err(TallysealError::Other {
                reason: format!("internal error (panic): {what}"),
            })
        }
    }
}
