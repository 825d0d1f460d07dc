//! [`UrlRequest`]: Kivy's request object, once for every runtime: its
//! properties (changed as the callbacks reporting them are dispatched),
//! `cancel`, the callback queue (every progress update, bounded for a
//! thread that never dispatches) and where callbacks run, and
//! the entry points of the two kinds of runtime (`start`, `wait` and
//! `dispatch_pending` with threads; `send().await` in async code).

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use event_listener::Event as Signal;
use urlrequest_core::http::{HeaderMap, StatusCode};
use urlrequest_core::{Request, Response, Url};
use urlrequest_tls::TlsSettings;

use crate::builder::UrlRequestBuilder;
use crate::callbacks::Callbacks;
use crate::cancel::CancelHandle;
use crate::error::Error;
use crate::outcome::ResultValue;
use crate::run;
use crate::runtime::{AsyncRuntime, BlockingRuntime, Runtime};
use crate::session::Call;

/// Where a request's callbacks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dispatch {
    /// Queued until a thread calls [`UrlRequest::wait`],
    /// [`UrlRequest::dispatch_pending`] or [`dispatch_all`](crate::dispatch_all),
    /// and run there (Kivy's model: the GUI thread drains the queue once a
    /// frame). Every progress update is delivered, in order (see
    /// [`UrlRequest`] for the bound on updates left waiting). The default
    /// with threads.
    #[default]
    Queued,
    /// Run on the request's worker thread as soon as they happen
    /// (runtimes with threads). The callbacks must
    /// then be thread-safe in spirit too: they run while the caller's
    /// thread does other things. (In async code the callbacks always run in
    /// the task that awaits `send()`, as they happen.)
    Worker,
}

/// One HTTP request, Kivy-style: callbacks, properties and
/// [`cancel`](Self::cancel), the same on every runtime `R`.
///
/// Runtimes name it for their users (`urlrequest_std::UrlRequest`,
/// `urlrequest_smol::UrlRequest`); create one with [`UrlRequest::builder`].
/// Cloning gives another handle to the same request (handy inside
/// callbacks, another thread or task).
///
/// Routing, as in Kivy: a response with status 1xx/2xx goes to
/// `on_success`, 3xx (a redirect not followed) to `on_redirect`, 4xx/5xx to
/// `on_failure`; a request that did not complete goes to `on_error`, or to
/// `on_cancel` when it was cancelled. `on_finish` then runs exactly once,
/// after every outcome.
///
/// **Properties and callbacks.** [`is_finished`](Self::is_finished),
/// [`resp_status`](Self::resp_status), [`resp_headers`](Self::resp_headers),
/// [`result`](Self::result) and [`error`](Self::error) change when the
/// callback that reports them is dispatched, as Kivy sets them on its main
/// thread: the response head with the first progress update (or with the
/// outcome), `is_finished` and `result` or `error` right before the outcome
/// callback. This holds on every runtime and with either [`Dispatch`]; with
/// queued dispatch it means the thread that dispatches sees them change
/// between its callbacks, never before, so Kivy's loop
/// `while !req.is_finished() { dispatch_all() }` ends with every callback
/// run. Where the request runs knows its outcome earlier:
/// [`has_outcome`](Self::has_outcome) says so. The callbacks a request
/// would make without a callback set (no `on_progress`, say) still reveal
/// the properties at their turn.
///
/// **Progress updates** are all delivered, in order, on every runtime:
/// `(0, total)` when the head arrives, one per chunk, and by default the
/// last one again before the outcome callback (see
/// [`UrlRequestBuilder::on_progress`]). The core cuts the body into
/// `chunk_size` pieces, so there is at most one update per `chunk_size`
/// bytes. Updates waiting for a thread that does not dispatch are bounded:
/// past 1024 of them, a new update replaces the newest one waiting, so the
/// oldest waiting update (the `(0, total)` one if it was never dispatched)
/// and the newest are always kept. With the default `chunk_size` of 8192
/// that takes 8 MiB received while the dispatching thread never ran.
///
/// Unlike Kivy: `wait` returns on every outcome and takes a timeout;
/// callbacks due before anyone waits are kept; `cancel` closes the socket
/// at once; `result` has one type ([`ResultValue`]); `file_path` downloads
/// are atomic; redirects are followed (up to 10 by default).
///
/// A request whose handle is dropped keeps running, and with queued
/// dispatch its callbacks still reach the building thread's
/// [`dispatch_all`](crate::dispatch_all). The type is `#[must_use]` all the
/// same, so that forgetting the handle (and with it `wait`) is a warning:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// use urlrequest::{Replay, UrlRequest};
/// UrlRequest::<Replay>::builder("http://example.com/").build().unwrap();
/// ```
#[must_use = "with queued dispatch the callbacks run only in wait(), dispatch_pending() or dispatch_all() on the building thread; a request dropped here still runs and its callbacks reach that thread's dispatch_all()"]
pub struct UrlRequest<R: Runtime> {
    inner: Arc<Inner<R>>,
}

