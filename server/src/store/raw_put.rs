//! The intake benchmark's raw baseline: an unconditional PUT of bytes under an arbitrary key, on
//! the same backend and through the same write as an object's, so the benchmark can say what share
//! of the store's raw throughput the full intake reaches.
//!
//! Compiled only with the feature `raw-put-baseline`, which the server's own benchmark and tests
//! turn on (the server's dev-dependency on itself); it is not part of [`ObjectStore`], so no
//! production path can write anything but write-once, content-addressed objects. Keys go under
//! `raw/`, never among the objects.

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;

use super::local::write_new;
use super::s3::{S3Store, backend};
use super::{LocalFsStore, MemoryStore, ObjectStore, PutOutcome, StoreError};

/// A store that can also write bytes unconditionally under `raw/<key>` (benchmark baseline only).
#[async_trait]
pub trait RawPut: ObjectStore {
    /// Write `bytes` under `raw/<key>`.
    async fn put_raw(&self, key: &str, bytes: Bytes) -> Result<(), StoreError>;
}

#[async_trait]
impl RawPut for LocalFsStore {
    async fn put_raw(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        if key.contains("..") {
            return Err(StoreError::Backend("key must not contain ..".into()));
        }
        let dest = self.root().join("raw").join(key);
        let tmp = self.temp_path()?;
        // The same write as an object's, so that the baseline is what the intake path pays.
        tokio::task::spawn_blocking(move || match write_new(&tmp, &dest, &bytes)? {
            PutOutcome::Created => Ok(()),
            PutOutcome::AlreadyPresent => Err(StoreError::Backend(format!(
                "raw key {} exists already",
                dest.display()
            ))),
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
    }
}

#[async_trait]
impl RawPut for S3Store {
    async fn put_raw(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full_key(&format!("raw/{key}")))
            .body(ByteStream::from(bytes))
            // Like `put_body`: no payload signing (the cheapest PUT the store accepts).
            .customize()
            .disable_payload_signing()
            .send()
            .await
            .map_err(|e| backend("put_object (raw)", e))?;
        Ok(())
    }
}

#[async_trait]
impl RawPut for MemoryStore {
    async fn put_raw(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        self.insert_raw(format!("raw/{key}"), bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ObjectKey;

    async fn raw_put_beside_the_objects(store: &dyn RawPut) {
        crate::store::write_once_contract::exercise(store).await;
        store
            .put_raw("bench/1", Bytes::from_static(b"x"))
            .await
            .unwrap();
        let key = ObjectKey::for_digest(&tallyseal_core::hash::sha256(b"x"));
        assert_eq!(store.head(&key).await.unwrap(), None);
    }

    #[tokio::test]
    async fn memory_and_local_take_a_raw_put() {
        raw_put_beside_the_objects(&MemoryStore::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let local = LocalFsStore::open(dir.path()).unwrap();
        raw_put_beside_the_objects(&local).await;
        assert_eq!(std::fs::read(dir.path().join("raw/bench/1")).unwrap(), b"x");
        // A second raw PUT of the same key is refused, like an object's.
        assert!(
            local
                .put_raw("bench/1", Bytes::from_static(b"y"))
                .await
                .is_err()
        );
    }
}
