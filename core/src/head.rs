//! Parsing a response head (status line and headers) with `httparse`, within
//! the head-size and header-count limits.

use std::mem::MaybeUninit;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Version};

use crate::error::Error;
use crate::request::Limits;

/// A parsed status line and header block.
#[derive(Debug, Clone)]
pub(crate) struct ResponseHead {
    pub status: StatusCode,
    pub reason: String,
    pub version: Version,
    pub headers: HeaderMap,
    /// The status line and header lines as they came, up to the end of the
    /// last header value: the copy the header values are slices of.
    pub raw: Bytes,
}

/// The outcome of one parse attempt over the bytes buffered so far.
#[derive(Debug)]
pub(crate) enum HeadParse {
    /// More bytes are needed.
    Partial,
    /// A head, and how many bytes it took.
    Complete(ResponseHead, usize),
}

const STACK_HEADERS: usize = 100;

/// Bytes of the first line quoted in error messages.
const SHOWN_LINE: usize = 60;

/// Parses a response head from the start of `buf`. `at_eof`: no more bytes
/// will come.
///
/// A syntax error is reported only once the first line is complete (or
/// `SHOWN_LINE` bytes long, or at EOF), so that the message, which quotes
/// that line, is the same however the network split the bytes.
pub(crate) fn parse_head(buf: &[u8], limits: &Limits, at_eof: bool) -> Result<HeadParse, Error> {
    // Uninitialised slots: nothing to fill (100 empty headers are 3 KiB)
    // before every parse.
    let mut stack = [MaybeUninit::<httparse::Header<'_>>::uninit(); STACK_HEADERS];
    let mut heap;
    let slots: &mut [MaybeUninit<httparse::Header<'_>>] = if limits.max_headers <= STACK_HEADERS {
        &mut stack[..limits.max_headers]
    } else {
        heap = vec![MaybeUninit::uninit(); limits.max_headers];
        &mut heap
    };
    let mut resp = httparse::Response::new(&mut []);
    let parsed =
        httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut resp, buf, slots);
    let status = match parsed {
        Ok(s) => s,
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Error::TooManyHeaders {
                limit: limits.max_headers,
            })
        }
        Err(_) if !at_eof && buf.len() < SHOWN_LINE && !buf.contains(&b'\n') => {
            return Ok(HeadParse::Partial)
        }
        Err(e) => return Err(Error::malformed(describe_parse_error(e, buf))),
    };
    let len = match status {
        httparse::Status::Partial => {
            if buf.len() > limits.max_head_bytes {
                return Err(Error::HeadTooLarge {
                    limit: limits.max_head_bytes,
                });
            }
            return Ok(HeadParse::Partial);
        }
        httparse::Status::Complete(len) => len,
    };
    if len > limits.max_head_bytes {
        return Err(Error::HeadTooLarge {
            limit: limits.max_head_bytes,
        });
    }
    let code = resp.code.unwrap_or(0);
    let status = StatusCode::from_u16(code)
        .map_err(|_| Error::malformed(format!("status code {code} is out of range")))?;
    let version = if resp.version == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    let (headers, raw) = header_map_and_source(resp.headers, buf)?;
    let reason = resp.reason.unwrap_or("").to_string();
    Ok(HeadParse::Complete(
        ResponseHead {
            status,
            reason,
            version,
            headers,
            raw,
        },
        len,
    ))
}

