//! The general path: bounded decoding at 1/8 scale by `jpeg-decoder`, for every JPEG the fast path
//! does not take (progressive, 12-bit, RGB/CMYK). Must never hand the decoder a file whose work
//! the marker walk has not bounded.

use std::io::Cursor;

use jpeg_decoder::{Decoder, PixelFormat};

use super::{MAX_DIMENSION, average, cell_index};
use crate::exif::frame::FrameHeader;

/// Most samples (width × height × components) the general decoder is given: it keeps the
/// coefficients of a progressive image at full size (2 bytes a sample), and walks them once per
/// scan. 64 Mi samples is a 21-megapixel colour photo (128 MiB of coefficients).
const MAX_GENERAL_SAMPLES: u64 = 64 << 20;

/// Most scans the general decoder is given (a progressive photo has about ten).
const MAX_GENERAL_SCANS: usize = 32;

/// Whether the general decoder's work on `jpeg` is bounded: a DCT frame (baseline, extended or
/// progressive; lossless frames are decoded at full size whatever the scaling) of at most
/// [`MAX_GENERAL_SAMPLES`], at most [`MAX_GENERAL_SCANS`] scans, none of them empty. Without this
/// a file of 59 bytes made the decoder take 4.7 GB and 38 s, and one of 1.5 KB (a hundred empty
/// refinement scans) over a minute. Reads only the markers: linear in the file's size.
fn general_decode_is_bounded(jpeg: &[u8]) -> bool {
    if !jpeg.starts_with(&[0xff, 0xd8]) {
        return false;
    }
    let mut pos = 2;
    let mut scans = 0;
    let mut frame = false;
    loop {
        // Fill bytes (0xff) may precede a marker.
        while jpeg.get(pos) == Some(&0xff) && jpeg.get(pos + 1) == Some(&0xff) {
            pos += 1;
        }
        let (Some(&0xff), Some(&marker)) = (jpeg.get(pos), jpeg.get(pos + 1)) else {
            return false;
        };
        pos += 2;
        match marker {
            0xd9 => return frame && scans > 0,
            0x01 | 0xd0..=0xd7 => continue,
            _ => {}
        }
        let Some(len) = jpeg
            .get(pos..pos + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return false;
        };
        let Some(seg) = jpeg.get(pos + 2..pos + len.max(2)) else {
            return false;
        };
        pos += len.max(2);
        match marker {
            0xc0..=0xc2 => {
                let Some(header) = FrameHeader::parse(marker, seg).filter(|_| !frame) else {
                    return false;
                };
                frame = true;
                let samples = u64::from(header.width)
                    * u64::from(header.height)
                    * u64::from(header.components);
                if samples == 0 || samples > MAX_GENERAL_SAMPLES {
                    return false;
                }
            }
            // Lossless, hierarchical or arithmetic frames.
            0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf => return false,
            0xda => {
                scans += 1;
                if !frame || scans > MAX_GENERAL_SCANS {
                    return false;
                }
                // The entropy-coded data runs to the next marker other than a restart or a
                // stuffed 0xff00; it must not be empty.
                let start = pos;
                loop {
                    let Some(at) = jpeg
                        .get(pos..)
                        .and_then(|r| r.iter().position(|&b| b == 0xff))
                    else {
                        return false;
                    };
                    pos += at;
                    match jpeg.get(pos + 1) {
                        Some(0x00 | 0xd0..=0xd7) => pos += 2,
                        Some(_) => break,
                        None => return false,
                    }
                }
                if pos == start {
                    return false;
                }
            }
            _ => {}
        }
    }
}

/// The 9×8 grid of mean grey from a 1/8-scale decode by the general decoder.
pub(super) fn luma_grid_general(image: &[u8]) -> Option<[[f32; 9]; 8]> {
    if !general_decode_is_bounded(image) {
        return None;
    }
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
    let cells_x = cell_index(w, 9);
    let cells_y = cell_index(h, 8);
    let mut sums = [[0f32; 9]; 8];
    for (y, row) in grey.chunks_exact(w).take(h).enumerate() {
        let cells = &mut sums[cells_y[y]];
        for (x, &v) in row.iter().enumerate() {
            cells[cells_x[x]] += v;
        }
    }
    Some(average(sums, w, h))
}
