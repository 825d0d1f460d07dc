//! What a runtime supplies to run a [`UrlRequest`]: a client (its pool and
//! TLS configuration), a way to drive one request's exchange, and where the
//! request runs. Nothing about HTTP (the core decides that) or about Kivy
//! (this crate decides that).
//!
//! A runtime implements [`Runtime`] and one of [`BlockingRuntime`] (the
//! request runs on a thread of its own, callbacks go to the thread that
//! waits: `start`, `wait`, `dispatch_pending`) or [`AsyncRuntime`] (the
//! request runs in the task that awaits `send()`, callbacks run there).

use std::future::Future;
use std::io;
use std::ops::ControlFlow;

use urlrequest_core::http::{HeaderMap, StatusCode};
use urlrequest_core::{Event, Exchange, Request};
use urlrequest_tls::TlsSettings;

use crate::cancel::CancelHandle;
use crate::error::Error;
use crate::url_request::{Dispatch, UrlRequest};

/// A runtime: the client type requests run on, and what building a request
/// does.
pub trait Runtime: Sized + Send + Sync + 'static {
    /// The pool and TLS configuration requests share (`Agent` for threads,
    /// `Client` for async tasks).
    type Client: Clone + Send + Sync + 'static;

    /// Where callbacks run unless the builder says otherwise.
    const DEFAULT_DISPATCH: Dispatch;

    /// Whether queued callbacks wait for a thread that dispatches them
    /// (`wait`, `dispatch_pending`, [`dispatch_all`](crate::dispatch_all)):
    /// true with threads; false when the task running the request runs its
    /// callbacks.
    const DISPATCHING_THREAD: bool;

    /// The client of a request built without one (process-wide).
    fn default_client() -> Self::Client;

    /// Called by [`build`](crate::UrlRequestBuilder::build): a runtime with
    /// threads starts the request now unless `autostart(false)`; an async
    /// runtime leaves it to the first `send()`.
    fn on_build(request: &UrlRequest<Self>, autostart: bool);
}

/// One request to run, as the Kivy layer hands it to a runtime.
pub struct Job<R: Runtime> {
    /// The client to run on.
    pub client: R::Client,
    /// TLS settings of this request, when they differ from the client's.
    pub tls: Option<TlsSettings>,
    /// The request.
    pub request: Request,
    /// Cancels the run.
    pub cancel: CancelHandle,
    /// Log the exchange at `debug` level.
    pub debug: bool,
    /// The source of a streamed request body, when the request has one.
    pub upload: Option<crate::Upload>,
}

/// A runtime whose requests run on a thread of their own and block there.
pub trait BlockingRuntime: Runtime {
    /// Drives the job's exchange to its end on the calling thread, handing
    /// every event (and the exchange, for its response head) to `sink`; a
    /// sink that breaks cancels the exchange. Returns when it is over.
    fn drive(job: Job<Self>, sink: &mut dyn FnMut(Event, &Exchange) -> ControlFlow<()>);

    /// Runs `work` on a new thread.
    fn spawn(work: Box<dyn FnOnce() + Send>) -> io::Result<()>;
}

/// A runtime whose requests run in the task that awaits them.
pub trait AsyncRuntime: Runtime {
    /// One request's events as its I/O produces them.
    type Events: EventSource;

    /// Prepares the job's run (a TLS configuration for its settings may be
    /// made first). Nothing is sent until the events are polled.
    fn events(job: Job<Self>) -> impl Future<Output = Result<Self::Events, Error>> + Send;
}

/// The events of one request in an async runtime.
pub trait EventSource: Send {
    /// The next event, doing the I/O it needs; `None` once the terminal
    /// event was returned. Dropping the future loses nothing.
    fn next_event(&mut self) -> impl Future<Output = Option<Event>> + Send;

    /// The final response's status and headers, once its head arrived.
    fn response_head(&self) -> Option<(StatusCode, &HeaderMap)>;
}
