//! How this crate runs the shared Kivy layer: [`Frame`], its runtime (a
//! request handed to its client and advanced by the client's ticks, its
//! callbacks run inside `tick`), and the names an application uses.

use std::ops::ControlFlow;

use urlrequest::{Dispatch, Feed, FrameRuntime, Job, LocalRuntime, Runtime};
use urlrequest_core::{Event, Exchange};

use crate::client::Client;
use crate::run::EventSink;

/// The frame runtime: no thread, no task. A request built on it is handed
/// to its [`Client`] (this thread's, [`Client::current`], unless the
/// builder names one) and moves only when the client is ticked; its
/// callbacks run inside [`Client::tick`], on the ticking thread, as their
/// events happen (every progress update delivered).
#[derive(Debug, Clone, Copy, Default)]
pub struct Frame;

impl Runtime for Frame {
    type Client = Client;
    const DEFAULT_DISPATCH: Dispatch = Dispatch::Worker;
    const DISPATCHING_THREAD: bool = true;

    fn default_client() -> Client {
        Client::current()
    }

    fn on_build(request: &UrlRequest, _autostart: bool) {
        request.schedule();
    }
}

impl FrameRuntime for Frame {
    fn submit(job: Job<Self>, feed: Feed<Self>) {
        let Job {
            client,
            tls,
            request,
            cancel,
            debug,
            upload,
        } = job;
        client.submit(
            request,
            tls,
            cancel,
            debug,
            Box::new(FeedSink(feed)),
            upload,
        );
    }
}

/// Callbacks that are not `Send` (`.local()`) run inside the tick when the
/// building thread ticks, as the frame runtime's users do.
impl LocalRuntime for Frame {}

/// A `UrlRequest`'s feed as the sink of its run.
struct FeedSink(Feed<Frame>);

impl EventSink for FeedSink {
    fn event(&mut self, event: Event, ex: &Exchange) -> ControlFlow<()> {
        self.0.event(event, ex.response_head())
    }

    fn finish(self: Box<Self>) {
        self.0.finish();
    }
}

/// One HTTP request advanced by its client's ticks, Kivy-style: callbacks,
/// properties and `cancel` (see [`urlrequest::UrlRequest`]).
///
/// ```no_run
/// use std::time::Instant;
/// use urlrequest_frame::{Client, UrlRequest};
///
/// let client = Client::new();
/// let req = UrlRequest::builder("http://127.0.0.1:8000/data.json")
///     .client(&client)
///     .on_progress(|_req, got, total| println!("{got} of {total:?}"))
///     .on_success(|_req, result| println!("got {result:?}"))
///     .on_error(|_req, error| eprintln!("failed: {error}"))
///     .build()?;
/// loop {
///     client.tick(Instant::now()); // the callbacks run in here
///     if req.is_finished() {
///         break;
///     }
///     // ... draw the frame ...
/// }
/// # Ok::<(), urlrequest_frame::Error>(())
/// ```
pub type UrlRequest = urlrequest::UrlRequest<Frame>;

/// Describes a [`UrlRequest`] (see [`urlrequest::UrlRequestBuilder`]).
pub type UrlRequestBuilder = urlrequest::UrlRequestBuilder<Frame>;

/// `on_success`, `on_redirect` and `on_failure` of this runtime's requests.
pub type ResultCallback = urlrequest::ResultCallback<UrlRequest>;
/// `on_error` of this runtime's requests.
pub type ErrorCallback = urlrequest::ErrorCallback<UrlRequest>;
/// `on_progress` of this runtime's requests.
pub type ProgressCallback = urlrequest::ProgressCallback<UrlRequest>;
/// `on_cancel` and `on_finish` of this runtime's requests.
pub type PlainCallback = urlrequest::PlainCallback<UrlRequest>;
