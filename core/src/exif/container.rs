//! Container recognition and the slice-based walkers that locate the raw EXIF (TIFF) block in
//! JPEG, PNG and WebP files (HEIF lives in [`super::heif`]). Must never copy more than the EXIF
//! block, index out of bounds or loop without moving forward.

use super::heif::{heif_exif, is_heif};

// ---------------------------------------------------------------------------------------------
// Containers

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Container {
    Jpeg,
    Heif,
    Tiff,
    Png,
    Webp,
    Unknown,
}

impl Container {
    pub(super) fn name(self) -> &'static str {
        match self {
            Container::Jpeg => "jpeg",
            Container::Heif => "heif",
            Container::Tiff => "tiff",
            Container::Png => "png",
            Container::Webp => "webp",
            Container::Unknown => "unknown",
        }
    }
}

const PNG_SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
pub(super) const EXIF_ID: &[u8] = b"Exif\0\0";

pub(super) fn detect_container(b: &[u8]) -> Container {
    if b.starts_with(b"MM\0\x2a") || b.starts_with(b"II\x2a\0") {
        Container::Tiff
    } else if b.starts_with(&[0xff, 0xd8]) {
        Container::Jpeg
    } else if b.starts_with(PNG_SIG) {
        Container::Png
    } else if is_heif(b) {
        Container::Heif
    } else if b.len() >= 12 && b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        Container::Webp
    } else {
        Container::Unknown
    }
}

pub(super) enum Located {
    Found(Vec<u8>),
    Absent,
    Corrupt(String),
}

/// Find the TIFF-structured EXIF block in the container.
pub(super) fn locate_exif(b: &[u8], container: Container) -> Located {
    let r = match container {
        Container::Tiff => return Located::Found(b.to_vec()),
        Container::Jpeg => jpeg_exif(b).map(|o| o.map(<[u8]>::to_vec)),
        Container::Png => png_exif(b).map(|o| o.map(strip_exif_id)),
        Container::Webp => webp_exif(b).map(|o| o.map(strip_exif_id)),
        Container::Heif => heif_exif(b),
        Container::Unknown => {
            return Located::Corrupt(
                "not a JPEG, HEIF, TIFF, PNG or WebP file (unrecognised magic bytes)".into(),
            );
        }
    };
    match r {
        Ok(Some(blob)) => Located::Found(blob),
        Ok(None) => Located::Absent,
        Err(why) => Located::Corrupt(format!(
            "{} container is unreadable: {why}",
            container.name()
        )),
    }
}

/// Some writers put the JPEG `Exif\0\0` prefix in PNG/WebP EXIF chunks too.
fn strip_exif_id(chunk: &[u8]) -> Vec<u8> {
    chunk.strip_prefix(EXIF_ID).unwrap_or(chunk).to_vec()
}

/// The body of the first APP1 `Exif\0\0` segment, scanning like kamadak-exif (which, unlike a
/// strict JPEG parser, keeps scanning for markers after SOS).
fn jpeg_exif(b: &[u8]) -> Result<Option<&[u8]>, &'static str> {
    const BROKEN: &str = "Broken JPEG file";
    if !b.starts_with(&[0xff, 0xd8]) {
        return Err("Not a JPEG file");
    }
    let mut i = 2;
    loop {
        // Skip to just after the next 0xFF.
        let rest = b.get(i..).ok_or(BROKEN)?;
        let p = rest.iter().position(|&x| x == 0xff).ok_or(BROKEN)?;
        i += p + 1;
        // Fill bytes.
        let code = loop {
            let c = *b.get(i).ok_or(BROKEN)?;
            i += 1;
            if c != 0xff {
                break c;
            }
        };
        match code {
            0x00 | 0x01 | 0xd0..=0xd7 => continue,
            0xd8 => return Err("Unexpected SOI"),
            0xd9 => return Ok(None),
            _ => {}
        }
        let len = b.get(i..i + 2).ok_or(BROKEN)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]))
            .checked_sub(2)
            .ok_or("Invalid segment length")?;
        i += 2;
        let seg = b.get(i..i + len).ok_or(BROKEN)?;
        i += len;
        if code == 0xe1
            && let Some(tiff) = seg.strip_prefix(EXIF_ID)
        {
            return Ok(Some(tiff));
        }
    }
}