impl<R: Runtime> Clone for UrlRequest<R> {
    fn clone(&self) -> Self {
        UrlRequest {
            inner: self.inner.clone(),
        }
    }
}

/// Everything a run needs, prepared by the builder; taken by the run.
pub(crate) struct Launch<R: Runtime> {
    pub(crate) request: Request,
    pub(crate) client: Option<R::Client>,
    pub(crate) tls: Option<TlsSettings>,
    pub(crate) file_path: Option<PathBuf>,
    pub(crate) debug: bool,
    pub(crate) upload: Option<crate::Upload>,
    /// Keep the final response for [`UrlRequest::take_response`] (a
    /// request made from a `Call`, which parses it).
    pub(crate) keep_response: bool,
    /// Report the last progress update again before the outcome.
    pub(crate) repeat_final_progress: bool,
}

struct Inner<R: Runtime> {
    props: Properties,
    callbacks: Mutex<Callbacks<UrlRequest<R>>>,
    launch: Mutex<Option<Launch<R>>>,
    cancel: CancelHandle,
    dispatch: Dispatch,
    wants_progress: bool,
    /// The thread whose local callbacks these are (see `local`).
    owner: Option<ThreadId>,
    chunk_size: usize,
    file_path: Option<PathBuf>,
}

/// A request's properties and callback queue, and the signals of their
/// changes (for threads waiting and tasks awaiting).
pub(crate) struct Properties {
    state: Mutex<State>,
    changed: Condvar,
    settled: Signal,
}

/// Progress updates a request keeps waiting for dispatch before a new one
/// replaces the newest waiting (see [`UrlRequest`]).
const MAX_QUEUED_PROGRESS: usize = 1024;

struct State {
    started: bool,
    /// The outcome is known where the request runs (`has_outcome`).
    outcome_known: bool,
    /// The outcome's callback was dispatched (`is_finished`).
    finished: bool,
    /// The outcome's callbacks ran (or never will: a dropped future).
    settled: bool,
    queue: VecDeque<Call>,
    /// How many of `queue` are progress updates.
    queued_progress: usize,
    /// A progress update was taken (without `on_progress`, only the first
    /// is queued, to reveal the head at its turn).
    progress_seen: bool,
    /// The thread running callbacks right now, if any.
    dispatcher: Option<ThreadId>,
    url: Url,
    /// The final response's head, as known where the request runs.
    head: Option<(StatusCode, HeaderMap)>,
    /// The properties as the dispatched callbacks reported them.
    resp_status: Option<StatusCode>,
    resp_headers: Option<HeaderMap>,
    result: Option<ResultValue>,
    error: Option<Error>,
    /// The final response, when the launch asked to keep it.
    response: Option<Response>,
}

