//! [`StatusError`]: a response whose status says the request failed (4xx
//! or 5xx), as [`Response::error_for_status`] returns it, and the short
//! description of a status and URL that body errors of such a response
//! start with.

use std::fmt;

use http::StatusCode;
use url::Url;

use crate::event::Response;

/// How many bytes of the body a [`StatusError`] shows.
pub(crate) const BODY_START_BYTES: usize = 200;

/// A response with a 4xx or 5xx status, from
/// [`Response::error_for_status`]: it names the status, the final URL and
/// the start of the body, and keeps the whole response
/// ([`into_response`](Self::into_response)).
///
/// ```
/// # use urlrequest_core::{Exchange, Request, Event, Response};
/// # fn respond(wire: &[u8]) -> Response {
/// #     let now = std::time::Instant::now();
/// #     let mut ex = Exchange::new(Request::get("http://h/p").unwrap(), now);
/// #     while ex.poll_action().is_some() {}
/// #     ex.handle_connected(now, false);
/// #     let n = ex.transmit().len();
/// #     ex.handle_written(now, n);
/// #     ex.handle_data(now, wire);
/// #     ex.handle_eof(now);
/// #     std::iter::from_fn(|| ex.poll_event())
/// #         .find_map(|e| if let Event::Done(r) = e { Some(r) } else { None }).unwrap()
/// # }
/// let response = respond(b"HTTP/1.1 404 Not Found\r\nContent-Length: 16\r\n\r\n{\"error\":\"nope\"}");
/// let err = response.error_for_status().unwrap_err();
/// assert_eq!(err.to_string(), r#"HTTP 404 Not Found from http://h/p: {"error":"nope"}"#);
/// assert_eq!(err.status(), 404);
/// assert_eq!(err.body_start(), Some(r#"{"error":"nope"}"#));
/// let response = err.into_response(); // nothing is lost
/// assert_eq!(response.bytes().unwrap().len(), 16);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StatusError {
    response: Box<Response>,
    body_start: Option<String>,
}

