//! Durable file operations: every write the phone makes goes through here.
//!
//! A file is replaced atomically by writing a temporary file in the same directory, `fsync`ing it,
//! renaming it over the target and `fsync`ing the directory, so after a crash at any instant the
//! file is either the old or the new version, never torn. A directory of files is created the same
//! way (staged under a temporary name, every file and the directory synced, then renamed).

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Prefix of temporary files and staging directories; anything starting with it is garbage left
/// by a crash and is removed when the outbox opens.
pub const TEMP_PREFIX: &str = ".tmp-";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name no other writer in this or another process uses at the same time.
pub fn temp_name(hint: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{TEMP_PREFIX}{}-{n}-{hint}", std::process::id())
}

/// `fsync` a directory so that renames and creations inside it are durable (one definition for
/// the phone, the server and the CLI: [`crate::system`]).
pub use crate::system::sync_dir;

fn parent_of(path: &Path) -> io::Result<&Path> {
    path.parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no parent"))
}

/// Write `bytes` to a new file and `fsync` it (fails if the file exists).
pub fn write_new_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Replace `path` with `bytes` atomically and durably (see the module documentation).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_of(path)?;
    let tmp = dir.join(temp_name("file"));
    if let Err(e) = write_new_synced(&tmp, bytes) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Like [`write_atomic`], readable only by the owner (key material).
pub fn write_atomic_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_of(path)?;
    let tmp = dir.join(temp_name("key"));
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}

/// A directory being staged under a temporary name next to its final place.
#[derive(Debug)]
pub struct StagedDir {
    staging: PathBuf,
    target: PathBuf,
}

impl StagedDir {
    /// Start staging `target` (which must not exist yet).
    pub fn new(target: &Path) -> io::Result<StagedDir> {
        let dir = parent_of(target)?;
        let staging = dir.join(temp_name("dir"));
        fs::create_dir(&staging)?;
        Ok(StagedDir {
            staging,
            target: target.to_owned(),
        })
    }

    /// Add a file (written and synced).
    pub fn add(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        write_new_synced(&self.staging.join(name), bytes)
    }

    /// Make the directory appear under its final name, durably. This rename is the commit point.
    pub fn commit(self) -> io::Result<()> {
        sync_dir(&self.staging)?;
        if self.target.exists() {
            let _ = fs::remove_dir_all(&self.staging);
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "target already exists",
            ));
        }
        fs::rename(&self.staging, &self.target)?;
        sync_dir(parent_of(&self.target)?)
    }

    /// Abandon the staged directory.
    pub fn abandon(self) {
        let _ = fs::remove_dir_all(&self.staging);
    }
}

/// Remove a directory so that a crash leaves it either whole or gone from its name: rename it
/// to a temporary name (durably), then delete it.
pub fn remove_dir_durably(dir: &Path) -> io::Result<()> {
    let parent = parent_of(dir)?;
    let trash = parent.join(temp_name("trash"));
    fs::rename(dir, &trash)?;
    sync_dir(parent)?;
    fs::remove_dir_all(&trash)
}

/// Remove a file durably (missing is fine).
pub fn remove_file_durably(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => sync_dir(parent_of(path)?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Delete leftovers of interrupted writes (names starting with [`TEMP_PREFIX`]) in `dir`.
pub fn sweep_temporaries(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                fs::remove_dir_all(&path)?;
            } else {
                fs::remove_file(&path)?;
            }
            removed += 1;
        }
    }
    if removed > 0 {
        sync_dir(dir)?;
    }
    Ok(removed)
}

/// Read a file; `None` when it does not exist.
pub fn read_optional(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_replace_and_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        fs::write(dir.path().join(temp_name("x")), b"junk").unwrap();
        fs::create_dir(dir.path().join(temp_name("d"))).unwrap();
        assert_eq!(sweep_temporaries(dir.path()).unwrap(), 2);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn staged_dir_appears_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("item");
        let s = StagedDir::new(&target).unwrap();
        s.add("a", b"1").unwrap();
        assert!(!target.exists());
        s.commit().unwrap();
        assert_eq!(fs::read(target.join("a")).unwrap(), b"1");
        remove_dir_durably(&target).unwrap();
        assert!(!target.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
