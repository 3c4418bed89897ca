//! The two operating-system services that the core's I/O users share (feature `system`, which
//! `client` turns on): the wall clock ([`now_ms`]) and making a directory's entries durable
//! ([`sync_dir`]).
//!
//! Why here: the server (object store, secrets, uploads, every timestamp it records), the CLI and
//! the phone client (`client::fsio`, `client::clock`) each had a copy of these; one definition
//! keeps them the same. They are behind a feature, outside the pure core, because core's pure
//! modules must not read the clock or do I/O: those take times as arguments, and a core built
//! without features (`cargo build -p tallyseal-core`) does not even contain this module, so a
//! pure module that called it would not compile. The server enables `system` without pulling in
//! the whole phone client.
//!
//! It must never: be used by core's pure modules, grow into a general I/O layer (durable file
//! writing stays with its user: `client::fsio` on the phone, the server's object store), or
//! panic (a clock before 1970 reads as 0).

use std::io;
use std::path::Path;

/// Milliseconds since the Unix epoch, from the system's wall clock (0 if it is set before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `fsync` a directory, so that the names created, linked, renamed or removed in it are on disk.
/// (A no-op where directories cannot be synced: not Unix.)
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_after_2024_and_a_directory_syncs() {
        assert!(now_ms() > 1_704_067_200_000);
        let dir = tempfile::tempdir().unwrap();
        sync_dir(dir.path()).unwrap();
        assert!(sync_dir(&dir.path().join("missing")).is_err() || !cfg!(unix));
    }
}
