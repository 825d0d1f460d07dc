//! Errors: why a request could not be built ([`BuildError`]) and why an
//! exchange did not complete ([`Error`], carried by [`Event::Failure`](crate::Event::Failure)).
//!
//! Every message says what happened and, where it matters, where: a user reading
//! it should know whether to blame the server, the network or their own input.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;

use crate::request::ProxySource;

/// A request description was rejected before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The URL could not be parsed.
    InvalidUrl {
        /// The text the user gave.
        url: String,
        /// What the URL parser said.
        reason: String,
    },
    /// The URL's scheme is not `http` or `https`.
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
    },
    /// The URL has no host.
    MissingHost {
        /// The text the user gave.
        url: String,
    },
    /// A header name is not a valid token.
    InvalidHeaderName {
        /// The name, lossily decoded.
        name: String,
    },
    /// A header value holds CR, LF, NUL or another forbidden byte.
    InvalidHeaderValue {
        /// The header's name.
        name: String,
    },
    /// The method is not a valid token.
    InvalidMethod {
        /// The method given.
        method: String,
    },
    /// `chunk_size` was zero.
    ZeroChunkSize,
    /// A proxy was given with an empty host or port 0.
    InvalidProxy {
        /// What is wrong with it.
        reason: String,
    },
    /// The value given to [`RequestBuilder::json`](crate::RequestBuilder::json)
    /// could not be serialised.
    Json {
        /// What serde_json said.
        reason: String,
    },
    /// A form body ([`RequestBuilder::form`](crate::RequestBuilder::form) or
    /// [`RequestBuilder::multipart`](crate::RequestBuilder::multipart))
    /// could not be encoded: a bad or colliding multipart boundary.
    Form {
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidUrl { url, reason } => write!(f, "invalid URL '{url}': {reason}"),
            BuildError::UnsupportedScheme { scheme } => {
                write!(f, "unsupported URL scheme '{scheme}': only http and https are allowed")
            }
            BuildError::MissingHost { url } => write!(f, "URL '{url}' has no host"),
            BuildError::InvalidHeaderName { name } => {
                write!(f, "invalid header name {name:?}: names are tokens without spaces or separators")
            }
            BuildError::InvalidHeaderValue { name } => write!(
                f,
                "invalid value for header '{name}': values may not contain CR, LF, NUL or other control bytes"
            ),
            BuildError::InvalidMethod { method } => write!(f, "invalid HTTP method {method:?}"),
            BuildError::ZeroChunkSize => write!(f, "chunk_size must be at least 1 byte"),
            BuildError::InvalidProxy { reason } => write!(f, "invalid proxy: {reason}"),
            BuildError::Json { reason } => {
                write!(f, "the JSON body could not be serialised: {reason}")
            }
            BuildError::Form { reason } => write!(f, "the form body could not be encoded: {reason}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Why [`Response::text`](crate::Response::text) or
/// [`Response::json`](crate::Response::json) could not give the body in the
/// form asked for. The response itself is fine; only this reading of its
/// body failed, and the raw bytes stay available in
/// [`Response::bytes`](crate::Response::bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyError {
    /// The body was streamed (`collect_body(false)`, a `file_path`
    /// download, `Client::events`), so the response holds none.
    NotCollected,
    /// The body is declared (or assumed) UTF-8 but is not.
    InvalidUtf8 {
        /// Offset of the first byte that is not valid UTF-8.
        offset: usize,
        /// The body's length in bytes.
        len: usize,
    },
    /// `Content-Type` names a charset that `text()` does not decode.
    UnsupportedCharset {
        /// The charset, as the server wrote it.
        charset: String,
    },
    /// The body is not JSON, or not JSON of the shape asked for.
    Json {
        /// The type asked for.
        type_name: &'static str,
        /// What serde_json said (with line and column).
        message: String,
    },
    /// One of the errors above, reading the body of a response whose
    /// status is not 2xx: the message says the status and URL first, as
    /// such a body is often an error page rather than what was expected.
    Status {
        /// The response's status.
        status: http::StatusCode,
        /// The reason phrase the server sent (may be empty).
        reason: String,
        /// The response's final URL.
        url: String,
        /// What went wrong reading the body.
        error: Box<BodyError>,
    },
}

impl BodyError {
    /// The reading error itself, without the status it may be wrapped in
    /// ([`BodyError::Status`]).
    pub fn inner(&self) -> &BodyError {
        match self {
            BodyError::Status { error, .. } => error.inner(),
            other => other,
        }
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::NotCollected => f.write_str(
                "the response has no body to read: it was streamed as Body events \
                 (collect_body(false), file_path, or an event stream); \
                 build the request with collect_body(true) to keep it",
            ),
            BodyError::InvalidUtf8 { offset, len } => write!(
                f,
                "body is not valid UTF-8: invalid byte at offset {offset} of {len} \
                 (use bytes() for the raw body)"
            ),
            BodyError::UnsupportedCharset { charset } => write!(
                f,
                "body's charset {charset:?} is not supported: text() decodes UTF-8, \
                 ISO-8859-1 and US-ASCII; decode bytes() yourself"
            ),
            BodyError::Json { type_name, message } => {
                write!(f, "body is not valid JSON for {type_name}: {message}")
            }
            BodyError::Status {
                status,
                reason,
                url,
                error,
            } => {
                crate::status_error::write_status_line(f, *status, reason, url)?;
                write!(f, ": {error}")
            }
        }
    }
}

