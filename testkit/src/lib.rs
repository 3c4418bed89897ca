//! Test kit: a synthetic phone camera that produces real JPEG files with EXIF (make, model,
//! DateTimeOriginal with offset, GPS), so tests, the demo and the benchmarks can make captures whose
//! metadata agrees — or deliberately disagrees — with the capture's circumstances.
//!
//! Not used by the phone or the server at run time.

pub mod camera;
pub mod exif_writer;
pub mod fixtures;
pub mod scenario;

pub use camera::{PhotoSpec, photograph};
pub use exif_writer::{ExifSpec, GpsSpec};
