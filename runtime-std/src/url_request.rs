//! [`UrlRequest`]: Kivy's request object on a worker thread, with its
//! properties, `wait`, `cancel` and the callback queue.

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use http::{HeaderMap, StatusCode};
use urlrequest::ResultValue;
use urlrequest_core::Url;

use crate::builder::UrlRequestBuilder;
use crate::callbacks::{self, Callbacks, Dispatch, Item};
use crate::cancel::CancelHandle;
use crate::error::Error;
use crate::worker::{self, Launch};

/// One HTTP request run on its own worker thread, Kivy-style: callbacks,
/// properties, [`wait`](Self::wait) and [`cancel`](Self::cancel).
///
/// Create one with [`UrlRequest::builder`]. Cloning gives another handle to
/// the same request (handy inside callbacks or another thread).
///
/// Routing, as in Kivy: a response with status 1xx/2xx goes to
/// `on_success`, 3xx (a redirect not followed) to `on_redirect`, 4xx/5xx to
/// `on_failure`; a request that did not complete goes to `on_error`, or to
/// `on_cancel` when it was cancelled. `on_finish` then runs exactly once,
/// after every outcome.
///
/// Unlike Kivy: `wait` returns on every outcome and takes a timeout;
/// callbacks queued before anyone waits are kept; `cancel` closes the
/// socket at once; `result` has one type ([`ResultValue`]); `file_path`
/// downloads are atomic; redirects are followed (up to 10 by default).
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
#[derive(Clone)]
pub struct UrlRequest {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    callbacks: Mutex<Callbacks>,
    launch: Mutex<Option<Launch>>,
    pub(crate) cancel: CancelHandle,
    pub(crate) dispatch: Dispatch,
    pub(crate) wants_progress: bool,
    chunk_size: usize,
    file_path: Option<PathBuf>,
}

struct State {
    started: bool,
    finished: bool,
    queue: VecDeque<Item>,
    /// The thread running callbacks right now, if any.
    dispatcher: Option<ThreadId>,
    url: Url,
    resp_status: Option<StatusCode>,
    resp_headers: Option<HeaderMap>,
    result: Option<ResultValue>,
    error: Option<Error>,
}

impl fmt::Debug for UrlRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state();
        f.debug_struct("UrlRequest")
            .field("url", &st.url.as_str())
            .field("started", &st.started)
            .field("finished", &st.finished)
            .field("resp_status", &st.resp_status)
            .field("queued", &st.queue.len())
            .finish()
    }
}

impl UrlRequest {
    /// Starts describing a request to `url`.
    pub fn builder(url: impl Into<String>) -> UrlRequestBuilder {
        UrlRequestBuilder::new(url.into())
    }

    pub(crate) fn new(
        launch: Launch,
        callbacks: Callbacks,
        dispatch: Dispatch,
        chunk_size: usize,
        file_path: Option<PathBuf>,
    ) -> UrlRequest {
        let url = launch.request.url().clone();
        UrlRequest {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    started: false,
                    finished: false,
                    queue: VecDeque::new(),
                    dispatcher: None,
                    url,
                    resp_status: None,
                    resp_headers: None,
                    result: None,
                    error: None,
                }),
                changed: Condvar::new(),
                wants_progress: callbacks.on_progress.is_some(),
                callbacks: Mutex::new(callbacks),
                launch: Mutex::new(Some(launch)),
                cancel: CancelHandle::new(),
                dispatch,
                chunk_size,
                file_path,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the worker thread. Does nothing if the request already
    /// started (the builder starts it unless told otherwise).
    pub fn start(&self) {
        let launch = self
            .shared
            .launch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some(launch) = launch else { return };
        self.state().started = true;
        let me = self.clone();
        let spawned = thread::Builder::new()
            .name("urlrequest".into())
            .spawn(move || worker::run(me, launch));
        if let Err(e) = spawned {
            let error = Error::Request(urlrequest_core::Error::Transport(
                urlrequest_core::TransportError::Io(format!("cannot start a worker thread: {e}")),
            ));
            self.finish(None, Item::Failed(error));
        }
    }

    /// Cancels the request: its socket is shut down at once, and unless it
    /// had already completed it ends with `on_cancel` then `on_finish`.
    /// Safe to call from any thread, any number of times. A request never
    /// started is cancelled without a worker ever running.
    pub fn cancel(&self) {
        self.shared.cancel.cancel();
        let never_started = self
            .shared
            .launch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some();
        if never_started {
            self.state().started = true;
            self.finish(
                None,
                Item::Failed(Error::Request(urlrequest_core::Error::Cancelled)),
            );
        }
    }