impl std::error::Error for BodyError {}

/// The part of an exchange that was waiting when a timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Opening the connection (TCP, and TLS when the runtime does it).
    Connect,
    /// Setting up a tunnel through a proxy.
    ProxyConnect,
    /// The TLS handshake (directly, or inside a proxy tunnel).
    TlsHandshake,
    /// Writing the request.
    Write,
    /// Waiting for the response head.
    Head,
    /// Reading the response body.
    Body,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connect => "connecting",
            Phase::ProxyConnect => "setting up the proxy tunnel",
            Phase::TlsHandshake => "performing the TLS handshake",
            Phase::Write => "writing the request",
            Phase::Head => "waiting for the response head",
            Phase::Body => "reading the response body",
        })
    }
}

/// A failure the runtime observed while moving bytes, reported to the core.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// The host name did not resolve.
    Dns(String),
    /// No address accepted the connection.
    Connect(String),
    /// The TLS handshake or a TLS record failed.
    Tls(String),
    /// Reading or writing failed (reset, broken pipe, ...).
    Io(String),
}

/// The runtimes' shared wording: every runtime builds its transport errors
/// with these, so the same fault reads the same whatever moved the bytes
/// (the conformance fault suite compares the messages exactly). The
/// operating system's own text comes last.
impl TransportError {
    /// `host` did not resolve: the resolver's error, or `None` when it
    /// answered with no addresses.
    pub fn unresolved(host: &str, error: Option<&io::Error>) -> TransportError {
        match error {
            Some(e) => TransportError::Dns(format!("{host}: {e}")),
            None => TransportError::Dns(format!("{host}: no addresses found")),
        }
    }

    /// No address of `host` accepted a connection; one entry per address
    /// tried, in order.
    pub fn unreachable(
        host: &str,
        port: u16,
        attempts: &[(SocketAddr, io::Error)],
    ) -> TransportError {
        match attempts {
            [(addr, e)] => TransportError::Connect(format!("{addr}: {e}")),
            _ => {
                let each: Vec<String> = attempts.iter().map(|(a, e)| format!("{a}: {e}")).collect();
                TransportError::Connect(format!(
                    "{host} port {port}: every address failed ({})",
                    each.join("; ")
                ))
            }
        }
    }

    /// Reading from the connection failed.
    pub fn read(error: &io::Error) -> TransportError {
        TransportError::Io(format!("read: {error}"))
    }

