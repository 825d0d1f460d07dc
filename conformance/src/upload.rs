//! Streamed request bodies in cases: `body-stream <bytes> <length|length=N|chunked> [replayable]`
//! in a case's request says the driver streams a body of `<bytes>` bytes of
//! a fixed pattern ([`pattern_byte`]) from a source; the request declares
//! that length (`length`), another one (`length=N`, to check what a source
//! that gives fewer or more bytes does) or none (`chunked`).
//!
//! Drivers that fetch a [`Request`](urlrequest_core::Request) learn the
//! source of the case being run from [`current_upload`], set by the suite
//! on the calling thread before the fetch function is called.

use std::cell::Cell;
use std::io::{self, Read};

use urlrequest_core::BodyStream;

/// A case's streamed body: what the source gives and what the request
/// declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseUpload {
    /// Bytes the source gives before its end.
    pub source_len: u64,
    /// What the request declares.
    pub stream: BodyStream,
}

impl CaseUpload {
    /// A reader giving the source's bytes.
    pub fn reader(&self) -> PatternReader {
        PatternReader {
            pos: 0,
            len: self.source_len,
        }
    }

    /// The source's bytes, in memory (small cases, expectations).
    pub fn bytes(&self) -> Vec<u8> {
        (0..self.source_len).map(pattern_byte).collect()
    }
}

/// Byte `i` of every streamed case body: `a` to `z`, over and over.
pub fn pattern_byte(i: u64) -> u8 {
    b'a' + (i % 26) as u8
}

/// Reads `len` bytes of the pattern without holding them (a 1 GiB body
/// takes no memory).
#[derive(Debug, Clone)]
pub struct PatternReader {
    pos: u64,
    len: u64,
}

impl PatternReader {
    /// `len` bytes of the pattern.
    pub fn new(len: u64) -> PatternReader {
        PatternReader { pos: 0, len }
    }
}

impl Read for PatternReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min((self.len - self.pos) as usize);
        for (k, b) in buf[..n].iter_mut().enumerate() {
            *b = pattern_byte(self.pos + k as u64);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl io::Seek for PatternReader {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let target = match to {
            io::SeekFrom::Start(n) => Some(n),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            io::SeekFrom::End(d) => self.len.checked_add_signed(d),
        };
        let target =
            target.ok_or_else(|| io::Error::other("seek before the start of the pattern"))?;
        self.pos = target.min(self.len);
        Ok(self.pos)
    }
}

/// The pattern as an async body source (ready at once, seekable), for the
/// async runtimes' [`AsyncUpload`](urlrequest_smol::AsyncUpload).
#[derive(Debug, Clone)]
pub struct PatternSource(pub PatternReader);

impl urlrequest_smol::BodySource for PatternSource {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<io::Result<usize>> {
        std::task::Poll::Ready(self.0.read(buf))
    }

    fn poll_rewind(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(io::Seek::seek(&mut self.0, io::SeekFrom::Start(0)).map(drop))
    }
}

thread_local! {
    static CURRENT: Cell<Option<CaseUpload>> = const { Cell::new(None) };
}

/// The streamed body of the case being run on this thread, if it has one.
pub fn current_upload() -> Option<CaseUpload> {
    CURRENT.with(Cell::get)
}

pub(crate) fn set_current(upload: Option<CaseUpload>) {
    CURRENT.with(|c| c.set(upload));
}

/// Parses the value of `body-stream`.
pub(crate) fn parse(rest: &str) -> Result<CaseUpload, String> {
    let mut words = rest.split_whitespace();
    let usage = || {
        format!("`body-stream {rest}`: expected `body-stream <bytes> <length|length=N|chunked> [replayable]`")
    };
    let source_len: u64 = words
        .next()
        .and_then(|w| w.parse().ok())
        .ok_or_else(usage)?;
    let length = match words.next().ok_or_else(usage)? {
        "length" => Some(source_len),
        "chunked" => None,
        w => Some(
            w.strip_prefix("length=")
                .and_then(|n| n.parse().ok())
                .ok_or_else(usage)?,
        ),
    };
    let replayable = match words.next() {
        None => false,
        Some("replayable") => true,
        Some(_) => return Err(usage()),
    };
    if words.next().is_some() {
        return Err(usage());
    }
    Ok(CaseUpload {
        source_len,
        stream: BodyStream { length, replayable },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(parse("10 length").unwrap().stream, BodyStream::sized(10));
        assert_eq!(parse("10 length=12").unwrap().stream, BodyStream::sized(12));
        let c = parse("7 chunked replayable").unwrap();
        assert_eq!(c.source_len, 7);
        assert_eq!(c.stream, BodyStream::unknown_length().replayable());
        assert!(parse("x length").is_err());
        assert!(parse("10 sized").is_err());
        assert!(parse("10 length yes").is_err());
    }

    #[test]
    fn the_reader_gives_the_pattern() {
        let mut s = Vec::new();
        PatternReader::new(30).read_to_end(&mut s).unwrap();
        assert_eq!(&s[..], b"abcdefghijklmnopqrstuvwxyzabcd");
    }
}