/// Converts parsed header lines (a head or trailers) into a `HeaderMap`.
///
/// `source` is the buffer the lines were parsed from. It is copied once and
/// every value is a slice of that copy: one allocation for all the values
/// instead of one each, and a clone of the map shares them.
pub(crate) fn to_header_map(
    lines: &[httparse::Header<'_>],
    source: &[u8],
) -> Result<HeaderMap, Error> {
    header_map_and_source(lines, source).map(|(map, _)| map)
}

/// [`to_header_map`], also returning the copy of `source` the values are
/// slices of (from its start to the end of the last value).
fn header_map_and_source(
    lines: &[httparse::Header<'_>],
    source: &[u8],
) -> Result<(HeaderMap, Bytes), Error> {
    let mut map = HeaderMap::with_capacity(lines.len());
    let base = source.as_ptr() as usize;
    let offset = |v: &[u8]| {
        (v.as_ptr() as usize)
            .checked_sub(base)
            .filter(|o| o + v.len() <= source.len())
    };
    let end = lines
        .iter()
        .filter_map(|h| offset(h.value).map(|o| o + h.value.len()))
        .max()
        .unwrap_or(0);
    let shared = Bytes::copy_from_slice(&source[..end]);
    for h in lines {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| Error::malformed(format!("invalid header name {:?}", h.name)))?;
        let value = match offset(h.value) {
            Some(o) => HeaderValue::from_maybe_shared(shared.slice(o..o + h.value.len())),
            // Not a slice of `source` (httparse always gives one; a
            // surprise costs a copy, not a wrong value).
            None => HeaderValue::from_bytes(h.value),
        }
        .map_err(|_| {
            Error::malformed(format!("invalid bytes in the value of header '{}'", h.name))
        })?;
        map.append(name, value);
    }
    Ok((map, shared))
}

fn describe_parse_error(e: httparse::Error, buf: &[u8]) -> String {
    let first_line = buf.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let shown: String = String::from_utf8_lossy(&first_line[..first_line.len().min(SHOWN_LINE)])
        .trim_end_matches('\r')
        .to_string();
    let what = match e {
        httparse::Error::Version => "status line does not start with HTTP/1.0 or HTTP/1.1",
        httparse::Error::Status => "status code is not three digits",
        httparse::Error::HeaderName => "invalid header name in the response head",
        httparse::Error::HeaderValue => "invalid byte in a header value of the response head",
        httparse::Error::NewLine => "bad line ending in the response head",
        httparse::Error::Token => "invalid token in the status line",
        httparse::Error::TooManyHeaders => "too many headers",
    };
    format!("{what} (first line: {shown:?})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(b: &[u8]) -> Result<HeadParse, Error> {
        parse_head(b, &Limits::default(), false)
    }

    #[test]
    fn the_raw_head_keeps_names_as_sent() {
        let b = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Custom-ID: 7\r\n\r\nbody";
        match parse(b).unwrap() {
            HeadParse::Complete(h, _) => {
                let raw = String::from_utf8(h.raw.to_vec()).unwrap();
                assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw:?}");
                assert!(raw.contains("Content-Type: text/plain"), "{raw:?}");
                assert!(raw.ends_with("X-Custom-ID: 7"), "{raw:?}");
                assert!(h.headers.contains_key("x-custom-id"));
            }
            HeadParse::Partial => panic!("complete"),
        }
    }

    #[test]
    fn complete_head_reports_length() {
        let b = b"HTTP/1.1 404 Not Found\r\nX: 1\r\nX: 2\r\n\r\nbody";
        match parse(b).unwrap() {
            HeadParse::Complete(h, n) => {
                assert_eq!(n, b.len() - 4);
                assert_eq!(h.status, 404);
                assert_eq!(h.reason, "Not Found");
                assert_eq!(h.headers.get_all("x").iter().count(), 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn partial_until_blank_line() {
        assert!(matches!(
            parse(b"HTTP/1.1 200 OK\r\nX: 1\r\n").unwrap(),
            HeadParse::Partial
        ));
    }

    #[test]
    fn bad_version_is_named_with_the_line() {
        let e = parse(b"FOO/1.1 200 OK\r\n\r\n").unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("HTTP/1.0 or HTTP/1.1") && m.contains("FOO/1.1 200 OK"),
            "{m}"
        );
    }

    #[test]
    fn syntax_errors_wait_for_the_whole_first_line() {
        assert!(matches!(parse(b"XTTP/1.1 2").unwrap(), HeadParse::Partial));
        let e = parse_head(b"XTTP/1.1 2", &Limits::default(), true).unwrap_err();
        assert!(e.to_string().contains("\"XTTP/1.1 2\""), "{e}");
        assert!(parse(b"XTTP/1.1 200 OK\r\n").is_err());
    }

    #[test]
    fn head_limit_applies_to_partial_heads() {
        let limits = Limits {
            max_head_bytes: 32,
            ..Limits::default()
        };
        let b = b"HTTP/1.1 200 OK\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaa";
        assert_eq!(
            parse_head(b, &limits, false).unwrap_err(),
            Error::HeadTooLarge { limit: 32 }
        );
    }

    #[test]
    fn header_count_limit() {
        let limits = Limits {
            max_headers: 2,
            ..Limits::default()
        };
        let b = b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        assert_eq!(
            parse_head(b, &limits, false).unwrap_err(),
            Error::TooManyHeaders { limit: 2 }
        );
    }
}
