//! The public transparency log's pure part: what the server, the witness, `tallyseal verify`, the
//! phone and the browser all need to build and check the log.
//!
//! - [`merkle`]: RFC 6962 hashing, inclusion and consistency proofs (through `tlog_tiles`), and an
//!   in-memory store of stored hashes that serves roots and proofs.
//! - [`tiles`]: C2SP tlog-tiles paths and entry bundles.
//! - [`checkpoint`]: C2SP tlog-checkpoint bodies, signed as C2SP signed notes by the log key.
//! - [`cosignature`]: C2SP tlog-cosignature, Ed25519 `cosignature/v1`.
//! - [`leaf`]: the canonical, versioned leaf of each public event.
//! - [`inclusion`]: a leaf and its tlog-proof together (the evidence bundle's log section).
//! - [`proof`]: C2SP tlog-proof, the offline proof that a leaf is in the log, and its verification
//!   against the log's key and a k-of-n witness policy.
//!
//! This module never does I/O, never reads the clock (timestamps are passed in) and never panics
//! on input. See `docs/log.md`.

pub mod checkpoint;
pub mod cosignature;
pub mod inclusion;
pub mod leaf;
pub mod merkle;
pub mod proof;
pub mod tiles;
