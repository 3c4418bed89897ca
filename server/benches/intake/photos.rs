//! The benchmark's photos: one per client, taken at its station with the synthetic camera, and
//! retakes that differ by a JPEG comment (so every capture has its own SHA-256); or noise.

use tallyseal_core::demo;
use tallyseal_core::model::LatLon;
use tallyseal_core::package::ElectionPackage;
use tallyseal_testkit::camera::{PhotoSpec, photograph};

pub(crate) fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(n);
    out
}

/// Where demo station `number` of NA-128 is.
pub(crate) fn station_position(package: &ElectionPackage, number: u32) -> LatLon {
    package
        .station("NA-128", number)
        .and_then(|s| s.location.as_ref())
        .map(|l| l.point)
        .unwrap()
}

/// One photo per client (its station's sheet), taken at that station, of about `bytes` bytes;
/// rendered on all cores.
pub(crate) fn photograph_all(
    clients: usize,
    bytes: usize,
    package: &ElectionPackage,
) -> Vec<Vec<u8>> {
    let megabytes = u32::try_from(bytes.div_ceil(1_000_000)).unwrap_or(4).max(1);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut photos: Vec<Vec<u8>> = vec![Vec::new(); clients];
    std::thread::scope(|scope| {
        for (t, chunk) in photos.chunks_mut(clients.div_ceil(threads)).enumerate() {
            let first = t * clients.div_ceil(threads);
            scope.spawn(move || {
                for (j, slot) in chunk.iter_mut().enumerate() {
                    let c = first + j;
                    let at = station_position(package, (c % 3) as u32 + 1);
                    let spec =
                        PhotoSpec::phone(at.lat, at.lon, demo::CAPTURE_MS, 300, c as u64 + 1)
                            .with_size_mb(megabytes);
                    *slot = photograph(&spec);
                }
            });
        }
    });
    photos
}

/// The `i`th retake of `photo`: the same JPEG with a comment segment after SOI, so its bytes
/// (and SHA-256) are its own.
pub(crate) fn retake(photo: &[u8], i: usize) -> Vec<u8> {
    let comment = format!("retake {i}");
    let mut out = Vec::with_capacity(photo.len() + comment.len() + 4);
    out.extend_from_slice(&photo[..2]);
    out.extend_from_slice(&[0xff, 0xfe]);
    out.extend_from_slice(&u16::try_from(comment.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(comment.as_bytes());
    out.extend_from_slice(&photo[2..]);
    out
}
