//! The read buffer the core lends to its driver.
//!
//! The driver reads straight into [`ReadBuffer::spare`]; body bytes then leave
//! as `Bytes` slices of the same allocation, so a content-length body reaches
//! `Body` events without a copy. Once every slice handed out has been dropped,
//! the allocation is taken back whole (already initialised), so a streaming
//! download reuses one buffer and never zeroes memory again.
//!
//! Every buffer is made reference-counted from the start (`zeroed`): a
//! `BytesMut` made from a plain vector allocates its reference count the
//! first time it is frozen and shared and frees it when taken back, once per
//! read; a shared one keeps it across the freeze-and-take-back cycle.

use bytes::{Bytes, BytesMut};

use crate::rechunk::whole_chunks;

/// Size of the buffer once bytes stream in: one large socket read.
pub(crate) const READ_BUFFER_SIZE: usize = 64 * 1024;
/// Size of an exchange's first buffer. Most small responses (a head and a
/// short body) fit; a larger one, zeroed for each of them, is a visible
/// share of a keep-alive request's CPU (see BENCHMARKS.md). A read that
/// fills it moves to `READ_BUFFER_SIZE`.
pub(crate) const FIRST_BUFFER_SIZE: usize = 4 * 1024;
/// The least space offered to a read: below it (and below a quarter of the
/// buffer, see `spare_aligned`) the buffer is compacted or replaced first.
const MIN_SPARE: usize = 1024;

/// A writable, initialised buffer of `len` bytes whose reference count is
/// already allocated, so freezing and taking it back allocate nothing.
fn zeroed(len: usize) -> BytesMut {
    let mut m = BytesMut::zeroed(len);
    // Splitting makes the buffer shared; the empty tail is dropped at once.
    drop(m.split_off(m.len()));
    m
}

#[derive(Debug)]
enum Store {
    /// Writable; `len()` is the whole (initialised) capacity in use.
    Mutable(BytesMut),
    /// Shared with slices handed out as body pieces.
    Frozen(Bytes),
}

/// Unconsumed bytes live at `start..end`.
#[derive(Debug)]
pub(crate) struct ReadBuffer {
    store: Store,
    start: usize,
    end: usize,
    /// Size of the next buffer allocated.
    size: usize,
    /// Length of the last region lent by `spare`, to see it filled.
    lent: usize,
}

impl ReadBuffer {
    pub(crate) fn new() -> ReadBuffer {
        ReadBuffer {
            store: Store::Frozen(Bytes::new()),
            start: 0,
            end: 0,
            size: FIRST_BUFFER_SIZE,
            lent: 0,
        }
    }

