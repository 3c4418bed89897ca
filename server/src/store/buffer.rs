//! Block-aligned, reused buffers for image-sized objects.
//!
//! The local store writes images with `O_DIRECT`, which wants the buffer's address, the file
//! offset and the length aligned to the device's block size. An image received into an
//! [`ObjectBuffer`] starts at such an address, so the store writes it as it is; other bytes are
//! first copied into an aligned buffer from the same pool. Buffers are kept for reuse (up to
//! 32 MiB idle), because a fresh 2 MB allocation costs a page fault and a zeroed page per
//! 4 KiB (`clear_page_erms` in `perf` under the intake benchmark).
//!
//! No `unsafe`: a buffer is an ordinary `Vec<u8>` one block longer than needed, used from its
//! first aligned byte on (`align_offset`).

use std::sync::Mutex;

use bytes::Bytes;

/// The alignment `O_DIRECT` wants: 4096 covers every common logical block size.
pub const ALIGN: usize = 4096;

/// Idle buffers kept for reuse, in bytes at most.
const POOL_BYTES: usize = 32 * 1024 * 1024;

/// Buffers are allocated in steps of this many bytes, so that images of slightly different sizes
/// reuse each other's buffers.
const STEP: usize = 256 * 1024;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// A buffer from the pool (the smallest that fits, so that copying an object's last block does
/// not take an image-sized one away from a request being received), or a new one, with at least
/// `usable` bytes from its first `ALIGN`-aligned byte on.
pub fn take(usable: usize) -> Vec<u8> {
    let wanted = usable + ALIGN;
    let mut pool = POOL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let fitting = pool
        .iter()
        .enumerate()
        .filter(|(_, b)| b.len() >= wanted)
        .min_by_key(|(_, b)| b.len())
        .map(|(i, _)| i);
    match fitting {
        Some(i) => pool.swap_remove(i),
        None => vec![0u8; wanted.div_ceil(STEP) * STEP],
    }
}

/// Return a buffer from [`take`] to the pool (dropped when the pool is full).
pub fn give_back(buffer: Vec<u8>) {
    let mut pool = POOL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if pool.iter().map(Vec::len).sum::<usize>() + buffer.len() <= POOL_BYTES {
        pool.push(buffer);
    }
}

/// Where the aligned part of `buffer` starts.
pub fn aligned_start(buffer: &[u8]) -> usize {
    buffer.as_ptr().align_offset(ALIGN)
}

/// Whether `bytes` starts at an `ALIGN`-aligned address.
pub fn is_aligned(bytes: &[u8]) -> bool {
    bytes.as_ptr().align_offset(ALIGN) == 0
}

/// An object of known length being received, held at an aligned address; it becomes [`Bytes`]
/// without a copy, and its buffer returns to the pool when the last of those is dropped.
#[derive(Debug)]
pub struct ObjectBuffer {
    buffer: Vec<u8>,
    start: usize,
    len: usize,
    capacity: usize,
}

impl ObjectBuffer {
    /// An empty buffer for up to `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> ObjectBuffer {
        let buffer = take(capacity);
        let start = aligned_start(&buffer);
        ObjectBuffer {
            buffer,
            start,
            len: 0,
            capacity,
        }
    }

    /// Append `bytes`; false (and nothing appended) when they do not fit in the capacity.
    pub fn extend_from_slice(&mut self, bytes: &[u8]) -> bool {
        let at = self.start + self.len;
        let Some(room) = self.buffer.get_mut(at..at + bytes.len()) else {
            return false;
        };
        if self.len + bytes.len() > self.capacity {
            return false;
        }
        room.copy_from_slice(bytes);
        self.len += bytes.len();
        true
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.buffer[self.start..self.start + self.len]
    }

    /// The bytes received, without a copy.
    pub fn into_bytes(self) -> Bytes {
        Bytes::from_owner(self)
    }
}

impl AsRef<[u8]> for ObjectBuffer {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Drop for ObjectBuffer {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.buffer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_bytes_are_aligned_and_kept_exactly() {
        for len in [0, 1, ALIGN - 1, ALIGN, 2_000_001] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let mut buffer = ObjectBuffer::with_capacity(len);
            for chunk in data.chunks(8192) {
                assert!(buffer.extend_from_slice(chunk));
            }
            assert!(
                !buffer.extend_from_slice(b"x"),
                "nothing beyond the capacity"
            );
            assert_eq!(buffer.len(), len);
            let bytes = buffer.into_bytes();
            assert!(len == 0 || is_aligned(&bytes));
            assert_eq!(&bytes[..], &data[..]);
        }
    }
}
