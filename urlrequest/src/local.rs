//! Callbacks that belong to one thread: the requests whose callbacks a
//! thread dispatches (so one call, [`dispatch_all`], serves a whole GUI
//! frame), and callbacks that need not be `Send` because they only ever
//! run on the thread that built the request ([`LocalUrlRequestBuilder`]).
//!
//! Both live in thread-local storage of that thread; a request only holds
//! its id and the thread's. A request dropped by its user keeps running,
//! and its callbacks still reach the thread's next `dispatch_all`.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;

use crate::builder::UrlRequestBuilder;
use crate::callbacks::{route, Outcome};
use crate::error::Error;
use crate::outcome::ResultValue;
use crate::runtime::{BlockingRuntime, Runtime};

/// A runtime whose callbacks can be kept to the thread that builds the
/// request ([`UrlRequestBuilder::local`]): one where a thread of the
/// application runs them, the thread that waits (every [`BlockingRuntime`])
/// or the thread that ticks (a [`FrameRuntime`](crate::FrameRuntime) that
/// implements this trait).
pub trait LocalRuntime: Runtime {}

impl<R: BlockingRuntime> LocalRuntime for R {}
use crate::url_request::UrlRequest;

/// A request whose queued callbacks this thread runs.
trait Pending {
    fn dispatch(&self) -> usize;
    fn settled(&self) -> bool;
    fn key(&self) -> usize;
}

impl<R: Runtime> Pending for UrlRequest<R> {
    fn dispatch(&self) -> usize {
        self.dispatch_pending()
    }

    fn key(&self) -> usize {
        self.id()
    }

    fn settled(&self) -> bool {
        UrlRequest::settled(self)
    }
}

thread_local! {
    /// Requests built on this thread with queued dispatch, until settled.
    static PENDING: RefCell<Vec<Box<dyn Pending>>> = RefCell::new(Vec::new());
    /// Callbacks of local requests, by request id.
    static LOCAL: RefCell<HashMap<usize, Box<dyn Any>>> = RefCell::new(HashMap::new());
}

/// Runs the due callbacks of every request built on this thread with queued
/// dispatch (the default with threads), and returns how many were handled.
/// Kivy's Clock does this once a frame: a GUI loop calls it once a frame
/// and keeps no list of its requests. Never blocks on the network.
///
/// ```no_run
/// # fn frame() {}
/// loop {
///     urlrequest::dispatch_all(); // callbacks of every request, on this thread
///     frame();
/// #   break;
/// }
/// ```
pub fn dispatch_all() -> usize {
    // Taken out while dispatching: a callback may build another request.
    let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    let mut handled = 0;
    let mut kept = Vec::with_capacity(pending.len());
    for request in pending {
        handled += request.dispatch();
        if !request.settled() {
            kept.push(request);
        }
    }
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        kept.append(&mut p);
        *p = kept;
    });
    handled
}

/// Lets go of request `id` once its outcome's callbacks ran on this thread,
/// so a settled request (and its result) is not kept until the next build.
pub(crate) fn forget(id: usize) {
    // Not while dispatch_all holds the list (it prunes settled ones itself).
    PENDING.with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            p.retain(|r| r.key() != id);
        }
    });
}

/// Keeps `request` for this thread's [`dispatch_all`], letting go of the
/// requests that are settled meanwhile (a thread that never calls
/// `dispatch_all` keeps no more than its unsettled requests).
pub(crate) fn register<R: Runtime>(request: &UrlRequest<R>) {
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        p.retain(|r| !r.settled());
        p.push(Box::new(request.clone()));
    });
}

type LocalResult<R> = Box<dyn FnMut(&UrlRequest<R>, &ResultValue)>;
type LocalError<R> = Box<dyn FnMut(&UrlRequest<R>, &Error)>;
type LocalProgress<R> = Box<dyn FnMut(&UrlRequest<R>, u64, Option<u64>)>;
type LocalPlain<R> = Box<dyn FnMut(&UrlRequest<R>)>;

/// The callbacks of a local request: not `Send`, run only on its thread.
struct LocalCallbacks<R: Runtime> {
    success: Option<LocalResult<R>>,
    redirect: Option<LocalResult<R>>,
    failure: Option<LocalResult<R>>,
    error: Option<LocalError<R>>,
    progress: Option<LocalProgress<R>>,
    cancel: Option<LocalPlain<R>>,
    finish: Option<LocalPlain<R>>,
}

/// Runs a local request's progress callback, on its thread.
pub(crate) fn local_progress<R: Runtime>(
    id: usize,
    req: &UrlRequest<R>,
    received: u64,
    total: Option<u64>,
) {
    with_local::<R>(id, |cbs| {
        if let Some(cb) = &mut cbs.progress {
            cb(req, received, total);
        }
    });
}

/// Routes a local request's outcome, on its thread; its callbacks are
/// dropped after `on_finish`.
pub(crate) fn local_finish<R: Runtime>(id: usize, req: &UrlRequest<R>, outcome: &Outcome) {
    let taken = LOCAL.with(|l| l.borrow_mut().remove(&id));
    let Some(mut cbs) = taken.and_then(|b| b.downcast::<LocalCallbacks<R>>().ok()) else {
        return;
    };
    route(
        req,
        outcome,
        [
            cbs.success.as_deref_mut(),
            cbs.redirect.as_deref_mut(),
            cbs.failure.as_deref_mut(),
        ],
        cbs.error.as_deref_mut(),
        cbs.cancel.as_deref_mut(),
        cbs.finish.as_deref_mut(),
    );
}

