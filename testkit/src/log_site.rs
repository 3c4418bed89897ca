//! A transparency log as static files, for tests: the C2SP tlog-tiles layout (`log/checkpoint`,
//! `log/tile/<L>/<N>[.p/<W>]`, `log/tile/entries/<N>[.p/<W>]`) written into a directory from
//! leaves with core's `MemoryHashStore` and tile functions, and a loopback HTTP server for a
//! directory, so a monitor or a verifier can be tested before (and independently of) the
//! server's own publication. Test material only: never used by the phone or the server.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use tallyseal_core::log::checkpoint::Checkpoint;
use tallyseal_core::log::cosignature::Cosigner;
use tallyseal_core::log::merkle::MemoryHashStore;
use tallyseal_core::log::tiles::{
    FULL_TILE_WIDTH, TileCoord, TileError, encode_entry_bundle, new_tiles, tile_data,
};
use tallyseal_core::note::Signer;

/// Why a log could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LogSiteError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Tile(#[from] TileError),
    #[error("{0}")]
    Log(String),
}

/// Write the log of `leaves` under `<dir>/log/` (replacing what was there), with a checkpoint
/// signed by `log` (whose name is the origin) and cosigned by each of `witnesses` at
/// `cosigned_at` (POSIX seconds). Returns the tree.
pub fn publish_log(
    dir: &Path,
    leaves: &[Vec<u8>],
    log: &Signer,
    witnesses: &[Cosigner],
    cosigned_at: u64,
) -> Result<MemoryHashStore, LogSiteError> {
    let root = dir.join("log");
    if root.exists() {
        std::fs::remove_dir_all(&root)?;
    }
    let mut store = MemoryHashStore::new();
    for l in leaves {
        store
            .append(l)
            .map_err(|e| LogSiteError::Log(e.to_string()))?;
    }
    let size = store.size();
    for coord in new_tiles(0, size)? {
        write(&root.join(coord.path()?), &tile_data(coord, size, &store)?)?;
        if coord.level == Some(0) {
            let start = usize::try_from(coord.index * u64::from(FULL_TILE_WIDTH))
                .map_err(|e| LogSiteError::Log(e.to_string()))?;
            let end = start + coord.width as usize;
            let bundle = encode_entry_bundle(&leaves[start..end])?;
            let entries = TileCoord {
                level: None,
                ..coord
            };
            write(&root.join(entries.path()?), &bundle)?;
        }
    }
    let root_hash = store.root().map_err(|e| LogSiteError::Log(e.to_string()))?;
    write_checkpoint(
        dir,
        &Checkpoint::new(&log.name, size, root_hash),
        log,
        witnesses,
        cosigned_at,
    )?;
    Ok(store)
}

/// Write `<dir>/log/checkpoint`: `cp` signed by `log`, cosigned by each of `witnesses`.
pub fn write_checkpoint(
    dir: &Path,
    cp: &Checkpoint,
    log: &Signer,
    witnesses: &[Cosigner],
    cosigned_at: u64,
) -> Result<(), LogSiteError> {
    let mut note = cp.sign(log).map_err(|e| LogSiteError::Log(e.to_string()))?;
    let body = cp.body().map_err(|e| LogSiteError::Log(e.to_string()))?;
    for w in witnesses {
        note.push_str(
            &w.cosign(&body, cosigned_at)
                .map_err(|e| LogSiteError::Log(e.to_string()))?,
        );
    }
    write(&dir.join("log/checkpoint"), note.as_bytes())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), LogSiteError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes)?;
    Ok(())
}

/// Serve the files under `dir` over HTTP/1.1 on a free loopback port, from a thread that lives
/// as long as the process (GET only, `Connection: close`; 404 for anything missing or with
/// `..`). Returns the base URL.
pub fn serve_dir(dir: PathBuf) -> Result<String, LogSiteError> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Ok(read_half) = stream.try_clone() else {
                continue;
            };
            let mut reader = BufReader::new(read_half);
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
            let body = if path.contains("..") {
                None
            } else {
                std::fs::read(dir.join(path.trim_start_matches('/'))).ok()
            };
            let _ = match body {
                Some(body) => stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|()| stream.write_all(&body)),
                None => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    Ok(format!("http://{addr}"))
}
