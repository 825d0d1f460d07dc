//! Content codings (RFC 9110 section 8.4): undoing `Content-Encoding`
//! (gzip, deflate, br, zstd) as a stream, between body framing and the
//! re-cutting of `Body` events.
//!
//! **Which bodies are decoded.** With [`RequestBuilder::decompress`]
//! on (the default), the final response's body is decoded when every coding
//! its `Content-Encoding` lists is one compiled in (`identity` is ignored,
//! `x-gzip` is gzip) and there are at most four. A body whose codings
//! include one that is not compiled in or not known is passed through as
//! sent, its headers untouched: the caller sees `Content-Encoding` and can
//! decide. HEAD, 204 and 304 responses (no body) and redirects' bodies are
//! never decoded. Response headers are kept as the server sent them.
//!
//! **Order.** Codings are undone in the reverse of the order they are listed
//! (`Content-Encoding: deflate, gzip` was deflated, then gzipped).
//!
//! **Determinism.** The compressed bytes reach the decoders in blocks of
//! fixed size (`BLOCK`, counted from the start of the body), the last one
//! shorter, whatever sizes the network delivered; so the decoded bytes
//! produced before any failure, and the failure's message, do not depend on
//! how reads were split.
//!
//! **Failures.** Corrupt data, a stream that does not end where the body
//! ends, and bytes after the end of a stream are
//! [`Error::ContentEncoding`](crate::Error::ContentEncoding) naming the codec
//! and how many compressed bytes it had taken. An empty body is an empty
//! decoded body for every codec.
//!
//! **Bombs.** Decoded output may not grow past [`DECOMPRESSION_RATIO_LIMIT`]
//! times the compressed bytes received (checked once it is past
//! [`DECOMPRESSION_RATIO_FLOOR`]); `Limits::max_body_bytes` (and the default
//! limit of a collected body) counts decoded bytes.
//!
//! [`RequestBuilder::decompress`]: crate::RequestBuilder::decompress

// With no codec compiled in, the decoding machinery is never reached.
#![cfg_attr(
    not(any(
        feature = "gzip",
        feature = "deflate",
        feature = "brotli",
        feature = "zstd"
    )),
    allow(dead_code, unused_variables, unused_mut)
)]

use std::fmt;
use std::io::{self, Write};

use bytes::Bytes;
use http::header::CONTENT_ENCODING;
use http::HeaderMap;

use crate::error::{CodingErrorKind, ContentEncodingError, Error};

/// Decoded bytes may grow to this many times the compressed bytes received
/// (once past [`DECOMPRESSION_RATIO_FLOOR`]); beyond it the exchange fails
/// with a `decompression-bomb` error. Ordinary text compresses 3 to 20
/// times; a zip bomb a thousand times and more.
pub const DECOMPRESSION_RATIO_LIMIT: u64 = 100;

/// Decoded bytes always allowed, whatever the ratio: small bodies may be
/// very compressible without being a threat.
pub const DECOMPRESSION_RATIO_FLOOR: u64 = 1024 * 1024;

/// Compressed bytes handed to the decoders at once (see the module notes).
const BLOCK: usize = 16 * 1024;

/// Most codings stacked in one `Content-Encoding`.
const MAX_CODINGS: usize = 4;

/// One content coding this build can undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    #[cfg(feature = "gzip")]
    Gzip,
    #[cfg(feature = "deflate")]
    Deflate,
    #[cfg(feature = "brotli")]
    Brotli,
    #[cfg(feature = "zstd")]
    Zstd,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "gzip")]
            Codec::Gzip => "gzip",
            #[cfg(feature = "deflate")]
            Codec::Deflate => "deflate",
            #[cfg(feature = "brotli")]
            Codec::Brotli => "br",
            #[cfg(feature = "zstd")]
            Codec::Zstd => "zstd",
        }
    }

    fn from_token(token: &str) -> Option<Codec> {
        match token {
            #[cfg(feature = "gzip")]
            "gzip" | "x-gzip" => Some(Codec::Gzip),
            #[cfg(feature = "deflate")]
            "deflate" => Some(Codec::Deflate),
            #[cfg(feature = "brotli")]
            "br" => Some(Codec::Brotli),
            #[cfg(feature = "zstd")]
            "zstd" => Some(Codec::Zstd),
            _ => None,
        }
    }
}

