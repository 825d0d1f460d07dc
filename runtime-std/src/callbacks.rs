//! The user's callbacks, the items queued for them, and Kivy's routing of a
//! finished request to exactly one of them followed by `on_finish`.

use http::StatusCode;
use urlrequest_core::{ResultValue, Route};

use crate::error::Error;
use crate::url_request::UrlRequest;

/// Callback given the request and its result (`on_success`, `on_redirect`,
/// `on_failure`).
pub type ResultCallback = Box<dyn FnMut(&UrlRequest, &ResultValue) + Send>;
/// Callback given the request and the error (`on_error`).
pub type ErrorCallback = Box<dyn FnMut(&UrlRequest, &Error) + Send>;
/// Callback given the request, bytes received and the total when known
/// (`on_progress`).
pub type ProgressCallback = Box<dyn FnMut(&UrlRequest, u64, Option<u64>) + Send>;
/// Callback given only the request (`on_cancel`, `on_finish`).
pub type PlainCallback = Box<dyn FnMut(&UrlRequest) + Send>;

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
#[derive(Default)]
pub(crate) struct Callbacks {
    pub(crate) on_success: Option<ResultCallback>,
    pub(crate) on_redirect: Option<ResultCallback>,
    pub(crate) on_failure: Option<ResultCallback>,
    pub(crate) on_error: Option<ErrorCallback>,
    pub(crate) on_progress: Option<ProgressCallback>,
    pub(crate) on_cancel: Option<PlainCallback>,
    pub(crate) on_finish: Option<PlainCallback>,
}

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

impl Callbacks {
    /// Runs the callbacks for one item. Returns whether it was terminal.
    pub(crate) fn run(&mut self, req: &UrlRequest, item: Item) -> bool {
        match item {
            Item::Progress { received, total } => {
                if let Some(cb) = &mut self.on_progress {
                    cb(req, received, total);
                }
                return false;
            }
            Item::Done { status, result } => {
                // Kivy's routing by status class, shared with every runtime.
                let cb = match Route::for_status(status) {
                    Route::Success => &mut self.on_success,
                    Route::Redirect => &mut self.on_redirect,
                    _ => &mut self.on_failure,
                };
                if let Some(cb) = cb {
                    cb(req, &result);
                }
            }
            Item::Failed(error) => {
                let route = error.request_error().map_or(Route::Error, Route::for_error);
                if route == Route::Cancel {
                    if let Some(cb) = &mut self.on_cancel {
                        cb(req);
                    }
                } else if let Some(cb) = &mut self.on_error {
                    cb(req, &error);
                }
            }
        }
        if let Some(cb) = &mut self.on_finish {
            cb(req);
        }
        // Nothing is called after on_finish; dropping the closures now also
        // breaks reference cycles through handles they captured.
        *self = Callbacks::default();
        true
    }
}
