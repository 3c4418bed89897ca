//! Fast path: the DC coefficients of a baseline JPEG.
//!
//! The DC coefficient of each 8×8 luma block is that block's mean brightness, which is exactly the
//! 1/8-scale picture the dHash needs. Reading it still means walking every Huffman symbol of the
//! scan (AC coefficients cannot be skipped without decoding them), but no coefficient is stored,
//! dequantised or transformed and chroma blocks are only skipped. Anything this path does not
//! handle (progressive, arithmetic or 12-bit coding, Adobe RGB/CMYK) returns `None` and the caller
//! falls back to the general decoder. Must never panic or index out of bounds on any input
//! (fuzzed: target `phash`).

use super::huffman::{Bits, Huffman, MAX_PADDING};
use super::{MAX_DIMENSION, average, cell_index};
use crate::exif::frame::FrameHeader;

#[derive(Clone, Copy)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    tq: usize,
}

/// The 9×8 grid of mean brightness from the luma DC coefficients, or `None` when this path
/// does not apply (the caller then decodes with the general decoder).
pub(super) fn luma_grid_fast(jpeg: &[u8]) -> Option<[[f32; 9]; 8]> {
    if jpeg.get(..2)? != [0xff, 0xd8] {
        return None;
    }
    let mut pos = 2;
    let mut dc_tables: [Option<Huffman>; 4] = [None, None, None, None];
    let mut ac_tables: [Option<Huffman>; 4] = [None, None, None, None];
    let mut q0 = [0u16; 4];
    let mut frame: Option<(usize, usize, Vec<Component>)> = None;
    let mut restart_interval = 0usize;
    loop {
        // Next marker (fill bytes 0xFF may repeat).
        if *jpeg.get(pos)? != 0xff {
            return None;
        }
        while *jpeg.get(pos)? == 0xff {
            pos += 1;
        }
        let marker = *jpeg.get(pos)?;
        pos += 1;
        if marker == 0xd9 || (0xd0..=0xd7).contains(&marker) || marker == 0x01 {
            return None; // end before a luma scan, or a stray marker
        }
        let len = usize::from(u16::from_be_bytes([*jpeg.get(pos)?, *jpeg.get(pos + 1)?]));
        let seg = jpeg.get(pos + 2..pos + len.max(2))?;
        pos += len;
        match marker {
            0xc0 | 0xc1 => {
                let header = FrameHeader::parse(marker, seg)?;
                if header.precision != 8 || frame.is_some() {
                    return None;
                }
                let h = usize::from(header.height);
                let w = usize::from(header.width);
                let nc = usize::from(header.components);
                if w == 0
                    || h == 0
                    || w > usize::from(MAX_DIMENSION)
                    || h > usize::from(MAX_DIMENSION)
                {
                    return None;
                }
                if !(nc == 1 || nc == 3) || seg.len() < 6 + 3 * nc {
                    return None;
                }
                // Component ids that the general decoder (like libjpeg) takes for RGB, not YCbCr:
                // the first component is then red, not luma.
                if nc == 3 {
                    let ids = [seg[6], seg[9], seg[12]];
                    if matches!(ids, [b'R', b'G', b'B'] | [b'r', b'g', b'b'] | [1, 34, 35]) {
                        return None;
                    }
                }
                let mut comps = Vec::with_capacity(nc);
                for c in seg[6..6 + 3 * nc].chunks_exact(3) {
                    let (hs, vs) = (usize::from(c[1] >> 4), usize::from(c[1] & 15));
                    if !(1..=4).contains(&hs) || !(1..=4).contains(&vs) || c[2] > 3 {
                        return None;
                    }
                    comps.push(Component {
                        id: c[0],
                        h: hs,
                        v: vs,
                        tq: usize::from(c[2]),
                    });
                }
                frame = Some((w, h, comps));
            }
            // Progressive, lossless, hierarchical or arithmetic coding: not this path.
            0xc2 | 0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf => return None,
            0xc4 => {
                let mut s = seg;
                while !s.is_empty() {
                    let tc = s[0] >> 4;
                    let th = usize::from(s[0] & 15);
                    let counts: [u8; 16] = s.get(1..17)?.try_into().ok()?;
                    let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
                    let symbols = s.get(17..17 + total)?;
                    let table = Huffman::new(&counts, symbols)?;
                    match (tc, th) {
                        (0, 0..=3) => dc_tables[th] = Some(table),
                        (1, 0..=3) => ac_tables[th] = Some(table),
                        _ => return None,
                    }
                    s = &s[17 + total..];
                }
            }
            0xdb => {
                let mut s = seg;
                while !s.is_empty() {
                    let (pq, tq) = (s[0] >> 4, usize::from(s[0] & 15));
                    if tq > 3 {
                        return None;
                    }
                    let size = if pq == 0 { 64 } else { 128 };
                    let t = s.get(1..1 + size)?;
                    q0[tq] = if pq == 0 {
                        u16::from(t[0])
                    } else {
                        u16::from_be_bytes([t[0], t[1]])
                    };
                    s = &s[1 + size..];
                }
            }
            0xdd => {
                restart_interval = usize::from(u16::from_be_bytes([*seg.first()?, *seg.get(1)?]));
            }
            // Adobe APP14: only its YCbCr transform (1) has luma as the first component.
            0xee if seg.starts_with(b"Adobe") && seg.get(11) != Some(&1) => return None,
            0xda => {
                let (w, h, comps) = frame.as_ref()?;
                let ns = usize::from(*seg.first()?);
                if ns == 0 || ns > comps.len() || seg.len() < 1 + 2 * ns + 3 {
                    return None;
                }
                let mut scan = Vec::with_capacity(ns);
                for c in seg[1..1 + 2 * ns].chunks_exact(2) {
                    let ci = comps.iter().position(|k| k.id == c[0])?;
                    let (td, ta) = (usize::from(c[1] >> 4), usize::from(c[1] & 15));
                    if td > 3 || ta > 3 {
                        return None;
                    }
                    scan.push((ci, td, ta));
                }
                if scan.iter().all(|&(ci, _, _)| ci != 0) {
                    // A scan without luma: skip its entropy-coded data.
                    pos = skip_entropy(jpeg, pos)?;
                    continue;
                }
                let mut tables = Vec::with_capacity(ns);
                for &(ci, td, ta) in &scan {
                    tables.push((ci, dc_tables[td].as_ref()?, ac_tables[ta].as_ref()?));
                }
                let luma_q = i64::from(q0[comps[0].tq].max(1));
                return decode_luma_dc(jpeg, pos, *w, *h, comps, &tables, restart_interval, luma_q);
            }
            _ => {}
        }
    }
}

