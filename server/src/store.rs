//! Object storage behind one trait: the local filesystem (embedded default), any S3-compatible
//! store ([`crate::store::s3`]), and memory (unit tests).
//!
//! Keys are **content-addressed**: `objects/sha256/ab/<64 hex>` from the SHA-256 of the bytes,
//! never from an election, constituency or station (the Nigeria 2023 failure). Objects are written
//! once: [`ObjectStore::put_if_absent`] never replaces an existing object, and nothing in the intake
//! path deletes one. [`ObjectStore::put_raw`] exists only to measure the store's raw throughput.

pub mod buffer;
pub mod s3;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;
use tallyseal_core::hash::Sha256Digest;

/// A content-addressed object key (relative to the store's root or prefix).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// The key of the object whose SHA-256 is `digest`.
    pub fn for_digest(digest: &Sha256Digest) -> ObjectKey {
        let hex = digest.to_hex();
        ObjectKey(format!("objects/sha256/{}/{hex}", &hex[0..2]))
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

    /// The object's bytes, or `None`.
    async fn get(&self, key: &ObjectKey) -> Result<Option<Bytes>, StoreError>;

    /// The object's size, or `None` when absent.
    async fn head(&self, key: &ObjectKey) -> Result<Option<u64>, StoreError>;

    /// Unconditional write of `bytes` under an arbitrary `key` (benchmark baseline only).
    async fn put_raw(&self, key: &str, bytes: Bytes) -> Result<(), StoreError>;

    /// A short description for logs (`local:/path`, `s3:bucket@endpoint`).
    fn describe(&self) -> String;
}

// ----- local filesystem -------------------------------------------------------------------------

/// Objects as files under a root folder. On Linux a write goes into an unnamed file (`O_TMPFILE`)
/// in the object's own directory; elsewhere (or on a filesystem without `O_TMPFILE`) into a file
/// under `root/tmp/`. Either is fsynced, then hard-linked into place (a link never replaces an
/// existing file), and the directory is fsynced. The unnamed file has no name to create in a
/// shared directory nor to remove afterwards, so no stream of deleted inodes for ext4's allocator
/// to step over and no lock on one busy `tmp/` directory: most of what the named path costs the
/// kernel under load (measured with `perf` in the intake benchmark). Image-sized objects are
/// written with `O_DIRECT`, so the fsync has no page-cache copy to flush (see
/// `unnamed::write_new`): straight from the aligned buffer an image was received into
/// ([`buffer::ObjectBuffer`]), or through an aligned copy.
#[derive(Debug, Clone)]
pub struct LocalFsStore {
    root: PathBuf,
}

