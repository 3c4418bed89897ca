//! What the accounts service refuses, and how a refusal reads in the API.

use crate::error::{ApiError, Problem};

/// A refused account operation.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("login names are 3 to 64 characters: lowercase letters, digits, '.', '_' or '-'")]
    InvalidLogin,
    #[error("the login name is taken")]
    LoginTaken,
    #[error(
        "passwords have at least {} characters",
        super::password::MIN_PASSWORD_CHARS
    )]
    WeakPassword,
    #[error("an account of this role needs at least one constituency")]
    EmptyScope,
    #[error("no such account")]
    UnknownAccount,
    #[error("your role or constituency does not allow this")]
    Forbidden,
    #[error("{0}")]
    Hash(#[from] super::password::HashError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::InvalidLogin | AccountError::WeakPassword | AccountError::EmptyScope => {
                ApiError::new(Problem::InvalidField, e.to_string())
            }
            AccountError::LoginTaken => ApiError::new(Problem::LoginTaken, e.to_string()),
            AccountError::UnknownAccount => ApiError::new(Problem::NotFound, e.to_string()),
            AccountError::Forbidden => ApiError::new(Problem::Forbidden, e.to_string()),
            AccountError::Hash(h) => ApiError::internal("password", h),
            AccountError::Database(d) => d.into(),
        }
    }
}
