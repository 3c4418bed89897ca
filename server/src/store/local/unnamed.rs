//! Linux: an object written into an unnamed file (`O_TMPFILE`) in its own directory, fsynced, then
//! linked into place, with `O_DIRECT` for image-sized objects. Never replaces an existing file
//! (a link fails on an existing name); `rustix`, no `unsafe`.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;

use rustix::fs::{AtFlags, CWD, Mode, OFlags};
use rustix::io::Errno;

use crate::store::buffer::{self, ALIGN};
use crate::store::{PutOutcome, StoreError};

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
/// [`ObjectBuffer`](crate::store::buffer::ObjectBuffer)) are written as they are, but for the last
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
