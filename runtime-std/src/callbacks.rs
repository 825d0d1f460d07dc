//! The user's callbacks and the items queued for them. The set and Kivy's
//! routing of a finished request to exactly one of them followed by
//! `on_finish` are the shared layer's [`Callbacks`](urlrequest::Callbacks),
//! shared by every runtime; this runtime decides where and when they run.

use http::StatusCode;
use urlrequest::ResultValue;

use crate::error::Error;
use crate::url_request::UrlRequest;

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

/// Where callbacks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dispatch {
    /// Queued until a thread calls [`UrlRequest::wait`] or
    /// [`UrlRequest::dispatch_pending`], and run there (Kivy's model: the
    /// GUI thread drains the queue once a frame). Progress updates not yet
    /// dispatched are merged into the newest, so a slow frame rate never
    /// builds a backlog.
    #[default]
    Queued,
    /// Run on the worker thread as soon as they happen, every progress
    /// update included. The callbacks must then be thread-safe in spirit
    /// too: they run while the caller's thread does other things.
    Worker,
}

/// The set of callbacks of one request.
pub(crate) type Callbacks = urlrequest::Callbacks<UrlRequest>;

/// Something for the callbacks, in the order it happened.
#[derive(Debug)]
pub(crate) enum Item {
    Progress {
        received: u64,
        total: Option<u64>,
    },
    Done {
        status: StatusCode,
        result: ResultValue,
    },
    Failed(Error),
}

impl Item {
    pub(crate) fn is_progress(&self) -> bool {
        matches!(self, Item::Progress { .. })
    }
}

/// Runs the callbacks for one item. Returns whether it was terminal; after
/// a terminal item the set is empty, so nothing runs after `on_finish` and
/// handles captured by the closures are dropped now.
pub(crate) fn run(callbacks: &mut Callbacks, req: &UrlRequest, item: Item) -> bool {
    let outcome = match item {
        Item::Progress { received, total } => {
            callbacks.progress(req, received, total);
            return false;
        }
        Item::Done { status, result } => Ok((status, result)),
        Item::Failed(error) => Err(error),
    };
    std::mem::take(callbacks).finish(req, &outcome);
    true
}