    /// Writing to the connection failed.
    pub fn write(error: &io::Error) -> TransportError {
        TransportError::Io(format!("write: {error}"))
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Dns(m) => write!(f, "could not resolve host: {m}"),
            TransportError::Connect(m) => write!(f, "could not connect: {m}"),
            TransportError::Tls(m) => write!(f, "TLS failed: {m}"),
            TransportError::Io(m) => write!(f, "connection failed: {m}"),
        }
    }
}

/// Why an exchange ended without completing: the payload of
/// [`Event::Failure`](crate::Event::Failure).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The runtime could not resolve, connect, handshake or move bytes.
    Transport(TransportError),
    /// No progress within the request's `timeout`, the whole exchange past
    /// its `total_timeout`, or a connection not ready (TCP, proxy tunnel,
    /// TLS) within its `connect_timeout`; `after` says which.
    Timeout {
        /// What the exchange was doing.
        phase: Phase,
        /// The configured timeout.
        after: Duration,
        /// Body bytes received before the stall (0 outside the body).
        received: u64,
    },
    /// The server's bytes break HTTP/1.1 framing.
    Malformed {
        /// What was wrong and where.
        what: String,
    },
    /// The connection ended before the framing said the message was complete.
    Truncated {
        /// Which part was cut short and how much had arrived.
        what: String,
    },
    /// The response head exceeded [`Limits::max_head_bytes`](crate::Limits::max_head_bytes).
    HeadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The response head had more header lines than [`Limits::max_headers`](crate::Limits::max_headers).
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The body exceeded [`Limits::max_body_bytes`](crate::Limits::max_body_bytes),
    /// or, for a collected body with no limit set,
    /// [`DEFAULT_MAX_COLLECTED_BODY`](crate::DEFAULT_MAX_COLLECTED_BODY).
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
        /// The limit was the default for a body kept in memory, not one the
        /// request set; the message then says how to raise it or stream.
        default_for_collected: bool,
    },
    /// More redirects than `max_redirects`.
    TooManyRedirects {
        /// The limit.
        limit: u32,
        /// The redirect that would have gone over it.
        to: String,
    },
    /// A redirect pointed back to a URL already visited in this chain.
    RedirectLoop {
        /// The URL seen twice.
        url: String,
    },
    /// A redirect was refused (bad `Location`, non-http scheme, https to http).
    RedirectRefused {
        /// Why it was refused.
        reason: String,
    },
    /// The proxy refused to open a tunnel.
    ProxyRefused {
        /// The proxy's status code.
        status: u16,
        /// The proxy's reason phrase.
        reason: String,
    },
    /// The body was declared JSON but did not parse; the raw bytes are kept.
    Json {
        /// What serde_json said.
        message: String,
        /// The body as received.
        raw: Bytes,
    },
    /// The user cancelled the request.
    Cancelled,
    /// The streamed request body could not be sent as declared: its source
    /// failed, or gave fewer or more bytes than its length.
    RequestBody {
        /// What happened, with the byte counts.
        what: String,
    },
    /// A content coding (`Content-Encoding`) could not be undone: corrupt or
    /// cut-short compressed data, or decoded output past the decompression
    /// limit.
    ContentEncoding(ContentEncodingError),
    /// A failure with the proxy itself, before any request reached the
    /// server: the proxy's name did not resolve, it could not be connected
    /// to (in time), or it refused or broke off the `CONNECT` tunnel.
    /// `error` is the failure as it would read without a proxy (see
    /// [`cause`](Error::cause)), and [`kind_name`](Error::kind_name) is
    /// its kind (`dns`, `connect`, `timeout`, `proxy-refused`, ...). The
    /// message names the proxy and where it came from, as in
    /// `could not connect to proxy 127.0.0.1:9 (from environment variable
    /// http_proxy): Connection refused (os error 111)`.
    Proxy {
        /// The proxy's host (an IPv6 address without brackets).
        host: String,
        /// The proxy's port.
        port: u16,
        /// Where the proxy came from.
        from: ProxySource,
        /// What went wrong.
        error: Box<Error>,
    },
}

