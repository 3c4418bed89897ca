//! The review of received captures (the RO accepts, rejects or asks for a new capture). Other
//! domains read its decisions through [`accepted_manifests`] only.

mod accepted;

pub use accepted::{AcceptedManifest, accepted_manifests};