impl LocalFsStore {
    /// Open (and create) the store at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<LocalFsStore, StoreError> {
        let root = root.into();
        std::fs::create_dir_all(root.join("tmp"))?;
        create_dir_durably(&root.join("objects"))?;
        Ok(LocalFsStore { root })
    }

    pub fn path_of(&self, key: &ObjectKey) -> PathBuf {
        self.root.join(key.as_str())
    }

    fn temp_path(&self) -> Result<PathBuf, StoreError> {
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

/// fsync a directory, so the names made or removed in it are on disk (one definition for the
/// server, the CLI and the phone: `tallyseal_core::system`).
pub(crate) use tallyseal_core::system::sync_dir;

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
fn create_dir_durably(dir: &Path) -> std::io::Result<()> {
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
fn write_new(tmp: &Path, dest: &Path, bytes: &[u8]) -> Result<PutOutcome, StoreError> {
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

#[cfg(target_os = "linux")]
mod unnamed {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::path::Path;

    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use rustix::io::Errno;

    use super::buffer::{self, ALIGN};
    use super::{PutOutcome, StoreError};

    /// Write `bytes` into an unnamed file in `dir`, fsync it, and link it as `dest` (in `dir`).
    /// `None` when the filesystem has no `O_TMPFILE` or `/proc` is not mounted: the caller uses a
    /// named file instead.
    ///
    /// Objects of [`DIRECT_MIN`] bytes or more (images) are written with `O_DIRECT`, from an
    /// aligned buffer straight to the device: no copy into the page cache, whose cost under
    /// fsync dominated the server's CPU in the intake benchmark (`copy_folio_from_iter_atomic`,
    /// measured with `perf`). A filesystem that refuses `O_DIRECT` (tmpfs before Linux 6.6, some
    /// network filesystems) gets the ordinary buffered write.
    pub(super) fn write_new(
        dir: &Path,
        dest: &Path,
        bytes: &[u8],
    ) -> Result<Option<PutOutcome>, StoreError> {
        let file = if bytes.len() >= DIRECT_MIN {
            match write_unnamed(dir, bytes, true)? {
                Some(file) => Some(file),
                None => write_unnamed(dir, bytes, false)?,
            }
        } else {
            write_unnamed(dir, bytes, false)?
        };
        let Some(file) = file else {
            return Ok(None);
        };
        // An unnamed file is linked through its descriptor: with AT_EMPTY_PATH (which needs a
        // privilege) or by following its /proc/self/fd entry, which any process may do.
        let by_fd = format!("/proc/self/fd/{}", file.as_raw_fd());
        match rustix::fs::linkat(CWD, by_fd.as_str(), CWD, dest, AtFlags::SYMLINK_FOLLOW) {
            Ok(()) => {
                // The link raised the inode's link count from 0: on a filesystem without a
                // journal (ext4 without one, like this project's development VM) nothing else
                // puts that on disk before we answer, and after a crash an inode whose count is
                // still 0 may be taken for a deleted one. With a journal the directory's fsync
                // commits the link anyway and this one costs little.
                file.sync_all()?;
                Ok(Some(PutOutcome::Created))
            }
            Err(Errno::EXIST) => Ok(Some(PutOutcome::AlreadyPresent)),
            Err(Errno::NOENT) if !Path::new("/proc/self/fd").exists() => Ok(None),
            Err(e) => Err(std::io::Error::from(e).into()),
        }
    }

    /// Objects smaller than this (manifests) go through the page cache.
    pub(super) const DIRECT_MIN: usize = 64 * 1024;

    /// An unnamed file in `dir` holding `bytes`, fsynced; `None` when the filesystem refuses an
    /// unnamed file (or, with `direct`, refuses `O_DIRECT`).
    fn write_unnamed(
        dir: &Path,
        bytes: &[u8],
        direct: bool,
    ) -> Result<Option<std::fs::File>, StoreError> {
        let mut flags = OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC;
        if direct {
            flags |= OFlags::DIRECT;
        }
        let mode = Mode::from_raw_mode(0o666);
        // The directory is created on first use only: a mkdir per write would lock its parent.
        let opened = match rustix::fs::openat(CWD, dir, flags, mode) {
            Err(Errno::NOENT) => {
                super::create_dir_durably(dir)?;
                rustix::fs::openat(CWD, dir, flags, mode)
            }
            other => other,
        };
        let fd = match opened {
            Ok(fd) => fd,
            // EOPNOTSUPP: the filesystem lacks it; EISDIR or EINVAL: a kernel before 3.11 (or,
            // with O_DIRECT, a filesystem without direct I/O).
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => return Ok(None),
            Err(e) => return Err(std::io::Error::from(e).into()),
        };
        let mut file = std::fs::File::from(fd);
        if direct {
            match write_aligned(&mut file, bytes) {
                Ok(()) => {}
                // Accepted at open, refused at write: the unnamed file vanishes when dropped.
                Err(e) if e.raw_os_error() == Some(Errno::INVAL.raw_os_error()) => {
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            file.write_all(bytes)?;
        }
        file.sync_all()?;
        Ok(Some(file))
    }

    /// Write `bytes` with `O_DIRECT`, the last block padded with zeros, then cut the file back to
    /// its length. Bytes at an aligned address (an image received into an
    /// [`ObjectBuffer`](super::buffer::ObjectBuffer)) are written as they are, but for the last
    /// partial block; others through an aligned copy.
    fn write_aligned(file: &mut std::fs::File, bytes: &[u8]) -> std::io::Result<()> {
        let (direct, rest) = if buffer::is_aligned(bytes) {
            bytes.split_at(bytes.len() / ALIGN * ALIGN)
        } else {
            (&[][..], bytes)
        };
        file.write_all(direct)?;
        if rest.is_empty() {
            return file.set_len(bytes.len() as u64);
        }
        let padded = rest.len().div_ceil(ALIGN) * ALIGN;
        let mut copy = buffer::take(padded);
        let start = buffer::aligned_start(&copy);
        let result = match copy.get_mut(start..start + padded) {
            Some(aligned) => {
                let (data, padding) = aligned.split_at_mut(rest.len());
                data.copy_from_slice(rest);
                padding.fill(0);
                file.write_all(aligned)
                    .and_then(|()| file.set_len(bytes.len() as u64))
            }
            None => Err(std::io::Error::from_raw_os_error(
                Errno::INVAL.raw_os_error(),
            )),
        };
        buffer::give_back(copy);
        result
    }
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

    async fn put_raw(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        if key.contains("..") {
            return Err(StoreError::Backend("key must not contain ..".into()));
        }
        let dest = self.root.join("raw").join(key);
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

    fn describe(&self) -> String {
        format!("local:{}", self.root.display())
    }
}

// ----- memory -----------------------------------------------------------------------------------

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
        let key = ObjectKey::for_digest(digest).0;
        if m.contains_key(&key) {
            return Ok(PutOutcome::AlreadyPresent);
        }
        m.insert(key, bytes);
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

    async fn put_raw(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        self.objects
            .lock()
            .map_err(poisoned)?
            .insert(format!("raw/{key}"), bytes);
        Ok(())
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tallyseal_core::hash::sha256;

    /// Both ways of writing a new file keep the first bytes and leave nothing else behind.
    #[test]
    fn a_new_file_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFsStore::open(dir.path()).unwrap();
        let shard = dir.path().join("objects/sha256/ab");
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
            let fresh = dir.path().join("objects/sha256/cd");
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

    async fn exercise(store: &dyn ObjectStore) {
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
        store
            .put_raw("bench/1", Bytes::from_static(b"x"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn memory_store_is_write_once() {
        exercise(&MemoryStore::default()).await;
    }

    #[tokio::test]
    async fn local_store_is_write_once_and_links_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFsStore::open(dir.path()).unwrap();
        exercise(&store).await;
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
