//! What an exchange reports: the five [`Event`]s and the final [`Response`].

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method, StatusCode, Version};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{BodyError, Error};
use crate::status_error::StatusError;

/// One thing that happened to a request. See the crate docs for the order.
// `Done` carries the response in place: one event per request is that
// large, and boxing it would cost an allocation per request for no gain on
// the body path, whose events are moved, not copied around.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A redirect the core is about to follow.
    Redirect {
        /// The 3xx status.
        status: StatusCode,
        /// The URL that answered with the redirect.
        from: Url,
        /// The URL that will be requested next.
        to: Url,
        /// The method the next request uses.
        method: Method,
    },
    /// Body progress: `received` bytes so far of `total` (`None` when unknown).
    Progress {
        /// Body bytes delivered in `Body` events so far (decoded bytes when
        /// a content coding is undone).
        received: u64,
        /// The declared length, if the server gave one; `None` while a
        /// content coding is undone, as the declared length counts the
        /// compressed bytes.
        total: Option<u64>,
    },
    /// A piece of the body, exactly `chunk_size` bytes except the last
    /// (after content decoding, when the body has a coding it undoes).
    Body(Bytes),
    /// The exchange completed (whatever the status).
    Done(Response),
    /// The exchange did not complete.
    Failure(Error),
}

impl Event {
    /// Whether this is `Done` or `Failure`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Event::Done(_) | Event::Failure(_))
    }
}

/// The final response of an exchange.
///
/// ```
/// # use urlrequest_core::{Exchange, Request, Event};
/// # use std::time::Instant;
/// # let now = Instant::now();
/// # let mut ex = Exchange::new(Request::get("http://example.com/").unwrap(), now);
/// # while ex.poll_action().is_some() {}
/// # ex.handle_connected(now, false);
/// # let n = ex.transmit().len();
/// # ex.handle_written(now, n);
/// # ex.handle_data(now, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
/// # let mut done = None;
/// # while let Some(ev) = ex.poll_event() { if let Event::Done(r) = ev { done = Some(r) } }
/// let response = done.unwrap();
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.json_value().unwrap()["a"], 1);
/// let as_http: http::Response<bytes::Bytes> = response.into_http();
/// assert_eq!(as_http.body().as_ref(), b"{\"a\":1}");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) reason: String,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
    pub(crate) trailers: HeaderMap,
    pub(crate) url: Url,
    pub(crate) body: Option<Bytes>,
    pub(crate) json: Option<serde_json::Value>,
    pub(crate) raw_head: Bytes,
}

