//! Parsing the body of a C2SP tlog-witness `add-checkpoint` request (untrusted, bounded).
//!
//! The body is `old <size>\n`, at most [`MAX_PROOF_LINES`] base64 hash lines, an empty line, then
//! the signed checkpoint. This module only splits and decodes; it never verifies anything.

use tallyseal_core::log::merkle::{Hash, parse_hash};

/// Most consistency proof lines a client may send (C2SP tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;

/// Largest request body accepted: the checkpoint note limit plus the old size and proof lines.
pub const MAX_REQUEST_BYTES: usize =
    tallyseal_core::log::checkpoint::MAX_CHECKPOINT_NOTE_BYTES + 64 * MAX_PROOF_LINES + 32;

/// A parsed `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq)]
pub struct AddCheckpoint<'a> {
    /// The size of the checkpoint the client believes the witness last cosigned.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the new checkpoint.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: &'a [u8],
}

/// Why a request body is malformed (answered with 400 Bad Request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the request body is {0} bytes, more than the limit of {MAX_REQUEST_BYTES}")]
    TooLarge(usize),
    #[error("the first line must be `old <size>` (decimal, no leading zeros)")]
    BadOldLine,
    #[error("proof line {0} is not a base64 SHA-256 hash")]
    BadProofLine(usize),
    #[error("more than {MAX_PROOF_LINES} consistency proof lines")]
    TooManyProofLines,
    #[error("no empty line before the checkpoint")]
    NoCheckpoint,
}

fn split_line(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = body.iter().position(|&b| b == b'\n')?;
    Some((&body[..end], &body[end + 1..]))
}

fn parse_decimal(text: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(text).ok()?;
    let n: u64 = s.parse().ok()?;
    (n.to_string() == s).then_some(n)
}

/// Parse an `add-checkpoint` body.
pub fn parse_add_checkpoint(body: &[u8]) -> Result<AddCheckpoint<'_>, RequestError> {
    if body.len() > MAX_REQUEST_BYTES {
        return Err(RequestError::TooLarge(body.len()));
    }
    let (first, mut rest) = split_line(body).ok_or(RequestError::BadOldLine)?;
    let old_size = first
        .strip_prefix(b"old ")
        .and_then(parse_decimal)
        .ok_or(RequestError::BadOldLine)?;
    let mut proof = Vec::new();
    loop {
        let (line, after) = split_line(rest).ok_or(RequestError::NoCheckpoint)?;
        rest = after;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(RequestError::TooManyProofLines);
        }
        let hash = std::str::from_utf8(line)
            .ok()
            .and_then(parse_hash)
            .ok_or(RequestError::BadProofLine(proof.len() + 1))?;
        proof.push(hash);
    }
    Ok(AddCheckpoint {
        old_size,
        proof,
        checkpoint: rest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=";

    #[test]
    fn parses_the_spec_shape() {
        let body = format!("old 5\n{H}\n{H}\n\ncheckpoint\n");
        let r = parse_add_checkpoint(body.as_bytes()).unwrap();
        assert_eq!(r.old_size, 5);
        assert_eq!(r.proof.len(), 2);
        assert_eq!(r.checkpoint, b"checkpoint\n");
        let r = parse_add_checkpoint(b"old 0\n\nx").unwrap();
        assert_eq!((r.old_size, r.proof.len()), (0, 0));
    }

    #[test]
    fn refuses_malformed_bodies() {
        assert_eq!(
            parse_add_checkpoint(b"old 05\n\n"),
            Err(RequestError::BadOldLine)
        );
        assert_eq!(
            parse_add_checkpoint(b"old -1\n\n"),
            Err(RequestError::BadOldLine)
        );
        assert_eq!(
            parse_add_checkpoint(b"new 1\n\n"),
            Err(RequestError::BadOldLine)
        );
        assert_eq!(
            parse_add_checkpoint(b"old 1"),
            Err(RequestError::BadOldLine)
        );
        assert_eq!(
            parse_add_checkpoint(b"old 1\n"),
            Err(RequestError::NoCheckpoint)
        );
        assert_eq!(
            parse_add_checkpoint(b"old 1\nAAAA\n\n"),
            Err(RequestError::BadProofLine(1))
        );
        let many = format!("old 1\n{}\n", format!("{H}\n").repeat(64));
        assert_eq!(
            parse_add_checkpoint(many.as_bytes()),
            Err(RequestError::TooManyProofLines)
        );
        let huge = vec![b'a'; MAX_REQUEST_BYTES + 1];
        assert!(matches!(
            parse_add_checkpoint(&huge),
            Err(RequestError::TooLarge(_))
        ));
    }
}
