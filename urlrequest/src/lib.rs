//! # urlrequest
//!
//! Kivy's `UrlRequest` for Rust, written once for every runtime: the
//! request parameters and their header rules ([`RequestParams`]), the
//! callbacks and their routing ([`Callbacks`], [`Route`]), the result type
//! ([`ResultValue`]), the `file_path` sink ([`FileSink`]) and the one error
//! type ([`Error`]).
//!
//! The protocol lives in `urlrequest-core`; how bytes move lives in the
//! runtime crates (`urlrequest-std` on threads, `urlrequest-smol` on
//! async tasks), which re-export everything here, so an application
//! names one crate.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builder;
mod callbacks;
mod cancel;
mod error;
mod file_sink;
mod outcome;
mod params;
mod run;
mod runtime;
mod session;
mod url_request;

pub use builder::UrlRequestBuilder;
pub use callbacks::{
    Callbacks, ErrorCallback, Outcome, PlainCallback, ProgressCallback, ResultCallback,
};
pub use cancel::{CancelHandle, CancelHook};
pub use error::Error;
pub use file_sink::FileSink;
pub use outcome::{ResultValue, Route};
pub use params::{RequestParams, DEFAULT_PROXY_PORT};
pub use runtime::{AsyncRuntime, BlockingRuntime, EventSource, Job, Runtime};
pub use url_request::{Dispatch, UrlRequest};
pub use urlrequest_tls::{CaMode, TlsSettings};
