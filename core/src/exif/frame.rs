//! The size of a JPEG's frame, read from its SOFn marker segment: what the picture really is,
//! whatever its EXIF claims. One reader, used by the verifier (the `image_frame` check) and by the
//! perceptual hash (to bound its decoding).
//!
//! Must never panic or read out of bounds, whatever the bytes: it reads only marker segment
//! headers, each step moves forward, so the walk is linear in the file's size and allocates
//! nothing.

/// A JPEG frame header (ITU T.81 B.2.2): sample precision, size and number of components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The SOFn marker (`0xc0` baseline, `0xc1` extended, `0xc2` progressive, …).
    pub marker: u8,
    /// Bits per sample (8 or 12 for DCT frames).
    pub precision: u8,
    /// Samples per line.
    pub width: u16,
    /// Lines (0: defined later by a DNL marker).
    pub height: u16,
    /// Number of image components (1 grey, 3 YCbCr or RGB, 4 CMYK).
    pub components: u8,
}

impl FrameHeader {
    /// Parse the body (after the length) of a segment with marker `marker`; `None` when the
    /// marker is not a SOFn or the body is shorter than the fixed part of a frame header.
    pub fn parse(marker: u8, body: &[u8]) -> Option<FrameHeader> {
        if !is_sof(marker) {
            return None;
        }
        let b = body.get(..6)?;
        Some(FrameHeader {
            marker,
            precision: b[0],
            height: u16::from_be_bytes([b[1], b[2]]),
            width: u16::from_be_bytes([b[3], b[4]]),
            components: b[5],
        })
    }
}

/// Whether `marker` starts a frame (SOF0-SOF15 except DHT `0xc4`, JPG `0xc8` and DAC `0xcc`).
pub fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xc0..=0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf)
}

/// The frame header of a JPEG: the first SOFn segment before the first scan. `None` when the
/// bytes are not a JPEG, or end, reach a scan or break before a readable frame header.
pub fn jpeg_frame(jpeg: &[u8]) -> Option<FrameHeader> {
    if !jpeg.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut pos = 2usize;
    loop {
        // Fill bytes (0xff) may precede a marker.
        while jpeg.get(pos) == Some(&0xff) && jpeg.get(pos + 1) == Some(&0xff) {
            pos += 1;
        }
        if *jpeg.get(pos)? != 0xff {
            return None;
        }
        let marker = *jpeg.get(pos + 1)?;
        pos += 2;
        match marker {
            // End of image or start of scan before any frame header.
            0xd9 | 0xda => return None,
            // Markers without a segment.
            0x01 | 0xd0..=0xd8 => continue,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*jpeg.get(pos)?, *jpeg.get(pos + 1)?]));
        let body = jpeg.get(pos + 2..pos + len.max(2))?;
        if is_sof(marker) {
            return FrameHeader::parse(marker, body);
        }
        pos += len.max(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, an APP0 of `app_len` body bytes, SOF0 of `w`×`h`, SOS.
    fn jpeg(w: u16, h: u16) -> Vec<u8> {
        let mut b = vec![0xff, 0xd8, 0xff, 0xe0, 0, 6, b'J', b'F', b'I', b'F'];
        b.extend_from_slice(&[0xff, 0xff, 0xc0, 0, 11, 8]);
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&[1, 1, 0x11, 0, 0xff, 0xda, 0, 2, 0xff, 0xd9]);
        b
    }

    #[test]
    fn reads_the_frame_size() {
        let f = jpeg_frame(&jpeg(3024, 2268)).unwrap();
        assert_eq!(
            (f.width, f.height, f.precision, f.components),
            (3024, 2268, 8, 1)
        );
        assert_eq!(f.marker, 0xc0);
    }

    #[test]
    fn broken_input_gives_none() {
        let good = jpeg(1, 1);
        for n in 0..good.len() - 4 {
            // Every truncation before the frame header's fixed part ends.
            if n < 21 {
                assert_eq!(jpeg_frame(&good[..n]), None, "{n}");
            }
        }
        assert_eq!(jpeg_frame(b""), None);
        assert_eq!(jpeg_frame(b"\xff\xd8\xff\xda\0\x02"), None);
        assert_eq!(jpeg_frame(b"\xff\xd8\xff\xe0\0\0\xff\xc0"), None);
        assert_eq!(jpeg_frame(b"\xff\xd8\0\0"), None);
        assert_eq!(jpeg_frame(&[0xff; 64]), None);
        assert!(!is_sof(0xc4) && !is_sof(0xc8) && !is_sof(0xcc) && is_sof(0xc2));
    }
}