impl StatusError {
    /// The error for `response`, whatever its status.
    pub(crate) fn new(response: Response) -> StatusError {
        let body_start = response.bytes().and_then(|b| body_start(b));
        StatusError {
            response: Box::new(response),
            body_start,
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// The final URL, after redirects.
    pub fn url(&self) -> &Url {
        self.response.url()
    }

    /// The first bytes of the body (up to 200), lossily decoded as UTF-8,
    /// control characters shown as spaces so that the message stays one
    /// line; followed by `... (N bytes)` when the body is longer. `None`
    /// when the body is empty or was not collected.
    pub fn body_start(&self) -> Option<&str> {
        self.body_start.as_deref()
    }

    /// The response, whole.
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// Gives the response back.
    pub fn into_response(self) -> Response {
        *self.response
    }
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.response;
        write_status_line(f, r.status(), r.reason(), r.url().as_str())?;
        match &self.body_start {
            Some(body) => write!(f, ": {body}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for StatusError {}

/// `HTTP 404 Not Found from http://h/p`: the status with its reason (the
/// server's, else the standard one) and the URL.
pub(crate) fn write_status_line(
    f: &mut fmt::Formatter<'_>,
    status: StatusCode,
    reason: &str,
    url: &str,
) -> fmt::Result {
    let reason = match reason {
        "" => status.canonical_reason().unwrap_or(""),
        sent => sent,
    };
    write!(f, "HTTP {}", status.as_u16())?;
    if !reason.is_empty() {
        write!(f, " {reason}")?;
    }
    write!(f, " from {url}")
}

/// The start of `body` as one line of text (see [`StatusError::body_start`]).
fn body_start(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let mut end = body.len().min(BODY_START_BYTES);
    // Do not cut a UTF-8 character in two (at most three continuation bytes).
    for _ in 0..3 {
        if end < body.len() && end > 0 && body[end] & 0xC0 == 0x80 {
            end -= 1;
        }
    }
    let text: String = String::from_utf8_lossy(&body[..end])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Some(if end < body.len() {
        format!("{text}... ({} bytes)", body.len())
    } else {
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, Version};

    fn response(status: u16, reason: &str, body: Option<&[u8]>) -> Response {
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            reason: reason.into(),
            version: Version::HTTP_11,
            headers: HeaderMap::new(),
            trailers: HeaderMap::new(),
            url: Url::parse("http://h/p?q=1").unwrap(),
            body: body.map(Bytes::copy_from_slice),
            json: None,
            raw_head: Bytes::new(),
        }
    }

    #[test]
    fn client_and_server_errors_are_errors_and_the_rest_is_not() {
        for ok in [200, 204, 299, 301, 304, 399] {
            let r = response(ok, "", Some(b"x"));
            assert_eq!(r.error_for_status_ref().unwrap().status(), ok);
            assert!(r.error_for_status().is_ok(), "{ok}");
        }
        for bad in [400, 404, 418, 499, 500, 503, 599] {
            let r = response(bad, "", Some(b"x"));
            assert_eq!(r.error_for_status_ref().unwrap_err().status(), bad);
            assert_eq!(r.error_for_status().unwrap_err().status(), bad);
        }
    }

    #[test]
    fn the_message_names_status_url_and_body_start() {
        let e = response(404, "Not Found", Some(br#"{"error":"nope"}"#))
            .error_for_status()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"HTTP 404 Not Found from http://h/p?q=1: {"error":"nope"}"#
        );
        assert_eq!(e.url().as_str(), "http://h/p?q=1");
        assert_eq!(
            e.into_response().bytes().unwrap().as_ref(),
            br#"{"error":"nope"}"#
        );
    }

    #[test]
    fn an_empty_reason_gives_the_standard_one_and_no_body_adds_nothing() {
        let e = response(503, "", Some(b"")).error_for_status().unwrap_err();
        assert_eq!(e.body_start(), None);
        assert_eq!(
            e.to_string(),
            "HTTP 503 Service Unavailable from http://h/p?q=1"
        );
        let e = response(599, "", None).error_for_status().unwrap_err();
        assert_eq!(e.to_string(), "HTTP 599 from http://h/p?q=1");
    }

    #[test]
    fn a_long_body_is_cut_and_marked_without_splitting_a_character() {
        // 199 ASCII bytes, then 'é' (2 bytes) across the 200-byte cut.
        let mut body = vec![b'a'; 199];
        body.extend_from_slice("é and more".as_bytes());
        let e = response(500, "Oops", Some(&body))
            .error_for_status()
            .unwrap_err();
        let start = e.body_start().unwrap();
        assert_eq!(
            start,
            format!("{}... ({} bytes)", "a".repeat(199), body.len())
        );
    }

    #[test]
    fn reading_the_body_of_an_error_status_says_the_status_first() {
        let r = response(404, "Not Found", Some(b"<html>gone</html>"));
        let e = r.json::<serde_json::Value>().unwrap_err();
        assert!(
            e.to_string().starts_with(
                "HTTP 404 Not Found from http://h/p?q=1: body is not valid JSON for \
                 serde_json::value::Value: expected value at line 1 column 1"
            ),
            "{e}"
        );
        assert!(matches!(e.inner(), crate::BodyError::Json { .. }), "{e:?}");
        let e = response(500, "", Some(b"\xff")).text().unwrap_err();
        assert_eq!(
            e.to_string(),
            "HTTP 500 Internal Server Error from http://h/p?q=1: body is not valid UTF-8: \
             invalid byte at offset 0 of 1 (use bytes() for the raw body)"
        );
        let e = response(302, "Found", None).json::<u8>().unwrap_err();
        assert!(e
            .to_string()
            .starts_with("HTTP 302 Found from http://h/p?q=1: the response has no body"));
    }

    #[test]
    fn reading_the_body_of_a_success_keeps_the_plain_message() {
        let e = response(200, "OK", Some(b"")).json::<u8>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "body is not valid JSON for u8: EOF while parsing a value at line 1 column 0"
        );
        assert_eq!(e.inner(), &e);
        assert_eq!(
            response(404, "", Some(b"[1]")).json::<Vec<u8>>().unwrap(),
            [1]
        );
    }

    #[test]
    fn binary_and_multi_line_bodies_stay_one_readable_line() {
        let e = response(400, "Bad Request", Some(b"line 1\r\nline\t2\xff"))
            .error_for_status()
            .unwrap_err();
        assert_eq!(e.body_start(), Some("line 1  line 2\u{fffd}"));
    }
}
