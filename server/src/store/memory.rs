//! Objects in a map: the store of unit tests. Same write-once contract as the others; it must never
//! be configured for a server that accepts captures (nothing in it survives a restart).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;
use tallyseal_core::hash::Sha256Digest;

use super::{ObjectKey, ObjectStore, PutOutcome, StoreError};

/// Objects in a map (unit tests).
#[derive(Debug, Default)]
pub struct MemoryStore {
    objects: Mutex<HashMap<String, Bytes>>,
}

impl MemoryStore {
    pub fn len(&self) -> usize {
        self.objects.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An entry outside the object keys (the benchmark's raw baseline, [`super::raw_put`]).
    #[cfg(feature = "raw-put-baseline")]
    pub(super) fn insert_raw(&self, key: String, bytes: Bytes) -> Result<(), StoreError> {
        self.objects.lock().map_err(poisoned)?.insert(key, bytes);
        Ok(())
    }
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Backend("memory store lock poisoned".into())
}

#[async_trait]
impl ObjectStore for MemoryStore {
    async fn put_if_absent(
        &self,
        digest: &Sha256Digest,
        bytes: Bytes,
    ) -> Result<PutOutcome, StoreError> {
        let mut m = self.objects.lock().map_err(poisoned)?;
        let key = ObjectKey::for_digest(digest).as_str().to_owned();
        if m.contains_key(&key) {
            return Ok(PutOutcome::AlreadyPresent);
        }
        m.insert(key, bytes);
        Ok(PutOutcome::Created)
    }

    async fn put_named_if_absent(
        &self,
        key: &ObjectKey,
        bytes: Bytes,
    ) -> Result<PutOutcome, StoreError> {
        let mut m = self.objects.lock().map_err(poisoned)?;
        if m.contains_key(key.as_str()) {
            return Ok(PutOutcome::AlreadyPresent);
        }
        m.insert(key.as_str().to_owned(), bytes);
        Ok(PutOutcome::Created)
    }

    async fn get(&self, key: &ObjectKey) -> Result<Option<Bytes>, StoreError> {
        Ok(self
            .objects
            .lock()
            .map_err(poisoned)?
            .get(key.as_str())
            .cloned())
    }

    async fn head(&self, key: &ObjectKey) -> Result<Option<u64>, StoreError> {
        Ok(self
            .objects
            .lock()
            .map_err(poisoned)?
            .get(key.as_str())
            .map(|b| b.len() as u64))
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_is_write_once() {
        super::super::write_once_contract::exercise(&MemoryStore::default()).await;
    }
}
