//! Perceptual hashing, to flag an image that is *nearly* the same as one already submitted
//! (re-encoded, resized or slightly cropped), which an exact hash cannot see.
//!
//! The hash is a 64-bit difference hash (dHash): the JPEG is decoded at 1/8 scale (DCT scaling, so
//! a 12-megapixel photo costs a few milliseconds), reduced to a 9×8 grey grid by area averaging, and
//! each bit says whether a cell is brighter than its right neighbour. Two images whose hashes differ
//! in at most [`NEAR_DUPLICATE_MAX_DISTANCE`] bits are near-duplicates.

mod fast;
mod general;
mod huffman;

use fast::luma_grid_fast;
use general::luma_grid_general;

/// Hamming distance at or below which two images are treated as near-duplicates.
pub const NEAR_DUPLICATE_MAX_DISTANCE: u32 = 10;

/// Largest image dimension accepted for decoding (guards against decompression bombs).
const MAX_DIMENSION: u16 = 16_384;

/// The dHash of a JPEG, or `None` when the bytes are not a decodable JPEG.
///
/// Baseline JPEGs (what phone cameras write) take a fast path that reads only the luma DC
/// coefficients; anything else is decoded at 1/8 scale by the general decoder. Both paths see
/// the same 1/8-scale luma picture, so they give the same hash up to rounding.
pub fn dhash(image: &[u8]) -> Option<u64> {
    luma_grid_fast(image)
        .or_else(|| luma_grid_general(image))
        .map(|grid| hash_of_grid(&grid))
}

/// The dHash computed by the general decoder only (for tests comparing the two paths).
#[doc(hidden)]
pub fn dhash_general(image: &[u8]) -> Option<u64> {
    luma_grid_general(image).map(|grid| hash_of_grid(&grid))
}

/// The dHash computed by the fast path only, `None` where it does not apply.
#[doc(hidden)]
pub fn dhash_fast(image: &[u8]) -> Option<u64> {
    luma_grid_fast(image).map(|grid| hash_of_grid(&grid))
}

/// Each bit: is a cell brighter than its right neighbour.
fn hash_of_grid(grid: &[[f32; 9]; 8]) -> u64 {
    let mut hash = 0u64;
    for row in grid {
        for x in 0..8 {
            hash = (hash << 1) | u64::from(row[x] > row[x + 1]);
        }
    }
    hash
}

/// For each of `n` pixels along an axis, the grid cell (of `cells`) it falls in: cell `g`
/// covers pixels `g*n/cells .. (g+1)*n/cells` (`n >= cells`).
fn cell_index(n: usize, cells: usize) -> Vec<usize> {
    let mut idx = vec![0; n];
    for g in 0..cells {
        for i in &mut idx[g * n / cells..(g + 1) * n / cells] {
            *i = g;
        }
    }
    idx
}

/// Per-cell sums of a `w`×`h` picture into per-cell means.
fn average(mut sums: [[f32; 9]; 8], w: usize, h: usize) -> [[f32; 9]; 8] {
    for (gy, row) in sums.iter_mut().enumerate() {
        let rows = (gy + 1) * h / 8 - gy * h / 8;
        for (gx, cell) in row.iter_mut().enumerate() {
            let cols = (gx + 1) * w / 9 - gx * w / 9;
            *cell /= (rows * cols).max(1) as f32;
        }
    }
    sums
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
