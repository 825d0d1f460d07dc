//! Response body framing (RFC 9112 section 6): deciding how the body is
//! delimited, and decoding content-length, chunked and until-close bodies into
//! zero-copy slices of the read buffer.

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, Method};

use crate::error::Error;
use crate::head::to_header_map;

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the server closes.
    UntilClose,
}

/// The framing decision and whether it leaves the connection reusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FramingDecision {
    pub framing: Framing,
    /// False when the framing itself is in doubt (both TE and CL, a
    /// non-chunked TE) or ends with the connection.
    pub reusable: bool,
}

/// Applies the framing rules in order.
pub(crate) fn decide(
    method: &Method,
    status: u16,
    headers: &HeaderMap,
) -> Result<FramingDecision, Error> {
    if *method == Method::HEAD || (100..200).contains(&status) || status == 204 || status == 304 {
        return Ok(FramingDecision {
            framing: Framing::Empty,
            reusable: true,
        });
    }
    if headers.contains_key(TRANSFER_ENCODING) {
        let codings: Vec<String> = headers
            .get_all(TRANSFER_ENCODING)
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("?").split(','))
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        let last = codings.last();
        let chunked = last.map(String::as_str) == Some("chunked");
        let with_length = headers.contains_key(CONTENT_LENGTH);
        return Ok(if chunked {
            // TE with CL is a smuggling signature: honour TE, never reuse.
            FramingDecision {
                framing: Framing::Chunked,
                reusable: !with_length,
            }
        } else {
            FramingDecision {
                framing: Framing::UntilClose,
                reusable: false,
            }
        });
    }
    match content_length(headers)? {
        Some(n) => Ok(FramingDecision {
            framing: Framing::Length(n),
            reusable: true,
        }),
        None => Ok(FramingDecision {
            framing: Framing::UntilClose,
            reusable: false,
        }),
    }
}

/// All `Content-Length` values (repeated headers or comma lists) must agree.
fn content_length(headers: &HeaderMap) -> Result<Option<u64>, Error> {
    let mut found: Option<u64> = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        let text = String::from_utf8_lossy(value.as_bytes());
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::malformed(format!(
                    "Content-Length is not a number: {part:?}"
                )));
            }
            let n: u64 = part
                .parse()
                .map_err(|_| Error::malformed(format!("Content-Length is too large: {part:?}")))?;
            match found {
                Some(prev) if prev != n => {
                    return Err(Error::malformed(format!(
                        "conflicting Content-Length values: {prev} and {n}"
                    )))
                }
                _ => found = Some(n),
            }
        }
    }
    Ok(found)
}

/// Longest chunk-size line (with extensions) accepted.
const MAX_CHUNK_LINE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    SizeLine,
    Data { remaining: u64, size: u64 },
    DataEnd,
    Trailers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecoderState {
    Length { remaining: u64 },
    Chunked(ChunkState),
    UntilClose,
    Finished,
}

/// Decodes one body from the bytes the server sends.
#[derive(Debug)]
pub(crate) struct BodyDecoder {
    state: DecoderState,
    framing: Framing,
    /// Body bytes produced so far.
    received: u64,
    /// Chunks seen so far (for messages).
    chunks: u64,
    trailers: HeaderMap,
    max_trailer_bytes: usize,
}

impl BodyDecoder {
    pub(crate) fn new(framing: Framing, max_trailer_bytes: usize) -> BodyDecoder {
        let state = match framing {
            Framing::Empty | Framing::Length(0) => DecoderState::Finished,
            Framing::Length(n) => DecoderState::Length { remaining: n },
            Framing::Chunked => DecoderState::Chunked(ChunkState::SizeLine),
            Framing::UntilClose => DecoderState::UntilClose,
        };
        BodyDecoder {
            state,
            framing,
            received: 0,
            chunks: 0,
            trailers: HeaderMap::new(),
            max_trailer_bytes,
        }
    }

    /// For bodies whose bytes are the wire bytes (content-length and
    /// until-close): how many body bytes are still expected (`None`: until
    /// the server closes). `Err(())` for chunked or finished bodies.
    pub(crate) fn identity_remaining(&self) -> Result<Option<u64>, ()> {
        match self.state {
            DecoderState::Length { remaining } => Ok(Some(remaining)),
            DecoderState::UntilClose => Ok(None),
            _ => Err(()),
        }
    }

