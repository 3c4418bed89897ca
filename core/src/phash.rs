//! Perceptual hashing, to flag an image that is *nearly* the same as one already submitted
//! (re-encoded, resized or slightly cropped), which an exact hash cannot see.
//!
//! The hash is a 64-bit difference hash (dHash): the JPEG is decoded at 1/8 scale (DCT scaling, so
//! a 12-megapixel photo costs a few milliseconds), reduced to a 9×8 grey grid by area averaging, and
//! each bit says whether a cell is brighter than its right neighbour. Two images whose hashes differ
//! in at most [`NEAR_DUPLICATE_MAX_DISTANCE`] bits are near-duplicates.

use std::io::Cursor;

use jpeg_decoder::{Decoder, PixelFormat};

/// Hamming distance at or below which two images are treated as near-duplicates.
pub const NEAR_DUPLICATE_MAX_DISTANCE: u32 = 10;

/// Largest image dimension accepted for decoding (guards against decompression bombs).
const MAX_DIMENSION: u16 = 16_384;

/// The dHash of a JPEG, or `None` when the bytes are not a decodable JPEG.
pub fn dhash(image: &[u8]) -> Option<u64> {
    let mut decoder = Decoder::new(Cursor::new(image));
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    if info.width == 0
        || info.height == 0
        || info.width > MAX_DIMENSION
        || info.height > MAX_DIMENSION
    {
        return None;
    }
    let (w, h) = decoder.scale(64, 64).ok()?;
    let pixels = decoder.decode().ok()?;
    let info = decoder.info()?;
    let (w, h) = (usize::from(w), usize::from(h));
    let grey: Vec<f32> = match info.pixel_format {
        PixelFormat::L8 => pixels.iter().map(|&p| f32::from(p)).collect(),
        PixelFormat::L16 => pixels.chunks_exact(2).map(|c| f32::from(c[0])).collect(),
        PixelFormat::RGB24 => pixels
            .chunks_exact(3)
            .map(|c| 0.299 * f32::from(c[0]) + 0.587 * f32::from(c[1]) + 0.114 * f32::from(c[2]))
            .collect(),
        PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .map(|c| 255.0 - (f32::from(c[0]) + f32::from(c[1]) + f32::from(c[2])) / 3.0)
            .collect(),
    };
    if grey.len() < w * h || w < 9 || h < 8 {
        return None;
    }
    // Area-average into a 9x8 grid.
    let mut grid = [[0f32; 9]; 8];
    for (gy, row) in grid.iter_mut().enumerate() {
        let y0 = gy * h / 8;
        let y1 = ((gy + 1) * h / 8).max(y0 + 1);
        for (gx, cell) in row.iter_mut().enumerate() {
            let x0 = gx * w / 9;
            let x1 = ((gx + 1) * w / 9).max(x0 + 1);
            let mut sum = 0f32;
            for y in y0..y1 {
                sum += grey[y * w + x0..y * w + x1].iter().sum::<f32>();
            }
            *cell = sum / ((y1 - y0) * (x1 - x0)) as f32;
        }
    }
    let mut hash = 0u64;
    for row in &grid {
        for x in 0..8 {
            hash = (hash << 1) | u64::from(row[x] > row[x + 1]);
        }
    }
    Some(hash)
}

/// Number of differing bits.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_hashed() {
        assert_eq!(dhash(b""), None);
        assert_eq!(dhash(b"not a jpeg at all"), None);
        assert_eq!(dhash(&[0xff, 0xd8, 0xff, 0xe0, 0, 16]), None);
    }

    #[test]
    fn distance_counts_bits() {
        assert_eq!(distance(0, 0), 0);
        assert_eq!(distance(0b1011, 0b0001), 2);
    }
}