    /// Free space to read into. Grows only when unconsumed bytes fill it (a
    /// long head), which the head-size limit bounds.
    #[cfg(test)]
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        self.spare_aligned(None)
    }

    /// Like `spare`, for bytes that leave in pieces of `chunk` bytes counted
    /// from the first unconsumed byte: the region offered then ends on a
    /// piece boundary, so a read that fills it leaves nothing behind and
    /// the next one starts again at the front, with no bytes to move.
    pub(crate) fn spare_aligned(&mut self, chunk: Option<usize>) -> &mut [u8] {
        let mut m = self.take_mutable();
        // The smallest read worth offering: a quarter of the buffer. Below
        // that, moving the unconsumed bytes (less than a chunk) to the front
        // costs less than the extra system call of a short read.
        let least = |len: usize| (len / 4).max(MIN_SPARE);
        let live = self.end - self.start;
        if m.len() < self.size && (live < MIN_SPARE || m.len() - self.end < least(m.len())) {
            // Bytes are streaming in: move to the large buffer while it holds
            // little, so the copy is small, or at the latest when the small
            // one is full (its bytes would have to move anyway).
            let mut bigger = zeroed(self.size);
            bigger[..live].copy_from_slice(&m[self.start..self.end]);
            m = bigger;
            self.start = 0;
            self.end = live;
        }
        let boundary = |len: usize, start: usize| match chunk {
            Some(c) if c > 0 => start + whole_chunks(len - start, c),
            _ => len,
        };
        let room = boundary(m.len(), self.start).saturating_sub(self.end);
        if room < least(m.len()) {
            let moved = if self.start > 0 && boundary(m.len(), 0) >= live + least(m.len()) {
                m.copy_within(self.start..self.end, 0);
                true
            } else if m.len() - self.end < least(m.len()) {
                // Full of unconsumed bytes (a long head): grow.
                let mut bigger = zeroed((m.len() * 2).max(self.size));
                bigger[..live].copy_from_slice(&m[self.start..self.end]);
                m = bigger;
                true
            } else {
                false
            };
            if moved {
                self.start = 0;
                self.end = live;
            }
        }
        let mut region_end = boundary(m.len(), self.start);
        if region_end < self.end + MIN_SPARE {
            region_end = m.len();
        }
        self.lent = region_end - self.end;
        self.store = Store::Mutable(m);
        match &mut self.store {
            Store::Mutable(m) => &mut m[self.end..region_end],
            Store::Frozen(_) => unreachable!("just stored a mutable buffer"),
        }
    }

    /// Marks `n` bytes of the last [`spare`](Self::spare) region as filled.
    /// A region is filled once: `Err` with the region's length when `n` is
    /// larger than what was lent (a driver that reports bytes it cannot
    /// have read into the buffer), and nothing is marked.
    pub(crate) fn commit(&mut self, n: usize) -> Result<(), usize> {
        let lent = std::mem::take(&mut self.lent);
        if n > lent {
            return Err(lent);
        }
        if n == lent && lent > 0 {
            // The read filled all it was given: more is coming.
            self.size = READ_BUFFER_SIZE;
        }
        self.end += n;
        Ok(())
    }

    /// The unconsumed bytes.
    pub(crate) fn data(&self) -> &[u8] {
        match &self.store {
            Store::Mutable(m) => &m[self.start..self.end],
            Store::Frozen(b) => &b[self.start..self.end],
        }
    }

    /// The unconsumed bytes as a shareable `Bytes` (no copy).
    pub(crate) fn shared(&mut self) -> Bytes {
        if let Store::Mutable(m) = &mut self.store {
            let m = std::mem::take(m);
            self.store = Store::Frozen(m.freeze());
        }
        match &self.store {
            Store::Frozen(b) => b.slice(self.start..self.end),
            Store::Mutable(_) => unreachable!("just frozen"),
        }
    }

    /// Drops `n` bytes from the front of the unconsumed bytes.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Number of unconsumed bytes.
    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    /// Forgets everything buffered (a new connection starts clean).
    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Takes the buffer back as writable, reusing the allocation when no slice
    /// of it is alive, else moving the unconsumed bytes to a new one.
    fn take_mutable(&mut self) -> BytesMut {
        match std::mem::replace(&mut self.store, Store::Frozen(Bytes::new())) {
            Store::Mutable(m) => m,
            Store::Frozen(b) if b.is_empty() => {
                self.start = 0;
                self.end = 0;
                zeroed(self.size)
            }
            Store::Frozen(b) => match b.try_into_mut() {
                Ok(m) => m,
                Err(shared) => {
                    let live = self.end - self.start;
                    let mut m = zeroed(self.size.max(live + MIN_SPARE));
                    m[..live].copy_from_slice(&shared[self.start..self.end]);
                    self.start = 0;
                    self.end = live;
                    m
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(buf: &mut ReadBuffer, data: &[u8]) {
        let spare = buf.spare();
        spare[..data.len()].copy_from_slice(data);
        buf.commit(data.len()).unwrap();
    }

    #[test]
    fn commit_refuses_more_than_was_lent_and_each_region_once() {
        let mut buf = ReadBuffer::new();
        let lent = buf.spare().len();
        assert_eq!(buf.commit(lent + 1), Err(lent));
        assert_eq!(buf.len(), 0, "nothing marked after a refused commit");
        buf.spare()[..3].copy_from_slice(b"abc");
        assert_eq!(buf.commit(3), Ok(()));
        assert_eq!(buf.data(), b"abc");
        // The region was filled: without a new `spare`, nothing more fits.
        assert_eq!(buf.commit(1), Err(0));
        assert_eq!(buf.data(), b"abc");
    }

    #[test]
    fn allocation_is_reused_once_slices_are_dropped() {
        let mut buf = ReadBuffer::new();
        fill(&mut buf, b"hello");
        let first_ptr = buf.data().as_ptr();
        let piece = buf.shared();
        buf.consume(5);
        assert_eq!(&piece[..], b"hello");
        drop(piece);
        fill(&mut buf, b"world");
        assert_eq!(buf.data(), b"world");
        assert_eq!(buf.data().as_ptr(), first_ptr, "same allocation, reused");
    }

    #[test]
    fn live_slices_keep_their_bytes_when_the_buffer_moves_on() {
        let mut buf = ReadBuffer::new();
        fill(&mut buf, b"abcdef");
        let piece = buf.shared().slice(0..3);
        buf.consume(3);
        fill(&mut buf, b"XYZ");
        assert_eq!(&piece[..], b"abc");
        assert_eq!(buf.data(), b"defXYZ");
    }

    #[test]
    fn grows_when_full_of_unconsumed_bytes() {
        let mut buf = ReadBuffer::new();
        let mut big = Vec::new();
        // Reads as large as offered, nothing consumed (a long head).
        while big.len() < READ_BUFFER_SIZE + 100 {
            let n = buf.spare().len();
            let piece: Vec<u8> = (0..n).map(|i| (big.len() + i) as u8).collect();
            fill(&mut buf, &piece);
            big.extend_from_slice(&piece);
        }
        assert!(buf.spare().len() >= MIN_SPARE);
        assert_eq!(buf.len(), big.len());
        assert_eq!(buf.data(), &big[..]);
    }

    #[test]
    fn small_responses_get_a_small_buffer() {
        let mut buf = ReadBuffer::new();
        assert_eq!(buf.spare().len(), FIRST_BUFFER_SIZE);
        fill(&mut buf, b"HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(buf.len(), 19);
        buf.consume(19);
        assert_eq!(buf.spare().len(), FIRST_BUFFER_SIZE, "no growth");
    }

    #[test]
    fn a_read_that_fills_the_buffer_moves_to_the_large_one() {
        let mut buf = ReadBuffer::new();
        let n = buf.spare().len();
        let first = vec![1u8; n];
        fill(&mut buf, &first);
        let piece = buf.shared().slice(n - 10..n);
        buf.consume(n - 10);
        // Ten bytes still unconsumed move along into the large buffer.
        assert_eq!(buf.spare().len(), READ_BUFFER_SIZE - 10);
        assert_eq!(buf.data(), &[1u8; 10]);
        assert_eq!(&piece[..], &[1u8; 10]);
        buf.consume(10);
        assert_eq!(buf.spare().len(), READ_BUFFER_SIZE, "stays large");
    }

    #[test]
    fn aligned_reads_leave_no_partial_chunk_to_move() {
        // A chunk size that does not divide the buffer size.
        let chunk = 10_000;
        let mut buf = ReadBuffer::new();
        // A 100-byte head, then body; reads as large as offered.
        let mut wire = (0u32..).map(|i| i as u8);
        let mut consumed_body = 0;
        let mut head_left = 100;
        let mut starts = Vec::new();
        let mut held = Vec::new();
        for _ in 0..12 {
            let region = buf.spare_aligned(Some(chunk).filter(|_| head_left == 0));
            starts.push(region.as_ptr() as usize);
            let n = region.len();
            for b in region.iter_mut() {
                *b = wire.next().unwrap();
            }
            buf.commit(n).unwrap();
            if head_left > 0 {
                buf.consume(head_left);
                head_left = 0;
            }
            // The body leaves in whole chunks; the rest waits in the buffer.
            let whole = buf.len() - buf.len() % chunk;
            consumed_body += whole;
            buf.consume(whole);
            held.push(buf.len());
        }
        assert!(
            consumed_body > 8 * READ_BUFFER_SIZE,
            "{consumed_body} {held:?} {starts:x?}"
        );
        // Once in the large buffer, every read fills whole chunks from its
        // front: nothing is held back and nothing moves.
        let steady = &starts[4..];
        assert!(steady.iter().all(|&p| p == steady[0]), "{starts:x?}");
        assert!(held[4..].iter().all(|&h| h == 0), "held back: {held:?}");
        assert_eq!(buf.len(), 0);
        let whole_chunks = READ_BUFFER_SIZE - READ_BUFFER_SIZE % chunk;
        assert_eq!(buf.spare_aligned(Some(chunk)).len(), whole_chunks);
    }

    #[test]
    fn a_chunk_larger_than_the_buffer_gets_the_whole_buffer() {
        let mut buf = ReadBuffer::new();
        fill(&mut buf, b"abc");
        let offered = buf.spare_aligned(Some(1 << 20)).len();
        assert_eq!(offered, FIRST_BUFFER_SIZE - 3);
    }

    #[test]
    fn short_reads_are_never_offered_a_sliver() {
        let chunk = 8192;
        let mut buf = ReadBuffer::new();
        let socket_gives = [63_000, 20_000, 7_000, 30_011, 65_536, 1_500, 12_345];
        let mut offered = Vec::new();
        for i in 0..600 {
            let region = buf.spare_aligned(Some(chunk));
            offered.push(region.len());
            let n = region.len().min(socket_gives[i % socket_gives.len()]);
            buf.commit(n).unwrap();
            let whole = buf.len() - buf.len() % chunk;
            buf.consume(whole);
        }
        // Past the first small buffer, every read is offered at least a
        // quarter of the large one.
        let smallest = offered[2..].iter().min().copied().unwrap_or(0);
        assert!(
            smallest >= READ_BUFFER_SIZE / 4,
            "smallest region {smallest}"
        );
    }
}
