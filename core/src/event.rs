//! What an exchange reports: the five [`Event`]s and the final [`Response`].

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Version};
use url::Url;

use crate::error::Error;

/// One thing that happened to a request. See the crate docs for the order.
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
        /// Body bytes delivered in `Body` events so far.
        received: u64,
        /// The declared length, if the server gave one.
        total: Option<u64>,
    },
    /// A piece of the body, exactly `chunk_size` bytes except the last.
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
/// assert_eq!(response.json().unwrap()["a"], 1);
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

    /// Trailers of a chunked body (empty otherwise).
    pub fn trailers(&self) -> &HeaderMap {
        &self.trailers
    }

    /// The final URL, after redirects.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The raw body, when collected.
    pub fn bytes(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }

    /// The decoded JSON body, when decoding applied.
    pub fn json(&self) -> Option<&serde_json::Value> {
        self.json.as_ref()
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