/// The body of a response as Kivy's `result`: one stable type.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseBody<'a> {
    /// The body was not collected (streamed as `Body` events or to a file).
    NotCollected,
    /// The raw bytes.
    Bytes(&'a Bytes),
    /// The decoded JSON value.
    Json(&'a serde_json::Value),
}

impl Response {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason phrase the server sent.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// HTTP/1.0 or HTTP/1.1.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Response headers (case-insensitive names, every value kept).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The status line and header lines exactly as the server sent them,
    /// up to the end of the last header value (no final blank line):
    /// header names in the server's case, in its order, folded lines as
    /// folded. For printing a head as received (`urlreq -i`); read headers
    /// through [`headers`](Self::headers). Empty for a response made by
    /// hand.
    pub fn raw_head(&self) -> &[u8] {
        &self.raw_head
    }

    /// Trailers of a chunked body (empty otherwise).
    pub fn trailers(&self) -> &HeaderMap {
        &self.trailers
    }

    /// The final URL, after redirects.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Replaces the final URL. For code that answers a request from a
    /// record made at another address (a replayed recording rebased to the
    /// host a test asks for), so the response names the URL asked for.
    pub fn set_url(&mut self, url: Url) {
        self.url = url;
    }

    /// The raw body, when collected.
    pub fn bytes(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }

    /// The JSON value the core decoded, when decoding applied (the request
    /// decodes, the default, and the type is `application/json` or
    /// `*/*+json`). For a typed value, or a body whose type says nothing,
    /// use [`json`](Self::json).
    pub fn json_value(&self) -> Option<&serde_json::Value> {
        self.json.as_ref()
    }

    /// The body as text, decoded by the `charset` parameter of
    /// `Content-Type`.
    ///
    /// - No charset, `utf-8` or `utf8`: UTF-8, **strictly**. A body that is
    ///   not valid UTF-8 is an error naming the offset of the first bad byte
    ///   ([`BodyError::InvalidUtf8`]), never a lossy guess; a leading byte
    ///   order mark is dropped. For a lossy reading, use
    ///   `String::from_utf8_lossy(response.bytes().unwrap())`.
    /// - `iso-8859-1` (`latin1`, `l1`, ...) and `us-ascii`: each byte is the
    ///   character of the same number, so these never fail (US-ASCII is read
    ///   as its superset ISO-8859-1).
    /// - Any other charset: [`BodyError::UnsupportedCharset`] naming it;
    ///   decode [`bytes`](Self::bytes) with a library that knows it.
    /// - A body that was not collected (streamed): [`BodyError::NotCollected`].
    ///
    /// The body is the one received, whatever the status; for a status
    /// other than 2xx, any of these errors comes wrapped in
    /// [`BodyError::Status`], its message naming the status and URL first
    /// ([`BodyError::inner`] gives the error itself).
    ///
    /// ```
    /// # use urlrequest_core::{Exchange, Request, Event, Response};
    /// # fn respond(wire: &[u8]) -> Response {
    /// #     let now = std::time::Instant::now();
    /// #     let mut ex = Exchange::new(Request::get("http://example.com/").unwrap(), now);
    /// #     while ex.poll_action().is_some() {}
    /// #     ex.handle_connected(now, false);
    /// #     let n = ex.transmit().len();
    /// #     ex.handle_written(now, n);
    /// #     ex.handle_data(now, wire);
    /// #     ex.handle_eof(now);
    /// #     std::iter::from_fn(|| ex.poll_event())
    /// #         .find_map(|e| if let Event::Done(r) = e { Some(r) } else { None }).unwrap()
    /// # }
    /// let response = respond(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nh\xc3\xa9llo");
    /// assert_eq!(response.text()?, "héllo"); // UTF-8 by default
    ///
    /// let latin1 = respond(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n\
    ///                        Content-Length: 5\r\n\r\nh\xe9llo");
    /// assert_eq!(latin1.text()?, "héllo");
    ///
    /// let broken = respond(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nh\xe9llo");
    /// assert_eq!(
    ///     broken.text().unwrap_err().to_string(),
    ///     "body is not valid UTF-8: invalid byte at offset 1 of 5 (use bytes() for the raw body)"
    /// );
    /// # Ok::<(), urlrequest_core::BodyError>(())
    /// ```
    pub fn text(&self) -> Result<String, BodyError> {
        self.read_text().map_err(|e| self.with_status(e))
    }

    fn read_text(&self) -> Result<String, BodyError> {
        let body = self.body.as_ref().ok_or(BodyError::NotCollected)?;
        let charset = self.charset();
        match charset.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("utf-8" | "utf8") => {
                let text = std::str::from_utf8(body).map_err(|e| BodyError::InvalidUtf8 {
                    offset: e.valid_up_to(),
                    len: body.len(),
                })?;
                Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_string())
            }
            Some(
                "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1"
                | "us-ascii" | "ascii",
            ) => Ok(body.iter().map(|&b| char::from(b)).collect()),
            Some(_) => Err(BodyError::UnsupportedCharset {
                charset: charset.unwrap_or_default(),
            }),
        }
    }

    /// The body deserialised as JSON into any `T: DeserializeOwned` (a
    /// struct of your own, `Vec<..>`, `serde_json::Value`...), whatever
    /// `Content-Type` says and whether or not the core decoded it.
    ///
    /// Errors: [`BodyError::NotCollected`] when the body was streamed;
    /// [`BodyError::Json`] naming `T` and saying what serde_json found
    /// (syntax, or a missing or mistyped field, with line and column).
    /// For a status other than 2xx, either comes wrapped in
    /// [`BodyError::Status`]: `HTTP 404 Not Found from URL: body is not
    /// valid JSON for T: ...`.
    ///
    /// ```
    /// # use urlrequest_core::{Exchange, Request, Event, Response};
    /// # fn respond(wire: &[u8]) -> Response {
    /// #     let now = std::time::Instant::now();
    /// #     let mut ex = Exchange::new(Request::get("http://example.com/").unwrap(), now);
    /// #     while ex.poll_action().is_some() {}
    /// #     ex.handle_connected(now, false);
    /// #     let n = ex.transmit().len();
    /// #     ex.handle_written(now, n);
    /// #     ex.handle_data(now, wire);
    /// #     ex.handle_eof(now);
    /// #     std::iter::from_fn(|| ex.poll_event())
    /// #         .find_map(|e| if let Event::Done(r) = e { Some(r) } else { None }).unwrap()
    /// # }
    /// #[derive(serde::Deserialize, Debug, PartialEq)]
    /// struct User {
    ///     name: String,
    ///     id: u32,
    /// }
    ///
    /// let response = respond(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
    ///                          Content-Length: 24\r\n\r\n{\"name\":\"ada\",\"id\":1815}");
    /// let user: User = response.json()?;
    /// assert_eq!(user, User { name: "ada".into(), id: 1815 });
    ///
    /// let err = response.json::<Vec<u32>>().unwrap_err();
    /// assert!(err.to_string().starts_with("body is not valid JSON for alloc::vec::Vec<u32>: invalid type"));
    /// # Ok::<(), urlrequest_core::BodyError>(())
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, BodyError> {
        let body = self
            .body
            .as_ref()
            .ok_or_else(|| self.with_status(BodyError::NotCollected))?;
        serde_json::from_slice(body).map_err(|e| {
            self.with_status(BodyError::Json {
                type_name: std::any::type_name::<T>(),
                message: e.to_string(),
            })
        })
    }

    /// `error` as it is for a 2xx response; under [`BodyError::Status`]
    /// (saying status and URL first) for any other status, whose body is
    /// often an error page rather than what the caller expected.
    fn with_status(&self, error: BodyError) -> BodyError {
        if self.status.is_success() {
            return error;
        }
        BodyError::Status {
            status: self.status,
            reason: self.reason.clone(),
            url: self.url.to_string(),
            error: Box::new(error),
        }
    }

    /// The response, when its status is not 4xx or 5xx; else a
    /// [`StatusError`] naming the status, the final URL and the start of
    /// the body, which keeps the response
    /// ([`StatusError::into_response`]). 1xx, 2xx and 3xx (a redirect that
    /// was not followed) are not errors, as in reqwest.
    ///
    /// ```
    /// # use urlrequest_core::{Exchange, Request, Event, Response};
    /// # fn respond(wire: &[u8]) -> Response {
    /// #     let now = std::time::Instant::now();
    /// #     let mut ex = Exchange::new(Request::get("http://h/users/7").unwrap(), now);
    /// #     while ex.poll_action().is_some() {}
    /// #     ex.handle_connected(now, false);
    /// #     let n = ex.transmit().len();
    /// #     ex.handle_written(now, n);
    /// #     ex.handle_data(now, wire);
    /// #     ex.handle_eof(now);
    /// #     std::iter::from_fn(|| ex.poll_event())
    /// #         .find_map(|e| if let Event::Done(r) = e { Some(r) } else { None }).unwrap()
    /// # }
    /// let ok = respond(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    /// assert_eq!(ok.error_for_status()?.text()?, "hi");
    ///
    /// let missing = respond(b"HTTP/1.1 404 Not Found\r\nContent-Length: 7\r\n\r\nno user");
    /// let err = missing.error_for_status().unwrap_err();
    /// assert_eq!(err.to_string(), "HTTP 404 Not Found from http://h/users/7: no user");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn error_for_status(self) -> Result<Response, StatusError> {
        if self.is_error_status() {
            Err(StatusError::new(self))
        } else {
            Ok(self)
        }
    }

    /// Like [`error_for_status`](Self::error_for_status), borrowing: the
    /// error holds a copy of the response.
    pub fn error_for_status_ref(&self) -> Result<&Response, StatusError> {
        if self.is_error_status() {
            Err(StatusError::new(self.clone()))
        } else {
            Ok(self)
        }
    }

    fn is_error_status(&self) -> bool {
        self.status.is_client_error() || self.status.is_server_error()
    }

    /// The `charset` parameter of `Content-Type`, unquoted, as sent.
    fn charset(&self) -> Option<String> {
        let value = self.headers.get(CONTENT_TYPE)?.to_str().ok()?;
        value.split(';').skip(1).find_map(|param| {
            let (name, value) = param.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.trim().trim_matches('"').to_string())
        })
    }

    /// The body as one value: JSON when decoded, else bytes.
    pub fn result(&self) -> ResponseBody<'_> {
        match (&self.json, &self.body) {
            (Some(j), _) => ResponseBody::Json(j),
            (None, Some(b)) => ResponseBody::Bytes(b),
            (None, None) => ResponseBody::NotCollected,
        }
    }

    /// Converts into an `http::Response` carrying the raw body (empty when not collected).
    pub fn into_http(self) -> http::Response<Bytes> {
        let mut r = http::Response::new(self.body.unwrap_or_default());
        *r.status_mut() = self.status;
        *r.version_mut() = self.version;
        *r.headers_mut() = self.headers;
        r
    }
}

impl From<Response> for http::Response<Bytes> {
    fn from(r: Response) -> Self {
        r.into_http()
    }
}
