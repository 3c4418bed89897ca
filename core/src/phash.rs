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
                if frame || seg.len() < 6 {
                    return false;
                }
                frame = true;
                let h = u64::from(u16::from_be_bytes([seg[1], seg[2]]));
                let w = u64::from(u16::from_be_bytes([seg[3], seg[4]]));
                let samples = w * h * u64::from(seg[5]);
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
fn luma_grid_general(image: &[u8]) -> Option<[[f32; 9]; 8]> {
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

/// Number of differing bits.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

// ---------------------------------------------------------------------------------------------
// Fast path: the DC coefficients of a baseline JPEG.
//
// The DC coefficient of each 8×8 luma block is that block's mean brightness, which is exactly the
// 1/8-scale picture the dHash needs. Reading it still means walking every Huffman symbol of the
// scan (AC coefficients cannot be skipped without decoding them), but no coefficient is stored,
// dequantised or transformed and chroma blocks are only skipped. Anything this path does not
// handle (progressive, arithmetic or 12-bit coding, Adobe RGB/CMYK) returns `None` and the caller
// falls back to the general decoder.
// ---------------------------------------------------------------------------------------------

/// Huffman lookup bits: codes up to this length decode with one table read.
const LUT_BITS: u32 = 10;

struct Huffman {
    /// `(length << 8) | symbol` for codes of at most `LUT_BITS` bits, indexed by the next bits;
    /// 0 when the code is longer.
    lut: Box<[u16; 1 << LUT_BITS]>,
    /// Canonical decoding for longer codes (ITU T.81 F.2.2.3): per length, the largest code
    /// (or -1) and the index of its first symbol minus its first code.
    maxcode: [i32; 17],
    delta: [i32; 17],
    symbols: Vec<u8>,
}

impl Huffman {
    fn new(counts: &[u8; 16], symbols: &[u8]) -> Option<Huffman> {
        let mut lut = Box::new([0u16; 1 << LUT_BITS]);
        let mut maxcode = [-1i32; 17];
        let mut delta = [0i32; 17];
        let mut code: u32 = 0;
        let mut k = 0usize;
        for len in 1..=16u32 {
            let n = u32::from(counts[len as usize - 1]);
            if n > 0 {
                delta[len as usize] = k as i32 - code as i32;
                for _ in 0..n {
                    if code >= (1 << len) {
                        return None; // over-full table
                    }
                    let sym = *symbols.get(k)?;
                    if len <= LUT_BITS {
                        let shift = LUT_BITS - len;
                        let first = (code << shift) as usize;
                        for e in &mut lut[first..first + (1 << shift)] {
                            *e = ((len as u16) << 8) | u16::from(sym);
                        }
                    }
                    code += 1;
                    k += 1;
                }
                maxcode[len as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        Some(Huffman {
            lut,
            maxcode,
            delta,
            symbols: symbols[..k].to_vec(),
        })
    }
}

/// MSB-first bit reader over entropy-coded data: removes byte stuffing, stops at a marker and
/// then supplies zero bits, counting them so runaway decoding of garbage is cut short.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
    at_marker: bool,
    padded: usize,
}

/// Zero bytes supplied past the end of the entropy data before decoding gives up.
const MAX_PADDING: usize = 256;

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Bits<'a> {
        Bits {
            data,
            pos,
            acc: 0,
            n: 0,
            at_marker: false,
            padded: 0,
        }
    }

    #[inline]
    fn refill(&mut self) {
        // Eight bytes at a time while none of them is 0xFF.
        if !self.at_marker
            && let Some(chunk) = self.data.get(self.pos..self.pos + 8)
        {
            let w = u64::from_be_bytes(chunk.try_into().unwrap_or([0xff; 8]));
            let not = !w;
            if not.wrapping_sub(0x0101_0101_0101_0101) & w & 0x8080_8080_8080_8080 == 0 {
                let k = (64 - self.n) / 8;
                let top = if k == 8 { w } else { w >> (64 - 8 * k) };
                self.acc |= top << (64 - self.n - 8 * k);
                self.n += 8 * k;
                self.pos += k as usize;
                return;
            }
        }
        self.refill_bytes();
    }

    #[cold]
    fn refill_bytes(&mut self) {
        while self.n <= 56 {
            let byte = if self.at_marker {
                self.padded += 1;
                0
            } else {
                match self.data.get(self.pos) {
                    Some(0xff) => match self.data.get(self.pos + 1) {
                        Some(0x00) => {
                            self.pos += 2;
                            0xff
                        }
                        _ => {
                            self.at_marker = true;
                            self.padded += 1;
                            0
                        }
                    },
                    Some(&b) => {
                        self.pos += 1;
                        b
                    }
                    None => {
                        self.at_marker = true;
                        self.padded += 1;
                        0
                    }
                }
            };
            self.acc |= u64::from(byte) << (56 - self.n);
            self.n += 8;
        }
    }

    /// The next symbol of `h` (at least 32 bits must be buffered).
    #[inline]
    fn symbol(&mut self, h: &Huffman) -> Option<u8> {
        let e = h.lut[(self.acc >> (64 - LUT_BITS)) as usize];
        if e != 0 {
            let len = u32::from(e >> 8);
            self.acc <<= len;
            self.n -= len;
            return Some(e as u8);
        }
        self.long_symbol(h)
    }

    #[cold]
    fn long_symbol(&mut self, h: &Huffman) -> Option<u8> {
        for len in (LUT_BITS + 1)..=16 {
            let code = (self.acc >> (64 - len)) as i32;
            if code <= h.maxcode[len as usize] {
                self.acc <<= len;
                self.n -= len;
                let i = usize::try_from(code + h.delta[len as usize]).ok()?;
                return h.symbols.get(i).copied();
            }
        }
        None
    }

    /// `count` (≤ 16) raw bits.
    #[inline]
    fn take(&mut self, count: u32) -> u32 {
        if count == 0 {
            return 0;
        }
        let v = (self.acc >> (64 - count)) as u32;
        self.acc <<= count;
        self.n -= count;
        v
    }

    /// Decode one block: its DC difference; the AC coefficients are only walked past (each
    /// costs one table lookup and one shift of its code and value bits together).
    #[inline]
    fn block(&mut self, dc: &Huffman, ac: &Huffman) -> Option<i32> {
        if self.n < 32 {
            self.refill();
        }
        let s = u32::from(self.symbol(dc)?);
        if s > 11 {
            return None;
        }
        let diff = extend(self.take(s), s);
        // The bit buffer is kept in locals for the AC loop, so it stays in registers (measured:
        // 6-12 % faster than going through `self`).
        let (mut acc, mut n) = (self.acc, self.n);
        let mut k = 1u32;
        while k < 64 {
            if n < 32 {
                (self.acc, self.n) = (acc, n);
                self.refill();
                (acc, n) = (self.acc, self.n);
            }
            let e = ac.lut[(acc >> (64 - LUT_BITS)) as usize];
            let rs = if e != 0 {
                let rs = e as u8;
                let total = u32::from(e >> 8) + u32::from(rs & 15);
                acc <<= total;
                n -= total;
                rs
            } else {
                (self.acc, self.n) = (acc, n);
                let rs = self.long_symbol(ac)?;
                self.take(u32::from(rs & 15));
                (acc, n) = (self.acc, self.n);
                rs
            };
            if rs & 15 == 0 && rs != 0xf0 {
                break; // end of block
            }
            k += u32::from(rs >> 4) + 1;
        }
        (self.acc, self.n) = (acc, n);
        (k <= 64).then_some(diff)
    }

    /// Skip to after the restart marker that must come next.
    fn restart(&mut self) -> Option<()> {
        self.acc = 0;
        self.n = 0;
        // Discard padding bits of the last byte: the marker must be where the data stops.
        if !self.at_marker {
            while self.data.get(self.pos) != Some(&0xff)
                || self.data.get(self.pos + 1) == Some(&0x00)
            {
                self.pos += 1;
                if self.pos >= self.data.len() {
                    return None;
                }
            }
        }
        match (self.data.get(self.pos), self.data.get(self.pos + 1)) {
            (Some(0xff), Some(0xd0..=0xd7)) => {
                self.pos += 2;
                self.at_marker = false;
                self.padded = 0;
                Some(())
            }
            _ => None,
        }
    }
}

/// Sign-extend a received `s`-bit value (T.81 F.2.2.1 EXTEND).
#[inline]
fn extend(v: u32, s: u32) -> i32 {
    if s == 0 {
        0
    } else if v < (1 << (s - 1)) {
        v as i32 - (1 << s) + 1
    } else {
        v as i32
    }
}

#[derive(Clone, Copy)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    tq: usize,
}

/// The 9×8 grid of mean brightness from the luma DC coefficients, or `None` when this path
/// does not apply (the caller then decodes with the general decoder).
fn luma_grid_fast(jpeg: &[u8]) -> Option<[[f32; 9]; 8]> {
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
                if seg.len() < 6 || seg[0] != 8 || frame.is_some() {
                    return None;
                }
                let h = usize::from(u16::from_be_bytes([seg[1], seg[2]]));
                let w = usize::from(u16::from_be_bytes([seg[3], seg[4]]));
                let nc = usize::from(seg[5]);
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
