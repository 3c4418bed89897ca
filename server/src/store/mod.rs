//! Object storage behind one trait, [`ObjectStore`], and its key scheme; one backend per file:
//! the local filesystem ([`local`], the embedded default), any S3-compatible store ([`s3`]) and
//! memory ([`memory`], tests). [`buffer`] holds the aligned buffers images are received into.
//!
//! Keys are **content-addressed**: `objects/sha256/ab/<64 hex>` from the SHA-256 of the bytes,
//! never from an election, constituency or station (the Nigeria 2023 failure). That is the S3 key
//! (under the configured prefix); the local store keeps the object at `sha256/ab/<64 hex>` under
//! its folder (`<data_dir>/objects/sha256/ab/<64 hex>` by default: [`ObjectKey::local_path`]).
//!
//! Objects are written once: [`ObjectStore::put_if_absent`] never replaces an existing object, and
//! nothing in the intake path deletes one. The transparency log's files (tiles and entry bundles,
//! [`ObjectKey::for_log_file`]: `log/tile/…`) are named by their C2SP path rather than their hash,
//! and are written once too ([`ObjectStore::put_named_if_absent`]): a tile of a given path and
//! width never changes. The trait has no way to write anything else; the intake
//! benchmark's raw baseline (`raw_put`) exists only in builds with the `raw-put-baseline` feature
//! (the server's own benchmark and tests).

pub mod buffer;
pub mod local;
pub mod memory;
#[cfg(feature = "raw-put-baseline")]
pub mod raw_put;
pub mod s3;

use std::fmt;
use std::path::Path;

use async_trait::async_trait;
use bytes::Bytes;
use tallyseal_core::hash::Sha256Digest;

/// What every object key starts with (the S3 keys keep it; see [`ObjectKey::local_path`]).
pub const KEY_NAMESPACE: &str = "objects/";

/// What every transparency-log file's key starts with.
pub const LOG_NAMESPACE: &str = "log/";

/// A content-addressed object key (relative to the store's root or prefix).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// The key of the object whose SHA-256 is `digest`.
    pub fn for_digest(digest: &Sha256Digest) -> ObjectKey {
        let hex = digest.to_hex();
        ObjectKey(format!("{KEY_NAMESPACE}sha256/{}/{hex}", &hex[0..2]))
    }

    /// The key of a transparency-log file at its C2SP path (`tile/0/000`, `tile/entries/000.p/5`):
    /// `log/<path>`. The caller passes a path `core::log::tiles` formatted.
    pub fn for_log_file(path: &str) -> ObjectKey {
        ObjectKey(format!("{LOG_NAMESPACE}{path}"))
    }

    /// The key of a smaller copy, `width` pixels wide, of the image whose SHA-256 is `digest`
    /// (the portal's rendition; derived, immutable): `renditions/<hex>-w<width>.jpg`.
    pub fn for_rendition(digest: &Sha256Digest, width: u32) -> ObjectKey {
        ObjectKey(format!("renditions/{}-w{width}.jpg", digest.to_hex()))
    }

    /// Where the local store keeps the object, relative to its folder: the key without its
    /// `objects/` namespace (`sha256/ab/<hex>`), since the folder is itself `objects/`.
    pub fn local_path(&self) -> &str {
        self.0.strip_prefix(KEY_NAMESPACE).unwrap_or(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a `put_if_absent` wrote the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    AlreadyPresent,
}

/// A storage failure (I/O, network, credentials). Never caused by client input.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("object store I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("object store: {0}")]
    Backend(String),
}

/// Durable, immutable, content-addressed object storage.
///
/// `put_if_absent` returns only once the bytes are durable (fsynced, or acknowledged by the S3
/// service). Callers pass the digest they have already verified; the store does not re-hash.
#[async_trait]
pub trait ObjectStore: Send + Sync + fmt::Debug {
    /// Store `bytes` under the key of `digest` unless an object is there already.
    async fn put_if_absent(
        &self,
        digest: &Sha256Digest,
        bytes: Bytes,
    ) -> Result<PutOutcome, StoreError>;

    /// Store the file at `path` (already hashed to `digest`) unless present. The default reads
    /// the file; the local store links it into place without copying.
    async fn put_file_if_absent(
        &self,
        digest: &Sha256Digest,
        path: &Path,
    ) -> Result<PutOutcome, StoreError> {
        let bytes = tokio::fs::read(path).await?;
        self.put_if_absent(digest, Bytes::from(bytes)).await
    }

    /// Store a completed upload: its bytes (`bytes`, already hashed to `digest`), which are also
    /// the file at `path`. The default sends the bytes; the local store links the file instead.
    async fn put_upload_if_absent(
        &self,
        digest: &Sha256Digest,
        path: &Path,
        bytes: Bytes,
    ) -> Result<PutOutcome, StoreError> {
        let _ = path;
        self.put_if_absent(digest, bytes).await
    }

    /// Store `bytes` under the named, immutable `key` ([`ObjectKey::for_log_file`]) unless a file
    /// is there already (which is never replaced). Durable on return, like `put_if_absent`.
    async fn put_named_if_absent(
        &self,
        key: &ObjectKey,
        bytes: Bytes,
    ) -> Result<PutOutcome, StoreError>;

    /// The object's bytes, or `None`.
    async fn get(&self, key: &ObjectKey) -> Result<Option<Bytes>, StoreError>;

    /// The object's size, or `None` when absent.
    async fn head(&self, key: &ObjectKey) -> Result<Option<u64>, StoreError>;

    /// A short description for logs (`local:/path`, `s3:bucket@endpoint`).
    fn describe(&self) -> String;
}

pub use local::LocalFsStore;
pub use memory::MemoryStore;
/// fsync a directory, so the names made or removed in it are on disk (one definition for the
/// server, the CLI and the phone: `tallyseal_core::system`).
pub(crate) use tallyseal_core::system::sync_dir;

/// What every backend must do, run by each backend's tests: write once, never replace, read back.
#[cfg(test)]
pub(crate) mod write_once_contract {
    use bytes::Bytes;
    use tallyseal_core::hash::sha256;

    use super::{ObjectKey, ObjectStore, PutOutcome};

    pub(crate) async fn exercise(store: &dyn ObjectStore) {
        let bytes = Bytes::from_static(b"form-45 image");
        let d = sha256(&bytes);
        let key = ObjectKey::for_digest(&d);
        assert!(
            key.as_str()
                .starts_with(&format!("objects/sha256/{}/", &d.to_hex()[..2]))
        );
        assert_eq!(store.head(&key).await.unwrap(), None);
        assert_eq!(
            store.put_if_absent(&d, bytes.clone()).await.unwrap(),
            PutOutcome::Created
        );
        // A second write (even of other bytes) never replaces the object.
        assert_eq!(
            store
                .put_if_absent(&d, Bytes::from_static(b"other"))
                .await
                .unwrap(),
            PutOutcome::AlreadyPresent
        );
        assert_eq!(store.get(&key).await.unwrap(), Some(bytes.clone()));
        assert_eq!(store.head(&key).await.unwrap(), Some(bytes.len() as u64));
    }
}
