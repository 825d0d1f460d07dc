//! # urlrequest-std
//!
//! HTTP/1.1 requests on std threads, driven by the sans-IO
//! [`urlrequest_core`] state machine: blocking sockets with deadlines,
//! TLS through rustls, HTTP proxies (absolute-form and `CONNECT`), a
//! keep-alive pool shared across threads, atomic file downloads and a
//! Kivy-style [`UrlRequest`] with callbacks.
//!
//! ## Blocking calls
//!
//! ```no_run
//! let response = urlrequest_std::get("https://example.com/")?;
//! println!("{} ({} bytes)", response.status(), response.bytes().map_or(0, |b| b.len()));
//! # Ok::<(), urlrequest_std::Error>(())
//! ```
//!
//! Every call goes through a [`Client`] (also named [`Agent`], as in ureq),
//! which keeps connections alive for reuse; [`get`] and [`send`] use a
//! process-wide one. Its builder is the one every runtime shares
//! ([`ClientBuilder`]): the same settings, under the same names, with
//! `timeout` for the whole exchange, `connect_timeout` and `read_timeout`.
//! Build requests with [`Request::builder`] for methods, headers, bodies,
//! timeouts, proxies. `error_for_status()` turns a 4xx or 5xx into an
//! error naming the status, the URL and the start of the body; one
//! [`Error`] takes `?` from sending, the status and decoding:
//!
//! ```no_run
//! #[derive(serde::Deserialize)]
//! struct User {
//!     name: String,
//! }
//!
//! fn user(client: &urlrequest_std::Client, id: u64) -> Result<User, urlrequest_std::Error> {
//!     let response = client.get(&format!("https://example.com/users/{id}"))?;
//!     Ok(response.error_for_status()?.json()?)
//! }
//! # let _ = user(&urlrequest_std::Client::new(), 1).map(|u| u.name);
//! ```
//!
//! The response reads its body as text ([`Response::text`]: the charset of
//! `Content-Type`, UTF-8 by default, strictly) or as any serde type
//! ([`Response::json`]); [`RequestBuilder::json`] sends one. The crate
//! re-exports the [`serde_json`] it uses:
//!
//! ```no_run
//! use urlrequest_std::{serde_json::json, Request};
//!
//! #[derive(serde::Deserialize)]
//! struct Created {
//!     id: u64,
//! }
//!
//! let request = Request::builder("https://example.com/items")
//!     .json(&json!({"name": "teapot"})) // POST, Content-Type: application/json
//!     .build()?;
//! let response = urlrequest_std::send(request)?;
//! if response.status().is_success() {
//!     let created: Created = response.json()?;
//!     println!("created {}", created.id);
//! } else {
//!     eprintln!("refused: {}", response.text()?);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A body kept in memory is limited to
//! [`DEFAULT_MAX_COLLECTED_BODY`] (10 MiB) unless [`Limits`] say otherwise;
//! stream larger ones with [`Client::drive`] or a `file_path` download.
//!
//! ## Kivy-style requests
//!
//! ```no_run
//! use std::time::Duration;
//! use urlrequest_std::UrlRequest;
//!
//! let req = UrlRequest::builder("https://example.com/big.iso")
//!     .file_path("/tmp/big.iso")
//!     .on_progress(|_, done, total| println!("{done} of {total:?}"))
//!     .on_success(|req, _| println!("saved to {:?}", req.file_path()))
//!     .on_error(|_, e| eprintln!("download failed: {e}"))
//!     .build()?;
//! // Run the callbacks on this thread until the request is done. A GUI
//! // would instead call `req.dispatch_pending()` once a frame.
//! req.wait(Duration::from_secs(600));
//! # Ok::<(), urlrequest_std::Error>(())
//! ```
//!
//! Callbacks run on the thread that calls [`UrlRequest::wait`] or
//! [`UrlRequest::dispatch_pending`] ([`Dispatch::Queued`], the default), or
//! on the worker thread ([`Dispatch::Worker`]). Nothing is lost when the
//! request finishes before anyone looks.
//!
//! ## Streaming and the event trace
//!
//! [`Client::drive`] runs a [`core::Exchange`] on the calling thread and hands
//! over every event (redirects, progress, body chunks, the outcome), for
//! streaming, recording transcripts or printing traces. To stream, build the
//! request with `collect_body(false)`; otherwise the final response keeps a
//! second copy of the body (see [`Client::drive`]).
//!
//! ## TLS
//!
//! By default the Mozilla roots of `webpki-roots` are trusted. [`TlsSettings`]
//! selects a `ca_file` that replaces them (Kivy's meaning) or extends them
//! ([`CaMode`]), or turns verification off (dangerous, for tests).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod call;
mod client;
mod driver;
mod error;
mod runtime;
mod transport;

pub use client::{get, send, Client, DriveOptions, Events};
pub use urlrequest::CancelHandle;

/// Configures a [`Client`]: the builder every runtime shares, with the same
/// settings under the same names (see [`urlrequest::ClientBuilder`]).
///
/// ```
/// use std::time::Duration;
/// let client = urlrequest_std::Client::builder()
///     .timeout(Duration::from_secs(30))
///     .connect_timeout(Duration::from_secs(5))
///     .per_host_limit(8)
///     .build()?;
/// # let _ = client;
/// # Ok::<(), urlrequest_std::Error>(())
/// ```
pub type ClientBuilder = urlrequest::ClientBuilder<Client>;
/// [`Client`] under ureq's name.
pub type Agent = Client;
/// [`ClientBuilder`] under ureq's name.
pub type AgentBuilder = ClientBuilder;
pub use error::Error;
pub use runtime::{
    ErrorCallback, PlainCallback, ProgressCallback, ResultCallback, Std, UrlRequest,
    UrlRequestBuilder,
};
pub use urlrequest::client::{
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_IDLE_PER_HOST, DEFAULT_PER_HOST_LIMIT,
};
pub use urlrequest::{
    dispatch_all, Dispatch, FileSink, Recording, Replay, ResultValue, DEFAULT_PROXY_PORT,
};
pub use urlrequest::{MultipartUpload, Upload};
// API clients written once: a `Call` runs on any client of these traits.
pub use urlrequest::{AsyncSendRequest, Call, SendRequest};
pub use urlrequest_core::BodyStream;
// The core's types every runtime names the same way (users need no
// dependency on the core, on http or on serde_json of their own).
pub use urlrequest_core::StatusError;
pub use urlrequest_core::{
    self as core, http, serde_json, trace_line, trace_text, BodyError, BuildError, Event, Exchange,
    Limits, Phase, Proxy, Request, RequestBuilder, Response, ResponseBody, Transcript,
    TransportError, DEFAULT_MAX_COLLECTED_BODY,
};
pub use urlrequest_tls::{CaMode, TlsConfigError, TlsSettings};
// Forms and proxies from the environment, under every runtime's name.
pub use urlrequest::multipart_file;
pub use urlrequest_core::{CookieJar, EnvProxies, Multipart};
