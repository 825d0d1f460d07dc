//! How this crate runs the shared Kivy layer: [`Tokio`], its runtime (a
//! request runs in the task that awaits it), and the names an application
//! uses.

use std::future::Future;

use urlrequest::{AsyncRuntime, Dispatch, Job, Runtime};

use crate::net::TokioNet;
use crate::Client;
use urlrequest::Error;

/// The tokio runtime: tokio sockets and timers. A request runs in the
/// task that awaits `send()`, and its callbacks run there as they happen;
/// nothing is spawned.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

impl Runtime for Tokio {
    type Client = Client;
    // The run dispatches after every delivery, in its task: nothing waits
    // in the queue, so nothing is merged.
    const DEFAULT_DISPATCH: Dispatch = Dispatch::Queued;
    const DISPATCHING_THREAD: bool = false;

    fn default_client() -> Client {
        Client::shared()
    }

    fn on_build(_request: &UrlRequest, _autostart: bool) {
        // Runs when `send()` is awaited.
    }
}

impl AsyncRuntime for Tokio {
    type Events = RequestEvents;

    fn events(job: Job<Self>) -> impl Future<Output = Result<RequestEvents, Error>> + Send {
        urlrequest_async::job_events(job)
    }
}

/// One `UrlRequest`'s events, as the shared layer reads them.
pub type RequestEvents = urlrequest_async::RequestEvents<TokioNet>;
/// One HTTP request with Kivy's callbacks and properties, run as a future
/// (see [`urlrequest::UrlRequest`]): nothing happens until
/// [`send`](urlrequest::UrlRequest::send) is awaited; the callbacks then
/// run in the task that polls it.
///
/// ```no_run
/// use urlrequest_tokio::{ResultValue, UrlRequest};
/// # async fn run() -> Result<(), urlrequest_tokio::Error> {
/// let req = UrlRequest::builder("http://127.0.0.1:8000/data.json")
///     .on_progress(|_req, done, total| println!("{done} of {total:?}"))
///     .on_success(|req, result| {
///         if let ResultValue::Json(v) = result {
///             println!("{} gave {v}", req.url());
///         }
///     })
///     .on_error(|_req, error| eprintln!("failed: {error}"))
///     .build()?;
/// let _ = req.send().await; // the callbacks run here, in this task
/// assert!(req.is_finished());
/// # Ok(())
/// # }
/// ```
pub type UrlRequest = urlrequest::UrlRequest<Tokio>;

/// Describes a [`UrlRequest`] (see [`urlrequest::UrlRequestBuilder`]).
pub type UrlRequestBuilder = urlrequest::UrlRequestBuilder<Tokio>;

/// Callback given the request and its result (`on_success`, `on_redirect`,
/// `on_failure`).
pub type ResultCallback = urlrequest::ResultCallback<UrlRequest>;
/// Callback given the request and the error (`on_error`).
pub type ErrorCallback = urlrequest::ErrorCallback<UrlRequest>;
/// Callback given the request, bytes received and the total when known
/// (`on_progress`).
pub type ProgressCallback = urlrequest::ProgressCallback<UrlRequest>;
/// Callback given only the request (`on_cancel`, `on_finish`).
pub type PlainCallback = urlrequest::PlainCallback<UrlRequest>;