/// The `Accept-Encoding` value naming every coding compiled in, or `None`
/// when none is.
pub(crate) fn accept_encoding() -> Option<&'static str> {
    const ALL: [(&str, bool); 4] = [
        ("gzip", cfg!(feature = "gzip")),
        ("deflate", cfg!(feature = "deflate")),
        ("br", cfg!(feature = "brotli")),
        ("zstd", cfg!(feature = "zstd")),
    ];
    // Computed once per build configuration; 16 combinations, leaked never.
    static VALUE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let v = VALUE.get_or_init(|| {
        ALL.iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    });
    (!v.is_empty()).then_some(v.as_str())
}

/// The codecs to run, in decoding order, when the body is to be decoded
/// (see the module notes); `None` to pass it through.
pub(crate) fn codecs_for(headers: &HeaderMap) -> Option<Vec<Codec>> {
    let mut codecs = Vec::new();
    for value in headers.get_all(CONTENT_ENCODING) {
        let text = std::str::from_utf8(value.as_bytes()).ok()?;
        for token in text.split(',') {
            let token = token.trim().to_ascii_lowercase();
            if token.is_empty() || token == "identity" {
                continue;
            }
            codecs.push(Codec::from_token(&token)?);
        }
    }
    if codecs.is_empty() || codecs.len() > MAX_CODINGS {
        return None;
    }
    codecs.reverse();
    Some(codecs)
}

/// Where a decoder writes: a buffer with a bound, so one block of
/// compressed input cannot expand without limit before it is checked.
#[derive(Default)]
struct Sink {
    buf: Vec<u8>,
    room: u64,
    over: bool,
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.len() as u64 > self.room {
            self.over = true;
            return Err(io::Error::other("decompression limit reached"));
        }
        self.room -= data.len() as u64;
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A problem a decoder reports, before it is given its codec and offset.
enum Problem {
    Corrupt(String),
    Truncated(String),
}

/// One decoder of the chain.
enum Stage {
    #[cfg(feature = "gzip")]
    Gzip(Box<GzipStage>),
    #[cfg(feature = "deflate")]
    Deflate(Box<DeflateStage>),
    #[cfg(feature = "brotli")]
    Brotli(Box<brotli_decompressor::DecompressorWriter<Sink>>),
    #[cfg(feature = "zstd")]
    Zstd(Box<ZstdStage>),
    /// No codec compiled in: no stage is ever made.
    #[cfg(not(any(
        feature = "gzip",
        feature = "deflate",
        feature = "brotli",
        feature = "zstd"
    )))]
    #[allow(dead_code)]
    Never(std::convert::Infallible),
}

impl Stage {
    fn new(codec: Codec) -> Stage {
        match codec {
            #[cfg(feature = "gzip")]
            Codec::Gzip => Stage::Gzip(Box::default()),
            #[cfg(feature = "deflate")]
            Codec::Deflate => Stage::Deflate(Box::default()),
            #[cfg(feature = "brotli")]
            Codec::Brotli => Stage::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(
                Sink::default(),
                32 * 1024,
            ))),
            #[cfg(feature = "zstd")]
            Codec::Zstd => Stage::Zstd(Box::default()),
        }
    }

    fn sink(&mut self) -> &mut Sink {
        match self {
            #[cfg(feature = "gzip")]
            Stage::Gzip(d) => &mut d.sink,
            #[cfg(feature = "deflate")]
            Stage::Deflate(d) => &mut d.sink,
            #[cfg(feature = "brotli")]
            Stage::Brotli(d) => d.get_mut(),
            #[cfg(feature = "zstd")]
            Stage::Zstd(d) => &mut d.sink,
            #[cfg(not(any(
                feature = "gzip",
                feature = "deflate",
                feature = "brotli",
                feature = "zstd"
            )))]
            Stage::Never(never) => match *never {},
        }
    }

    fn write(&mut self, input: &[u8]) -> Result<(), Problem> {
        match self {
            #[cfg(feature = "gzip")]
            Stage::Gzip(d) => d.write(input),
            #[cfg(feature = "deflate")]
            Stage::Deflate(d) => d.write(input),
            #[cfg(feature = "brotli")]
            Stage::Brotli(d) => write_all(d.as_mut(), input),
            #[cfg(feature = "zstd")]
            Stage::Zstd(d) => d.write(input, false),
            #[cfg(not(any(
                feature = "gzip",
                feature = "deflate",
                feature = "brotli",
                feature = "zstd"
            )))]
            Stage::Never(never) => match *never {},
        }
    }

    fn finish(&mut self) -> Result<(), Problem> {
        match self {
            #[cfg(feature = "gzip")]
            Stage::Gzip(d) => d.finish(),
            #[cfg(feature = "deflate")]
            Stage::Deflate(d) => d.finish(),
            #[cfg(feature = "brotli")]
            Stage::Brotli(d) => d
                .close()
                .map_err(|_| Problem::Truncated("the br stream did not end".into())),
            #[cfg(feature = "zstd")]
            Stage::Zstd(d) => d.write(&[], true),
            #[cfg(not(any(
                feature = "gzip",
                feature = "deflate",
                feature = "brotli",
                feature = "zstd"
            )))]
            Stage::Never(never) => match *never {},
        }
    }
}

