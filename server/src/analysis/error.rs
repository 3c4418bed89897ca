//! What can stop one pass of the analyser. None of it is lost work: the claim stays and is taken
//! over after `analysis.claim_timeout_secs`, or the next pass looks again.

use tallyseal_core::hash::Sha256Digest;

/// An analysis that could not be finished.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    ObjectStore(#[from] crate::store::StoreError),
    #[error("image {0} is not in the object store")]
    ImageMissing(Sha256Digest),
    #[error("{0} is missing")]
    Missing(&'static str),
    /// A stored value (hash, report, manifest) that does not decode.
    #[error("stored {what}: {detail}")]
    Stored { what: &'static str, detail: String },
    #[error("receipt: {0}")]
    Receipt(#[from] tallyseal_core::receipt::ReceiptError),
    #[error("encoding: {0}")]
    Encoding(#[from] serde_json::Error),
    #[error("perceptual hash: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("random: {0}")]
    Random(getrandom::Error),
}

impl From<getrandom::Error> for AnalysisError {
    fn from(e: getrandom::Error) -> Self {
        AnalysisError::Random(e)
    }
}

impl AnalysisError {
    /// A stored `what` that does not decode.
    pub fn stored(what: &'static str, e: impl std::fmt::Display) -> Self {
        AnalysisError::Stored {
            what,
            detail: e.to_string(),
        }
    }
}
