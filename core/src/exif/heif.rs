//! HEIF/HEIC (ISO-BMFF): recognising the brand and assembling the `Exif` item's EXIF block, with
//! a capped extent list. Must never assemble more than the EXIF block's size limit, however many
//! extents or boxes the file declares.

use super::container::be_u32;

/// Largest EXIF block we assemble from HEIF extents (the same limit as kamadak-exif).
const MAX_HEIF_EXIF_BYTES: usize = 131_070;
/// Most extents we accept for the HEIF Exif item (cameras write one).
const MAX_HEIF_EXTENTS: usize = 64;

/// Brands of the HEIF family (HEIC, HEIF image/sequence, AVIF), major or compatible.
const HEIF_BRANDS: &[&[u8; 4]] = &[
    b"mif1", b"msf1", b"mif2", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm",
    b"hevs", b"avif", b"avis",
];

pub(super) fn is_heif(b: &[u8]) -> bool {
    if b.get(4..8) != Some(b"ftyp") {
        return false;
    }
    let mut top = Boxes::new(b);
    let Ok((_, mut body)) = top.child_box() else {
        return false;
    };
    // major brand, minor version, compatible brands
    let Ok(major) = body.array4() else {
        return false;
    };
    if HEIF_BRANDS.contains(&&major) {
        return true;
    }
    if body.slice(4).is_err() {
        return false;
    }
    while let Ok(brand) = body.array4() {
        if HEIF_BRANDS.contains(&&brand) {
            return true;
        }
    }
    false
}
/// A cursor over ISO-BMFF boxes.
struct Boxes<'a> {
    inner: &'a [u8],
}

impl<'a> Boxes<'a> {
    fn new(inner: &'a [u8]) -> Self {
        Boxes { inner }
    }

    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    fn slice(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        if n > self.inner.len() {
            return Err("Box too small");
        }
        let (head, rest) = self.inner.split_at(n);
        self.inner = rest;
        Ok(head)
    }

    fn array4(&mut self) -> Result<[u8; 4], &'static str> {
        let s = self.slice(4)?;
        Ok([s[0], s[1], s[2], s[3]])
    }

    fn u16(&mut self) -> Result<u16, &'static str> {
        let s = self.slice(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }

    fn u32(&mut self) -> Result<u32, &'static str> {
        Ok(u32::from_be_bytes(self.array4()?))
    }

    fn u64(&mut self) -> Result<u64, &'static str> {
        let hi = u64::from(self.u32()?);
        let lo = u64::from(self.u32()?);
        Ok(hi << 32 | lo)
    }

    /// A 0-, 4- or 8-byte unsigned integer (`None` for other sizes).
    fn size048(&mut self, size: usize) -> Result<Option<u64>, &'static str> {
        match size {
            0 => Ok(Some(0)),
            4 => self.u32().map(|v| Some(u64::from(v))),
            8 => self.u64().map(Some),
            _ => Ok(None),
        }
    }

    /// Version and flags of a full box.
    fn fullbox_header(&mut self) -> Result<(u32, u32), &'static str> {
        let v = self.u32()?;
        Ok((v >> 24, v & 0xff_ffff))
    }

    /// Type and body of the next box.
    fn child_box(&mut self) -> Result<([u8; 4], Boxes<'a>), &'static str> {
        let size = self.u32()?;
        let boxtype = self.array4()?;
        let body_len = match size {
            0 => Some(self.inner.len()),
            1 => usize::try_from(self.u64()?)
                .map_err(|_| "Box is larger than the address space")?
                .checked_sub(16),
            n => (n as usize).checked_sub(8),
        }
        .ok_or("Invalid box size")?;
        Ok((boxtype, Boxes::new(self.slice(body_len)?)))
    }
}

struct HeifLocation {
    construction_method: u8,
    base_offset: u64,
    /// (offset, length)
    extents: Vec<(u64, u64)>,
}

/// The EXIF block of the HEIF `Exif` item (after its 4-byte TIFF header offset).
pub(super) fn heif_exif(b: &[u8]) -> Result<Option<Vec<u8>>, &'static str> {
    const BROKEN: &str = "Broken HEIF file";
    let mut top = Boxes::new(b);
    let mut ftyp_checked = false;
    while !top.is_empty() {
        let size = top.u32().map_err(|_| BROKEN)?;
        let boxtype = top.array4().map_err(|_| BROKEN)?;
        let body_len = match size {
            0 => Some(top.inner.len()),
            1 => usize::try_from(top.u64().map_err(|_| BROKEN)?)
                .map_err(|_| "Box is larger than the address space")?
                .checked_sub(16),
            n => (n as usize).checked_sub(8),
        }
        .ok_or("Invalid box size")?;
        let body = match top.slice(body_len) {
            Ok(body) => body,
            // A truncated box we would skip anyway ends the file.
            Err(_) if &boxtype != b"ftyp" && &boxtype != b"meta" => return Ok(None),
            Err(_) => return Err(BROKEN),
        };
        match &boxtype {
            b"ftyp" => {
                if !is_heif_ftyp(body) {
                    return Err("No compatible brand recognized in ISO base media file");
                }
                ftyp_checked = true;
            }
            b"meta" => {
                if !ftyp_checked {
                    return Err("MetaBox found before FileTypeBox");
                }
                return heif_meta(b, Boxes::new(body));
            }
            _ => {}
        }
    }
    Ok(None)
}

