//! The Returning Officer's review of a capture: what the review shows ([`capture`]: the manifest,
//! the stored verification report, times, the device, the station's other captures, the image),
//! the map of the geofence and position drawn as SVG from the data ([`map`]), the fixed reason
//! codes ([`reasons`]), the append-only decisions ([`decisions`]) and the recapture request the
//! phone reads ([`recapture`]); other domains read acceptance through [`accepted_manifests`]
//! only.
//!
//! Station states are `crate::stations`'s; this module records decisions and never decides a
//! state itself, never verifies anything itself (the stored report is the core's) and never
//! imports a route.

mod accepted;
pub mod capture;
pub mod decisions;
pub mod map;
pub mod reasons;
pub mod recapture;

pub use accepted::{AcceptedManifest, accepted_manifests};
pub use capture::{CaptureReview, capture_image, capture_map, capture_review};
pub use decisions::{DecisionRefused, DecisionRequest, Recorded, record_decision};
pub use recapture::recapture_request;
