//! C2SP signed notes (https://c2sp.org/signed-note), Ed25519 signature type only.
//!
//! The election package is published as a signed note whose text is the package JSON, so anyone
//! can check it with existing tools, and the same format will carry transparency-log checkpoints.
