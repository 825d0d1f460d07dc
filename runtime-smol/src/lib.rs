//! # urlrequest-smol
//!
//! The urlrequest core driven by async tasks on smol's building blocks:
//! `async_io::Async<TcpStream>` for sockets, `async_io::Timer` for the core's
//! deadlines, smol's blocking pool for name resolution, and futures-rustls
//! for TLS. The request value, the events and the trace are the core's,
//! identical to every other runtime; only the I/O differs. The client, its
//! driver and downloads are `urlrequest-async`'s, written once for every
//! async runtime: this crate is its I/O ([`SmolNet`]) and the names.
//!
//! Three ways to run a request:
//! - [`Client::send`](urlrequest_async::Client::send): a future of the final response;
//! - [`Client::events`](urlrequest_async::Client::events): a `Stream` of the core's events (redirects,
//!   progress, body chunks, one terminal event);
//! - [`UrlRequest`]: Kivy's request object with the std runtime's builder,
//!   handler signatures and properties (`on_success(req, result)`,
//!   `on_progress(req, current, total)`, `req.resp_status()`...), run by
//!   awaiting [`UrlRequest::send`]; `file_path` downloads stream to disk
//!   ([`Client::download`](urlrequest_async::Client::download) does the same without callbacks).
//!
//! The library starts no executor, spawns no task and never blocks on a
//! future: each request does its I/O in the task that polls it. Dropping the
//! future or the stream cancels the request and closes its socket at once.
//!
//! ```no_run
//! use urlrequest_smol::StreamExt;
//! use urlrequest_smol::{Client, Event, Request};
//! # smol::block_on(async {
//! let client = Client::new();
//! let mut events = client.events(Request::get("http://127.0.0.1:8080/big")?);
//! while let Some(event) = events.next().await {
//!     println!("{}", urlrequest_smol::trace_line(&event));
//! }
//! # Ok::<(), urlrequest_smol::BuildError>(())
//! # }).unwrap();
//! ```
//!
//! ## Kivy-style requests
//!
//! The same handlers as with `urlrequest_std::UrlRequest`; only building
//! and running differ (`.build()?` then `.send().await` here, `.build()?`
//! then `.wait(..)` there):
//!
//! ```no_run
//! use urlrequest_smol::UrlRequest;
//! # smol::block_on(async {
//! let req = UrlRequest::builder("https://example.com/big.iso")
//!     .file_path("/tmp/big.iso")
//!     .on_progress(|_, done, total| println!("{done} of {total:?}"))
//!     .on_success(|req, _| println!("saved to {:?}", req.file_path()))
//!     .on_error(|_, e| eprintln!("download failed: {e}"))
//!     .build()?;
//! // Runs the request; the callbacks run in this task, one at a time.
//! let _ = req.send().await;
//! # Ok::<(), urlrequest_smol::Error>(())
//! # }).unwrap();
//! ```
//!
//! Differences from the std runtime, all due to async: nothing runs until
//! `send()` is awaited (there is no worker thread, `start`, `wait`,
//! `dispatch_pending` or `Dispatch`: callbacks run in the awaiting task and
//! get every progress update); dropping that future stops the request
//! without callbacks.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cancel;
mod error;
mod net;
mod runtime;

pub use cancel::CancelHandle;
pub use error::Error;
pub use net::{Conn, SmolNet};
pub use runtime::{
    Client, ClientBuilder, ErrorCallback, PlainCallback, ProgressCallback, RequestEvents,
    ResultCallback, Smol, UrlRequest, UrlRequestBuilder,
};
pub use urlrequest_async::{
    AsyncUpload, BodySource, EventStream, StreamExt, DEFAULT_IDLE_TIMEOUT, DEFAULT_PER_HOST_LIMIT,
};
pub use urlrequest_tls::{CaMode, TlsConfigError, TlsSettings};

pub use urlrequest::{
    FileSink, MultipartUpload, Recording, Replay, ResultValue, Upload, DEFAULT_PROXY_PORT,
};
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
