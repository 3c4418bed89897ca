//! The allocation-free pre-scan of the TIFF/IFD graph that bounds what kamadak-exif may parse.
//! It walks the graph the way kamadak-exif does; it must never allocate per entry nor count fewer
//! entries than kamadak-exif would parse (a fixture test checks the latter).

use std::collections::HashSet;

use exif::{Context, Tag};

use super::MAX_IFD_ENTRIES;

/// Budget for IFD-pointer values kamadak-exif decodes while walking (a pointer is 4 bytes).
const MAX_POINTER_BYTES: usize = 64 * 1024;

/// A field of interest as declared in an IFD entry.
#[derive(Debug, Clone, Copy)]
struct Declared {
    ifd: u16,
    ctx: Context,
    tag: u16,
    typ: u16,
    /// Declared size of the value, bytes.
    bytes: usize,
}

/// Allocation-free walk of the IFD graph in the order kamadak-exif (with `continue_on_error`)
/// walks it: counts entries and records the declared size of the fields we will decode.
#[derive(Debug)]
pub(super) struct TiffScan {
    pub(super) entries: usize,
    pointer_bytes: usize,
    seen: HashSet<u32>,
    declared: Vec<Declared>,
    /// The primary image (IFD0) links a GPS IFD that has a readable entry count.
    pub(super) gps_ifd_in_primary: bool,
}

enum ScanStop {
    /// This IFD is corrupt; kamadak-exif records an error and goes on with the parent.
    Corrupt,
    /// Over budget: refuse the whole block.
    Budget(String),
}

/// Tags whose declared size we record (the ones [`extract_exif`](super::extract_exif) decodes).
const WANTED: &[Tag] = &[
    Tag::Make,
    Tag::Model,
    Tag::Software,
    Tag::ImageWidth,
    Tag::ImageLength,
    Tag::Orientation,
    Tag::DateTimeOriginal,
    Tag::OffsetTimeOriginal,
    Tag::PixelXDimension,
    Tag::PixelYDimension,
    Tag::GPSLatitudeRef,
    Tag::GPSLatitude,
    Tag::GPSLongitudeRef,
    Tag::GPSLongitude,
    Tag::GPSAltitudeRef,
    Tag::GPSAltitude,
    Tag::GPSTimeStamp,
    Tag::GPSDateStamp,
];

fn type_len(typ: u16) -> usize {
    match typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 => 4,
        5 | 10 | 12 => 8,
        _ => 0,
    }
}

impl TiffScan {
    pub(super) fn run(data: &[u8]) -> Result<TiffScan, String> {
        let mut scan = TiffScan {
            entries: 0,
            pointer_bytes: 0,
            seen: HashSet::new(),
            declared: Vec::new(),
            gps_ifd_in_primary: false,
        };
        let le = match data.get(0..2) {
            Some(b"II") => true,
            Some(b"MM") => false,
            // kamadak-exif rejects the block outright.
            _ => return Ok(scan),
        };
        if data.len() < 8 || rd16(data, 2, le) != Some(42) {
            return Ok(scan);
        }
        let mut ifd_offset = rd32(data, 4, le).unwrap_or(0) as usize;
        let mut ifd_num: u16 = 0;
        while ifd_offset != 0 {
            if ifd_num >= 8 {
                break;
            }
            match scan.ifd(data, le, ifd_offset, Context::Tiff, ifd_num) {
                Ok(next) => ifd_offset = next,
                Err(ScanStop::Corrupt) => break,
                Err(ScanStop::Budget(why)) => return Err(why),
            }
            ifd_num += 1;
        }
        Ok(scan)
    }

    fn ifd(
        &mut self,
        data: &[u8],
        le: bool,
        mut offset: usize,
        ctx: Context,
        ifd_num: u16,
    ) -> Result<usize, ScanStop> {
        let count = rd16(data, offset, le).ok_or(ScanStop::Corrupt)?;
        if !self.seen.insert(offset as u32) {
            return Err(ScanStop::Corrupt);
        }
        if ctx == Context::Gps && ifd_num == 0 {
            self.gps_ifd_in_primary = true;
        }
        offset += 2;
        for _ in 0..count {
            if data.len() - offset < 12 {
                return Err(ScanStop::Corrupt);
            }
            self.entries += 1;
            if self.entries > MAX_IFD_ENTRIES {
                return Err(ScanStop::Budget(format!(
                    "EXIF block declares more than {MAX_IFD_ENTRIES} IFD entries \
                     (overlapping or looping IFDs); not parsed"
                )));
            }
            let at = offset;
            offset += 12;
            let (Some(tag), Some(typ), Some(cnt)) = (
                rd16(data, at, le),
                rd16(data, at + 2, le),
                rd32(data, at + 4, le),
            ) else {
                return Err(ScanStop::Corrupt);
            };
            let Some(vallen) = type_len(typ).checked_mul(cnt as usize) else {
                continue;
            };
            let valofs = if vallen <= 4 {
                at + 8
            } else {
                let ofs = rd32(data, at + 8, le).unwrap_or(u32::MAX) as usize;
                if data.len() < ofs || data.len() - ofs < vallen {
                    continue;
                }
                ofs
            };
            let child = match (ctx, tag) {
                (Context::Tiff, 0x8769) => Context::Exif,
                (Context::Tiff, 0x8825) => Context::Gps,
                (Context::Exif, 0xa005) => Context::Interop,
                _ => {
                    if WANTED.contains(&Tag(ctx, tag)) {
                        self.declared.push(Declared {
                            ifd: ifd_num,
                            ctx,
                            tag,
                            typ,
                            bytes: vallen,
                        });
                    }
                    continue;
                }
            };
            // kamadak-exif decodes the whole pointer value to read its first element.
            self.pointer_bytes = self.pointer_bytes.saturating_add(vallen);
            if self.pointer_bytes > MAX_POINTER_BYTES {
                return Err(ScanStop::Budget(format!(
                    "EXIF IFD pointers declare more than {MAX_POINTER_BYTES} bytes; not parsed"
                )));
            }
            if cnt == 0 {
                continue;
            }
            let ptr = match typ {
                1 => data.get(valofs).map(|&b| u32::from(b)),
                3 => rd16(data, valofs, le).map(u32::from),
                4 => rd32(data, valofs, le),
                _ => None,
            };
            let Some(ptr) = ptr else {
                continue;
            };
            match self.ifd(data, le, ptr as usize, child, ifd_num) {
                Ok(_) | Err(ScanStop::Corrupt) => {}
                Err(budget) => return Err(budget),
            }
        }
        rd32(data, offset, le)
            .map(|n| n as usize)
            .ok_or(ScanStop::Corrupt)
    }

    /// Largest declared size among the entries kamadak-exif may return for `tag` in IFD0.
    pub(super) fn declared_bytes(&self, tag: Tag) -> Option<(usize, u16)> {
        self.declared
            .iter()
            .filter(|d| d.ifd == 0 && d.ctx == tag.context() && d.tag == tag.number())
            .map(|d| (d.bytes, d.typ))
            .max_by_key(|&(bytes, _)| bytes)
    }
}

fn rd16(d: &[u8], at: usize, le: bool) -> Option<u16> {
    let s = d.get(at..at.checked_add(2)?)?;
    let a = [s[0], s[1]];
    Some(if le {
        u16::from_le_bytes(a)
    } else {
        u16::from_be_bytes(a)
    })
}

fn rd32(d: &[u8], at: usize, le: bool) -> Option<u32> {
    let s = d.get(at..at.checked_add(4)?)?;
    let a = [s[0], s[1], s[2], s[3]];
    Some(if le {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    })
}