/// The `eXIf` chunk of a PNG file.
fn png_exif(b: &[u8]) -> Result<Option<&[u8]>, &'static str> {
    const BROKEN: &str = "Broken PNG file";
    let mut i = PNG_SIG.len();
    loop {
        if i >= b.len() {
            return Ok(None);
        }
        let head = b.get(i..i + 8).ok_or(BROKEN)?;
        let len = be_u32(head, 0).ok_or(BROKEN)? as usize;
        i += 8;
        if &head[4..8] == b"eXIf" {
            return b.get(i..i.saturating_add(len)).ok_or(BROKEN).map(Some);
        }
        i = i
            .checked_add(len)
            .and_then(|i| i.checked_add(4))
            .ok_or(BROKEN)?;
        if i > b.len() {
            return Err(BROKEN);
        }
    }
}

/// The `EXIF` chunk of a WebP (RIFF) file.
fn webp_exif(b: &[u8]) -> Result<Option<&[u8]>, &'static str> {
    const BROKEN: &str = "Broken WebP file";
    const OVERFLOW: &str = "Chunk overflowing parent";
    let mut file_size = le_u32(b, 4)
        .ok_or(BROKEN)?
        .checked_sub(4)
        .ok_or("Invalid header file size")? as usize;
    let mut i = 12usize;
    while file_size > 0 {
        file_size = file_size.checked_sub(8).ok_or(OVERFLOW)?;
        let fourcc = b.get(i..i + 4).ok_or(BROKEN)?;
        let mut size = le_u32(b, i + 4).ok_or(BROKEN)? as usize;
        i += 8;
        file_size = file_size.checked_sub(size).ok_or(OVERFLOW)?;
        if fourcc == b"EXIF" {
            return b.get(i..i.saturating_add(size)).ok_or(BROKEN).map(Some);
        }
        if !size.is_multiple_of(2) && file_size > 0 {
            file_size -= 1;
            size = size.saturating_add(1);
        }
        i = i.saturating_add(size);
        if i > b.len() {
            return Err(BROKEN);
        }
    }
    Ok(None)
}

pub(super) fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers() {
        assert_eq!(detect_container(b"\xff\xd8\xff\xe0"), Container::Jpeg);
        assert_eq!(detect_container(b"II\x2a\0\x08\0\0\0"), Container::Tiff);
        assert_eq!(detect_container(b"MM\0\x2a\0\0\0\x08"), Container::Tiff);
        assert_eq!(detect_container(b"\x89PNG\r\n\x1a\n...."), Container::Png);
        assert_eq!(detect_container(b"RIFF\0\0\0\0WEBPVP8 "), Container::Webp);
        assert_eq!(
            detect_container(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            Container::Heif
        );
        assert_eq!(
            detect_container(b"\0\0\0\x14ftypisom\0\0\0\0mp41"),
            Container::Unknown
        );
        assert_eq!(detect_container(b""), Container::Unknown);
        assert_eq!(detect_container(b"GIF89a"), Container::Unknown);
    }

    /// Our container walkers return exactly the bytes kamadak-exif's `read_from_container` finds,
    /// and our IFD scan never counts fewer entries than kamadak-exif parses.
    #[test]
    fn locate_agrees_with_kamadak_on_fixtures() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/images");
        let mut n = 0;
        for sub in ["phone_gps", "phone_nogps", "camera_gps", "heic"] {
            for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let ours = locate_exif(&bytes, detect_container(&bytes));
                let theirs = exif::Reader::new()
                    .continue_on_error(true)
                    .read_from_container(&mut std::io::Cursor::new(&bytes))
                    .or_else(|e| e.distill_partial_result(|_| {}));
                match (ours, theirs) {
                    (Located::Found(blob), Ok(ex)) => {
                        assert_eq!(blob.as_slice(), ex.buf(), "{}", path.display());
                        let scan = super::super::tiff_scan::TiffScan::run(&blob).unwrap();
                        assert!(scan.entries >= ex.fields().len(), "{}", path.display());
                    }
                    (Located::Absent, Err(exif::Error::NotFound(_))) => {}
                    (o, t) => panic!(
                        "{}: ours {} theirs {:?}",
                        path.display(),
                        match o {
                            Located::Found(_) => "found".to_string(),
                            Located::Absent => "absent".to_string(),
                            Located::Corrupt(e) => e,
                        },
                        t.err()
                    ),
                }
                n += 1;
            }
        }
        assert!(n >= 43, "{n}");
    }
}