fn with_local<R: Runtime>(id: usize, f: impl FnOnce(&mut LocalCallbacks<R>)) {
    // Taken out while running: a callback may dispatch another request.
    let taken = LOCAL.with(|l| l.borrow_mut().remove(&id));
    if let Some(mut boxed) = taken {
        if let Some(cbs) = boxed.downcast_mut::<LocalCallbacks<R>>() {
            f(cbs);
        }
        LOCAL.with(|l| l.borrow_mut().insert(id, boxed));
    }
}

/// Describes a request whose callbacks need not be `Send`: they only ever
/// run on the thread that builds it, in `wait`, `dispatch_pending` or
/// [`dispatch_all`] there (queued dispatch). State in `Rc<RefCell<..>>`
/// and widgets that are not `Send` can then be touched from a callback.
/// From [`UrlRequestBuilder::local`]; the parameters are set before.
///
/// On another thread, `dispatch_pending` of a local request runs nothing
/// (it returns 0) and `wait` only waits until the owning thread has run
/// the callbacks: the type system cannot see the thread, so this is the
/// run-time rule, and no callback ever runs elsewhere.
///
/// With the std runtime (its `gui_loop` example runs this shape):
///
/// ```text
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use urlrequest_std::UrlRequest;
///
/// let shown = Rc::new(RefCell::new(Vec::<String>::new()));
/// let s = shown.clone();
/// let _req = UrlRequest::builder("http://127.0.0.1:8000/data.json")
///     .local()
///     .on_success(move |_, result| s.borrow_mut().push(format!("{result:?}")))
///     .build()?;
/// urlrequest_std::dispatch_all(); // once a frame, on this thread
/// ```
///
/// With the frame runtime (`urlrequest-frame`) they run inside the tick,
/// as its other callbacks do, when the building thread ticks the client.
#[must_use = "a builder does nothing until build() is called"]
pub struct LocalUrlRequestBuilder<R: Runtime> {
    inner: UrlRequestBuilder<R>,
    callbacks: LocalCallbacks<R>,
}

impl<R: LocalRuntime> UrlRequestBuilder<R> {
    /// Goes on with callbacks that need not be `Send` and run only on this
    /// thread (see [`LocalUrlRequestBuilder`]). Callbacks set before keep
    /// their place.
    pub fn local(self) -> LocalUrlRequestBuilder<R> {
        let (inner, shared) = self.take_callbacks();
        let callbacks = LocalCallbacks {
            success: shared.on_success.map(|f| f as LocalResult<R>),
            redirect: shared.on_redirect.map(|f| f as LocalResult<R>),
            failure: shared.on_failure.map(|f| f as LocalResult<R>),
            error: shared.on_error.map(|f| f as LocalError<R>),
            progress: shared.on_progress.map(|f| f as LocalProgress<R>),
            cancel: shared.on_cancel.map(|f| f as LocalPlain<R>),
            finish: shared.on_finish.map(|f| f as LocalPlain<R>),
        };
        LocalUrlRequestBuilder { inner, callbacks }
    }
}

impl<R: LocalRuntime> LocalUrlRequestBuilder<R> {
    /// Called with the result for a 1xx/2xx response.
    pub fn on_success(mut self, f: impl FnMut(&UrlRequest<R>, &ResultValue) + 'static) -> Self {
        self.callbacks.success = Some(Box::new(f));
        self
    }

    /// Called with the result for a 3xx response that was not followed.
    pub fn on_redirect(mut self, f: impl FnMut(&UrlRequest<R>, &ResultValue) + 'static) -> Self {
        self.callbacks.redirect = Some(Box::new(f));
        self
    }

    /// Called with the result for a 4xx/5xx response.
    pub fn on_failure(mut self, f: impl FnMut(&UrlRequest<R>, &ResultValue) + 'static) -> Self {
        self.callbacks.failure = Some(Box::new(f));
        self
    }

    /// Called when the request did not complete, except for a cancel.
    pub fn on_error(mut self, f: impl FnMut(&UrlRequest<R>, &Error) + 'static) -> Self {
        self.callbacks.error = Some(Box::new(f));
        self
    }

    /// Called with body bytes received so far and the total when known.
    pub fn on_progress(
        mut self,
        f: impl FnMut(&UrlRequest<R>, u64, Option<u64>) + 'static,
    ) -> Self {
        self.callbacks.progress = Some(Box::new(f));
        self
    }

    /// Called when the request was cancelled before completing.
    pub fn on_cancel(mut self, f: impl FnMut(&UrlRequest<R>) + 'static) -> Self {
        self.callbacks.cancel = Some(Box::new(f));
        self
    }

    /// Called last, exactly once, whatever the outcome.
    pub fn on_finish(mut self, f: impl FnMut(&UrlRequest<R>) + 'static) -> Self {
        self.callbacks.finish = Some(Box::new(f));
        self
    }

    /// Validates the description and returns the request, running unless
    /// `autostart(false)` was given before; its callbacks wait for this
    /// thread.
    pub fn build(self) -> Result<UrlRequest<R>, Error> {
        let wants_progress = self.callbacks.progress.is_some();
        let callbacks = self.callbacks;
        self.inner.queued().build_local(wants_progress, move |id| {
            LOCAL.with(|l| {
                l.borrow_mut()
                    .insert(id, Box::new(callbacks) as Box<dyn Any>)
            });
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url_request::Dispatch;
    use crate::{Recording, Replay};

    fn pending() -> usize {
        PENDING.with(|p| p.borrow().len())
    }

    #[test]
    fn a_request_is_let_go_once_its_callbacks_ran_here() {
        let req = UrlRequest::<Replay>::builder("http://example.com/")
            .client(&Recording::new())
            .dispatch(Dispatch::Queued)
            .build()
            .unwrap();
        // Finished inside build(); its callbacks wait for this thread.
        assert_eq!(pending(), 1);
        assert!(req.wait(None));
        assert_eq!(pending(), 0, "settled: no longer kept for dispatch_all");
    }
}