fn is_heif_ftyp(body: &[u8]) -> bool {
    body.len() >= 8
        && body
            .chunks_exact(4)
            .enumerate()
            .any(|(i, c)| i != 1 && HEIF_BRANDS.iter().any(|b| &b[..] == c))
}

fn heif_meta(file: &[u8], mut meta: Boxes<'_>) -> Result<Option<Vec<u8>>, &'static str> {
    let (version, _flags) = meta.fullbox_header()?;
    if version != 0 {
        return Err("Unsupported MetaBox");
    }
    let mut idat = None;
    let mut iloc = None;
    let mut item_id = None;
    while !meta.is_empty() {
        let (boxtype, mut body) = meta.child_box()?;
        match &boxtype {
            b"idat" => idat = Some(body.inner),
            b"iinf" => {
                let (version, _flags) = body.fullbox_header()?;
                let count = match version {
                    0 => u32::from(body.u16()?),
                    _ => body.u32()?,
                };
                for _ in 0..count {
                    let (boxtype, mut infe) = body.child_box()?;
                    if &boxtype != b"infe" {
                        continue;
                    }
                    let (version, _flags) = infe.fullbox_header()?;
                    let id = match version {
                        2 => u32::from(infe.u16()?),
                        3 => infe.u32()?,
                        // Versions 0 and 1 carry no item type.
                        _ => continue,
                    };
                    let _protection_index = infe.slice(2)?;
                    if &infe.array4()? == b"Exif" {
                        item_id = Some(id);
                    }
                }
            }
            b"iloc" => iloc = Some(body),
            _ => {}
        }
    }
    let Some(item_id) = item_id else {
        return Ok(None);
    };
    let loc = heif_iloc(iloc.ok_or("No ItemLocationBox")?, item_id)?
        .ok_or("No matching item in ItemLocationBox")?;
    let mut buf = Vec::new();
    let source = match loc.construction_method {
        0 => file,
        1 => idat.ok_or("No ItemDataBox")?,
        2 => return Err("Construction by item offset is not supported"),
        _ => return Err("Invalid construction_method"),
    };
    for &(off, len) in &loc.extents {
        let off = loc.base_offset.checked_add(off).ok_or("Invalid offset")?;
        let off = usize::try_from(off).map_err(|_| "Offset too large")?;
        let piece = if len == 0 {
            source.get(off..).unwrap_or(&[])
        } else {
            let end = usize::try_from(len)
                .ok()
                .and_then(|len| off.checked_add(len))
                .ok_or("Invalid length")?;
            source
                .get(off..end)
                .ok_or(if loc.construction_method == 0 {
                    "Broken HEIF file"
                } else {
                    "Out of ItemDataBox"
                })?
        };
        if buf.len() + piece.len() > MAX_HEIF_EXIF_BYTES {
            return Err("Exif data too large");
        }
        buf.extend_from_slice(piece);
    }
    if buf.len() < 4 {
        return Err("ExifDataBlock too small");
    }
    let offset = be_u32(&buf, 0).ok_or("ExifDataBlock too small")? as usize;
    if buf.len() - 4 < offset {
        return Err("Invalid Exif header offset");
    }
    buf.drain(..4 + offset);
    Ok(Some(buf))
}

fn heif_iloc(mut iloc: Boxes<'_>, item_id: u32) -> Result<Option<HeifLocation>, &'static str> {
    let (version, _flags) = iloc.fullbox_header()?;
    let sizes = usize::from(iloc.u16()?);
    let (offset_size, length_size, base_offset_size) =
        (sizes >> 12, sizes >> 8 & 0xf, sizes >> 4 & 0xf);
    let index_size = match version {
        1 | 2 => sizes & 0xf,
        _ => 0,
    };
    let count = match version {
        0 | 1 => u32::from(iloc.u16()?),
        2 => iloc.u32()?,
        _ => return Err("Unsupported ItemLocationBox"),
    };
    let mut found = None;
    for _ in 0..count {
        let id = match version {
            2 => iloc.u32()?,
            _ => u32::from(iloc.u16()?),
        };
        let construction_method = match version {
            0 => 0,
            _ => iloc.slice(2)?[1] & 0xf,
        };
        let data_ref_index = iloc.u16()?;
        if construction_method == 0 && data_ref_index != 0 {
            return Err("External data reference is not supported");
        }
        let base_offset = iloc
            .size048(base_offset_size)?
            .ok_or("Invalid base_offset_size")?;
        let extent_count = usize::from(iloc.u16()?);
        if id == item_id {
            if extent_count > MAX_HEIF_EXTENTS {
                return Err("Too many extents in the Exif item");
            }
            let mut extents = Vec::with_capacity(extent_count);
            for _ in 0..extent_count {
                iloc.size048(index_size)?.ok_or("Invalid index_size")?;
                let offset = iloc.size048(offset_size)?.ok_or("Invalid offset_size")?;
                let length = iloc.size048(length_size)?.ok_or("Invalid length_size")?;
                extents.push((offset, length));
            }
            found = Some(HeifLocation {
                construction_method,
                base_offset,
                extents,
            });
        } else {
            // (15 + 15 + 15) * 65535 cannot overflow.
            iloc.slice((index_size + offset_size + length_size) * extent_count)?;
        }
    }
    Ok(found)
}
