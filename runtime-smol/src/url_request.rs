//! [`UrlRequest`]: Kivy's request object for async code, with the std
//! runtime's callbacks and properties, run by awaiting
//! [`send`](UrlRequest::send).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use event_listener::Event as Signal;
use urlrequest::ResultValue;
use urlrequest_core::http::{HeaderMap, StatusCode};
use urlrequest_core::Url;

use crate::builder::UrlRequestBuilder;
use crate::callbacks::Outcome;
use crate::cancel::CancelHandle;
use crate::error::Error;
use crate::run::{self, Launch};

/// One HTTP request with Kivy's callbacks and properties, run as a future.
///
/// Create one with [`UrlRequest::builder`]; nothing happens until
/// [`send`](Self::send) is awaited (or spawned on an executor). The
/// callbacks then run in the task that polls that future, one at a time,
/// each given this request, whose properties are current. Cloning gives
/// another handle to the same request (for a callback, another task or a
/// cancel button).
///
/// Routing, as in Kivy and the std runtime: a response with status 1xx/2xx
/// goes to `on_success`, 3xx (a redirect not followed) to `on_redirect`,
/// 4xx/5xx to `on_failure`; a request that did not complete goes to
/// `on_error`, or to `on_cancel` when it was cancelled. `on_finish` then
/// runs exactly once, after every outcome.
///
/// ```no_run
/// use urlrequest_smol::{ResultValue, UrlRequest};
/// # smol::block_on(async {
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
/// # Ok::<(), urlrequest_smol::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct UrlRequest {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    /// What the first `send` takes to run the request.
    launch: Mutex<Option<Launch>>,
    /// Fired once the outcome is recorded and its callbacks ran.
    settled: Signal,
    cancel: CancelHandle,
    chunk_size: usize,
    file_path: Option<PathBuf>,
}

struct State {
    url: Url,
    resp_status: Option<StatusCode>,
    resp_headers: Option<HeaderMap>,
    result: Option<ResultValue>,
    error: Option<Error>,
    finished: bool,
    settled: bool,
}

impl fmt::Debug for UrlRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state();
        f.debug_struct("UrlRequest")
            .field("url", &st.url.as_str())
            .field("finished", &st.finished)
            .field("resp_status", &st.resp_status)
            .finish()
    }
}

impl UrlRequest {
    /// Starts describing a request to `url`.
    pub fn builder(url: impl Into<String>) -> UrlRequestBuilder {
        UrlRequestBuilder::new(url.into())
    }

    pub(crate) fn new(launch: Launch, chunk_size: usize, file_path: Option<PathBuf>) -> Self {
        let url = launch.request.url().clone();
        UrlRequest {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    url,
                    resp_status: None,
                    resp_headers: None,
                    result: None,
                    error: None,
                    finished: false,
                    settled: false,
                }),
                launch: Mutex::new(Some(launch)),
                settled: Signal::new(),
                cancel: CancelHandle::new(),
                chunk_size,
                file_path,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking callback cannot leave the properties half-written:
        // each update is one assignment under the lock.
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs the request to its end, calling the callbacks in this task as
    /// things happen, and returns the outcome: the result for any completed
    /// response (whatever its status: see [`resp_status`](Self::resp_status)),
    /// or the error.
    ///
    /// The first call runs the request. A call made while it runs, or after,
    /// waits for that run's callbacks to finish and returns the same outcome,
    /// so one task may drive the request while others await it.
    ///
    /// Dropping the running future stops the request at once (its socket is
    /// closed, a partial download deleted) without running any callback; the
    /// properties then report a cancel. To get `on_cancel` and `on_finish`,
    /// [`cancel`](Self::cancel) instead and let the future finish.
    pub async fn send(&self) -> Result<ResultValue, Error> {
        let launch = self
            .inner
            .launch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        match launch {
            Some(launch) => run::run(self, launch).await,
            None => {
                self.settled().await;
                self.outcome()
            }
        }
    }

