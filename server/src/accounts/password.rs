//! Console passwords: argon2id hashes in the PHC string format, and generated passwords.
//!
//! Parameters: argon2id, 19 MiB of memory, 2 passes, 1 lane (OWASP's first recommended setting
//! for argon2id): tens of milliseconds per login on a server core, costly for a guesser with a
//! stolen database. The parameters travel inside each hash, so raising them later keeps old
//! hashes verifiable. Hashing runs on the blocking thread pool, never on a request's thread.
//! Must never log, store or return a password in clear (a generated one is shown once to the
//! person creating the account).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Memory in KiB, passes, lanes.
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;

/// The shortest password accepted when one is chosen rather than generated.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Characters of generated passwords: 32 symbols without look-alikes (0/O, 1/l/I).
const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789-";

fn hasher() -> Result<Argon2<'static>, argon2::Error> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Why a password could not be hashed (the system's random source or the library failed).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl HashError {
    /// From any error of the random source.
    pub fn from_display(e: impl std::fmt::Display) -> Self {
        HashError(e.to_string())
    }
}

/// The argon2id PHC string of `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| HashError(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    let hash = hasher()
        .map_err(|e| HashError(e.to_string()))?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    hasher().is_ok_and(|h| h.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A new random password of 16 characters (80 bits).
pub fn generate_password() -> Result<String, HashError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| HashError(e.to_string()))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect())
}

/// [`hash_password`] on the blocking pool.
pub async fn hash_password_off_thread(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| HashError(e.to_string()))?
}

/// [`verify_password`] on the blocking pool; a missing hash is checked against a throwaway one so
/// an unknown login name takes as long as a wrong password.
pub async fn verify_password_off_thread(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            let _ = hash_password(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterz", &h));
        assert!(!verify_password("x", "not a hash"));
        let other = hash_password("correct horse battery").unwrap();
        assert_ne!(h, other, "a fresh salt each time");
        let p = generate_password().unwrap();
        assert_eq!(p.chars().count(), 16);
        assert!(p.chars().all(|c| ALPHABET.contains(&(c as u8))));
    }
}