/// Why a content coding could not be undone: the payload of
/// [`Error::ContentEncoding`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentEncodingError {
    /// The coding, as `Content-Encoding` names it: `gzip`, `deflate`, `br`
    /// or `zstd`.
    pub codec: &'static str,
    /// What went wrong.
    pub kind: CodingErrorKind,
    /// Compressed bytes this codec had been given when it found the problem
    /// (input goes to decoders in blocks of fixed size, so the number does
    /// not depend on how the network split the bytes).
    pub compressed: u64,
}

/// What went wrong undoing a content coding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodingErrorKind {
    /// The data is not valid for the codec (or bytes follow its end); what
    /// the decoder said.
    Corrupt(String),
    /// The body ended before the compressed stream did.
    Truncated(String),
    /// The decoded output grew past `limit` times the compressed bytes
    /// received: a decompression bomb, most likely.
    RatioExceeded {
        /// The ratio allowed ([`DECOMPRESSION_RATIO_LIMIT`](crate::DECOMPRESSION_RATIO_LIMIT)).
        limit: u64,
        /// The decoded size the decoder went past.
        decoded: u64,
    },
}

impl fmt::Display for ContentEncodingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (codec, at) = (self.codec, self.compressed);
        match &self.kind {
            CodingErrorKind::Corrupt(detail) => {
                write!(
                    f,
                    "{codec} data corrupt within the first {at} compressed bytes: {detail}"
                )
            }
            CodingErrorKind::Truncated(detail) => write!(
                f,
                "{codec} data truncated: the body ended after {at} compressed bytes: {detail}"
            ),
            CodingErrorKind::RatioExceeded { limit, decoded } => write!(
                f,
                "{codec} data decodes to more than {limit} times its size \
                 (past {decoded} bytes from {at} compressed bytes): refused as a decompression bomb"
            ),
        }
    }
}

