//! # urlrequest-core
//!
//! The sans-IO heart of urlrequest: one HTTP/1.1 request, redirects and all,
//! as a value you feed and poll. It consumes bytes and the current time, tells
//! its driver what I/O to do, and emits events. It never opens a socket, starts
//! a thread, reads a clock, touches a file or draws a random number, so the
//! same bytes at the same times give the same events under every driver: a
//! thread per request, an async task, a game loop, or a replayed transcript.
//!
//! ## Scope
//!
//! In: the HTTP/1.1 client protocol of one request across its redirects and
//! connections: building and validating the request, serialising it, proxy
//! `CONNECT`, parsing heads, body framing and re-cutting, redirects,
//! timeouts as deadlines, keep-alive and pool bookkeeping ([`Pool`]), JSON
//! decoding, transcripts and their replay. Out: sockets, DNS, TLS (it sits
//! below: the core sees plaintext and asks for a handshake with
//! `StartTls`), threads, tasks and clocks (time comes in as an argument),
//! files, and everything about Kivy's `UrlRequest` (parameters, callbacks,
//! properties, the `file_path` sink: the `urlrequest` crate, written once
//! above the runtimes).
//!
//! ```text
//!   driver                                core (Exchange)
//!   ------                                ---------------
//!   connect / read / write / TLS  <--- poll_action()      Connect, Write, Read, StartTls,
//!                                                         Close, Release(pool key)
//!   bytes, EOF, connect result    ---> handle_read(now, n) / handle_eof / handle_connected ...
//!   the clock                     ---> handle_timeout(now)   (when poll_timeout() is reached)
//!   callbacks, files, futures     <--- poll_event()      Redirect, Progress, Body, Done, Failure
//! ```
//!
//! ## Events
//!
//! One request yields, in order: a [`Event::Redirect`] for each redirect
//! followed; `Progress { received: 0, total }` once the final head arrived;
//! then for each body chunk a [`Event::Body`] of exactly `chunk_size` bytes
//! (the last may be shorter) followed by `Progress`; then exactly one terminal
//! event, [`Event::Done`] or [`Event::Failure`]. Nothing follows the terminal
//! event. Because bodies are re-cut to `chunk_size`, the trace does not depend
//! on how the network split the bytes.
//!
//! ## Decisions where the HTTP rules leave room
//!
//! - `total` is `Some(0)` for responses that have no body by rule (HEAD, 204,
//!   304); `None` for chunked and until-close bodies.
//! - A redirect is followed only when `max_redirects > 0`; with 0 the 3xx is
//!   returned as `Done` (Kivy's `on_redirect`). Going over a non-zero limit is
//!   `Failure(TooManyRedirects)`. Revisiting the same method and URL is
//!   `Failure(RedirectLoop)`.
//! - Content codings (gzip by default; deflate, br and zstd with the
//!   features of those names, `brotli` for br) are undone as a stream while
//!   [`RequestBuilder::decompress`] is on (the default), and
//!   `Accept-Encoding` is sent for them unless the request sets one. While
//!   a body is decoded, `Body` events and `Progress` count **decoded**
//!   bytes and `total` is `None`: `Content-Length` counts the compressed
//!   bytes, and the decoded size is unknown until the end. Unknown codings
//!   pass the body through as sent; corrupt data is
//!   `Failure(ContentEncoding)` naming the codec; output past
//!   [`DECOMPRESSION_RATIO_LIMIT`] times the input is refused as a bomb
//!   (see the `content_encoding` notes on [`ContentEncodingError`]).
//! - An empty body is never JSON-decoded, whatever its `Content-Type`.
//! - A reused pooled connection that closes before answering is retried once
//!   on a fresh connection, for idempotent methods only.
//! - A truncated body emits no partial last chunk: the bytes that did not fill
//!   a whole `chunk_size` are counted in the failure message instead.
//! - User-info in the request URL becomes `Authorization: Basic` and leaves the
//!   URL, so it never appears in events, traces or a `Location`-built URL.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod buffer;
mod content_encoding;
mod cookies;
mod decode;
mod env_proxy;
mod error;
mod event;
mod exchange;
mod form;
mod framing;
mod head;
mod pool;
mod rechunk;
mod redirect;
mod request;
mod status_error;
mod trace;
mod transcript;
mod upload;
mod wire;

pub use content_encoding::{DECOMPRESSION_RATIO_FLOOR, DECOMPRESSION_RATIO_LIMIT};
pub use cookies::{CookieJar, StoredCookie, MAX_COOKIES, MAX_COOKIES_PER_DOMAIN, MAX_COOKIE_BYTES};
pub use env_proxy::{EnvProxies, DEFAULT_ENV_PROXY_PORT};
pub use error::{
    BodyError, BuildError, CodingErrorKind, ContentEncodingError, Error, Phase, TransportError,
};
pub use event::{Event, Response, ResponseBody};
pub use exchange::{Action, ConnectTarget, Exchange, State};
pub use form::{
    check_multipart_boundary, form_urlencoded, multipart_part_head, Multipart, MultipartSeed, Part,
    FORM_URLENCODED,
};
pub use pool::{Pool, PoolKey};
pub use request::{
    basic_auth_value, Limits, Proxy, ProxySource, Request, RequestBuilder, DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_COLLECTED_BODY, DEFAULT_MAX_REDIRECTS, DEFAULT_USER_AGENT,
};
pub use status_error::StatusError;
pub use trace::{trace_line, trace_text};
pub use transcript::{Input, Transcript, TranscriptError, TRANSCRIPT_VERSION};
pub use upload::BodyStream;

pub use bytes::Bytes;
pub use http;
/// The serde_json the core uses ([`Response::json_value`] returns its
/// `Value`), so users and the runtimes need no copy of their own.
pub use serde_json;
pub use url::Url;
