//! Enrolment codes: issued by the Commission for one polling station, used once by one phone.
//! Only a code's hash is stored.

use std::sync::Arc;

use tallyseal_core::wire::CodeRequest;

use crate::elections::load_package;
use crate::error::{ApiError, Problem};
use crate::provenance::OpenedPackage;
use crate::state::AppState;

/// Letters and digits a person cannot confuse (no 0/O, 1/I).
const CODE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// The longest an enrolment code may stay valid: 90 days.
const MAX_CODE_TTL_SECS: u64 = 90 * 24 * 3600;

fn new_code() -> Result<String, ApiError> {
    let mut raw = [0u8; 12];
    getrandom::getrandom(&mut raw).map_err(|e| ApiError::internal("random", e))?;
    let chars: Vec<char> = raw
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(b % 32)]))
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// The stored form of a code: SHA-256 of the normalized code (upper case, no separators).
pub fn code_hash(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    tallyseal_core::hash::sha256(normalized.as_bytes()).to_hex()
}

/// A code just issued (shown once: only its hash is kept).
#[derive(Debug)]
pub struct IssuedCode {
    pub code: String,
    pub expires_at_ms: i64,
    /// The election's package (the QR code names its signer).
    pub package: Arc<OpenedPackage>,
}

/// Issue a code for a station of `election`'s package.
pub async fn issue_code(
    state: &AppState,
    election: &str,
    request: &CodeRequest,
) -> Result<IssuedCode, ApiError> {
    let package = load_package(state, election).await?;
    if package
        .package
        .station(&request.constituency, request.station)
        .is_none()
    {
        return Err(ApiError::new(
            Problem::UnknownStation,
            format!(
                "no station {} in {} of {election}",
                request.station, request.constituency
            ),
        ));
    }
    let code = new_code()?;
    let now = crate::now_ms();
    let ttl = request
        .ttl_secs
        .unwrap_or(state.config.limits.enrolment_code_ttl_secs);
    // A code is for the days before a poll, never open-ended.
    if ttl > MAX_CODE_TTL_SECS {
        return Err(ApiError::new(
            Problem::BadRequest,
            format!("ttl_secs must be at most {MAX_CODE_TTL_SECS} (90 days)"),
        ));
    }
    let expires_at_ms =
        now.saturating_add(i64::try_from(ttl.saturating_mul(1000)).unwrap_or(i64::MAX));
    state
        .db
        .insert_code(
            &code_hash(&code),
            election,
            &request.constituency,
            i64::from(request.station),
            now,
            expires_at_ms,
        )
        .await?;
    Ok(IssuedCode {
        code,
        expires_at_ms,
        package,
    })
}
