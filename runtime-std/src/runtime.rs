//! How this crate runs the shared Kivy layer: [`Std`], its runtime (a
//! request on a thread of its own, driven by its [`Client`]), and the
//! names an application uses.

use std::io;
use std::ops::ControlFlow;

use urlrequest::{BlockingRuntime, Dispatch, Job, Runtime};
use urlrequest_core::{Event, Exchange};

use crate::client::{Client, DriveOptions};

/// The std runtime: threads and blocking sockets. Requests run on a worker
/// thread each; their callbacks are queued to the thread that calls
/// `wait()` or `dispatch_pending()` (or run on the worker, with
/// [`Dispatch::Worker`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Std;

impl Runtime for Std {
    type Client = Client;
    const DEFAULT_DISPATCH: Dispatch = Dispatch::Queued;
    const DISPATCHING_THREAD: bool = true;

    fn default_client() -> Client {
        Client::shared()
    }

    fn on_build(request: &UrlRequest, autostart: bool) {
        if autostart {
            request.start();
        }
    }
}

impl BlockingRuntime for Std {
    fn drive(job: Job<Self>, sink: &mut dyn FnMut(Event, &Exchange) -> ControlFlow<()>) {
        let mut options = DriveOptions::new()
            .debug(job.debug)
            .cancel_handle(job.cancel);
        if let Some(tls) = job.tls {
            options = options.tls(tls);
        }
        job.client.run_job(job.request, &options, job.upload, sink);
    }

    fn spawn(work: Box<dyn FnOnce() + Send>) -> io::Result<()> {
        std::thread::Builder::new()
            .name("urlrequest".into())
            .spawn(work)
            .map(drop)
    }
}

/// One HTTP request run on its own worker thread, Kivy-style: callbacks,
/// properties, `wait` and `cancel` (see [`urlrequest::UrlRequest`]).
///
/// ```no_run
/// use urlrequest_std::UrlRequest;
/// let req = UrlRequest::builder("http://127.0.0.1:8000/data.json")
///     .on_success(|_req, result| println!("got {result:?}"))
///     .on_error(|_req, error| eprintln!("failed: {error}"))
///     .build()?;
/// req.wait(None); // callbacks run here, on this thread
/// assert!(req.is_finished());
/// # Ok::<(), urlrequest_std::Error>(())
/// ```
pub type UrlRequest = urlrequest::UrlRequest<Std>;

/// Describes a [`UrlRequest`] (see [`urlrequest::UrlRequestBuilder`]).
///
/// ```no_run
/// use std::time::Duration;
/// use urlrequest_std::{ResultValue, UrlRequest};
/// let req = UrlRequest::builder("https://example.com/api/items")
///     .method("POST")
///     .req_body(r#"{"name":"lamp"}"#)
///     .req_headers([("Content-Type", "application/json")])
///     .timeout(Duration::from_secs(10))
///     .on_success(|req, result| {
///         if let ResultValue::Json(v) = result {
///             println!("{} created item {}", req.url(), v["id"]);
///         }
///     })
///     .on_failure(|req, _| eprintln!("server said {:?}", req.resp_status()))
///     .on_error(|_, e| eprintln!("{e}"))
///     .build()?;
/// req.wait(Duration::from_secs(15));
/// # Ok::<(), urlrequest_std::Error>(())
/// ```
pub type UrlRequestBuilder = urlrequest::UrlRequestBuilder<Std>;

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
