//! ed25519 keys and signatures with domain separation.
//!
//! Every signature tallyseal makes is over `domain || 0x00 || message`, where `domain` names what is
//! being signed (for example `tallyseal/capture-manifest/v1`). A signature over one kind of object can
//! therefore never be replayed as a signature over another. Verification is strict (RFC 8032 §5.1.7
//! with canonical `S` and no small-order keys).

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::hash::sha256;

/// Why a signature did not verify, or a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not an ed25519 public key (expected 64 hex digits of a valid curve point)")]
    BadPublicKey,
    #[error("not an ed25519 signature (expected 128 hex digits)")]
    BadSignatureEncoding,
    #[error("signature does not verify for this key and message")]
    SignatureMismatch,
    #[error("the operating system's random number generator failed")]
    Randomness,
}

/// An ed25519 public key; text form is 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey(pub [u8; 32]);

/// An ed25519 signature; text form is 128 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SignatureBytes(pub [u8; 64]);

/// A device's (or server's) private signing key. The seed never leaves this type except through
/// [`DeviceKey::seed`], which key custody uses to wrap it.
pub struct DeviceKey {
    inner: SigningKey,
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceKey(public={})", self.public_key())
    }
}

/// The bytes a signature covers: `domain || 0x00 || message`.
pub fn signing_input(domain: &str, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(domain.len() + 1 + message.len());
    out.extend_from_slice(domain.as_bytes());
    out.push(0);
    out.extend_from_slice(message);
    out
}

impl DeviceKey {
    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|_| KeyError::Randomness)?;
        Ok(Self::from_seed(&seed))
    }

    /// The key for a 32-byte RFC 8032 seed (the "private key" of the RFC).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            inner: SigningKey::from_bytes(seed),
        }
    }

    /// The 32-byte seed, for key custody to store.
    pub fn seed(&self) -> [u8; 32] {
        self.inner.to_bytes()
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.inner.verifying_key().to_bytes())
    }

    /// Sign `message` under `domain` (see the module documentation).
    pub fn sign(&self, domain: &str, message: &[u8]) -> SignatureBytes {
        self.sign_raw(&signing_input(domain, message))
    }

    /// Plain RFC 8032 signature over exactly `message` (used for test vectors and signed notes).
    pub fn sign_raw(&self, message: &[u8]) -> SignatureBytes {
        SignatureBytes(self.inner.sign(message).to_bytes())
    }
}

impl PublicKey {
    /// Verify a domain-separated signature (see the module documentation).
    pub fn verify(
        &self,
        domain: &str,
        message: &[u8],
        sig: &SignatureBytes,
    ) -> Result<(), KeyError> {
        self.verify_raw(&signing_input(domain, message), sig)
    }

    /// Strict RFC 8032 verification over exactly `message`.
    pub fn verify_raw(&self, message: &[u8], sig: &SignatureBytes) -> Result<(), KeyError> {
        let vk = VerifyingKey::from_bytes(&self.0).map_err(|_| KeyError::BadPublicKey)?;
        let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
        vk.verify_strict(message, &sig)
            .map_err(|_| KeyError::SignatureMismatch)
    }

    /// Whether the bytes decode to a usable verification key.
    pub fn is_valid_point(&self) -> bool {
        VerifyingKey::from_bytes(&self.0).is_ok_and(|k| !k.is_weak())
    }

    /// A short identifier for logs and file names: the first 8 bytes of SHA-256(key), in hex.
    pub fn short_id(&self) -> String {
        hex::encode(&sha256(&self.0).0[..8])
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl SignatureBytes {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

fn decode_fixed<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

impl FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        decode_fixed::<32>(s)
            .map(PublicKey)
            .ok_or(KeyError::BadPublicKey)
    }
}

impl FromStr for SignatureBytes {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        decode_fixed::<64>(s)
            .map(SignatureBytes)
            .ok_or(KeyError::BadSignatureEncoding)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}
impl fmt::Display for SignatureBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
impl fmt::Debug for SignatureBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignatureBytes({})", self.to_hex())
    }
}

macro_rules! hex_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
hex_serde!(PublicKey);
hex_serde!(SignatureBytes);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_separation_prevents_cross_use() {
        let key = DeviceKey::from_seed(&[7u8; 32]);
        let sig = key.sign("tallyseal/a/v1", b"hello");
        assert!(
            key.public_key()
                .verify("tallyseal/a/v1", b"hello", &sig)
                .is_ok()
        );
        assert_eq!(
            key.public_key().verify("tallyseal/b/v1", b"hello", &sig),
            Err(KeyError::SignatureMismatch)
        );
        assert_eq!(
            key.public_key().verify_raw(b"hello", &sig),
            Err(KeyError::SignatureMismatch)
        );
    }

    #[test]
    fn hex_round_trip() {
        let key = DeviceKey::from_seed(&[1u8; 32]).public_key();
        assert_eq!(key.to_hex().parse::<PublicKey>(), Ok(key));
        assert!("zz".parse::<PublicKey>().is_err());
    }
}
