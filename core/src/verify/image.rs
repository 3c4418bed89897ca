//! The image itself: its bytes against the signed hash, and what its EXIF says (time, camera,
//! editing software, agreement with the manifest).
//! Like every check, it must never do I/O, read the clock or panic on what a capture holds.

use serde_json::json;

use super::format::{fmt_duration, fmt_ms};
use super::report::{CheckId, Checks};
use crate::exif::frame::jpeg_frame;
use crate::exif::{ExifStatus, ExifSummary, dates};
use crate::hash::sha256;
use crate::manifest::{CaptureManifest, ManifestExif};
use crate::time::TimeAssessment;

pub(super) fn check_image_hash(m: &CaptureManifest, image: Option<&[u8]>, c: &mut Checks) {
    let Some(image) = image else {
        c.warn(
            CheckId::ImageHash,
            "the image has not been received yet: only the manifest was checked",
            json!({"expected_sha256": m.image.sha256, "expected_bytes": m.image.bytes}),
        );
        return;
    };
    let actual = sha256(image);
    let measured = json!({
        "expected_sha256": m.image.sha256,
        "actual_sha256": actual,
        "expected_bytes": m.image.bytes,
        "actual_bytes": image.len(),
    });
    if actual == m.image.sha256 && image.len() as u64 == m.image.bytes {
        c.pass(
            CheckId::ImageHash,
            "the image bytes match the signed SHA-256",
            measured,
        );
    } else {
        c.fail(
            CheckId::ImageHash,
            "the image is not the one that was signed (SHA-256 differs)",
            measured,
        );
    }
}

pub(super) fn check_exif(
    m: &CaptureManifest,
    from_image: Option<&ExifSummary>,
    time: &TimeAssessment,
    c: &mut Checks,
) {
    // What we compare: the verifier's own reading of the image when it has the image, else the
    // manifest's record of what the phone read — the same record either way.
    let from_image = from_image.map(ManifestExif::from_summary);
    let view = from_image.as_ref().unwrap_or(&m.exif);

    match (&view.datetime_original, view.status) {
        (_, ExifStatus::Unreadable) => c.warn(
            CheckId::ExifDatetime,
            "the image's EXIF is unreadable",
            json!({}),
        ),
        (None, _) => c.warn(
            CheckId::ExifDatetime,
            "the image has no EXIF DateTimeOriginal",
            json!({}),
        ),
        (Some(raw), _) => {
            let offset_min = view
                .offset_time_original
                .as_deref()
                .and_then(dates::offset_seconds)
                .map_or(m.clock.tz_offset_min, |s| s / 60);
            match offset_min
                .checked_mul(60)
                .and_then(|s| dates::datetime_original_ms(raw, s))
            {
                None => c.warn(
                    CheckId::ExifDatetime,
                    format!("EXIF DateTimeOriginal {raw:?} is not a valid date"),
                    json!({"exif_datetime_original": raw}),
                ),
                Some(exif_ms) => {
                    let diff = exif_ms - time.best.time_ms;
                    let unc = time.best.uncertainty_ms.map_or(0, |u| u as i64);
                    let beyond = diff.abs() - unc;
                    let measured = json!({
                        "exif_datetime_original": raw, "utc_offset_min": offset_min,
                        "difference_ms": diff, "capture_time": fmt_ms(time.best.time_ms),
                    });
                    if beyond <= 10 * 60_000 {
                        c.pass(
                            CheckId::ExifDatetime,
                            format!(
                                "EXIF time agrees with the capture time ({} apart)",
                                fmt_duration(diff)
                            ),
                            measured,
                        );
                    } else if beyond <= 60 * 60_000 {
                        c.warn(
                            CheckId::ExifDatetime,
                            format!(
                                "EXIF time differs from the capture time by {}",
                                fmt_duration(diff)
                            ),
                            measured,
                        );
                    } else {
                        c.fail(
                            CheckId::ExifDatetime,
                            format!("the photo's EXIF says it was taken {} away from the capture time: an older or different photo", fmt_duration(diff)),
                            measured,
                        );
                    }
                }
            }
        }
    }

    let dev = json!({"make": view.make, "model": view.model});
    match (&view.make, &view.model) {
        (Some(mk), Some(md)) => c.pass(CheckId::ExifDevice, format!("camera: {mk} {md}"), dev),
        _ => c.warn(
            CheckId::ExifDevice,
            "the image does not name the camera's make and model",
            dev,
        ),
    }

    let editor = view.software.as_deref().filter(|s| is_editing_software(s));
    if editor.is_some() || view.findings.iter().any(|f| f == "editing_software") {
        c.fail(
            CheckId::EditingSoftware,
            format!(
                "the image was saved by editing software: {}",
                view.software.as_deref().unwrap_or("(named in EXIF)")
            ),
            json!({"software": view.software}),
        );
    } else {
        c.pass(
            CheckId::EditingSoftware,
            "no editing software named in EXIF",
            json!({"software": view.software}),
        );
    }

    if let Some(image) = &from_image {
        if *image == m.exif {
            c.pass(
                CheckId::ExifMatchesManifest,
                "the EXIF recorded at sealing matches the image",
                json!({}),
            );
        } else {
            c.warn(
                CheckId::ExifMatchesManifest,
                "the EXIF recorded in the manifest differs from what this verifier reads from the image",
                json!({"manifest": m.exif, "image": image}),
            );
        }
    }
}

