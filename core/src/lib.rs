//! tallyseal-core: the shared core that runs on the Presiding Officer's phone, on the server and on
//! an auditor's laptop.
//!
//! Everything in this crate is pure: it takes bytes and values and returns values. It never opens a
//! file, a socket or a database, and never reads the clock on its own (callers pass times in), so the
//! *same* verification code gives the same answer wherever it runs. The two exceptions sit behind
//! features and are never called by the pure modules: `system` and `client`.
//!
//! Map of the modules:
//! - [`hash`], [`keys`], [`canonical`]: SHA-256 digests, ed25519 keys, canonical JSON and
//!   domain-separated signatures.
//! - [`note`]: C2SP signed notes (used to sign the election package).
//! - [`log`]: the public transparency log: Merkle proofs, tiles, checkpoints, cosignatures.
//! - [`model`], [`package`]: the election model and the signed election package (the importer of
//!   the 2024 Pakistan lists is the separate crate `tallyseal-import`: no phone carries it).
//! - [`form`]: Form-45 / Form-46 figures and their consistency rules.
//! - [`exif`]: bounded, panic-free EXIF extraction from untrusted images.
//! - [`time`]: server time anchors and the best estimate of when a capture was taken.
//! - [`manifest`], [`seal`], [`bundle`]: the signed capture manifest, sealing a capture, and the
//!   one-file evidence bundle.
//! - [`text`]: refusing control and bidirectional-formatting characters in text shown to people.
//! - [`verify`]: the forensic checks, producing a [`verify::VerificationReport`].
//! - `system` (feature `system`): the wall clock and directory fsync shared by the server, the CLI
//!   and the phone client (one definition; never used by the pure modules).
//! - `client` (feature `client`, with `system` the only part that does I/O): the phone side — key custody,
//!   enrolment, time anchors, the crash-safe outbox and the resumable uploader.

pub mod bundle;
pub mod canonical;
#[cfg(feature = "client")]
pub mod client;
pub mod demo;
pub mod exif;
pub mod form;
pub mod geofence;
pub mod hash;
pub mod keys;
pub mod log;
pub mod manifest;
pub mod model;
pub mod note;
pub mod package;
pub mod phash;
pub mod receipt;
pub mod seal;
#[cfg(feature = "system")]
pub mod system;
pub mod text;
pub mod time;
pub mod verify;
pub mod wire;

pub use bundle::EvidenceBundle;
pub use hash::{Sha256Digest, sha256};
pub use keys::{DeviceKey, PublicKey, SignatureBytes};
pub use manifest::CaptureManifest;
pub use seal::{CaptureInput, ChainState, SealedCapture, seal};
pub use verify::{VerificationContext, VerificationReport, verify_bundle};
