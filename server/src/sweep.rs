//! Sweeping `<data_dir>/uploads`: part files nobody is going to finish.
//!
//! A part file holds the bytes of an unfinished tus upload ([`crate::intake::parts`]). Most never
//! exist (an image sent whole goes from memory to the object store); the rest are removed when
//! their upload completes. What stays behind:
//! - the part file of an upload already completed (the server stopped between recording the
//!   completion and removing the file): removed, since the object store holds the image;
//! - the part file of an upload nobody resumed for `limits.part_file_idle_secs` (a phone lost,
//!   reset, or that sent the image again elsewhere): the upload goes back to offset 0 (with an
//!   `upload_expired` audit event) and the file is removed. The phone still holds the image until
//!   it has the verified receipt; a HEAD tells it to start over, and nothing acknowledged is lost;
//! - a part file without an upload row, idle as long (a creation request cut before its row was
//!   written, whose row then never was): removed.
//!
//! The sweep never touches an upload a request is writing on this server (it takes the same
//! lease as PATCH), and moves an offset only by compare-and-set, so an upload another server
//! resumed meanwhile (a shared `uploads/` volume) keeps its bytes. Objects are never touched.

use std::time::{Duration, SystemTime};

use actix_web::web::Data;

use crate::db;
use crate::intake::parts::PART_SUFFIX;
use crate::intake::uploads::valid_id;
use crate::state::AppState;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Part files of completed uploads, removed.
    pub completed: u32,
    /// Idle uploads started over, their part files removed.
    pub expired: u32,
    /// Idle part files without an upload, removed.
    pub orphaned: u32,
    /// Part files left alone (recent, or being written).
    pub kept: u32,
}

/// Sweep at start-up and then every `limits.upload_sweep_secs`, for as long as the server runs.
pub fn spawn(state: Data<AppState>) {
    let every = Duration::from_secs(state.config.limits.upload_sweep_secs.max(1));
    tokio::spawn(async move {
        loop {
            match sweep(&state).await {
                Ok(s) if s.completed + s.expired + s.orphaned > 0 => log::info!(
                    "uploads swept: {} completed, {} expired, {} without an upload; {} kept",
                    s.completed,
                    s.expired,
                    s.orphaned,
                    s.kept
                ),
                Ok(_) => {}
                Err(e) => log::warn!("sweeping {}: {e}", state.uploads_dir.display()),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// What stops a sweep (the next one starts over).
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("removing {path}: {source}")]
    Remove {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// One pass over the part files.
pub async fn sweep(state: &AppState) -> Result<Swept, SweepError> {
    // 0: part files of unfinished uploads are kept however old they are.
    let idle_limit = match state.config.limits.part_file_idle_secs {
        0 => Duration::MAX,
        secs => Duration::from_secs(secs),
    };
    let mut swept = Swept::default();
    let mut dir = tokio::fs::read_dir(&state.uploads_dir).await?;
    while let Some(entry) = dir.next_entry().await? {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| n.strip_suffix(PART_SUFFIX)) else {
            continue;
        };
        if valid_id(id).is_err() {
            continue;
        }
        let Some(idle) = idle_for(&entry.path()).await else {
            continue; // removed meanwhile
        };
        let upload = db::get_upload(&state.db.pool, id).await?;
        let completed = upload.as_ref().is_some_and(|u| u.completed_at_ms.is_some());
        if !completed && idle < idle_limit {
            swept.kept += 1;
            continue;
        }
        // A candidate: look again under the lease, which no request writing it holds now.
        let Some(_lease) = state.lease_upload(id) else {
            swept.kept += 1;
            continue;
        };
        if !completed && idle_for(&entry.path()).await.is_none_or(|i| i < idle_limit) {
            swept.kept += 1; // written meanwhile
            continue;
        }
        let counter = match upload {
            Some(_) if completed => &mut swept.completed,
            Some(u) => {
                // Moves only from the offset read above: an upload resumed meanwhile (on another
                // server sharing this volume) keeps its bytes.
                if !crate::intake::uploads::restart(state, &u, db::UploadRestart::Expired).await? {
                    swept.kept += 1;
                    continue;
                }
                log::info!(
                    "upload {id}: idle for {} s at offset {} of {}; it starts over from 0",
                    idle.as_secs(),
                    u.upload_offset,
                    u.upload_length
                );
                &mut swept.expired
            }
            None => &mut swept.orphaned,
        };
        match tokio::fs::remove_file(entry.path()).await {
            Ok(()) => *counter += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(SweepError::Remove {
                    path: entry.path(),
                    source,
                });
            }
        }
    }
    Ok(swept)
}

/// How long since the file was last written; `None` when it is gone.
async fn idle_for(path: &std::path::Path) -> Option<Duration> {
    let modified = tokio::fs::metadata(path).await.ok()?.modified().ok()?;
    Some(
        SystemTime::now()
            .duration_since(modified)
            .unwrap_or_default(),
    )
}
