//! A smaller copy of a capture's photo for the station page: at most [`WIDTH`] pixels wide, so
//! that a visitor on a cheap phone over a slow link loads tens of kilobytes, not the original's
//! hundreds; the original stays one click away, byte for byte the one the phone signed.
//!
//! Made once from the original (decoded, averaged down, encoded as a JPEG) and kept in the object
//! store under a derived, immutable key ([`ObjectKey::for_rendition`]): the original never
//! changes, so neither does its copy. The original itself is served instead when no smaller copy
//! can be made or would help: an image already small enough, a HEIC (no decoder here), one whose
//! EXIF turns it (a copy without EXIF would show it turned), or one that does not decode.

use bytes::Bytes;
use tallyseal_core::exif::extract_exif;

use super::image::{CaptureImage, capture_image};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::ObjectKey;

/// The copy's width in pixels (a phone held upright shows it at full width).
pub const WIDTH: u32 = 800;
/// The copy's JPEG quality.
const QUALITY: u8 = 72;

/// The photo of `manifest_hash` as the station page shows it: the smaller copy when there is one,
/// the original otherwise (with its own media type).
pub async fn rendition(state: &AppState, manifest_hash: &str) -> Result<CaptureImage, ApiError> {
    let original = capture_image(state, manifest_hash).await?;
    if original.media_type != "image/jpeg" {
        return Ok(original);
    }
    let digest = original
        .sha256
        .parse()
        .map_err(|e| ApiError::internal("image hash", e))?;
    let key = ObjectKey::for_rendition(&digest, WIDTH);
    if let Ok(Some(bytes)) = state.store.get(&key).await {
        return Ok(CaptureImage { bytes, ..original });
    }
    let source = original.bytes.clone();
    let made = tokio::task::spawn_blocking(move || shrink(&source, WIDTH))
        .await
        .map_err(|e| ApiError::internal("rendition", e))?;
    let Some(bytes) = made else {
        return Ok(original);
    };
    let bytes = Bytes::from(bytes);
    if let Err(e) = state.store.put_named_if_absent(&key, bytes.clone()).await {
        log::warn!("portal rendition of {}: not stored: {e}", original.sha256);
    }
    Ok(CaptureImage { bytes, ..original })
}

/// The JPEG `jpeg` at most `width` pixels wide, or `None` when the original should be served.
pub fn shrink(jpeg: &[u8], width: u32) -> Option<Vec<u8>> {
    if extract_exif(jpeg).orientation.is_some_and(|o| o != 1) {
        return None;
    }
    let mut decoder = jpeg_decoder::Decoder::new(jpeg);
    let pixels = decoder.decode().ok()?;
    let info = decoder.info()?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if w <= width || h == 0 {
        return None;
    }
    let channels = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => 3,
        jpeg_decoder::PixelFormat::L8 => 1,
        _ => return None,
    };
    let out_h = (u64::from(h) * u64::from(width) / u64::from(w)).max(1) as u32;
    let small = average_down(&pixels, (w, h), channels, (width, out_h));
    let color = if channels == 3 {
        jpeg_encoder::ColorType::Rgb
    } else {
        jpeg_encoder::ColorType::Luma
    };
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, QUALITY)
        .encode(&small, width as u16, out_h as u16, color)
        .ok()?;
    Some(out)
}

/// Each output pixel the mean of the input pixels it covers (a box filter: no aliasing of the
/// form's ruled lines and handwriting).
fn average_down(src: &[u8], (w, h): (u32, u32), ch: usize, (ow, oh): (u32, u32)) -> Vec<u8> {
    let (w, h, ow, oh) = (w as usize, h as usize, ow as usize, oh as usize);
    let mut out = vec![0u8; ow * oh * ch];
    for oy in 0..oh {
        let (y0, y1) = (oy * h / oh, ((oy + 1) * h / oh).max(oy * h / oh + 1));
        for ox in 0..ow {
            let (x0, x1) = (ox * w / ow, ((ox + 1) * w / ow).max(ox * w / ow + 1));
            let mut sum = [0u64; 3];
            for y in y0..y1.min(h) {
                let row = &src[(y * w + x0) * ch..(y * w + x1.min(w)) * ch];
                for px in row.chunks_exact(ch) {
                    for (s, v) in sum.iter_mut().zip(px) {
                        *s += u64::from(*v);
                    }
                }
            }
            let n = ((y1.min(h) - y0) * (x1.min(w) - x0)).max(1) as u64;
            let at = (oy * ow + ox) * ch;
            for c in 0..ch {
                out[at + c] = (sum[c] / n) as u8;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tallyseal_testkit::camera::{PhotoSpec, photograph};

    #[test]
    fn a_phone_photo_becomes_a_much_smaller_copy_of_the_same_picture() {
        let mut spec = PhotoSpec::phone(31.52, 74.35, 1_707_400_000_000, 300, 5);
        spec.width = 1200;
        spec.height = 1600;
        spec.exif.pixel_width = Some(1200);
        spec.exif.pixel_height = Some(1600);
        let original = photograph(&spec);
        let small = shrink(&original, WIDTH).expect("a copy");
        assert!(
            small.len() * 2 < original.len(),
            "{} vs {}",
            small.len(),
            original.len()
        );
        let mut d = jpeg_decoder::Decoder::new(&small[..]);
        d.decode().unwrap();
        let info = d.info().unwrap();
        assert_eq!((info.width, info.height), (800, 1066));
        // Already small enough, or not a JPEG: the original is served.
        spec.width = 640;
        spec.height = 480;
        assert!(shrink(&photograph(&spec), WIDTH).is_none());
        assert!(shrink(b"not a jpeg", WIDTH).is_none());
    }

    #[test]
    fn averaging_keeps_the_mean() {
        // 4x2 grey ramp down to 2x1: each output pixel the mean of a 2x2 block.
        let src = [0u8, 10, 20, 30, 40, 50, 60, 70];
        assert_eq!(average_down(&src, (4, 2), 1, (2, 1)), vec![25, 45]);
    }
}
