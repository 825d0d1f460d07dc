//! Re-cutting body pieces into `Body` events of exactly `chunk_size` bytes, so
//! the event trace does not depend on how the network split the bytes.
//! Whole chunks that sit inside one piece leave without a copy; only a chunk
//! straddling two pieces is assembled.

use bytes::{Bytes, BytesMut};

/// `len` rounded down to a whole number of `chunk`s (`chunk > 0`). A shift
/// for the usual power-of-two sizes: a division costs tens of cycles, and
/// this runs a few times per read.
#[inline]
pub(crate) fn whole_chunks(len: usize, chunk: usize) -> usize {
    if chunk.is_power_of_two() {
        len & !(chunk - 1)
    } else {
        len - len % chunk
    }
}

#[derive(Debug)]
pub(crate) struct Rechunker {
    size: usize,
    pending: BytesMut,
}

impl Rechunker {
    pub(crate) fn new(size: usize) -> Rechunker {
        Rechunker {
            size,
            pending: BytesMut::new(),
        }
    }

    /// Feeds a piece; emits every complete chunk, as runs of whole chunks
    /// (one `out` call for all the whole chunks inside `piece`). `last`:
    /// the body ends with this piece, so what is left leaves too, as the
    /// run's shorter last chunk, without being copied.
    #[inline]
    pub(crate) fn push(&mut self, piece: Bytes, last: bool, out: &mut impl FnMut(Bytes)) {
        if self.pending.is_empty() && (last || whole_chunks(piece.len(), self.size) == piece.len())
        {
            // The usual streaming case: the piece is whole chunks (or the
            // end of the body) and leaves as it is.
            if !piece.is_empty() {
                out(piece);
            }
            return;
        }
        self.push_assembling(piece, last, out);
    }

    /// `push` when a chunk has to be assembled from two pieces or a partial
    /// chunk is left over: out of line, as it needs a larger stack frame
    /// than the streaming case (see `Exchange::process_connect_head`).
    #[inline(never)]
    fn push_assembling(&mut self, mut piece: Bytes, last: bool, out: &mut impl FnMut(Bytes)) {
        if !self.pending.is_empty() {
            let need = self.size - self.pending.len();
            let take = need.min(piece.len());
            self.pending.extend_from_slice(&piece[..take]);
            piece = piece.slice(take..);
            if self.pending.len() < self.size && !last {
                return;
            }
            out(std::mem::take(&mut self.pending).freeze());
        }
        let whole = whole_chunks(piece.len(), self.size);
        if last || whole == piece.len() {
            if !piece.is_empty() {
                out(piece);
            }
            return;
        }
        if whole > 0 {
            out(piece.split_to(whole));
        }
        self.pending.reserve(self.size);
        self.pending.extend_from_slice(&piece);
    }

    /// The size of the chunks it cuts.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Whether a partial chunk is waiting for more bytes.
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Emits the last, shorter chunk, if any.
    pub(crate) fn finish(&mut self, out: &mut impl FnMut(Bytes)) {
        if !self.pending.is_empty() {
            out(std::mem::take(&mut self.pending).freeze());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(size: usize, pieces: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut r = Rechunker::new(size);
        let mut out = Vec::new();
        for p in pieces {
            r.push(Bytes::copy_from_slice(p), false, &mut |run| {
                assert_eq!(run.len() % size, 0, "runs hold whole chunks");
                out.extend(run.chunks(size).map(<[u8]>::to_vec));
            });
        }
        r.finish(&mut |b| out.push(b.to_vec()));
        out
    }

    #[test]
    fn same_chunks_whatever_the_split() {
        let whole = cut(3, &[b"abcdefgh"]);
        assert_eq!(
            whole,
            vec![b"abc".to_vec(), b"def".to_vec(), b"gh".to_vec()]
        );
        assert_eq!(cut(3, &[b"a", b"bcd", b"", b"efgh"]), whole);
        assert_eq!(cut(3, &[b"ab", b"c", b"defg", b"h"]), whole);
    }

    #[test]
    fn aligned_pieces_are_not_copied() {
        let mut r = Rechunker::new(4);
        let piece = Bytes::from_static(b"abcdefgh");
        let base = piece.as_ptr();
        let mut runs = Vec::new();
        r.push(piece, false, &mut |b| runs.push((b.as_ptr(), b.len())));
        assert_eq!(runs, vec![(base, 8)], "one run, the piece itself");
    }

    #[test]
    fn the_last_piece_leaves_whole_and_uncopied() {
        let mut r = Rechunker::new(4);
        let piece = Bytes::from_static(b"abcdefghij");
        let base = piece.as_ptr();
        let mut runs = Vec::new();
        r.push(piece, true, &mut |b| runs.push((b.as_ptr(), b.len())));
        assert_eq!(runs, vec![(base, 10)], "chunks of 4, 4 and 2 in one run");
        assert!(!r.has_pending());
    }

    #[test]
    fn a_pending_chunk_is_flushed_by_the_last_piece() {
        let mut r = Rechunker::new(4);
        let mut out = Vec::new();
        r.push(Bytes::from_static(b"ab"), false, &mut |b| {
            out.push(b.to_vec())
        });
        r.push(Bytes::from_static(b"c"), true, &mut |b| {
            out.push(b.to_vec())
        });
        assert_eq!(out, vec![b"abc".to_vec()]);
        assert!(!r.has_pending());
    }
}
