//! Baseline entropy decoding for the fast path: canonical Huffman tables and the bit reader,
//! which counts the padding it has to invent at the end of the data. Must never read past the
//! input or accept an over-subscribed table.

/// Huffman lookup bits: codes up to this length decode with one table read.
const LUT_BITS: u32 = 10;

pub(super) struct Huffman {
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
    pub(super) fn new(counts: &[u8; 16], symbols: &[u8]) -> Option<Huffman> {
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
pub(super) struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
    at_marker: bool,
    pub(super) padded: usize,
}

/// Zero bytes supplied past the end of the entropy data before decoding gives up.
pub(super) const MAX_PADDING: usize = 256;

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8], pos: usize) -> Bits<'a> {
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
    pub(super) fn block(&mut self, dc: &Huffman, ac: &Huffman) -> Option<i32> {
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
    pub(super) fn restart(&mut self) -> Option<()> {
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
