//! Key custody: where the device's ed25519 seed lives.
//!
//! The core generates the key and hands the 32-byte seed to a [`KeyCustody`] to keep. The Android
//! shell wraps it with a non-exportable Android Keystore key (AES-GCM) and stores the ciphertext
//! in app-private storage; the iOS shell keeps it in the Keychain
//! (`kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`). [`FileKeyCustody`] (a 0600 file) is for
//! the simulator and tests only.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::client::error::{ClientError, ClientResult};
use crate::client::fsio;
use crate::keys::DeviceKey;

/// Why key custody failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CustodyError(pub String);

/// Keeps the device seed. Implementations must make `store_seed` durable before returning.
pub trait KeyCustody: Send + Sync {
    /// The stored seed, or `None` if none was stored yet.
    fn load_seed(&self) -> Result<Option<Vec<u8>>, CustodyError>;
    /// Store the seed (called once, when the key is generated).
    fn store_seed(&self, seed: &[u8]) -> Result<(), CustodyError>;
}

/// The seed in a file readable only by the owner (simulator and tests).
#[derive(Debug, Clone)]
pub struct FileKeyCustody {
    pub path: PathBuf,
}

impl KeyCustody for FileKeyCustody {
    fn load_seed(&self) -> Result<Option<Vec<u8>>, CustodyError> {
        let text = fsio::read_optional(&self.path).map_err(|e| CustodyError(e.to_string()))?;
        text.map(|t| {
            hex::decode(String::from_utf8_lossy(&t).trim())
                .map_err(|_| CustodyError("the key file is not hex".into()))
        })
        .transpose()
    }

    fn store_seed(&self, seed: &[u8]) -> Result<(), CustodyError> {
        fsio::write_atomic_private(&self.path, hex::encode(seed).as_bytes())
            .map_err(|e| CustodyError(e.to_string()))
    }
}

/// The seed in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryKeyCustody {
    seed: Mutex<Option<Vec<u8>>>,
}

impl KeyCustody for MemoryKeyCustody {
    fn load_seed(&self) -> Result<Option<Vec<u8>>, CustodyError> {
        Ok(self
            .seed
            .lock()
            .map_err(|_| CustodyError("poisoned".into()))?
            .clone())
    }
    fn store_seed(&self, seed: &[u8]) -> Result<(), CustodyError> {
        *self
            .seed
            .lock()
            .map_err(|_| CustodyError("poisoned".into()))? = Some(seed.to_vec());
        Ok(())
    }
}

/// The device key from custody, generating and storing one if custody holds none.
pub fn load_or_create_key(custody: &dyn KeyCustody) -> ClientResult<DeviceKey> {
    let custody_err = |e: CustodyError| ClientError::Custody(e.0);
    if let Some(seed) = custody.load_seed().map_err(custody_err)? {
        let seed: [u8; 32] = seed.as_slice().try_into().map_err(|_| {
            ClientError::Custody(format!("stored seed is {} bytes, not 32", seed.len()))
        })?;
        return Ok(DeviceKey::from_seed(&seed));
    }
    let key = DeviceKey::generate().map_err(|e| ClientError::Custody(e.to_string()))?;
    custody.store_seed(&key.seed()).map_err(custody_err)?;
    // Read back: custody that silently loses the seed must fail here, not after enrolment.
    match custody.load_seed().map_err(custody_err)? {
        Some(s) if s.as_slice() == key.seed().as_slice() => Ok(key),
        _ => Err(ClientError::Custody(
            "key custody did not keep the seed it was given".into(),
        )),
    }
}

/// The device key from custody, or `None` if custody holds none.
pub fn load_key(custody: &dyn KeyCustody) -> ClientResult<Option<DeviceKey>> {
    match custody.load_seed().map_err(|e| ClientError::Custody(e.0))? {
        None => Ok(None),
        Some(seed) => {
            let seed: [u8; 32] = seed
                .as_slice()
                .try_into()
                .map_err(|_| ClientError::Custody("stored seed is not 32 bytes".into()))?;
            Ok(Some(DeviceKey::from_seed(&seed)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_custody_keeps_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let c = FileKeyCustody {
            path: dir.path().join("device.key"),
        };
        let a = load_or_create_key(&c).unwrap();
        let b = load_or_create_key(&c).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&c.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