impl Properties {
    fn new(url: Url) -> Properties {
        Properties {
            state: Mutex::new(State {
                started: false,
                outcome_known: false,
                finished: false,
                settled: false,
                queue: VecDeque::new(),
                queued_progress: 0,
                progress_seen: false,
                dispatcher: None,
                url,
                head: None,
                resp_status: None,
                resp_headers: None,
                result: None,
                error: None,
                response: None,
            }),
            changed: Condvar::new(),
            settled: Signal::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking callback cannot leave the properties half-written:
        // each update is one assignment under the lock.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn url(&self) -> Url {
        self.state().url.clone()
    }

    pub(crate) fn set_url(&self, url: Url) {
        self.state().url = url;
    }

    /// The final response's head, known where the request runs; the
    /// properties show it when a callback reporting it is dispatched.
    pub(crate) fn set_head(&self, status: StatusCode, headers: HeaderMap) {
        self.state().head = Some((status, headers));
    }

    pub(crate) fn set_response(&self, response: Response) {
        self.state().response = Some(response);
    }

    fn notify(&self) {
        self.changed.notify_all();
        self.settled.notify(usize::MAX);
    }
}

impl<R: Runtime> fmt::Debug for UrlRequest<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state();
        f.debug_struct("UrlRequest")
            .field("url", &st.url.as_str())
            .field("started", &st.started)
            .field("has_outcome", &st.outcome_known)
            .field("finished", &st.finished)
            .field("resp_status", &st.resp_status)
            .field("queued", &st.queue.len())
            .finish()
    }
}

impl<R: Runtime> UrlRequest<R> {
    /// Starts describing a request to `url`.
    pub fn builder(url: impl Into<String>) -> UrlRequestBuilder<R> {
        UrlRequestBuilder::new(url.into())
    }

