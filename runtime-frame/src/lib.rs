//! # urlrequest-frame
//!
//! HTTP/1.1 requests driven from the application's own loop, with no
//! thread and no async runtime: a game loop, a GUI main loop or any
//! single-threaded host calls [`Client::tick`] once a frame, and every
//! request advances as far as it can without blocking. Kivy's model (a
//! main loop that runs the callbacks once a frame) without the worker
//! thread.
//!
//! - Non-blocking `std::net` sockets, the connect included; TLS through
//!   rustls driven with non-blocking `read_tls`/`write_tls`; the same TLS
//!   configuration ([`TlsSettings`]) and keep-alive pool bookkeeping as the
//!   other runtimes; many requests at once on one thread.
//! - A byte budget per tick ([`tick_budget`](urlrequest::ClientBuilder::tick_budget)): a frame never
//!   stalls on one fast download; what is over stays in the kernel for the
//!   next frame.
//! - [`Client::wait`] sleeps until a socket is ready or the next deadline,
//!   for a host with nothing else to do.
//! - The Kivy-style [`UrlRequest`] of the shared layer: its callbacks run
//!   inside `tick`, on the caller's thread, in order; `file_path`
//!   downloads are written a budget's worth per tick; `cancel()` shuts the
//!   socket down at once.
//!
//! ```no_run
//! use std::time::{Duration, Instant};
//! use urlrequest_frame::{Client, UrlRequest};
//!
//! let client = Client::new();
//! let _download = UrlRequest::builder("https://example.com/big.iso")
//!     .client(&client)
//!     .file_path("/tmp/big.iso")
//!     .on_progress(|_, got, total| println!("{got} of {total:?}"))
//!     .build()?;
//! let _json = UrlRequest::builder("https://example.com/status.json")
//!     .client(&client)
//!     .on_success(|_, result| println!("status: {result:?}"))
//!     .build()?;
//! while client.active() > 0 {
//!     let frame = Instant::now();
//!     client.tick(frame); // callbacks run here
//!     // ... update and draw ...
//!     let next = frame + Duration::from_micros(16_667);
//!     std::thread::sleep(next.saturating_duration_since(Instant::now()));
//! }
//! # Ok::<(), urlrequest_frame::Error>(())
//! ```
//!
//! Without callbacks, [`Client::start`] returns a [`Transfer`] whose core
//! events queue up tick by tick.
//!
//! Host names are resolved by the system resolver, which blocks while it
//! works (an IP literal or a name in `/etc/hosts` answers at once); every
//! other step returns as soon as the socket would block.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod call;
mod client;
mod net;
mod requests;
mod run;
mod runtime;
mod transfer;
mod wait;

pub use call::CallHandle;
pub use client::{Client, ClientBuilder, Tick};
pub use runtime::{
    ErrorCallback, Frame, PlainCallback, ProgressCallback, ResultCallback, UrlRequest,
    UrlRequestBuilder,
};
pub use transfer::Transfer;
pub use urlrequest::client::{
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_IDLE_PER_HOST, DEFAULT_PER_HOST_LIMIT, DEFAULT_TICK_BUDGET,
};
// API clients written once: a `Call` runs on any client of these traits.
pub use urlrequest::{AsyncSendRequest, Call, SendRequest};
pub use urlrequest::{
    CancelHandle, Error, FileSink, MultipartUpload, Recording, Replay, ResultValue, Upload,
};
// The core's types every runtime names the same way.
pub use urlrequest_core::StatusError;
pub use urlrequest_core::{
    self as core, http, serde_json, trace_line, trace_text, BodyError, BuildError, Event, Exchange,
    Limits, Phase, Proxy, Request, RequestBuilder, Response, ResponseBody, Transcript,
    TransportError, DEFAULT_MAX_COLLECTED_BODY,
};
pub use urlrequest_tls::{CaMode, TlsConfigError, TlsSettings};

/// Ticks this thread's client ([`Client::current`]), which runs the
/// requests built on this thread without `.client(..)`.
pub fn tick(now: std::time::Instant) -> Tick {
    Client::current().tick(now)
}

/// Waits on this thread's client (see [`Client::wait`]).
pub fn wait(timeout: Option<std::time::Duration>) {
    Client::current().wait(timeout)
}
// Forms and proxies from the environment, under every runtime's name.
pub use urlrequest::multipart_file;
pub use urlrequest_core::{CookieJar, EnvProxies, Multipart};