    /// Waits until the request finished and its callbacks ran, at most
    /// `timeout` (`None`: no limit). Returns whether it finished.
    ///
    /// With [`Dispatch::Queued`] (the default) the callbacks run on the
    /// thread calling `wait`, as they become due. Returns `false` at once
    /// for a request never started. Called from inside one of the
    /// request's own callbacks, it only waits for the outcome.
    pub fn wait(&self, timeout: impl Into<Option<Duration>>) -> bool {
        let deadline = timeout.into().map(|t| Instant::now() + t);
        let me = thread::current().id();
        loop {
            if self.shared.dispatch == Dispatch::Queued {
                self.dispatch_pending();
            }
            let st = self.state();
            if !st.started {
                return false;
            }
            let settled = st.finished
                && (st.dispatcher == Some(me) || (st.queue.is_empty() && st.dispatcher.is_none()));
            if settled {
                return true;
            }
            let can_dispatch_now = self.shared.dispatch == Dispatch::Queued
                && !st.queue.is_empty()
                && st.dispatcher.is_none();
            if can_dispatch_now {
                continue;
            }
            let st = match deadline {
                None => self
                    .shared
                    .changed
                    .wait(st)
                    .unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    self.shared
                        .changed
                        .wait_timeout(st, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
            drop(st);
        }
    }

    /// Runs the callbacks that are due, on this thread, and returns how
    /// many items were handled. Never blocks on the network: a GUI loop
    /// calls it once a frame. Returns 0 when another thread is dispatching
    /// or when called from inside a callback.
    pub fn dispatch_pending(&self) -> usize {
        {
            let mut st = self.state();
            if st.dispatcher.is_some() || st.queue.is_empty() {
                return 0;
            }
            st.dispatcher = Some(thread::current().id());
        }
        // Clears the dispatcher mark even if a callback panics, so that
        // later waits do not hang.
        struct Release<'a>(&'a UrlRequest);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.state().dispatcher = None;
                self.0.shared.changed.notify_all();
            }
        }
        let _release = Release(self);
        let mut callbacks = self
            .shared
            .callbacks
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut handled = 0;
        loop {
            let item = self.state().queue.pop_front();
            let Some(item) = item else { break };
            callbacks::run(&mut callbacks, self, item);
            handled += 1;
        }
        handled
    }

    /// Whether callbacks are waiting to be dispatched.
    pub fn has_pending(&self) -> bool {
        !self.state().queue.is_empty()
    }

    /// Whether the request has an outcome (response or error). The
    /// properties below are set by then; the callbacks may still be queued.
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
        self.shared.chunk_size
    }

    /// Where the body is downloaded to, if anywhere.
    pub fn file_path(&self) -> Option<&Path> {
        self.shared.file_path.as_deref()
    }

    /// A handle that cancels this request (for code that should not hold
    /// the request itself).
    pub fn cancel_handle(&self) -> CancelHandle {
        self.shared.cancel.clone()
    }

    // ---- used by the worker ----

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn set_url(&self, url: Url) {
        self.state().url = url;
    }

    pub(crate) fn set_head(&self, status: StatusCode, headers: HeaderMap) {
        let mut st = self.state();
        st.resp_status = Some(status);
        st.resp_headers = Some(headers);
    }

    /// Queues a progress update, merged into an undispatched one.
    pub(crate) fn push_progress(&self, received: u64, total: Option<u64>) {
        let item = Item::Progress { received, total };
        {
            let mut st = self.state();
            let merge = self.shared.dispatch == Dispatch::Queued
                && st.queue.back().is_some_and(Item::is_progress);
            if merge {
                st.queue.pop_back();
            }
            st.queue.push_back(item);
        }
        self.notify();
    }

    /// Records the outcome and queues the terminal item.
    pub(crate) fn finish(&self, head: Option<(StatusCode, HeaderMap)>, item: Item) {
        {
            let mut st = self.state();
            if st.finished {
                return;
            }
            if let Some((status, headers)) = head {
                st.resp_status = Some(status);
                st.resp_headers = Some(headers);
            }
            match &item {
                Item::Done { result, .. } => st.result = Some(result.clone()),
                Item::Failed(e) => st.error = Some(e.clone()),
                Item::Progress { .. } => {}
            }
            st.finished = true;
            st.queue.push_back(item);
        }
        self.notify();
    }

    fn notify(&self) {
        self.shared.changed.notify_all();
        if self.shared.dispatch == Dispatch::Worker {
            self.dispatch_pending();
        }
    }
}
