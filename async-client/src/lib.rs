//! # urlrequest-async
//!
//! The async driver and client of urlrequest, written once for every async
//! runtime. A runtime crate supplies its I/O by implementing [`Net`] (open
//! a TCP connection, start TLS, sleep until an instant, run blocking work)
//! and [`Connection`] (read, write, wait until readable), then names the
//! types for its users: `urlrequest_smol::Client` is
//! `urlrequest_async::Client<SmolNet>`, `urlrequest_tokio::Client` is
//! `Client<TokioNet>`. Everything else (driving the core's `Exchange`,
//! the pool and per-host limit, deadlines, cancelling, recording,
//! downloads to a file, the events a Kivy-style `UrlRequest` reads) is
//! here, so the runtimes cannot drift apart.
//!
//! The client starts no executor and spawns no task: each request does its
//! I/O in the task that polls it, and dropping the future or stream cancels
//! the request and closes its socket at once.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod call;
mod client;
mod deadline;
mod download;
mod driver;
mod kivy;
mod names;
mod net;
mod upload;

pub use client::{Client, ClientBuilder, EventStream};
/// `next()` on an [`EventStream`] (futures-lite's, so the examples need no
/// other crate; `futures`' or `tokio-stream`'s work as well).
pub use futures_lite::StreamExt;
pub use kivy::{job_events, RequestEvents};
pub use net::{Connection, Net};
pub use upload::{AsyncUpload, BodySource};
pub use urlrequest::client::{
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_IDLE_PER_HOST, DEFAULT_PER_HOST_LIMIT,
};
