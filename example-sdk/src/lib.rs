//! # urlrequest-example-sdk
//!
//! An API client written once for every urlrequest runtime: the client of
//! a small httpbin-like JSON API. Each operation is a method that returns
//! a [`Call`](urlrequest::Call), a request and how its response becomes a
//! typed value; the crate depends on no runtime and has no line for any.
//! Whoever uses it picks the client that runs the calls: std's `Agent`,
//! smol's or tokio's `Client`, the frame `Client`, or a `Recording` in
//! tests.
//!
//! The same call on std threads and on tokio:
//!
//! ```no_run
//! use urlrequest_example_sdk::Httpbin;
//!
//! let api = Httpbin::new("http://127.0.0.1:8000");
//!
//! // Blocking, on this thread.
//! let ip = urlrequest_std::Agent::new().call(api.ip()?)?;
//! println!("{}", ip.origin);
//!
//! // Async, in a tokio task.
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let ip = rt.block_on(async { urlrequest_tokio::Client::new().call(api.ip()?).await })?;
//! println!("{}", ip.origin);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Code of its own that works with any client is generic over
//! [`SendRequest`](urlrequest::SendRequest) or
//! [`AsyncSendRequest`](urlrequest::AsyncSendRequest), as
//! [`echo_each`] is.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api;
mod types;
mod workflow;

pub use api::Httpbin;
pub use types::{Echo, Ip, Item};
pub use workflow::echo_each;