    pub(crate) fn new(
        launch: Launch<R>,
        callbacks: Callbacks<UrlRequest<R>>,
        dispatch: Dispatch,
        chunk_size: usize,
        wants_progress: bool,
        owner: Option<ThreadId>,
    ) -> UrlRequest<R> {
        let url = launch.request.url().clone();
        let file_path = launch.file_path.clone();
        UrlRequest {
            inner: Arc::new(Inner {
                props: Properties::new(url),
                wants_progress,
                owner,
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
        self.inner.props.state()
    }

    /// Identifies the request among those alive (its callbacks on a
    /// thread are filed under it).
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.inner) as *const () as usize
    }

    /// The final response, kept when the launch asked for it; once.
    pub(crate) fn take_response(&self) -> Option<Response> {
        self.state().response.take()
    }

    pub(crate) fn take_launch(&self) -> Option<Launch<R>> {
        let launch = self
            .inner
            .launch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if launch.is_some() {
            self.state().started = true;
        }
        launch
    }

    /// Cancels the request: its socket is shut down at once and, unless it
    /// had already completed, it ends with `on_cancel` then `on_finish`.
    /// A request not started yet is finished (cancelled) now, without any
    /// connection; its callbacks run where they would have run. Any thread,
    /// any number of times.
    pub fn cancel(&self) {
        self.inner.cancel.cancel();
        if self.take_launch().is_some() {
            let cancelled = Err(Error::Request(urlrequest_core::Error::Cancelled));
            self.deliver(Call::finish(cancelled));
        }
    }

    /// A handle that cancels this request (for code that should not hold
    /// the request itself).
    pub fn cancel_handle(&self) -> CancelHandle {
        self.inner.cancel.clone()
    }

    /// Whether the request is finished (response or error), as Kivy's
    /// `is_finished`: true from the moment the outcome callback is
    /// dispatched (set right before it runs, as are `result` and `error`).
    /// The outcome callback and `on_finish` are dispatched together, so a
    /// loop that dispatches until this is true has run every callback.
    pub fn is_finished(&self) -> bool {
        self.state().finished
    }

    /// Whether the request has an outcome where it runs (its worker
    /// thread, task or tick), whether or not the callbacks that report it
    /// were dispatched yet. With queued dispatch this turns true before
    /// [`is_finished`](Self::is_finished); otherwise the callbacks are
    /// dispatched as their events come and `is_finished` follows at once.
    pub fn has_outcome(&self) -> bool {
        self.state().outcome_known
    }

    /// Whether callbacks are waiting to be dispatched.
    pub fn has_pending(&self) -> bool {
        !self.state().queue.is_empty()
    }

    /// The final response's status, from the dispatch of the first
    /// progress update (the `(0, total)` one) or, if none, of the outcome.
    pub fn resp_status(&self) -> Option<StatusCode> {
        self.state().resp_status
    }

    /// The final response's headers (case-insensitive, every value kept),
    /// from when [`resp_status`](Self::resp_status) is set.
    pub fn resp_headers(&self) -> Option<HeaderMap> {
        self.state().resp_headers.clone()
    }

    /// The result once the request completed with a response, from the
    /// dispatch of its outcome callback.
    pub fn result(&self) -> Option<ResultValue> {
        self.state().result.clone()
    }

    /// Why the request did not complete (cancellation included), from the
    /// dispatch of its outcome callback.
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

    /// Runs the callbacks that are due, on this thread, and returns how
    /// many were handled. Never blocks on the network: a GUI loop calls it
    /// once a frame. Returns 0 when another thread is dispatching or when
    /// called from inside a callback.
    pub fn dispatch_pending(&self) -> usize {
        let here = thread::current().id();
        if self.inner.owner.is_some_and(|owner| owner != here) {
            // Local callbacks run on their own thread only.
            return 0;
        }
        {
            let mut st = self.state();
            if st.dispatcher.is_some() || st.queue.is_empty() {
                return 0;
            }
            st.dispatcher = Some(here);
        }
        // Clears the dispatcher mark even if a callback panics, so that
        // later waits do not hang.
        struct Release<'a, R: Runtime>(&'a UrlRequest<R>);
        impl<R: Runtime> Drop for Release<'_, R> {
            fn drop(&mut self) {
                self.0.state().dispatcher = None;
                self.0.inner.props.notify();
            }
        }
        let _release = Release(self);
        let mut callbacks = self
            .inner
            .callbacks
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut handled = 0;
        loop {
            let call = self.state().queue.pop_front();
            let Some(call) = call else { break };
            let local = self.inner.owner.is_some();
            match call {
                Call::Progress { received, total } => {
                    {
                        let mut st = self.state();
                        st.queued_progress -= 1;
                        reveal_head(&mut st);
                    }
                    if !self.inner.wants_progress {
                        // Only there to reveal the head at its turn.
                    } else if local {
                        crate::local::local_progress(self.id(), self, received, total)
                    } else {
                        callbacks.progress(self, received, total)
                    }
                }
                Call::Finish { outcome, .. } => {
                    {
                        let mut st = self.state();
                        reveal_head(&mut st);
                        match &outcome {
                            Ok((status, result)) => {
                                st.result = Some(result.clone());
                                st.resp_status.get_or_insert(*status);
                            }
                            Err(error) => st.error = Some(error.clone()),
                        }
                        st.finished = true;
                    }
                    if local {
                        crate::local::local_finish(self.id(), self, &outcome);
                    } else {
                        // Taken: nothing runs after `on_finish`, and handles
                        // the closures captured are dropped now.
                        std::mem::take(&mut *callbacks).finish(self, &outcome);
                    }
                    self.state().settled = true;
                    crate::local::forget(self.id());
                }
            }
            handled += 1;
        }
        handled
    }

    /// Takes a callback that became due and queues it; it runs at once
    /// with [`Dispatch::Worker`] (an async run and a frame feed dispatch
    /// right after each delivery too). The outcome makes
    /// [`has_outcome`](Self::has_outcome) true at once; the properties
    /// change when the calls are dispatched. A `Finish` that repeats the
    /// last progress update queues it first.
    pub(crate) fn deliver(&self, call: Call) {
        {
            let mut st = self.state();
            if st.outcome_known {
                return;
            }
            match call {
                Call::Progress { .. } => {
                    if !self.inner.wants_progress && st.progress_seen {
                        return;
                    }
                    st.progress_seen = true;
                    let full = st.queued_progress >= MAX_QUEUED_PROGRESS;
                    match st.queue.back_mut() {
                        // The oldest waiting update stays; the newest is
                        // replaced by this one.
                        Some(newest @ Call::Progress { .. }) if full => *newest = call,
                        _ => {
                            st.queued_progress += 1;
                            st.queue.push_back(call);
                        }
                    }
                }
                Call::Finish { outcome, repeat } => {
                    st.outcome_known = true;
                    if let Some((received, total)) = repeat.filter(|_| self.inner.wants_progress) {
                        st.queued_progress += 1;
                        st.queue.push_back(Call::Progress { received, total });
                    }
                    st.queue.push_back(Call::finish(outcome));
                }
            }
        }
        self.inner.props.notify();
        if self.inner.dispatch == Dispatch::Worker {
            self.dispatch_pending();
        }
    }

    pub(crate) fn properties(&self) -> &Properties {
        &self.inner.props
    }

    pub(crate) fn cancel_ref(&self) -> &CancelHandle {
        &self.inner.cancel
    }

    /// Whether the outcome's callbacks ran (or never will).
    pub(crate) fn settled(&self) -> bool {
        self.state().settled
    }

    /// The outcome as recorded: the result, else the error.
    fn outcome(&self) -> Result<ResultValue, Error> {
        let st = self.state();
        match (&st.result, &st.error) {
            (Some(result), _) => Ok(result.clone()),
            (None, Some(error)) => Err(error.clone()),
            (None, None) => Err(Error::Request(urlrequest_core::Error::Cancelled)),
        }
    }

    /// Marks a run that ended without its callbacks (a dropped future) as
    /// settled: cancelled, with nothing left to dispatch.
    pub(crate) fn abandon(&self) {
        self.inner.cancel.cancel();
        {
            let mut st = self.state();
            if !st.finished {
                st.outcome_known = true;
                st.finished = true;
                st.error = Some(Error::Request(urlrequest_core::Error::Cancelled));
            }
            st.queue.clear();
            st.queued_progress = 0;
            st.settled = true;
        }
        self.inner.props.notify();
    }
}

