//! Every evidence bundle of a constituency as one tar file (POSIX ustar), streamed one bundle at
//! a time: `<election>/<code>/station-<n>/<form>/<manifest hash>.tsb` for each capture the
//! server received (superseded and rejected ones included), then `<election>/<code>/SHA256SUMS`
//! (`sha256sum -c` format: each bundle file's SHA-256 and path). No crate of the workspace
//! writes tar, and ustar headers are a few fixed fields, so they are written here.

use actix_web::web;
use bytes::Bytes;
use futures_util::Stream;
use sha2::{Digest, Sha256};

use super::bundle::assemble;
use crate::db::{self, BoardCaptureRow};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::stations::board::constituency_of;

const BLOCK: usize = 512;

/// What an archive will hold, decided before its first byte is sent.
#[derive(Debug, Clone)]
pub struct ArchivePlan {
    pub election: String,
    pub code: String,
    captures: Vec<BoardCaptureRow>,
    /// Changes whenever a capture, its image or receipt, or the log's checkpoint changes.
    pub etag: String,
    pub last_modified_ms: Option<i64>,
}

/// Plan the archive of constituency `code` of `election` (404 for either unknown).
pub async fn plan(state: &AppState, election: &str, code: &str) -> Result<ArchivePlan, ApiError> {
    let state = state.for_public_reads();
    constituency_of(state, election, code).await?;
    let mut captures = db::board_captures(&state.db.pool, election, Some(code)).await?;
    captures.sort_by(|a, b| {
        (a.station, &a.form, a.received_at_ms).cmp(&(b.station, &b.form, b.received_at_ms))
    });
    let checkpoint = crate::log::publication::latest_checkpoint(state).await?;
    let mut h = Sha256::new();
    for c in &captures {
        h.update(c.manifest_hash.to_hex());
        h.update(format!(
            "|{}|{:?}|{:?};",
            c.status.as_str(),
            c.image_received_at_ms,
            c.analysed_at_ms
        ));
    }
    h.update(checkpoint.map(|c| c.note).unwrap_or_default());
    let last_modified_ms = captures
        .iter()
        .flat_map(|c| {
            [
                Some(c.received_at_ms),
                c.image_received_at_ms,
                c.analysed_at_ms,
            ]
        })
        .flatten()
        .max();
    Ok(ArchivePlan {
        election: election.to_owned(),
        code: code.to_owned(),
        captures,
        etag: hex::encode(&h.finalize()[..16]),
        last_modified_ms,
    })
}

/// Write `value` as a NUL-terminated octal number filling `field`.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    let start = text.len().saturating_sub(digits);
    field[..digits].copy_from_slice(&text.as_bytes()[start..]);
    field[digits] = 0;
}

/// A ustar header for a regular file `prefix/name` (`prefix` ≤ 155 bytes, `name` ≤ 100).
pub fn header(prefix: &str, name: &str, size: u64, mtime_secs: u64) -> [u8; BLOCK] {
    let mut b = [0u8; BLOCK];
    let copy = |b: &mut [u8; BLOCK], at: usize, len: usize, s: &[u8]| {
        let n = s.len().min(len);
        b[at..at + n].copy_from_slice(&s[..n]);
    };
    copy(&mut b, 0, 100, name.as_bytes());
    octal(&mut b[100..108], 0o644);
    octal(&mut b[108..116], 0);
    octal(&mut b[116..124], 0);
    octal(&mut b[124..136], size);
    octal(&mut b[136..148], mtime_secs);
    b[148..156].fill(b' ');
    b[156] = b'0';
    copy(&mut b, 257, 6, b"ustar\0");
    copy(&mut b, 263, 2, b"00");
    copy(&mut b, 345, 155, prefix.as_bytes());
    let sum: u64 = b.iter().map(|&x| u64::from(x)).sum();
    let text = format!("{sum:06o}\0 ");
    b[148..156].copy_from_slice(text.as_bytes());
    b
}

/// A file's header, bytes and padding to the next block.
fn entry(prefix: &str, name: &str, data: &[u8], mtime_secs: u64) -> Bytes {
    let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
    let mut out = Vec::with_capacity(BLOCK + data.len() + pad);
    out.extend_from_slice(&header(prefix, name, data.len() as u64, mtime_secs));
    out.extend_from_slice(data);
    out.resize(out.len() + pad, 0);
    Bytes::from(out)
}

struct Progress {
    state: web::Data<AppState>,
    plan: ArchivePlan,
    next: usize,
    sums: String,
    done: bool,
}

/// The archive's bytes, one bundle per item; a storage failure ends the stream early (the
/// client sees a truncated tar, never a wrong one).
pub fn stream(
    state: web::Data<AppState>,
    plan: ArchivePlan,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let state = state.public_reads.clone().map_or(state, web::Data::from);
    let start = Progress {
        state,
        plan,
        next: 0,
        sums: String::new(),
        done: false,
    };
    let items = futures_util::stream::unfold(start, |mut p| async move {
        if p.done {
            return None;
        }
        let prefix = format!("{}/{}", p.plan.election, p.plan.code);
        let Some(capture) = p.plan.captures.get(p.next).cloned() else {
            p.done = true;
            let mtime = p.plan.last_modified_ms.unwrap_or(0).max(0) as u64 / 1000;
            let mut tail = entry(&prefix, "SHA256SUMS", p.sums.as_bytes(), mtime).to_vec();
            tail.extend_from_slice(&[0u8; 2 * BLOCK]);
            return Some((Ok(Bytes::from(tail)), p));
        };
        p.next += 1;
        let hash = capture.manifest_hash.to_hex();
        let row = match db::get_submission(&p.state.db.pool, &hash).await {
            Ok(Some(row)) => row,
            Ok(None) => {
                p.done = true;
                let e = ApiError::new(Problem::Internal, "a listed capture disappeared");
                return Some((Err(e), p));
            }
            Err(e) => {
                p.done = true;
                return Some((Err(ApiError::from(e)), p));
            }
        };
        match assemble(&p.state, &row).await {
            Ok(b) => {
                let name = format!("station-{}/{}/{hash}.tsb", row.station, row.form);
                let digest = hex::encode(Sha256::digest(&b.bytes));
                p.sums.push_str(&format!("{digest}  {prefix}/{name}\n"));
                let mtime = b.last_modified_ms.max(0) as u64 / 1000;
                Some((Ok(entry(&prefix, &name, &b.bytes, mtime)), p))
            }
            Err(e) => {
                p.done = true;
                Some((Err(e), p))
            }
        }
    });
    futures_util::StreamExt::map(items, |r| r.map_err(actix_web::Error::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_and_checksum() {
        let h = header("pk/NA-1", "station-1/form45/a.tsb", 1234, 1_700_000_000);
        assert_eq!(&h[0..22], b"station-1/form45/a.tsb");
        assert_eq!(&h[124..136], b"00000002322\0");
        assert_eq!(&h[257..263], b"ustar\0");
        assert_eq!(&h[345..352], b"pk/NA-1");
        // The checksum counts its own field as spaces.
        let mut copy = h;
        copy[148..156].fill(b' ');
        let sum: u64 = copy.iter().map(|&x| u64::from(x)).sum();
        let stored = std::str::from_utf8(&h[148..154]).unwrap();
        assert_eq!(u64::from_str_radix(stored, 8).unwrap(), sum);
        let e = entry("p", "f", b"abc", 0);
        assert_eq!(e.len(), 2 * BLOCK);
    }
}
