//! # urlrequest-tokio
//!
//! The urlrequest core driven by tokio: `tokio::net::TcpStream` for
//! sockets, `tokio::time` for the core's deadlines, tokio-rustls with the
//! shared TLS configuration, and tokio's blocking pool for name lookups.
//! The request value, the events and the trace are the core's, identical
//! to every other runtime; the client, its driver, pool and downloads are
//! `urlrequest-async`'s, shared with urlrequest-smol. This crate is the I/O
//! ([`TokioNet`]) and the names.
//!
//! Three ways to run a request:
//! - [`Client::send`](urlrequest_async::Client::send): a future of the
//!   final response;
//! - [`Client::events`](urlrequest_async::Client::events): a `Stream` of
//!   the core's events (redirects, progress, body chunks, one terminal
//!   event);
//! - [`UrlRequest`]: Kivy's request object with the same builder, handler
//!   signatures and properties as the std and smol runtimes, run by
//!   awaiting [`send`](urlrequest::UrlRequest::send); `file_path`
//!   downloads stream to disk
//!   ([`Client::download`](urlrequest_async::Client::download) does the
//!   same without callbacks).
//!
//! It works on the current-thread and the multi-thread runtime, and spawns
//! no task: each request does its I/O in the task that polls it (a name
//! that is not an IP address is looked up on tokio's blocking pool, as
//! `tokio::net::lookup_host` does). Dropping the future or the stream
//! cancels the request and closes its socket at once.
//!
//! ```no_run
//! use urlrequest_tokio::StreamExt;
//! use urlrequest_tokio::{Client, Event, Request};
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let client = Client::new();
//!     let response = client.send(Request::get("http://127.0.0.1:8080/")?).await?;
//!     println!("{} {:?}", response.status(), response.text());
//!
//!     let mut events = client.events(Request::get("http://127.0.0.1:8080/big")?);
//!     while let Some(event) = events.next().await {
//!         println!("{}", urlrequest_tokio::trace_line(&event));
//!     }
//!     Ok(())
//! }
//! ```
//!
//! ## Kivy-style requests
//!
//! ```no_run
//! use urlrequest_tokio::UrlRequest;
//! # async fn run() -> Result<(), urlrequest_tokio::Error> {
//! let req = UrlRequest::builder("https://example.com/big.iso")
//!     .file_path("/tmp/big.iso")
//!     .on_progress(|_, done, total| println!("{done} of {total:?}"))
//!     .on_success(|req, _| println!("saved to {:?}", req.file_path()))
//!     .on_error(|_, e| eprintln!("download failed: {e}"))
//!     .build()?;
//! // Runs the request; the callbacks run in this task, one at a time.
//! let _ = req.send().await;
//! # Ok(())
//! # }
//! ```
//!
//! As with smol, nothing runs until `send()` is awaited (there is no worker
//! thread, `start`, `wait` or `dispatch_pending`: callbacks run in the
//! awaiting task and get every progress update); dropping that future stops
//! the request without callbacks.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod net;
mod runtime;
mod upload;

pub use net::{Conn, TokioNet};
pub use runtime::{
    Client, ClientBuilder, ErrorCallback, PlainCallback, ProgressCallback, RequestEvents,
    ResultCallback, Tokio, UrlRequest, UrlRequestBuilder,
};
pub use upload::{upload_from_file, upload_from_reader, NoSeek, TokioBody};
pub use urlrequest::{
    CancelHandle, Error, FileSink, MultipartUpload, Recording, Replay, ResultValue, Upload,
    DEFAULT_PROXY_PORT,
};
pub use urlrequest_async::{
    AsyncUpload, BodySource, EventStream, StreamExt, DEFAULT_IDLE_TIMEOUT, DEFAULT_PER_HOST_LIMIT,
};
pub use urlrequest_tls::{CaMode, TlsConfigError, TlsSettings};
// The core's types every runtime names the same way (users need no
// dependency on the core, on http or on serde_json of their own).
pub use urlrequest_core::StatusError;
pub use urlrequest_core::{
    self as core, http, serde_json, trace_line, trace_text, BodyError, BuildError, Event, Exchange,
    Limits, Phase, Proxy, Request, RequestBuilder, Response, ResponseBody, Transcript,
    TransportError, DEFAULT_MAX_COLLECTED_BODY,
};

// Forms and proxies from the environment, under every runtime's name.
pub use urlrequest::multipart_file;
pub use urlrequest_core::{CookieJar, EnvProxies, Multipart};
// API clients written once: a `Call` runs on any client of these traits.
pub use urlrequest::{AsyncSendRequest, Call, SendRequest};
