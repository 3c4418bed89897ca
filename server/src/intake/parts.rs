//! Part files: the bytes of an unfinished upload, on this server's disk
//! (`<data_dir>/uploads/<id>.part`). Written by the tus body reception, read back by the
//! completion, removed by the completion or the sweep ([`crate::sweep`]). A part file that is
//! also a stored object (the local store links it into place) is never written again.

use std::path::PathBuf;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::buffer::ObjectBuffer;

/// Where an unfinished upload's bytes are kept: `<data_dir>/uploads/<id>.part`.
pub fn part_path(state: &AppState, id: &str) -> PathBuf {
    state.uploads_dir.join(format!("{id}{PART_SUFFIX}"))
}

/// The file name ending of part files ([`part_path`]).
pub const PART_SUFFIX: &str = ".part";

/// Open the upload's part file for writing (created when missing).
///
/// The local store keeps a completed upload's part file as the object itself (a second link to
/// the same file, see `LocalFsStore::put_file_if_absent`); the completion then removes the part
/// file's name. When the commit after the link did not happen (the server stopped, or the
/// database failed) both names remain, and the upload's offset is still before the end: a write
/// through the part file's name would then change a stored object. So a part file with another
/// link is written no more: unless nothing is left to write (`complete`, when the completion
/// only reads it again), its name is dropped and an empty file takes its place, and the upload
/// starts over from 0 (the object stays as stored, and the completion finds it there).
pub async fn open_part(part: &std::path::Path, complete: bool) -> std::io::Result<tokio::fs::File> {
    let mut options = tokio::fs::OpenOptions::new();
    options.create(true).write(true).truncate(false);
    let file = options.open(part).await?;
    if complete || !also_linked_elsewhere(&file.metadata().await?) {
        return Ok(file);
    }
    drop(file);
    log::warn!(
        "{} is also a stored object; the upload starts over",
        part.display()
    );
    tokio::fs::remove_file(part).await?;
    options.open(part).await
}

/// Whether a file has more than one name (on platforms without link counts: assume not).
fn also_linked_elsewhere(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.nlink() > 1
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// fsync the folder of the part files (after creating one).
pub async fn sync_uploads_dir(state: &AppState) -> std::io::Result<()> {
    let dir = state.uploads_dir.clone();
    tokio::task::spawn_blocking(move || crate::store::sync_dir(&dir))
        .await
        .map_err(std::io::Error::other)?
}

pub async fn sync_part(part: &std::path::Path) -> std::io::Result<()> {
    tokio::fs::OpenOptions::new()
        .write(true)
        .open(part)
        .await?
        .sync_data()
        .await
}

/// Write `bytes` (what arrived of an upload before its connection was cut) as the upload's part
/// file `part`, durably (file and folder). A new file, never one left under this name: that one
/// may be linked as an object ([`open_part`]), and truncating it would empty the object.
pub async fn write_new_part(
    state: &AppState,
    part: PathBuf,
    bytes: ObjectBuffer,
) -> Result<(), ApiError> {
    let dir = state.uploads_dir.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        match std::fs::remove_file(&part) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part)?;
        f.write_all(bytes.as_slice())?;
        f.sync_data()?;
        crate::store::sync_dir(&dir)
    })
    .await
    .map_err(|e| ApiError::internal("upload storage", e))?
    .map_err(|e| ApiError::unavailable("upload storage", e))
}