/// Shorter side, in pixels, below which a photo of a result sheet cannot show its handwritten
/// figures legibly (the reasoning is in `docs/verification.md`, check `image_frame`).
pub const MIN_FRAME_SHORT_SIDE_PX: u32 = 800;

/// The `image_frame` check: the JPEG frame's real size (its SOF header) against the EXIF pixel
/// dimensions — an editor that re-saves a picture smaller often keeps the camera's EXIF — and
/// against [`MIN_FRAME_SHORT_SIDE_PX`]. Either problem is a warning.
pub(super) fn check_image_frame(image: &[u8], exif: &ExifSummary, c: &mut Checks) {
    let mut measured = json!({
        "container": exif.container,
        "exif_pixel_width": exif.pixel_width,
        "exif_pixel_height": exif.pixel_height,
        "exif_orientation": exif.orientation,
        "min_short_side_px": MIN_FRAME_SHORT_SIDE_PX,
    });
    if exif.container != "jpeg" {
        c.pass(
            CheckId::ImageFrame,
            format!(
                "the frame size is measured in JPEG images only; this is a {} image",
                exif.container
            ),
            measured,
        );
        return;
    }
    let Some(frame) = jpeg_frame(image).filter(|f| f.width > 0 && f.height > 0) else {
        c.warn(
            CheckId::ImageFrame,
            "the JPEG has no readable frame header: its real size is unknown",
            measured,
        );
        return;
    };
    let (w, h) = (u32::from(frame.width), u32::from(frame.height));
    measured["frame_width"] = json!(w);
    measured["frame_height"] = json!(h);
    let mut problems = Vec::new();
    let exif_size = exif.pixel_width.zip(exif.pixel_height);
    if let Some((ew, eh)) = exif_size {
        // Orientation 5-8: a writer may give the size of the picture as displayed.
        let quarter_turn = matches!(exif.orientation, Some(5..=8));
        if (ew, eh) != (w, h) && !(quarter_turn && (eh, ew) == (w, h)) {
            problems.push(format!(
                "the frame is {w}×{h} pixels but EXIF says {ew}×{eh}: the picture was re-encoded \
                 at another size after the camera wrote its EXIF"
            ));
        }
    }
    if w.min(h) < MIN_FRAME_SHORT_SIDE_PX {
        problems.push(format!(
            "the frame is {w}×{h} pixels, under {MIN_FRAME_SHORT_SIDE_PX} on its shorter side: \
             too small for handwritten figures to be legible"
        ));
    }
    if problems.is_empty() {
        let agrees = if exif_size.is_some() {
            ", as its EXIF says"
        } else {
            ""
        };
        c.pass(
            CheckId::ImageFrame,
            format!("the frame is {w}×{h} pixels{agrees}"),
            measured,
        );
    } else {
        c.warn(CheckId::ImageFrame, problems.join("; "), measured);
    }
}

/// Whether an EXIF Software string names an image editor (the list lives in [`crate::exif`]).
pub fn is_editing_software(software: &str) -> bool {
    crate::exif::editing_software(software).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editors_are_recognised() {
        assert!(is_editing_software("Adobe Photoshop CC 2019 (Macintosh)"));
        assert!(is_editing_software("GIMP 2.8.16"));
        assert!(is_editing_software(
            "Microsoft Windows Photo Viewer 10.0.19041.1"
        ));
        assert!(!is_editing_software("G935LKLU1APL1"));
        assert!(!is_editing_software("HDR+ 1.0.570503588zd"));
    }
}