/// Shows the response head known where the request runs, once.
fn reveal_head(st: &mut State) {
    if st.resp_status.is_none() {
        if let Some((status, headers)) = &st.head {
            st.resp_status = Some(*status);
            st.resp_headers = Some(headers.clone());
        }
    }
}

/// Entry points with threads: the request runs on a worker thread of its
/// own; callbacks wait for the thread that calls `wait` or
/// `dispatch_pending` (or run on the worker, with [`Dispatch::Worker`]).
impl<R: BlockingRuntime> UrlRequest<R> {
    /// Starts the worker thread. Does nothing if the request already
    /// started (the builder starts it unless told otherwise).
    pub fn start(&self) {
        let Some(launch) = self.take_launch() else {
            return;
        };
        let me = self.clone();
        let spawned = R::spawn(Box::new(move || run::blocking(&me, launch)));
        if let Err(e) = spawned {
            let error = Error::Request(urlrequest_core::Error::Transport(
                urlrequest_core::TransportError::Io(format!("cannot start a worker thread: {e}")),
            ));
            self.deliver(Call::finish(Err(error)));
        }
    }

    /// Waits until the request finished and its callbacks ran (the
    /// outcome's and `on_finish` included), at most `timeout` (`None`: no
    /// limit). Returns whether it finished.
    ///
    /// With [`Dispatch::Queued`] (the default) the callbacks run on the
    /// thread calling `wait`, as they become due. Returns `false` at once
    /// for a request never started. Called from inside one of the
    /// request's own callbacks, it only waits for the outcome.
    pub fn wait(&self, timeout: impl Into<Option<Duration>>) -> bool {
        let deadline = timeout.into().map(|t| Instant::now() + t);
        let me = thread::current().id();
        loop {
            if self.inner.dispatch == Dispatch::Queued {
                self.dispatch_pending();
            }
            let st = self.state();
            if !st.started {
                return false;
            }
            let settled = st.outcome_known
                && (st.dispatcher == Some(me) || (st.queue.is_empty() && st.dispatcher.is_none()));
            if settled {
                return true;
            }
            let can_dispatch_now = self.inner.dispatch == Dispatch::Queued
                && !st.queue.is_empty()
                && st.dispatcher.is_none();
            if can_dispatch_now {
                continue;
            }
            let changed = &self.inner.props.changed;
            let st = match deadline {
                None => changed.wait(st).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    changed
                        .wait_timeout(st, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
            drop(st);
        }
    }
}

/// The entry point in async code: the request runs in the task that awaits
/// [`send`](Self::send), and its callbacks run there.
impl<R: AsyncRuntime> UrlRequest<R> {
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
        if let Some(launch) = self.take_launch() {
            run::in_task(self, launch).await;
        } else {
            // Callbacks due before anyone awaited (a cancel before sending)
            // run in this task.
            self.dispatch_pending();
        }
        loop {
            if self.settled() {
                return self.outcome();
            }
            // Listen before the second look, so a change in between is seen.
            let listener = self.inner.props.settled.listen();
            if self.settled() {
                return self.outcome();
            }
            listener.await;
            self.dispatch_pending();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::{Recording, Replay};

    #[test]
    fn waiting_updates_are_bounded_keeping_the_oldest_and_the_newest() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let req = UrlRequest::<Replay>::builder("http://example.com/")
            .client(&Recording::new())
            .dispatch(Dispatch::Queued)
            .autostart(false)
            .on_progress(move |_, received, _| s.lock().unwrap().push(received))
            .build()
            .unwrap();
        // A flood nobody dispatches: twice the bound, then the outcome
        // with the last update repeated.
        let flood = 2 * MAX_QUEUED_PROGRESS as u64;
        for received in 0..flood {
            req.deliver(Call::Progress {
                received,
                total: None,
            });
        }
        req.deliver(Call::Finish {
            outcome: Ok((StatusCode::OK, ResultValue::Bytes("".into()))),
            repeat: Some((flood - 1, None)),
        });
        assert!(req.has_outcome() && !req.is_finished());
        req.dispatch_pending();
        assert!(req.is_finished());
        let seen = seen.lock().unwrap();
        // The first bound - 1 updates as they came, then the newest in
        // place of those in between, then its repeat.
        assert_eq!(seen.len(), MAX_QUEUED_PROGRESS + 1);
        let kept = MAX_QUEUED_PROGRESS as u64 - 1;
        assert_eq!(seen[..kept as usize], (0..kept).collect::<Vec<_>>()[..]);
        assert_eq!(seen[kept as usize..], [flood - 1, flood - 1]);
    }

    #[test]
    fn updates_dispatched_as_they_come_are_never_merged() {
        let seen = Arc::new(Mutex::new(0u64));
        let s = seen.clone();
        let req = UrlRequest::<Replay>::builder("http://example.com/")
            .client(&Recording::new())
            .dispatch(Dispatch::Queued)
            .autostart(false)
            .on_progress(move |_, _, _| *s.lock().unwrap() += 1)
            .build()
            .unwrap();
        let n = 3 * MAX_QUEUED_PROGRESS as u64;
        for received in 0..n {
            req.deliver(Call::Progress {
                received,
                total: None,
            });
            req.dispatch_pending();
        }
        assert_eq!(*seen.lock().unwrap(), n);
    }
}