/// `Write::write_all`, except that a decoder that takes no more bytes (its
/// stream ended) is corrupt data, not a `WriteZero` I/O error.
#[cfg(feature = "brotli")]
fn write_all(w: &mut dyn Write, mut input: &[u8]) -> Result<(), Problem> {
    while !input.is_empty() {
        match w.write(input) {
            Ok(0) => {
                return Err(Problem::Corrupt(format!(
                    "{} bytes follow the end of the stream",
                    input.len()
                )))
            }
            Ok(n) => input = &input[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Problem::Corrupt(e.to_string())),
        }
    }
    Ok(())
}

/// Runs raw deflate data through `d`, handing each piece of output to
/// `emit`; returns the input bytes used and whether the deflate stream
/// ended (the bytes after its end are left unused).
#[cfg(any(feature = "gzip", feature = "deflate"))]
fn inflate(
    d: &mut flate2::Decompress,
    mut input: &[u8],
    out: &mut Vec<u8>,
    emit: &mut dyn FnMut(&[u8]) -> Result<(), Problem>,
) -> Result<(usize, bool), Problem> {
    if out.is_empty() {
        *out = vec![0; 32 * 1024];
    }
    let whole = input.len();
    loop {
        let (in0, out0) = (d.total_in(), d.total_out());
        let status = d
            .decompress(input, out, flate2::FlushDecompress::None)
            .map_err(|e| {
                Problem::Corrupt(match e.message() {
                    Some(m) => format!("invalid deflate data: {m}"),
                    None => "invalid deflate data".into(),
                })
            })?;
        let used = (d.total_in() - in0) as usize;
        let made = (d.total_out() - out0) as usize;
        input = &input[used..];
        emit(&out[..made])?;
        if status == flate2::Status::StreamEnd {
            return Ok((whole - input.len(), true));
        }
        // Done with this input unless the output buffer filled up (more
        // output may be waiting).
        if made < out.len() && (input.is_empty() || used == 0) {
            return Ok((whole - input.len(), false));
        }
    }
}

#[cfg(any(feature = "gzip", feature = "deflate"))]
fn sink_write(sink: &mut Sink, data: &[u8]) -> Result<(), Problem> {
    sink.write_all(data)
        .map_err(|e| Problem::Corrupt(e.to_string()))
}

/// gzip (RFC 1952): members one after the other, each a header, raw
/// deflate data and a trailer with the CRC-32 and length of its data,
/// both checked.
#[cfg(feature = "gzip")]
#[derive(Default)]
struct GzipStage {
    part: GzPart,
    /// Header or trailer bytes gathered so far.
    gathered: Vec<u8>,
    inflater: Option<flate2::Decompress>,
    crc: crc32fast::Hasher,
    size: u32,
    /// Complete members so far.
    members: u32,
    out: Vec<u8>,
    sink: Sink,
}

#[cfg(feature = "gzip")]
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum GzPart {
    /// Before a member's header (or between members).
    #[default]
    Header,
    Data,
    Trailer,
    /// After a complete member: the body may end here.
    Between,
}

