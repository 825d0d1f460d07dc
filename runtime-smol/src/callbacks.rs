//! The callbacks of a [`UrlRequest`], with the std runtime's signatures,
//! and Kivy's routing of an outcome to exactly one of them followed by
//! `on_finish` (the routing itself is the core's [`Route`], shared by every
//! runtime).

use urlrequest_core::http::StatusCode;
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

/// How a request ended: the final status with its result, or why not.
pub(crate) type Outcome = Result<(StatusCode, ResultValue), Error>;

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

impl Callbacks {
    pub(crate) fn progress(&mut self, req: &UrlRequest, received: u64, total: Option<u64>) {
        if let Some(cb) = &mut self.on_progress {
            cb(req, received, total);
        }
    }

    /// Runs the callback the outcome is routed to, then `on_finish`. Takes
    /// `self` so that nothing can run after `on_finish`, and so that handles
    /// captured by the closures are dropped now.
    pub(crate) fn finish(mut self, req: &UrlRequest, outcome: &Outcome) {
        match outcome {
            Ok((status, result)) => {
                let cb = match Route::for_status(*status) {
                    Route::Success => &mut self.on_success,
                    Route::Redirect => &mut self.on_redirect,
                    _ => &mut self.on_failure,
                };
                if let Some(cb) = cb {
                    cb(req, result);
                }
            }
            Err(error) => {
                let route = error.request_error().map_or(Route::Error, Route::for_error);
                if route == Route::Cancel {
                    if let Some(cb) = &mut self.on_cancel {
                        cb(req);
                    }
                } else if let Some(cb) = &mut self.on_error {
                    cb(req, error);
                }
            }
        }
        if let Some(cb) = &mut self.on_finish {
            cb(req);
        }
    }
}
