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

mod callbacks;
mod error;
mod file_sink;
mod outcome;
mod params;

pub use callbacks::{
    Callbacks, ErrorCallback, Outcome, PlainCallback, ProgressCallback, ResultCallback,
};
pub use error::Error;
pub use file_sink::FileSink;
pub use outcome::{ResultValue, Route};
pub use params::{RequestParams, DEFAULT_PROXY_PORT};