impl Error {
    /// A short stable name for the kind of failure, used in event traces.
    /// A failure with a proxy ([`Error::Proxy`]) has the kind of its
    /// cause.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::Proxy { error, .. } => error.kind_name(),
            Error::Transport(TransportError::Dns(_)) => "dns",
            Error::Transport(TransportError::Connect(_)) => "connect",
            Error::Transport(TransportError::Tls(_)) => "tls",
            Error::Transport(TransportError::Io(_)) => "io",
            Error::Timeout { .. } => "timeout",
            Error::Malformed { .. } => "malformed",
            Error::Truncated { .. } => "truncated",
            Error::HeadTooLarge { .. } => "head-too-large",
            Error::TooManyHeaders { .. } => "too-many-headers",
            Error::BodyTooLarge { .. } => "body-too-large",
            Error::TooManyRedirects { .. } => "too-many-redirects",
            Error::RedirectLoop { .. } => "redirect-loop",
            Error::RedirectRefused { .. } => "redirect-refused",
            Error::ProxyRefused { .. } => "proxy-refused",
            Error::Json { .. } => "json",
            Error::Cancelled => "cancelled",
            Error::ContentEncoding(ContentEncodingError {
                kind: CodingErrorKind::RatioExceeded { .. },
                ..
            }) => "decompression-bomb",
            Error::ContentEncoding(_) => "content-encoding",
            Error::RequestBody { .. } => "request-body",
        }
    }

    /// The failure itself: for [`Error::Proxy`] the error it wraps, for
    /// every other error the error itself. What to match on to treat a
    /// failure the same whether or not a proxy was in the way.
    ///
    /// ```
    /// use urlrequest_core::{Error, ProxySource, TransportError};
    /// let refused = Error::Transport(TransportError::Connect("127.0.0.1:9: refused".into()));
    /// let via = Error::Proxy {
    ///     host: "127.0.0.1".into(),
    ///     port: 9,
    ///     from: ProxySource::Env("http_proxy".into()),
    ///     error: Box::new(refused.clone()),
    /// };
    /// assert_eq!(via.cause(), &refused);
    /// assert_eq!(via.kind_name(), "connect");
    /// assert_eq!(
    ///     via.to_string(),
    ///     "could not connect to proxy 127.0.0.1:9 (from environment variable http_proxy): refused"
    /// );
    /// ```
    pub fn cause(&self) -> &Error {
        match self {
            Error::Proxy { error, .. } => error.cause(),
            other => other,
        }
    }

    pub(crate) fn malformed(what: impl Into<String>) -> Error {
        Error::Malformed { what: what.into() }
    }

    pub(crate) fn truncated(what: impl Into<String>) -> Error {
        Error::Truncated { what: what.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Transport(t) => t.fmt(f),
            Error::Timeout {
                phase,
                after,
                received,
            } => {
                write!(
                    f,
                    "timed out after {} while {phase}",
                    human_duration(*after)
                )?;
                if *phase == Phase::Body {
                    write!(f, " ({received} body bytes received)")?;
                }
                Ok(())
            }
            Error::Malformed { what } => write!(f, "malformed response: {what}"),
            Error::Truncated { what } => f.write_str(what),
            Error::HeadTooLarge { limit } => {
                write!(f, "response head is larger than the limit of {limit} bytes")
            }
            Error::TooManyHeaders { limit } => {
                write!(
                    f,
                    "response has more than the limit of {limit} header lines"
                )
            }
            Error::BodyTooLarge {
                limit,
                default_for_collected,
            } => {
                write!(f, "response body is larger than the limit of {limit} bytes")?;
                if *default_for_collected {
                    f.write_str(
                        " for a body kept in memory; raise Limits::max_body_bytes \
                         or stream it (collect_body(false), file_path)",
                    )?;
                }
                Ok(())
            }
            Error::TooManyRedirects { limit, to } => {
                write!(
                    f,
                    "too many redirects: the limit of {limit} was reached before {to}"
                )
            }
            Error::RedirectLoop { url } => write!(f, "redirect loop: {url} was already visited"),
            Error::RedirectRefused { reason } => write!(f, "redirect refused: {reason}"),
            Error::ProxyRefused { status, reason } => {
                write!(f, "proxy refused the tunnel with status {status} {reason}")
            }
            Error::Json { message, raw } => {
                write!(f, "body is not valid JSON ({} bytes): {message}", raw.len())
            }
            Error::Cancelled => f.write_str("request cancelled"),
            Error::ContentEncoding(e) => e.fmt(f),
            Error::RequestBody { what } => write!(f, "request body: {what}"),
            Error::Proxy {
                host,
                port,
                from,
                error,
            } => proxy_failure(f, host, *port, from, error),
        }
    }
}

/// The message of [`Error::Proxy`]: what failed, with which proxy, set
/// where. The runtimes' own prefix naming the address (which is the proxy's
/// here) is left out when it says nothing more than the proxy's name.
fn proxy_failure(
    f: &mut fmt::Formatter<'_>,
    host: &str,
    port: u16,
    from: &ProxySource,
    error: &Error,
) -> fmt::Result {
    let proxy = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let strip = |message: &str, prefixes: &[String]| -> String {
        prefixes
            .iter()
            .find_map(|p| message.strip_prefix(p.as_str()))
            .unwrap_or(message)
            .to_string()
    };
    match error {
        Error::Transport(TransportError::Dns(m)) => {
            let m = strip(m, &[format!("{host}: ")]);
            write!(f, "could not resolve proxy {proxy} (from {from}): {m}")
        }
        Error::Transport(TransportError::Connect(m)) => {
            let m = strip(m, &[format!("{proxy}: "), format!("{host} port {port}: ")]);
            write!(f, "could not connect to proxy {proxy} (from {from}): {m}")
        }
        Error::Timeout {
            phase: Phase::Connect,
            after,
            ..
        } => write!(
            f,
            "could not connect to proxy {proxy} (from {from}): timed out after {}",
            human_duration(*after)
        ),
        Error::ProxyRefused { status, reason } => write!(
            f,
            "proxy {proxy} (from {from}) refused CONNECT with status {status} {reason}"
        ),
        other => write!(f, "proxy {proxy} (from {from}): {other}"),
    }
}