    /// Takes up to `available` bytes of an identity body (content-length or
    /// until close) without looking at them; returns how many belong to the
    /// body. Takes nothing from a chunked body.
    pub(crate) fn take_identity(&mut self, available: usize) -> usize {
        let take = match self.state {
            DecoderState::UntilClose => available,
            DecoderState::Length { remaining } => {
                let take = (available as u64).min(remaining);
                self.state = if take == remaining {
                    DecoderState::Finished
                } else {
                    DecoderState::Length {
                        remaining: remaining - take,
                    }
                };
                take as usize
            }
            _ => 0,
        };
        self.received += take as u64;
        take
    }

    /// Whether the body is complete.
    pub(crate) fn is_finished(&self) -> bool {
        self.state == DecoderState::Finished
    }

    /// Trailers collected from a chunked body.
    pub(crate) fn take_trailers(&mut self) -> HeaderMap {
        std::mem::take(&mut self.trailers)
    }

    /// Consumes what it can of `input`, handing body pieces (slices of `input`)
    /// to `out`. Returns how many bytes of `input` were consumed; the rest must
    /// be offered again with more bytes after it.
    pub(crate) fn decode(
        &mut self,
        input: &Bytes,
        out: &mut impl FnMut(Bytes),
    ) -> Result<usize, Error> {
        let mut pos = 0;
        loop {
            let rest = &input[pos..];
            match self.state {
                DecoderState::Finished => return Ok(pos),
                DecoderState::UntilClose | DecoderState::Length { .. } => {
                    let take = self.take_identity(rest.len());
                    if take > 0 {
                        out(input.slice(pos..pos + take));
                    }
                    return Ok(pos + take);
                }
                DecoderState::Chunked(ChunkState::SizeLine) => {
                    let Some(eol) = rest.iter().position(|&b| b == b'\n') else {
                        if rest.len() > MAX_CHUNK_LINE {
                            return Err(self.chunk_error(format!(
                                "chunk size line longer than {MAX_CHUNK_LINE} bytes"
                            )));
                        }
                        return Ok(pos);
                    };
                    let size = self.parse_size_line(&rest[..eol])?;
                    pos += eol + 1;
                    self.chunks += 1;
                    self.state = DecoderState::Chunked(if size == 0 {
                        ChunkState::Trailers
                    } else {
                        ChunkState::Data {
                            remaining: size,
                            size,
                        }
                    });
                }
                DecoderState::Chunked(ChunkState::Data { remaining, size }) => {
                    if rest.is_empty() {
                        return Ok(pos);
                    }
                    let take = (rest.len() as u64).min(remaining) as usize;
                    out(input.slice(pos..pos + take));
                    self.received += take as u64;
                    pos += take;
                    let left = remaining - take as u64;
                    self.state = DecoderState::Chunked(if left == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data {
                            remaining: left,
                            size,
                        }
                    });
                }
                DecoderState::Chunked(ChunkState::DataEnd) => match rest {
                    [] | [b'\r'] => return Ok(pos),
                    [b'\r', b'\n', ..] => {
                        pos += 2;
                        self.state = DecoderState::Chunked(ChunkState::SizeLine);
                    }
                    _ => {
                        // Quote only the bytes examined, so the message does
                        // not depend on how much happened to be buffered.
                        let seen = if rest[0] == b'\r' { 2 } else { 1 };
                        // The data belongs to the chunk already counted.
                        return Err(self.chunk_error_in(
                            self.chunks,
                            format!(
                                "chunk data is not followed by CRLF (found {:?})",
                                String::from_utf8_lossy(&rest[..seen])
                            ),
                        ));
                    }
                },
                DecoderState::Chunked(ChunkState::Trailers) => {
                    let Some(section_len) = self.trailer_section_len(rest)? else {
                        return Ok(pos);
                    };
                    let mut lines = [httparse::EMPTY_HEADER; 32];
                    match httparse::parse_headers(&rest[..section_len], &mut lines) {
                        Ok(httparse::Status::Complete((used, parsed))) => {
                            self.trailers = to_header_map(parsed, rest)?;
                            pos += used;
                            self.state = DecoderState::Finished;
                        }
                        Ok(httparse::Status::Partial) => {
                            // The scan found the empty line that ends the
                            // section, so httparse cannot want more bytes.
                            return Err(self.chunk_error_in(
                                self.chunks,
                                "invalid trailer section: it does not end where its empty line is"
                                    .to_string(),
                            ));
                        }
                        Err(e) => {
                            return Err(Error::malformed(format!("invalid trailer section: {e}")))
                        }
                    }
                }
            }
        }
    }

    /// Called at end of stream: fine for until-close and finished bodies, a
    /// truncation for everything else.
    pub(crate) fn finish_at_eof(&mut self) -> Result<(), Error> {
        match self.state {
            DecoderState::Finished => Ok(()),
            DecoderState::UntilClose => {
                self.state = DecoderState::Finished;
                Ok(())
            }
            DecoderState::Length { remaining } => {
                let total = match self.framing {
                    Framing::Length(t) => t,
                    _ => self.received + remaining,
                };
                Err(Error::truncated(format!(
                    "response ended after {} of {total} body bytes",
                    self.received
                )))
            }
            DecoderState::Chunked(ChunkState::Data { remaining, size }) => {
                Err(Error::truncated(format!(
                    "response ended inside chunk #{} after {} of its {size} bytes ({} body bytes in all)",
                    self.chunks,
                    size - remaining,
                    self.received
                )))
            }
            DecoderState::Chunked(ChunkState::Trailers) => Err(Error::truncated(format!(
                "response ended in the trailers after the last chunk ({} body bytes)",
                self.received
            ))),
            DecoderState::Chunked(_) => Err(Error::truncated(format!(
                "response ended before the last chunk ({} body bytes in {} chunks)",
                self.received, self.chunks
            ))),
        }
    }

    /// Parses `chunk-size [ chunk-ext ] CRLF` (RFC 9112 section 7.1); `raw`
    /// is the line up to, not including, its LF. After the hex digits only
    /// optional whitespace followed by `;` and extensions may come, and the
    /// line must end in CRLF: section 2.2's leniency for a bare LF covers the
    /// start-line and field lines, not chunk framing.
    fn parse_size_line(&self, raw: &[u8]) -> Result<u64, Error> {
        let shown =
            |bytes: &[u8]| String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned();
        let Some(line) = raw.strip_suffix(b"\r") else {
            return Err(self.chunk_error(format!(
                "chunk size line ends in a bare LF instead of CRLF: {:?}",
                shown(raw)
            )));
        };
        let digits_end = line
            .iter()
            .position(|&b| b == b';' || b == b' ' || b == b'\t')
            .unwrap_or(line.len());
        let digits = &line[..digits_end];
        if digits.is_empty() {
            return Err(self.chunk_error(format!("chunk size line has no size: {:?}", shown(line))));
        }
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(self.chunk_error(format!("chunk size line is not hex: {:?}", shown(line))));
        }
        let after = &line[digits_end..];
        let ext_start = after
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(after.len());
        match after.get(ext_start) {
            Some(b';') => {
                if let Some(&bad) = after[ext_start..]
                    .iter()
                    .find(|&&b| (b < 0x20 && b != b'\t') || b == 0x7f)
                {
                    return Err(self.chunk_error(format!(
                        "chunk extension holds the control byte {:?}: {:?}",
                        char::from(bad),
                        shown(line)
                    )));
                }
            }
            Some(&other) => {
                return Err(self.chunk_error(format!(
                    "chunk size is followed by {:?} where only \";\" and an extension may come: {:?}",
                    char::from(other),
                    shown(line)
                )));
            }
            None if !after.is_empty() => {
                return Err(self.chunk_error(format!(
                    "chunk size is followed by whitespace with no \";\" extension after it: {:?}",
                    shown(line)
                )));
            }
            None => {}
        }
        let trimmed = {
            let first_nonzero = digits
                .iter()
                .position(|&b| b != b'0')
                .unwrap_or(digits.len());
            &digits[first_nonzero..]
        };
        if trimmed.len() > 15 {
            return Err(self.chunk_error(format!("chunk size overflows: {:?}", shown(line))));
        }
        let text = std::str::from_utf8(trimmed).unwrap_or("0");
        Ok(if text.is_empty() {
            0
        } else {
            u64::from_str_radix(text, 16).unwrap_or(0)
        })
    }

    /// Finds the end of the trailer section (the lines after the last chunk,
    /// up to and including the empty line). Every line must end in CRLF.
    /// `Ok(None)`: the section is not complete yet. Only complete lines are
    /// examined, so the outcome does not depend on how the bytes were split.
    fn trailer_section_len(&self, rest: &[u8]) -> Result<Option<usize>, Error> {
        let mut start = 0;
        let mut line_no = 0;
        while let Some(lf) = rest[start..].iter().position(|&b| b == b'\n') {
            let line = &rest[start..start + lf];
            line_no += 1;
            if line.last() != Some(&b'\r') {
                let what = if line.is_empty() {
                    "the empty line that ends the trailer section is a bare LF instead of CRLF"
                        .to_string()
                } else {
                    format!(
                        "trailer line #{line_no} ends in a bare LF instead of CRLF: {:?}",
                        String::from_utf8_lossy(&line[..line.len().min(40)])
                    )
                };
                return Err(self.chunk_error_in(self.chunks, what));
            }
            start += lf + 1;
            if start > self.max_trailer_bytes {
                return Err(self.trailers_too_large());
            }
            if line.len() == 1 {
                return Ok(Some(start));
            }
        }
        if rest.len() > self.max_trailer_bytes {
            return Err(self.trailers_too_large());
        }
        Ok(None)
    }

    fn trailers_too_large(&self) -> Error {
        Error::malformed(format!(
            "trailers are larger than {} bytes",
            self.max_trailer_bytes
        ))
    }

    /// An error in the size line of the next chunk.
    fn chunk_error(&self, what: String) -> Error {
        self.chunk_error_in(self.chunks + 1, what)
    }

    fn chunk_error_in(&self, chunk: u64, what: String) -> Error {
        Error::malformed(format!(
            "{what} (chunk #{chunk}, after {} body bytes)",
            self.received
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn decide_for(status: u16, pairs: &[(&str, &str)]) -> Result<FramingDecision, Error> {
        decide(&Method::GET, status, &headers(pairs))
    }

    /// Decodes `input` in one piece (then EOF if `eof`), returning the body.
    fn run(framing: Framing, input: &[u8], eof: bool) -> Result<(Vec<u8>, BodyDecoder), Error> {
        let mut d = BodyDecoder::new(framing, 1024);
        let mut body = Vec::new();
        let bytes = Bytes::copy_from_slice(input);
        d.decode(&bytes, &mut |b| body.extend_from_slice(&b))?;
        if eof {
            d.finish_at_eof()?;
        }
        Ok((body, d))
    }

    #[test]
    fn no_body_statuses_and_head() {
        for s in [100, 103, 204, 304] {
            assert_eq!(
                decide_for(s, &[("content-length", "5")]).unwrap().framing,
                Framing::Empty
            );
        }
        let d = decide(&Method::HEAD, 200, &headers(&[("content-length", "5")])).unwrap();
        assert_eq!(d.framing, Framing::Empty);
    }

    #[test]
    fn chunked_wins_over_length_and_forbids_reuse() {
        let d = decide_for(
            200,
            &[("transfer-encoding", "chunked"), ("content-length", "5")],
        )
        .unwrap();
        assert_eq!(
            d,
            FramingDecision {
                framing: Framing::Chunked,
                reusable: false
            }
        );
        let d = decide_for(200, &[("transfer-encoding", "gzip, chunked")]).unwrap();
        assert_eq!(
            d,
            FramingDecision {
                framing: Framing::Chunked,
                reusable: true
            }
        );
        let d = decide_for(200, &[("transfer-encoding", "chunked, gzip")]).unwrap();
        assert_eq!(
            d,
            FramingDecision {
                framing: Framing::UntilClose,
                reusable: false
            }
        );
    }

    #[test]
    fn content_length_rules() {
        assert_eq!(
            decide_for(200, &[("content-length", "7")]).unwrap().framing,
            Framing::Length(7)
        );
        assert_eq!(
            decide_for(200, &[("content-length", "7, 7"), ("content-length", "7")])
                .unwrap()
                .framing,
            Framing::Length(7)
        );
        let e = decide_for(200, &[("content-length", "7"), ("content-length", "8")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed response: conflicting Content-Length values: 7 and 8"
        );
        let e = decide_for(200, &[("content-length", "abc")]).unwrap_err();
        assert!(e
            .to_string()
            .contains("Content-Length is not a number: \"abc\""));
        let e = decide_for(200, &[("content-length", "-1")]).unwrap_err();
        assert!(matches!(e, Error::Malformed { .. }));
        let e = decide_for(200, &[("content-length", "99999999999999999999999")]).unwrap_err();
        assert!(e.to_string().contains("too large"));
        assert_eq!(decide_for(200, &[]).unwrap().framing, Framing::UntilClose);
    }

    #[test]
    fn length_body_and_truncation() {
        let (body, d) = run(Framing::Length(5), b"helloEXTRA", false).unwrap();
        assert_eq!(body, b"hello");
        assert!(d.is_finished());
        let e = run(Framing::Length(1024), &[b'x'; 512], true).unwrap_err();
        assert_eq!(e.to_string(), "response ended after 512 of 1024 body bytes");
    }

    #[test]
    fn chunked_with_extensions_and_trailers() {
        let input = b"4;name=val\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Sum: abc\r\n\r\n";
        let (body, mut d) = run(Framing::Chunked, input, false).unwrap();
        assert_eq!(body, b"Wikipedia");
        assert!(d.is_finished());
        assert_eq!(d.take_trailers()["x-sum"], "abc");
    }

    #[test]
    fn chunk_size_not_hex_is_named() {
        let e = run(Framing::Chunked, b"zz\r\nhello\r\n", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed response: chunk size line is not hex: \"zz\" (chunk #1, after 0 body bytes)"
        );
    }

    #[test]
    fn chunk_size_overflow_and_empty() {
        let e = run(Framing::Chunked, b"fffffffffffffffff\r\n", false).unwrap_err();
        assert!(e.to_string().contains("overflows"), "{e}");
        let e = run(Framing::Chunked, b"\r\n", false).unwrap_err();
        assert!(e.to_string().contains("no size"), "{e}");
        // Leading zeros are not an overflow.
        let (body, _) = run(
            Framing::Chunked,
            b"00000000000000000003\r\nabc\r\n0\r\n\r\n",
            false,
        )
        .unwrap();
        assert_eq!(body, b"abc");
    }

    #[test]
    fn missing_crlf_after_chunk_data() {
        let e = run(Framing::Chunked, b"3\r\nabcXY", false).unwrap_err();
        assert!(e.to_string().contains("not followed by CRLF"), "{e}");
        // The message names the chunk whose data overran, not the next one.
        assert!(
            e.to_string().ends_with("(chunk #1, after 3 body bytes)"),
            "{e}"
        );
    }

    #[test]
    fn overlong_size_line() {
        let mut input = b"1;".to_vec();
        input.extend(std::iter::repeat_n(b'a', 5000));
        let e = run(Framing::Chunked, &input, false).unwrap_err();
        assert!(e.to_string().contains("longer than 4096"), "{e}");
    }

    #[test]
    fn chunked_truncations() {
        let e = run(Framing::Chunked, b"a\r\nabc", true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "response ended inside chunk #1 after 3 of its 10 bytes (3 body bytes in all)"
        );
        let e = run(Framing::Chunked, b"3\r\nabc\r\n", true).unwrap_err();
        assert!(e.to_string().contains("before the last chunk"), "{e}");
        let e = run(Framing::Chunked, b"0\r\nX: 1\r\n", true).unwrap_err();
        assert!(e.to_string().contains("trailers"), "{e}");
    }

    #[test]
    fn until_close_ends_at_eof() {
        let (body, d) = run(Framing::UntilClose, b"all of it", true).unwrap();
        assert_eq!(body, b"all of it");
        assert!(d.is_finished());
    }

    #[test]
    fn byte_by_byte_equals_whole() {
        let input = b"5;x\r\nhello\r\n1\r\n!\r\n0\r\nT: v\r\n\r\n";
        let mut d = BodyDecoder::new(Framing::Chunked, 1024);
        let mut body = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        for &b in input.iter() {
            pending.push(b);
            let bytes = Bytes::copy_from_slice(&pending);
            let used = d
                .decode(&bytes, &mut |p| body.extend_from_slice(&p))
                .unwrap();
            pending.drain(..used);
        }
        assert!(d.is_finished());
        assert_eq!(body, b"hello!");
        assert_eq!(d.take_trailers()["t"], "v");
    }
}
