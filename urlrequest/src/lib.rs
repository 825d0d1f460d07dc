//! # urlrequest
//!
//! The layers of urlrequest above the core that are written once for
//! every runtime: the client ([`client`]: its settings and the one
//! [`ClientBuilder`], request preparation, the keep-alive pool keyed by TLS
//! settings, the per-host limit, and the [`Conductor`](client::Conductor)
//! that handles every step of a request needing no socket, so that a
//! runtime is I/O only), and Kivy's `UrlRequest`: the [`UrlRequest`] object (properties, [`cancel`](UrlRequest::cancel),
//! callbacks and their routing), its [`UrlRequestBuilder`] with every Kivy
//! parameter ([`RequestParams`] and their header rules), the result type
//! ([`ResultValue`]), the atomic `file_path` sink ([`FileSink`]), the one
//! error type ([`Error`]) and one [`CancelHandle`].
//!
//! It is generic over a small runtime trait ([`Runtime`], with
//! [`BlockingRuntime`], [`AsyncRuntime`] or [`FrameRuntime`]): a runtime
//! supplies its client (pool and TLS configuration), a way to drive one
//! request's exchange (blocking, handing events to a sink; async, a source
//! of events; or from the application's own loop, handing events to a
//! [`Feed`]), and where a request runs. Between the core's events and the callbacks sits
//! one step, the same for every runtime, that keeps the properties current,
//! writes the file and says which callback is due, so the sequence of
//! callbacks a request makes (its callback trace) is the same whatever
//! moved its bytes. The conformance suite checks that for every case.
//!
//! Applications name a runtime crate, which re-exports all of this under
//! its own names: `urlrequest_std::UrlRequest` (threads; callbacks queued
//! to the thread that calls `wait()` or `dispatch_pending()`) or
//! `urlrequest_smol::UrlRequest` (async; run by `send().await`). The
//! builder, handlers and properties are the same, so moving between them
//! is changing the dependency and the line that runs the request.
//!
//! ## API clients written once
//!
//! An API client ("SDK") describes each operation as a [`Call`]: a
//! [`Request`] and how its [`Response`] becomes a typed value
//! ([`Call::json`] for a serde type, a non-2xx status being an error that
//! names it). It names no runtime; its users run the calls on theirs:
//! `agent.call(c)` (std), `client.call(c).await` (smol, tokio),
//! `client.call(c)` polled after each tick (the frame loop), a
//! [`Recording`] in tests, or a Kivy-style request with
//! [`UrlRequest::for_call`]. Library code over several calls is generic
//! over [`SendRequest`] or [`AsyncSendRequest`], which every client
//! implements. The workspace's `example-sdk` crate is one, tested on every
//! runtime.
//!
//! Writing a runtime: implement [`Runtime`] (the client type, where
//! callbacks run by default, what `build()` does) and one of
//! [`BlockingRuntime::drive`] + [`BlockingRuntime::spawn`],
//! [`AsyncRuntime::events`] + an [`EventSource`], or
//! [`FrameRuntime::submit`] (the client keeps the [`Feed`] and gives it
//! the events its loop moves); the std and smol runtimes do it in about
//! fifty lines each, their drivers aside.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builder;
mod call;
mod call_request;
mod callbacks;
mod cancel;
pub mod client;
mod error;
mod file_sink;
mod form_file;
mod frame;
mod local;
mod multipart_upload;
mod outcome;
mod params;
mod recorded_answers;
mod replay;
mod replay_match;
mod replay_rebase;
mod run;
mod runtime;
mod send_request;
mod session;
#[cfg(test)]
mod test_support;
mod upload;
mod url_request;

pub use builder::UrlRequestBuilder;
pub use call::{Call, Parse};
pub use call_request::CallRequestBuilder;
pub use callbacks::{
    Callbacks, ErrorCallback, Outcome, PlainCallback, ProgressCallback, ResultCallback,
};
pub use cancel::{CancelHandle, CancelHook};
pub use client::{BuildClient, ClientBuilder, ClientSettings};
pub use error::Error;
pub use file_sink::FileSink;
pub use form_file::multipart_file;
pub use frame::{Feed, FrameRuntime};
pub use local::{dispatch_all, LocalRuntime, LocalUrlRequestBuilder};
pub use multipart_upload::MultipartUpload;
pub use outcome::{ResultValue, Route};
pub use params::{RequestParams, DEFAULT_PROXY_PORT};
pub use replay::{Recording, Replay, ReplayEvents};
pub use runtime::{AsyncRuntime, BlockingRuntime, EventSource, Job, Runtime};
pub use send_request::{AsyncSendRequest, SendRequest};
pub use upload::Upload;
pub use url_request::{Dispatch, UrlRequest};
pub use urlrequest_core::{BodyError, CookieJar, Multipart, StatusError};
// The types a `Call` is made of, so an API client needs no other crate.
pub use urlrequest_core::{Request, RequestBuilder, Response};
pub use urlrequest_tls::{CaMode, TlsSettings};