impl std::error::Error for Error {}

impl From<TransportError> for Error {
    fn from(t: TransportError) -> Self {
        Error::Transport(t)
    }
}

fn human_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_message_names_phase_and_bytes() {
        let e = Error::Timeout {
            phase: Phase::Body,
            after: Duration::from_secs(5),
            received: 12,
        };
        assert_eq!(
            e.to_string(),
            "timed out after 5s while reading the response body (12 body bytes received)"
        );
        let e = Error::Timeout {
            phase: Phase::Head,
            after: Duration::from_millis(250),
            received: 0,
        };
        assert_eq!(
            e.to_string(),
            "timed out after 250ms while waiting for the response head"
        );
    }

    #[test]
    fn kind_names_are_distinct() {
        // One value of every kind. `position` has no wildcard arm, so a new
        // variant does not compile until it is listed here too.
        let every = [
            Error::Transport(TransportError::Dns("x".into())),
            Error::Transport(TransportError::Connect("x".into())),
            Error::Transport(TransportError::Tls("x".into())),
            Error::Transport(TransportError::Io("x".into())),
            Error::Timeout {
                phase: Phase::Head,
                after: Duration::from_secs(1),
                received: 0,
            },
            Error::malformed("x"),
            Error::truncated("x"),
            Error::HeadTooLarge { limit: 1 },
            Error::TooManyHeaders { limit: 1 },
            Error::BodyTooLarge {
                limit: 1,
                default_for_collected: false,
            },
            Error::TooManyRedirects {
                limit: 1,
                to: "x".into(),
            },
            Error::RedirectLoop { url: "x".into() },
            Error::RedirectRefused { reason: "x".into() },
            Error::ProxyRefused {
                status: 407,
                reason: "x".into(),
            },
            Error::Json {
                message: "x".into(),
                raw: Bytes::new(),
            },
            Error::Cancelled,
            Error::ContentEncoding(ContentEncodingError {
                codec: "gzip",
                kind: CodingErrorKind::Corrupt("x".into()),
                compressed: 0,
            }),
            Error::ContentEncoding(ContentEncodingError {
                codec: "gzip",
                kind: CodingErrorKind::RatioExceeded {
                    limit: 1,
                    decoded: 1,
                },
                compressed: 0,
            }),
            Error::RequestBody { what: "x".into() },
            Error::Proxy {
                host: "p".into(),
                port: 1,
                from: ProxySource::Setting,
                error: Box::new(Error::Cancelled),
            },
        ];
        fn position(e: &Error) -> usize {
            match e {
                Error::Transport(TransportError::Dns(_)) => 0,
                Error::Transport(TransportError::Connect(_)) => 1,
                Error::Transport(TransportError::Tls(_)) => 2,
                Error::Transport(TransportError::Io(_)) => 3,
                Error::Timeout { .. } => 4,
                Error::Malformed { .. } => 5,
                Error::Truncated { .. } => 6,
                Error::HeadTooLarge { .. } => 7,
                Error::TooManyHeaders { .. } => 8,
                Error::BodyTooLarge { .. } => 9,
                Error::TooManyRedirects { .. } => 10,
                Error::RedirectLoop { .. } => 11,
                Error::RedirectRefused { .. } => 12,
                Error::ProxyRefused { .. } => 13,
                Error::Json { .. } => 14,
                Error::Cancelled => 15,
                Error::ContentEncoding(ContentEncodingError {
                    kind: CodingErrorKind::RatioExceeded { .. },
                    ..
                }) => 17,
                Error::ContentEncoding(_) => 16,
                Error::RequestBody { .. } => 18,
                Error::Proxy { .. } => 19,
            }
        }
        let positions: Vec<usize> = every.iter().map(position).collect();
        assert_eq!(positions, (0..20).collect::<Vec<_>>(), "one of each kind");
        // A failure with a proxy is of its cause's kind; every other kind
        // has a name of its own.
        let (wrapped, kinds) = every.split_last().unwrap();
        assert_eq!(wrapped.kind_name(), "cancelled");
        let mut names: Vec<&str> = kinds.iter().map(Error::kind_name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), kinds.len(), "{names:?}");
    }

    fn via(host: &str, port: u16, from: ProxySource, error: Error) -> Error {
        Error::Proxy {
            host: host.into(),
            port,
            from,
            error: Box::new(error),
        }
    }

    #[test]
    fn proxy_failures_name_the_proxy_and_its_source() {
        let env = || ProxySource::Env("http_proxy".into());
        let refused = "Connection refused (os error 111)";
        let table = [
            // One address tried: the address is the proxy's, said once.
            (
                via(
                    "127.0.0.1",
                    9,
                    env(),
                    TransportError::Connect(format!("127.0.0.1:9: {refused}")).into(),
                ),
                "connect",
                format!("could not connect to proxy 127.0.0.1:9 (from environment variable http_proxy): {refused}"),
            ),
            // A name: the address tried stays in the message.
            (
                via(
                    "proxy.test",
                    3128,
                    ProxySource::Setting,
                    TransportError::Connect(format!("10.0.0.7:3128: {refused}")).into(),
                ),
                "connect",
                format!("could not connect to proxy proxy.test:3128 (from the proxy setting): 10.0.0.7:3128: {refused}"),
            ),
            // Every address of a name failed.
            (
                via(
                    "localhost",
                    9,
                    ProxySource::KivyParams,
                    TransportError::Connect(
                        "localhost port 9: every address failed ([::1]:9: a; 127.0.0.1:9: b)"
                            .into(),
                    )
                    .into(),
                ),
                "connect",
                "could not connect to proxy localhost:9 (from the proxy_host/proxy_port parameters): \
                 every address failed ([::1]:9: a; 127.0.0.1:9: b)"
                    .into(),
            ),
            (
                via(
                    "::1",
                    9,
                    ProxySource::Env("ALL_PROXY".into()),
                    TransportError::Connect(format!("[::1]:9: {refused}")).into(),
                ),
                "connect",
                format!("could not connect to proxy [::1]:9 (from environment variable ALL_PROXY): {refused}"),
            ),
            (
                via(
                    "proxy.invalid",
                    3128,
                    ProxySource::Env("HTTPS_PROXY".into()),
                    TransportError::unresolved("proxy.invalid", None).into(),
                ),
                "dns",
                "could not resolve proxy proxy.invalid:3128 (from environment variable HTTPS_PROXY): no addresses found".into(),
            ),
            (
                via(
                    "10.255.255.1",
                    3128,
                    ProxySource::Setting,
                    Error::Timeout {
                        phase: Phase::Connect,
                        after: Duration::from_millis(300),
                        received: 0,
                    },
                ),
                "timeout",
                "could not connect to proxy 10.255.255.1:3128 (from the proxy setting): timed out after 300ms".into(),
            ),
            (
                via(
                    "127.0.0.1",
                    3128,
                    ProxySource::KivyParams,
                    Error::ProxyRefused {
                        status: 407,
                        reason: "Proxy Authentication Required".into(),
                    },
                ),
                "proxy-refused",
                "proxy 127.0.0.1:3128 (from the proxy_host/proxy_port parameters) refused CONNECT \
                 with status 407 Proxy Authentication Required"
                    .into(),
            ),
            // Anything else: the proxy, then the failure as it reads alone.
            (
                via(
                    "127.0.0.1",
                    3128,
                    env(),
                    Error::Timeout {
                        phase: Phase::ProxyConnect,
                        after: Duration::from_secs(2),
                        received: 0,
                    },
                ),
                "timeout",
                "proxy 127.0.0.1:3128 (from environment variable http_proxy): \
                 timed out after 2s while setting up the proxy tunnel"
                    .into(),
            ),
        ];
        for (error, kind, message) in table {
            assert_eq!(error.kind_name(), kind, "{error}");
            assert_eq!(error.to_string(), message);
            assert!(!matches!(error.cause(), Error::Proxy { .. }));
        }
    }
}
