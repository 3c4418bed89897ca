//! Ready-made captures in the demo scenario ([`tallyseal_core::demo`]): a photo whose EXIF agrees
//! with the capture, sealed by the demo phone for NA-128 station 1.

use tallyseal_core::demo;
use tallyseal_core::model::LatLon;
use tallyseal_core::seal::{ChainState, SealError, SealedCapture, seal};

use crate::camera::{PhotoSpec, photograph};

/// Why a demo capture could not be made (only if the demo data itself were broken).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("demo package: {0}")]
    Package(#[from] tallyseal_core::package::PackageError),
    #[error("demo time anchor: {0}")]
    Time(#[from] tallyseal_core::time::TimeError),
    #[error("sealing: {0}")]
    Seal(#[from] SealError),
}

/// A phone photo taken at `position` at the demo capture time (EXIF agrees with both).
pub fn demo_photo(position: LatLon, seed: u64) -> Vec<u8> {
    photograph(&PhotoSpec::phone(
        position.lat,
        position.lon,
        demo::CAPTURE_MS,
        300,
        seed,
    ))
}

/// Seal `image` as the demo phone's capture for station 1, with the phone at `position`.
pub fn seal_demo_image(
    image: Vec<u8>,
    position: LatLon,
    chain: &ChainState,
) -> Result<SealedCapture, ScenarioError> {
    let (_, signed) = demo::signed_package()?;
    let input = demo::capture_input(image, Some(signed.hash()), position)?;
    Ok(seal(input, &demo::device_key(), chain)?)
}

/// A complete, honest demo capture: photographed and sealed at `position`.
pub fn seal_demo(position: LatLon, seed: u64) -> Result<SealedCapture, ScenarioError> {
    seal_demo_image(demo_photo(position, seed), position, &ChainState::genesis())
}