/// Position after the entropy-coded data that starts at `pos` (at the next non-RST marker).
fn skip_entropy(jpeg: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let i = pos + jpeg.get(pos..)?.iter().position(|&b| b == 0xff)?;
        match jpeg.get(i + 1)? {
            0x00 | 0xd0..=0xd7 => pos = i + 2,
            _ => return Some(i),
        }
    }
}

/// Walk the scan, accumulating the luma DC of every visible block into the 9×8 grid.
#[allow(clippy::too_many_arguments)]
fn decode_luma_dc(
    jpeg: &[u8],
    pos: usize,
    width: usize,
    height: usize,
    comps: &[Component],
    scan: &[(usize, &Huffman, &Huffman)],
    restart_interval: usize,
    luma_q: i64,
) -> Option<[[f32; 9]; 8]> {
    let hmax = comps.iter().map(|c| c.h).max()?;
    let vmax = comps.iter().map(|c| c.v).max()?;
    let y = comps[0];
    // Visible luma blocks (what a 1/8-scale decode would output as pixels).
    let bw = (width * y.h).div_ceil(hmax).div_ceil(8);
    let bh = (height * y.v).div_ceil(vmax).div_ceil(8);
    if bw < 9 || bh < 8 {
        return None;
    }
    let cells_x = cell_index(bw, 9);
    let cells_y = cell_index(bh, 8);
    // Exact integer sums of the blocks' mean brightness.
    let mut sums = [[0u64; 9]; 8];
    let mut pred = vec![0i32; comps.len()];
    let mut bits = Bits::new(jpeg, pos);

    // (component, horizontal blocks, vertical blocks) per MCU, and the MCU grid.
    let interleaved = scan.len() > 1;
    let (mcus_x, mcus_y) = if interleaved {
        (width.div_ceil(8 * hmax), height.div_ceil(8 * vmax))
    } else {
        (bw, bh) // one luma block per MCU
    };
    let mut mcu = 0usize;
    for my in 0..mcus_y {
        for mx in 0..mcus_x {
            if restart_interval > 0 && mcu > 0 && mcu.is_multiple_of(restart_interval) {
                bits.restart()?;
                pred.iter_mut().for_each(|p| *p = 0);
            }
            mcu += 1;
            for &(ci, dc, ac) in scan {
                let (bh_n, bv_n) = if interleaved {
                    (comps[ci].h, comps[ci].v)
                } else {
                    (1, 1)
                };
                for by in 0..bv_n {
                    for bx in 0..bh_n {
                        let diff = bits.block(dc, ac)?;
                        pred[ci] = pred[ci].checked_add(diff)?;
                        if ci == 0 {
                            let (gx, gy) = if interleaved {
                                (mx * y.h + bx, my * y.v + by)
                            } else {
                                (mx, my)
                            };
                            if gx < bw && gy < bh {
                                // DC × quantiser / 8 + 128, rounded (half up) and clamped
                                // as a 1/8-scale decode would output it.
                                let v = ((i64::from(pred[0]) * luma_q + 1028) >> 3).clamp(0, 255);
                                sums[cells_y[gy]][cells_x[gx]] += v as u64;
                            }
                        }
                    }
                }
            }
            if bits.padded > MAX_PADDING {
                return None;
            }
        }
    }
    Some(average(sums.map(|row| row.map(|v| v as f32)), bw, bh))
}
