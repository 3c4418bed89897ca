//! The local-filesystem object store (the embedded default): objects as files under one folder,
//! `<folder>/sha256/ab/<64 hex>` (the folder is `<data_dir>/objects` unless configured), written
//! once and durably.
//!
//! It must never replace or delete an object, nor answer before the object and its directory
//! entry are on disk.

mod layout;
#[cfg(target_os = "linux")]
mod unnamed;

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use tallyseal_core::hash::Sha256Digest;

use super::{ObjectKey, ObjectStore, PutOutcome, StoreError, sync_dir};

/// Objects as files under a root folder. On Linux a write goes into an unnamed file (`O_TMPFILE`)
/// in the object's own directory; elsewhere (or on a filesystem without `O_TMPFILE`) into a file
/// under `root/tmp/`. Either is fsynced, then hard-linked into place (a link never replaces an
/// existing file), and the directory is fsynced. The unnamed file has no name to create in a
/// shared directory nor to remove afterwards, so no stream of deleted inodes for ext4's allocator
/// to step over and no lock on one busy `tmp/` directory: most of what the named path costs the
/// kernel under load (measured with `perf` in the intake benchmark). Image-sized objects are
/// written with `O_DIRECT`, so the fsync has no page-cache copy to flush (see
/// `unnamed::write_new`): straight from the aligned buffer an image was received into
/// ([`super::buffer::ObjectBuffer`]), or through an aligned copy.
#[derive(Debug, Clone)]
pub struct LocalFsStore {
    root: PathBuf,
}

impl LocalFsStore {
    /// Open (and create) the store at `root`, first moving the objects of a folder in the earlier
    /// nested layout (`root/objects/sha256/…`) into place (`store/local/layout.rs`). Refused,
    /// naming the path, while that folder is still there afterwards (a symbolic link to another
    /// disk, or objects that could not be moved): its objects would be invisible.
    pub fn open(root: impl Into<PathBuf>) -> Result<LocalFsStore, StoreError> {
        let root = root.into();
        std::fs::create_dir_all(root.join("tmp"))?;
        layout::move_nested_objects(&root)?;
        layout::refuse_nested_leftovers(&root)?;
        create_dir_durably(&root.join(layout::OBJECTS_DIR))?;
        Ok(LocalFsStore { root })
    }

    /// The file holding the object `key`: `root/sha256/ab/<hex>`.
    pub fn path_of(&self, key: &ObjectKey) -> PathBuf {
        self.root.join(key.local_path())
    }

    /// The folder the store was opened at.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(super) fn temp_path(&self) -> Result<PathBuf, StoreError> {
        let name = crate::random_hex(16).map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(self.root.join("tmp").join(name))
    }

    /// Link `src` (already durable) to the object's path; fsync the directory (also when the
    /// object was there already: see [`already_present`]).
    fn link_into_place(src: &Path, dest: &Path) -> Result<PutOutcome, StoreError> {
        if dest.exists() {
            return already_present(dest);
        }
        let dir = dest
            .parent()
            .ok_or_else(|| StoreError::Backend("bad object path".into()))?;
        create_dir_durably(dir)?;
        let outcome = match std::fs::hard_link(src, dest) {
            Ok(()) => PutOutcome::Created,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => PutOutcome::AlreadyPresent,
            Err(e) => return Err(e.into()),
        };
        sync_dir(dir)?;
        Ok(outcome)
    }
}

/// The answer for an object found in place. Its directory is fsynced first: the writer that
/// linked it (another request, on this server or another) may not have synced the directory yet,
/// and the caller acknowledges on our answer; after a power loss an unsynced entry can vanish.
fn already_present(dest: &Path) -> Result<PutOutcome, StoreError> {
    if let Some(dir) = dest.parent() {
        sync_dir(dir)?;
    }
    Ok(PutOutcome::AlreadyPresent)
}

/// Create `dir` and any missing parents, each new one durably (its entry is in its parent, which
/// is fsynced): an object's fsynced directory is no use if the directory itself can vanish.
pub(super) fn create_dir_durably(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        create_dir_durably(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e),
    }
    if let Some(parent) = parent {
        sync_dir(parent)?;
    }
    Ok(())
}

fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// Write `bytes` as the new file `dest` (never replacing one), durably: through an unnamed file
/// where the platform has them, else through the named temporary file `tmp`.
pub(super) fn write_new(tmp: &Path, dest: &Path, bytes: &[u8]) -> Result<PutOutcome, StoreError> {
    #[cfg(target_os = "linux")]
    {
        let dir = dest
            .parent()
            .ok_or_else(|| StoreError::Backend("bad object path".into()))?;
        if let Some(outcome) = unnamed::write_new(dir, dest, bytes)? {
            // Also when the object was already there: another writer may not have synced the
            // directory yet, and the caller acknowledges on our answer.
            sync_dir(dir)?;
            return Ok(outcome);
        }
    }
    write_named(tmp, dest, bytes)
}

/// Write `bytes` as the new file `dest` through the named temporary file `tmp` (removed after).
fn write_named(tmp: &Path, dest: &Path, bytes: &[u8]) -> Result<PutOutcome, StoreError> {
    let result = write_durably(tmp, bytes).and_then(|()| LocalFsStore::link_into_place(tmp, dest));
    let _ = std::fs::remove_file(tmp);
    result
}

#[async_trait]
impl ObjectStore for LocalFsStore {
    async fn put_if_absent(
        &self,
        digest: &Sha256Digest,
        bytes: Bytes,
    ) -> Result<PutOutcome, StoreError> {
        let dest = self.path_of(&ObjectKey::for_digest(digest));
        let tmp = self.temp_path()?;
        // One trip to the blocking pool for the whole put, the existence check included.
        tokio::task::spawn_blocking(move || {
            if dest.try_exists()? {
                return already_present(&dest);
            }
            write_new(&tmp, &dest, &bytes)
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
    }

    async fn put_file_if_absent(
        &self,
        digest: &Sha256Digest,
        path: &Path,
    ) -> Result<PutOutcome, StoreError> {
        let dest = self.path_of(&ObjectKey::for_digest(digest));
        let src = path.to_owned();
        let tmp = self.temp_path()?;
        tokio::task::spawn_blocking(move || {
            std::fs::File::open(&src)?.sync_all()?;
            // Link the caller's file when it is on the same filesystem; copy otherwise.
            match Self::link_into_place(&src, &dest) {
                Ok(outcome) => Ok(outcome),
                Err(StoreError::Io(e)) if e.raw_os_error() == Some(18) => {
                    // EXDEV: different filesystems.
                    std::fs::copy(&src, &tmp)?;
                    std::fs::File::open(&tmp)?.sync_all()?;
                    let r = Self::link_into_place(&tmp, &dest);
                    let _ = std::fs::remove_file(&tmp);
                    r
                }
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
    }

    async fn put_upload_if_absent(
        &self,
        digest: &Sha256Digest,
        path: &Path,
        bytes: Bytes,
    ) -> Result<PutOutcome, StoreError> {
        drop(bytes);
        self.put_file_if_absent(digest, path).await
    }

    async fn put_named_if_absent(
        &self,
        key: &ObjectKey,
        bytes: Bytes,
    ) -> Result<PutOutcome, StoreError> {
        let dest = self.path_of(key);
        let tmp = self.temp_path()?;
        tokio::task::spawn_blocking(move || {
            if dest.try_exists()? {
                return already_present(&dest);
            }
            if let Some(dir) = dest.parent() {
                create_dir_durably(dir)?;
            }
            write_new(&tmp, &dest, &bytes)
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
    }

    async fn get(&self, key: &ObjectKey) -> Result<Option<Bytes>, StoreError> {
        match tokio::fs::read(self.path_of(key)).await {
            Ok(b) => Ok(Some(Bytes::from(b))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn head(&self, key: &ObjectKey) -> Result<Option<u64>, StoreError> {
        match tokio::fs::metadata(self.path_of(key)).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn describe(&self) -> String {
        format!("local:{}", self.root.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::buffer;
    use tallyseal_core::hash::sha256;

    /// Both ways of writing a new file keep the first bytes and leave nothing else behind.
    #[test]
    fn a_new_file_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFsStore::open(dir.path()).unwrap();
        let shard = dir.path().join("sha256/ab");
        std::fs::create_dir_all(&shard).unwrap();
        let named = shard.join("named");
        let tmp = store.temp_path().unwrap();
        assert_eq!(
            write_named(&tmp, &named, b"one").unwrap(),
            PutOutcome::Created
        );
        let tmp = store.temp_path().unwrap();
        assert_eq!(
            write_named(&tmp, &named, b"two").unwrap(),
            PutOutcome::AlreadyPresent
        );
        assert_eq!(std::fs::read(&named).unwrap(), b"one");
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
        #[cfg(target_os = "linux")]
        {
            let unnamed = shard.join("unnamed");
            assert_eq!(
                unnamed::write_new(&shard, &unnamed, b"one").unwrap(),
                Some(PutOutcome::Created)
            );
            assert_eq!(
                unnamed::write_new(&shard, &unnamed, b"two").unwrap(),
                Some(PutOutcome::AlreadyPresent)
            );
            assert_eq!(std::fs::read(&unnamed).unwrap(), b"one");
            // A directory that does not exist yet is created on first use.
            let fresh = dir.path().join("sha256/cd");
            assert_eq!(
                unnamed::write_new(&fresh, &fresh.join("x"), b"x").unwrap(),
                Some(PutOutcome::Created)
            );
            let mut names: Vec<_> = std::fs::read_dir(&shard)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            names.sort();
            assert_eq!(names, ["named", "unnamed"]);
        }
    }

    /// Image-sized objects take the `O_DIRECT` path: whatever their length (a partial last
    /// block is padded, then cut off), the file holds exactly the bytes, and an object already
    /// there is still never replaced. Also on tmpfs (`/dev/shm`), which may refuse direct I/O.
    #[cfg(target_os = "linux")]
    #[test]
    fn large_objects_are_written_exactly() {
        let disk = tempfile::tempdir().unwrap();
        let shm = tempfile::tempdir_in("/dev/shm").ok();
        let dirs = std::iter::once(disk.path()).chain(shm.as_ref().map(tempfile::TempDir::path));
        for dir in dirs {
            let min = unnamed::DIRECT_MIN;
            for (i, len) in [min, min + 1, 4096 * 500, 2_000_003]
                .into_iter()
                .enumerate()
            {
                let bytes: Vec<u8> = (0..len).map(|j| (j * 7 + i) as u8).collect();
                let dest = dir.join(format!("object-{i}"));
                assert_eq!(
                    unnamed::write_new(dir, &dest, &bytes).unwrap(),
                    Some(PutOutcome::Created)
                );
                assert_eq!(std::fs::read(&dest).unwrap(), bytes, "length {len}");
                // The same bytes at an aligned address (as an image is received): written as
                // they are, but for the last partial block.
                let mut received = buffer::ObjectBuffer::with_capacity(len);
                assert!(received.extend_from_slice(&bytes));
                let received = received.into_bytes();
                assert!(buffer::is_aligned(&received));
                let aligned_dest = dir.join(format!("aligned-{i}"));
                assert_eq!(
                    unnamed::write_new(dir, &aligned_dest, &received).unwrap(),
                    Some(PutOutcome::Created)
                );
                assert_eq!(std::fs::read(&aligned_dest).unwrap(), bytes, "length {len}");
                assert_eq!(
                    unnamed::write_new(dir, &dest, &bytes[1..]).unwrap(),
                    Some(PutOutcome::AlreadyPresent)
                );
                assert_eq!(std::fs::read(&dest).unwrap(), bytes);
            }
        }
    }

    #[tokio::test]
    async fn local_store_is_write_once_and_links_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFsStore::open(dir.path()).unwrap();
        crate::store::write_once_contract::exercise(&store).await;
        let f = dir.path().join("upload.part");
        std::fs::write(&f, b"linked bytes").unwrap();
        let d = sha256(b"linked bytes");
        assert_eq!(
            store.put_file_if_absent(&d, &f).await.unwrap(),
            PutOutcome::Created
        );
        assert_eq!(
            store.put_file_if_absent(&d, &f).await.unwrap(),
            PutOutcome::AlreadyPresent
        );
        let got = store
            .get(&ObjectKey::for_digest(&d))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&got[..], b"linked bytes");
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }
}