    async fn settled(&self) {
        loop {
            if self.state().settled {
                return;
            }
            // Listen before the second look so a settle in between is seen.
            let listener = self.inner.settled.listen();
            if self.state().settled {
                return;
            }
            listener.await;
        }
    }

    fn outcome(&self) -> Result<ResultValue, Error> {
        let st = self.state();
        match (&st.result, &st.error) {
            (Some(result), _) => Ok(result.clone()),
            (None, Some(error)) => Err(error.clone()),
            (None, None) => Err(Error::Request(urlrequest_core::Error::Cancelled)),
        }
    }

    /// Cancels the request: its socket closes at once and, unless it had
    /// already completed, the running [`send`](Self::send) ends with
    /// `on_cancel` then `on_finish`. A request not sent yet is marked
    /// finished (cancelled) now; its callbacks run when it is sent, without
    /// any connection being made. Any thread, any number of times.
    pub fn cancel(&self) {
        self.inner.cancel.cancel();
        let not_sent = self
            .inner
            .launch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some();
        if not_sent {
            let _ = self.record(Err(Error::Request(urlrequest_core::Error::Cancelled)));
        }
    }

    /// A handle that cancels this request (for code that should not hold
    /// the request itself).
    pub fn cancel_handle(&self) -> CancelHandle {
        self.inner.cancel.clone()
    }

    /// Whether the request has an outcome (response or error). The
    /// properties below are set by then; the outcome's callbacks may still
    /// be running.
    pub fn is_finished(&self) -> bool {
        self.state().finished
    }

    /// The final response's status, as soon as its head arrived.
    pub fn resp_status(&self) -> Option<StatusCode> {
        self.state().resp_status
    }

    /// The final response's headers (case-insensitive, every value kept),
    /// as soon as its head arrived.
    pub fn resp_headers(&self) -> Option<HeaderMap> {
        self.state().resp_headers.clone()
    }

    /// The result once the request completed with a response.
    pub fn result(&self) -> Option<ResultValue> {
        self.state().result.clone()
    }

    /// Why the request did not complete (cancellation included).
    pub fn error(&self) -> Option<Error> {
        self.state().error.clone()
    }

    /// The URL requested now: the final URL once redirects were followed.
    pub fn url(&self) -> Url {
        self.state().url.clone()
    }

    /// Size of the pieces the body is read and reported in.
    pub fn chunk_size(&self) -> usize {
        self.inner.chunk_size
    }

    /// Where the body is downloaded to, if anywhere.
    pub fn file_path(&self) -> Option<&Path> {
        self.inner.file_path.as_deref()
    }

    // ---- used by the run ----

    pub(crate) fn set_url(&self, url: Url) {
        self.state().url = url;
    }

    pub(crate) fn set_head(&self, status: StatusCode, headers: HeaderMap) {
        let mut st = self.state();
        st.resp_status = Some(status);
        st.resp_headers = Some(headers);
    }

    /// Records the outcome, unless one was recorded already (a cancel
    /// before sending), and returns the one that stands.
    pub(crate) fn record(&self, outcome: Outcome) -> Outcome {
        let mut st = self.state();
        if st.finished {
            return match (&st.result, &st.error, st.resp_status) {
                (Some(r), _, Some(s)) => Ok((s, r.clone())),
                (_, Some(e), _) => Err(e.clone()),
                _ => outcome,
            };
        }
        match &outcome {
            Ok((_, result)) => st.result = Some(result.clone()),
            Err(error) => st.error = Some(error.clone()),
        }
        st.finished = true;
        outcome
    }

    /// Marks the callbacks done and wakes every waiting `send`.
    pub(crate) fn settle(&self) {
        self.state().settled = true;
        self.inner.settled.notify(usize::MAX);
    }

    pub(crate) fn is_settled(&self) -> bool {
        self.state().settled
    }
}
