//! Test kit: a synthetic phone camera that produces real JPEG files with EXIF (make, model,
//! DateTimeOriginal with offset, GPS), so tests, the demo and the benchmarks can make captures whose
//! metadata agrees — or deliberately disagrees — with the capture's circumstances.
//!
//! [`log_site`] writes a transparency log as static tlog-tiles files and serves a directory on
//! loopback, for the monitor's and the CLI's tests.
//!
//! Not used by the phone or the server at run time.

pub mod camera;
pub mod exif_writer;
pub mod fixtures;
pub mod log_site;
pub mod scenario;

pub use camera::{PhotoSpec, photograph};
pub use exif_writer::{ExifSpec, GpsSpec};