#[cfg(feature = "gzip")]
impl GzipStage {
    fn write(&mut self, mut input: &[u8]) -> Result<(), Problem> {
        while !input.is_empty() {
            match self.part {
                GzPart::Between | GzPart::Header => {
                    let had = self.gathered.len();
                    self.gathered.extend_from_slice(input);
                    match gzip_header_len(&self.gathered, self.members > 0)? {
                        None => {
                            self.part = GzPart::Header;
                            return Ok(());
                        }
                        Some(len) => {
                            input = &input[len - had..];
                            self.gathered.clear();
                            self.inflater = Some(flate2::Decompress::new(false));
                            self.crc = crc32fast::Hasher::new();
                            self.size = 0;
                            self.part = GzPart::Data;
                        }
                    }
                }
                GzPart::Data => {
                    let d = self.inflater.as_mut().expect("set with the header");
                    let (crc, size, sink) = (&mut self.crc, &mut self.size, &mut self.sink);
                    let (used, ended) = inflate(d, input, &mut self.out, &mut |piece| {
                        crc.update(piece);
                        *size = size.wrapping_add(piece.len() as u32);
                        sink_write(sink, piece)
                    })?;
                    input = &input[used..];
                    if ended {
                        self.part = GzPart::Trailer;
                    } else if used == 0 {
                        return Ok(());
                    }
                }
                GzPart::Trailer => {
                    let take = (8 - self.gathered.len()).min(input.len());
                    self.gathered.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if self.gathered.len() == 8 {
                        let word = |i: usize| {
                            u32::from_le_bytes(self.gathered[i..i + 4].try_into().expect("4 bytes"))
                        };
                        let (crc, size) = (word(0), word(4));
                        let ours = std::mem::take(&mut self.crc).finalize();
                        if crc != ours {
                            return Err(Problem::Corrupt(format!(
                                "CRC-32 mismatch: the trailer says {crc:08x}, the data gives {ours:08x}"
                            )));
                        }
                        if size != self.size {
                            return Err(Problem::Corrupt(format!(
                                "length mismatch: the trailer says {size} bytes (mod 2^32), the data holds {}",
                                self.size
                            )));
                        }
                        self.gathered.clear();
                        self.members += 1;
                        self.part = GzPart::Between;
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Problem> {
        let cut = |what: &str| Err(Problem::Truncated(format!("the gzip stream ended {what}")));
        match self.part {
            GzPart::Between => Ok(()),
            // An empty body: nothing to decode.
            GzPart::Header if self.gathered.is_empty() => Ok(()),
            GzPart::Header => cut("inside a member header"),
            GzPart::Data => cut("inside the compressed data"),
            GzPart::Trailer => cut("inside a member trailer"),
        }
    }
}

/// The length of the gzip member header at the start of `b`, `None` while
/// it is incomplete. `another`: a member came before (bytes that are not a
/// member then follow the end of the stream).
#[cfg(feature = "gzip")]
fn gzip_header_len(b: &[u8], another: bool) -> Result<Option<usize>, Problem> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let magic_seen = b.len().min(2);
    if b[..magic_seen] != [0x1f, 0x8b][..magic_seen] {
        return Err(Problem::Corrupt(if another {
            "bytes follow the end of the gzip stream".into()
        } else {
            "not gzip data (no 1f 8b magic bytes)".into()
        }));
    }
    if b.len() < 10 {
        return Ok(None);
    }
    if b[2] != 8 {
        return Err(Problem::Corrupt(format!(
            "unknown gzip compression method {} (only 8, deflate, exists)",
            b[2]
        )));
    }
    let flags = b[3];
    if flags & 0xe0 != 0 {
        return Err(Problem::Corrupt(format!(
            "reserved gzip header flags set ({flags:#04x})"
        )));
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(len) = b.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            match b
                .get(at..)
                .and_then(|rest| rest.iter().position(|&c| c == 0))
            {
                Some(end) => at += end + 1,
                None => return Ok(None),
            }
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    Ok((b.len() >= at).then_some(at))
}

/// deflate as servers send it: zlib-wrapped (RFC 1950, what RFC 9110
/// means) or raw (RFC 1951, what some servers send), told apart by the
/// zlib header's check bits.
#[cfg(feature = "deflate")]
#[derive(Default)]
struct DeflateStage {
    inner: Option<flate2::Decompress>,
    /// The first byte, while the second has not come.
    head: Vec<u8>,
    done: bool,
    out: Vec<u8>,
    sink: Sink,
}

#[cfg(feature = "deflate")]
impl DeflateStage {
    fn write(&mut self, input: &[u8]) -> Result<(), Problem> {
        if self.inner.is_none() {
            self.head.extend_from_slice(input);
            if self.head.len() < 2 {
                return Ok(());
            }
            let (cmf, flg) = (self.head[0], self.head[1]);
            let zlib = cmf & 0x0f == 8 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0;
            self.inner = Some(flate2::Decompress::new(zlib));
            let head = std::mem::take(&mut self.head);
            return self.run(&head);
        }
        self.run(input)
    }

    fn run(&mut self, input: &[u8]) -> Result<(), Problem> {
        let Some(d) = &mut self.inner else {
            return Ok(());
        };
        if self.done && !input.is_empty() {
            return Err(Problem::Corrupt(format!(
                "{} bytes follow the end of the deflate stream",
                input.len()
            )));
        }
        let sink = &mut self.sink;
        let (used, ended) = inflate(d, input, &mut self.out, &mut |piece| {
            sink_write(sink, piece)
        })?;
        self.done = ended;
        if ended && used < input.len() {
            return Err(Problem::Corrupt(format!(
                "{} bytes follow the end of the deflate stream",
                input.len() - used
            )));
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Problem> {
        if self.inner.is_none() && self.head.is_empty() {
            return Ok(()); // an empty body
        }
        if self.done {
            Ok(())
        } else {
            Err(Problem::Truncated("the deflate stream did not end".into()))
        }
    }
}

/// zstd frames (one or more) with ruzstd, fed whole blocks: compressed
/// bytes wait here until a zstd block is complete.
#[cfg(feature = "zstd")]
#[derive(Default)]
struct ZstdStage {
    dec: Option<ruzstd::decoding::FrameDecoder>,
    pending: Vec<u8>,
    /// A frame header was read and its frame is not yet drained.
    in_frame: bool,
    seen_input: bool,
    out: Vec<u8>,
    sink: Sink,
}

#[cfg(feature = "zstd")]
impl ZstdStage {
    /// Largest frame header (RFC 8878 section 3.1.1).
    const MAX_HEADER: usize = 18;
    /// Largest block plus its header: more pending bytes than this that do
    /// not decode are corrupt.
    const MAX_BLOCK: usize = 128 * 1024 + 3 + 4;

    fn write(&mut self, input: &[u8], end: bool) -> Result<(), Problem> {
        self.pending.extend_from_slice(input);
        self.seen_input |= !input.is_empty();
        if self.out.is_empty() {
            self.out = vec![0; 32 * 1024];
        }
        let dec = self
            .dec
            .get_or_insert_with(ruzstd::decoding::FrameDecoder::new);
        let mut start = 0;
        loop {
            let pending = &self.pending[start..];
            if !self.in_frame {
                if pending.is_empty() || (pending.len() < Self::MAX_HEADER && !end) {
                    break;
                }
                let mut src = pending;
                dec.reset(&mut src).map_err(|e| {
                    if end && pending.len() < Self::MAX_HEADER {
                        Problem::Truncated(format!("the zstd frame header is cut short ({e})"))
                    } else {
                        Problem::Corrupt(e.to_string())
                    }
                })?;
                start += pending.len() - src.len();
                self.in_frame = true;
                continue;
            }
            let (read, written) = dec
                .decode_from_to(pending, &mut self.out)
                .map_err(|e| Problem::Corrupt(e.to_string()))?;
            if read > pending.len() {
                // ruzstd counts a checksum it could not read yet (fewer
                // than 4 bytes left) as read: wait for the rest.
                break;
            }
            start += read;
            self.sink
                .write_all(&self.out[..written])
                .map_err(|e| Problem::Corrupt(e.to_string()))?;
            if dec.is_finished() && dec.can_collect() == 0 {
                self.in_frame = false;
                continue;
            }
            if read == 0 && written == 0 {
                break;
            }
        }
        self.pending.drain(..start);
        if self.in_frame && self.pending.len() > Self::MAX_BLOCK {
            return Err(Problem::Corrupt(format!(
                "{} bytes hold no complete zstd block",
                self.pending.len()
            )));
        }
        if end && (self.in_frame || !self.pending.is_empty()) {
            return Err(Problem::Truncated("the zstd frame did not end".into()));
        }
        Ok(())
    }
}

/// Undoes the content codings of one body (see the module notes).
pub(crate) struct ContentDecoder {
    stages: Vec<(Codec, Stage)>,
    /// Per stage: compressed bytes taken, decoded bytes made.
    counts: Vec<(u64, u64)>,
    /// Compressed bytes waiting to make up a block.
    pending: Vec<u8>,
    /// Compressed bytes given to the first stage.
    wire: u64,
}

impl fmt::Debug for ContentDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.stages.iter().map(|(c, _)| c.name()).collect();
        f.debug_struct("ContentDecoder")
            .field("codecs", &names)
            .field("compressed", &self.wire)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl ContentDecoder {
    pub(crate) fn new(codecs: &[Codec]) -> ContentDecoder {
        ContentDecoder {
            stages: codecs.iter().map(|&c| (c, Stage::new(c))).collect(),
            counts: vec![(0, 0); codecs.len()],
            pending: Vec::new(),
            wire: 0,
        }
    }

    /// Takes compressed bytes; decoded ones go to `out`.
    pub(crate) fn push(&mut self, piece: &[u8], out: &mut Vec<Bytes>) -> Result<(), Error> {
        self.pending.extend_from_slice(piece);
        let mut start = 0;
        let mut result = Ok(());
        while self.pending.len() - start >= BLOCK {
            let block = self.pending[start..start + BLOCK].to_vec();
            start += BLOCK;
            result = self.feed(&block, out);
            if result.is_err() {
                break;
            }
        }
        self.pending.drain(..start);
        result
    }

    /// The body ended: decodes what is left and checks every stream ended.
    pub(crate) fn finish(&mut self, out: &mut Vec<Bytes>) -> Result<(), Error> {
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {
            self.feed(&rest, out)?;
        }
        for i in 0..self.stages.len() {
            let made = self.step(i, None)?;
            self.pass_on(i + 1, made, out)?;
        }
        Ok(())
    }

    fn feed(&mut self, block: &[u8], out: &mut Vec<Bytes>) -> Result<(), Error> {
        self.wire += block.len() as u64;
        let made = self.step(0, Some(block))?;
        self.pass_on(1, made, out)
    }

    /// Gives `data` to the stages from `from` on; the last one's output
    /// goes to `out`.
    fn pass_on(
        &mut self,
        from: usize,
        mut data: Vec<u8>,
        out: &mut Vec<Bytes>,
    ) -> Result<(), Error> {
        for i in from..self.stages.len() {
            if data.is_empty() {
                return Ok(());
            }
            data = self.step(i, Some(&data))?;
        }
        if !data.is_empty() {
            out.push(Bytes::from(data));
        }
        Ok(())
    }

    /// Runs stage `i` on `input` (`None`: finish it); returns what it made.
    fn step(&mut self, i: usize, input: Option<&[u8]>) -> Result<Vec<u8>, Error> {
        let allowed =
            DECOMPRESSION_RATIO_FLOOR.max(self.wire.saturating_mul(DECOMPRESSION_RATIO_LIMIT));
        let (taken, made) = self.counts[i];
        let (codec, stage) = &mut self.stages[i];
        let codec = *codec;
        let sink = stage.sink();
        sink.room = allowed.saturating_sub(made);
        sink.over = false;
        let result = match input {
            Some(data) => stage.write(data),
            None => stage.finish(),
        };
        let sink = stage.sink();
        let over = sink.over;
        let output = std::mem::take(&mut sink.buf);
        let fed = taken + input.map_or(0, |d| d.len() as u64);
        let error = |kind| {
            Error::ContentEncoding(ContentEncodingError {
                codec: codec.name(),
                kind,
                compressed: fed,
            })
        };
        if over {
            return Err(error(CodingErrorKind::RatioExceeded {
                limit: DECOMPRESSION_RATIO_LIMIT,
                decoded: allowed,
            }));
        }
        match result {
            Ok(()) => {}
            Err(Problem::Corrupt(detail)) => return Err(error(CodingErrorKind::Corrupt(detail))),
            Err(Problem::Truncated(detail)) => {
                return Err(error(CodingErrorKind::Truncated(detail)))
            }
        }
        let count = &mut self.counts[i];
        count.0 = fed;
        count.1 += output.len() as u64;
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_ENCODING, HeaderValue::from_str(v).unwrap());
        h
    }

    fn decode_split(codecs: &[Codec], data: &[u8], split: usize) -> Result<Vec<u8>, Error> {
        let mut d = ContentDecoder::new(codecs);
        let mut out = Vec::new();
        for piece in data.chunks(split.max(1)) {
            d.push(piece, &mut out)?;
        }
        d.finish(&mut out)?;
        Ok(out.concat())
    }

    #[test]
    fn unknown_or_empty_codings_pass_through() {
        assert_eq!(codecs_for(&headers("identity")), None);
        assert_eq!(codecs_for(&headers("compress")), None);
        assert_eq!(codecs_for(&HeaderMap::new()), None);
        assert_eq!(codecs_for(&headers("gzip, gzip, gzip, gzip, gzip")), None);
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn gzip_round_trips_at_any_split() {
        use flate2::write::GzEncoder;
        let text: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&text).unwrap();
        let gz = enc.finish().unwrap();
        let codecs = codecs_for(&headers("x-gzip")).unwrap();
        for split in [1, 7, 4096, 1 << 20] {
            assert_eq!(decode_split(&codecs, &gz, split).unwrap(), text);
        }
        let cut = decode_split(&codecs, &gz[..gz.len() - 3], 100).unwrap_err();
        assert_eq!(cut.kind_name(), "content-encoding");
        let mut bad = gz.clone();
        bad[40] ^= 0xff;
        let e = decode_split(&codecs, &bad, 100).unwrap_err();
        assert!(e.to_string().starts_with("gzip data corrupt"), "{e}");
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn a_bomb_stops_at_the_ratio() {
        use flate2::write::GzEncoder;
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            enc.write_all(&zeros).unwrap();
        }
        let gz = enc.finish().unwrap();
        let e = decode_split(&[Codec::Gzip], &gz, 1 << 20).unwrap_err();
        assert_eq!(e.kind_name(), "decompression-bomb", "{e}");
    }

    /// A valid stream of each codec compiled in (br and zstd made by the
    /// reference tools).
    #[allow(clippy::vec_init_then_push)]
    fn samples() -> Vec<(Codec, Vec<u8>)> {
        let mut out = Vec::new();
        #[cfg(feature = "gzip")]
        {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(b"some text, some text, some more text")
                .unwrap();
            out.push((Codec::Gzip, enc.finish().unwrap()));
        }
        #[cfg(feature = "deflate")]
        {
            let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(b"some text, some text, some more text")
                .unwrap();
            out.push((Codec::Deflate, enc.finish().unwrap()));
        }
        #[cfg(feature = "brotli")]
        out.push((
            Codec::Brotli,
            // brotli of "Hello, content codings!\n"
            b"\x1b\x17\x00\xf8\x8d\x54\xb5\xbf\x54\x18\x7b\x4b\x90\x90\xb9\xd4\xa4\x90\x41\x92\x03\x5d\x6e\x6a\xa7\x8e\xce\x1c".to_vec(),
        ));
        #[cfg(feature = "zstd")]
        out.push((
            Codec::Zstd,
            b"\x28\xb5\x2f\xfd\x04\x58\xc1\x00\x00Hello, content codings!\n\x90\x56\x57\x3c"
                .to_vec(),
        ));
        out
    }

    #[test]
    fn damaged_and_random_input_never_panics() {
        let mut rng = fastrand::Rng::with_seed(7);
        for (codec, good) in samples() {
            // Each sample decodes whole.
            decode_split(&[codec], &good, 3).unwrap_or_else(|e| panic!("{codec:?}: {e}"));
            for round in 0..3000 {
                let mut data = good.clone();
                match round % 3 {
                    0 => {
                        let i = rng.usize(..data.len());
                        data[i] = rng.u8(..);
                    }
                    1 => data.truncate(rng.usize(..data.len())),
                    _ => {
                        data = (0..rng.usize(..200)).map(|_| rng.u8(..)).collect();
                    }
                }
                let split = rng.usize(1..40);
                let _ = decode_split(&[codec], &data, split);
            }
        }
    }
}
