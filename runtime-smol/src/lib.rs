//! # urlrequest-smol
//!
//! The urlrequest core driven by async tasks on smol's building blocks:
//! `async_io::Async<TcpStream>` for sockets, `async_io::Timer` for the core's
//! deadlines, smol's blocking pool for name resolution and files, and
//! futures-rustls for TLS. The request value, the events and the trace are
//! the core's, identical to every other runtime; only the I/O differs.
//!
//! Three ways to run a request on a [`Client`]:
//! - [`Client::send`]: a future of the final response;
//! - [`Client::events`]: a `Stream` of the core's events (redirects,
//!   progress, body chunks, one terminal event);
//! - [`Callbacks`]: Kivy's `on_success` / `on_redirect` / `on_failure` /
//!   `on_error` / `on_progress` / `on_cancel` / `on_finish`, with
//!   `file_path` downloads ([`Client::download`] does the same without
//!   callbacks).
//!
//! The library starts no executor, spawns no task and never blocks on a
//! future: each request does its I/O in the task that polls it. Dropping the
//! future or the stream cancels the request and closes its socket at once.
//!
//! ```no_run
//! use futures_lite::StreamExt;
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
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod callbacks;
mod cancel;
mod client;
mod deadline;
mod download;
mod driver;
mod net;
mod shared;
mod tls;

pub use callbacks::Callbacks;
pub use cancel::CancelHandle;
pub use client::{
    Client, ClientBuilder, EventStream, DEFAULT_IDLE_TIMEOUT, DEFAULT_PER_HOST_LIMIT,
};
pub use tls::{TlsConfigError, TlsSettings};

pub use urlrequest_core::{
    trace_line, trace_text, BuildError, Error, Event, Limits, Phase, Proxy, Request,
    RequestBuilder, Response, ResponseBody, TransportError,
};
