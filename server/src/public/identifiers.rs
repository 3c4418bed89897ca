//! The public API's path parameters. A malformed one is refused with a 400 before anything is
//! looked up; its text is never echoed back (the detail names the parameter, not the value).

use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::package::is_safe_identifier;

use crate::error::{ApiError, Problem};

/// An election id or constituency code: 1 to 64 letters, digits, `-`, `_` or `.` (core's rule
/// for the identifiers a package may hold).
pub fn identifier<'a>(what: &str, value: &'a str) -> Result<&'a str, ApiError> {
    if is_safe_identifier(value) {
        Ok(value)
    } else {
        Err(ApiError::new(
            Problem::BadRequest,
            format!("the {what} must be 1 to 64 letters, digits, '-', '_' or '.'"),
        ))
    }
}

/// A manifest hash: 64 hex digits (either case).
pub fn manifest_hash(value: &str) -> Result<Sha256Digest, ApiError> {
    sha256_hex("manifest hash", value)
}

/// A document's SHA-256: 64 hex digits (either case).
pub fn document_hash(value: &str) -> Result<Sha256Digest, ApiError> {
    sha256_hex("document hash", value)
}

fn sha256_hex(what: &str, value: &str) -> Result<Sha256Digest, ApiError> {
    let ok = value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| value.to_ascii_lowercase().parse().ok())
        .flatten()
        .ok_or_else(|| {
            ApiError::new(
                Problem::BadRequest,
                format!("the {what} must be 64 hexadecimal digits"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_parameters_are_refused_without_echo() {
        assert!(identifier("election", "pk-ge-2024").is_ok());
        for bad in ["", ".", "..", "a/b", "<script>", &"x".repeat(65), "a b"] {
            let e = identifier("election", bad).unwrap_err();
            assert_eq!(e.problem, Problem::BadRequest);
            assert!(!e.detail.contains("script"));
        }
        assert!(manifest_hash(&"Ab".repeat(32)).is_ok());
        assert!(manifest_hash(&"a".repeat(63)).is_err());
        assert!(manifest_hash(&"g".repeat(64)).is_err());
    }
}
