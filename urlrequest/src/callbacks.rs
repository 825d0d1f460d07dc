//! The set of Kivy-style callbacks of one request, generic over the request
//! handle each runtime passes to them, and the one place that routes a
//! finished request to exactly one of them followed by `on_finish`. Runtimes
//! decide when and on which thread these run; what runs is decided here.

use http::StatusCode;

use crate::error::Error;
use crate::outcome::{ResultValue, Route};

/// Callback given the request and its result (`on_success`, `on_redirect`,
/// `on_failure`).
pub type ResultCallback<R> = Box<dyn FnMut(&R, &ResultValue) + Send>;
/// Callback given the request and the error (`on_error`).
pub type ErrorCallback<R> = Box<dyn FnMut(&R, &Error) + Send>;
/// Callback given the request, bytes received and the total when known
/// (`on_progress`).
pub type ProgressCallback<R> = Box<dyn FnMut(&R, u64, Option<u64>) + Send>;
/// Callback given only the request (`on_cancel`, `on_finish`).
pub type PlainCallback<R> = Box<dyn FnMut(&R) + Send>;

/// How a request ended: the final status with its result, or why not.
pub type Outcome = Result<(StatusCode, ResultValue), Error>;

/// The callbacks of one request; `R` is the handle they are given.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use urlrequest::{Callbacks, ResultValue};
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let (a, b) = (log.clone(), log.clone());
/// let mut cbs: Callbacks<&str> = Callbacks::default();
/// cbs.on_failure = Some(Box::new(move |req, _| a.lock().unwrap().push(format!("failure {req}"))));
/// cbs.on_finish = Some(Box::new(move |req| b.lock().unwrap().push(format!("finish {req}"))));
/// cbs.finish(&"r1", &Ok((urlrequest_core::http::StatusCode::NOT_FOUND, ResultValue::Bytes("no".into()))));
/// assert_eq!(*log.lock().unwrap(), ["failure r1", "finish r1"]);
/// ```
pub struct Callbacks<R> {
    /// 1xx/2xx responses.
    pub on_success: Option<ResultCallback<R>>,
    /// 3xx responses that were not followed.
    pub on_redirect: Option<ResultCallback<R>>,
    /// 4xx/5xx responses.
    pub on_failure: Option<ResultCallback<R>>,
    /// Requests that did not complete, cancellation aside.
    pub on_error: Option<ErrorCallback<R>>,
    /// Body progress.
    pub on_progress: Option<ProgressCallback<R>>,
    /// Cancelled requests.
    pub on_cancel: Option<PlainCallback<R>>,
    /// Last, exactly once, whatever the outcome.
    pub on_finish: Option<PlainCallback<R>>,
}

impl<R> Default for Callbacks<R> {
    fn default() -> Self {
        Callbacks {
            on_success: None,
            on_redirect: None,
            on_failure: None,
            on_error: None,
            on_progress: None,
            on_cancel: None,
            on_finish: None,
        }
    }
}

impl<R> Callbacks<R> {
    /// Runs `on_progress`.
    pub fn progress(&mut self, req: &R, received: u64, total: Option<u64>) {
        if let Some(cb) = &mut self.on_progress {
            cb(req, received, total);
        }
    }

    /// Runs the callback the outcome is routed to (by status class, or
    /// error versus cancel), then `on_finish`. Takes `self` so that nothing
    /// can run after `on_finish`, and so that handles captured by the
    /// closures are dropped now.
    pub fn finish(mut self, req: &R, outcome: &Outcome) {
        route(
            req,
            outcome,
            [
                self.on_success
                    .as_deref_mut()
                    .map(|f| f as &mut ResultFn<R>),
                self.on_redirect
                    .as_deref_mut()
                    .map(|f| f as &mut ResultFn<R>),
                self.on_failure
                    .as_deref_mut()
                    .map(|f| f as &mut ResultFn<R>),
            ],
            self.on_error.as_deref_mut().map(|f| f as &mut ErrorFn<R>),
            self.on_cancel.as_deref_mut().map(|f| f as &mut PlainFn<R>),
            self.on_finish.as_deref_mut().map(|f| f as &mut PlainFn<R>),
        );
    }
}

type ResultFn<R> = dyn FnMut(&R, &ResultValue);
type ErrorFn<R> = dyn FnMut(&R, &Error);
type PlainFn<R> = dyn FnMut(&R);

/// Kivy's routing, once for every set of callbacks: the outcome goes to
/// one of `results` (success, redirect, failure, by status class),
/// `error` or `cancel`, then `finish` runs.
pub(crate) fn route<R>(
    req: &R,
    outcome: &Outcome,
    results: [Option<&mut ResultFn<R>>; 3],
    error: Option<&mut ErrorFn<R>>,
    cancel: Option<&mut PlainFn<R>>,
    finish: Option<&mut PlainFn<R>>,
) {
    match outcome {
        Ok((status, result)) => {
            let [success, redirect, failure] = results;
            let cb = match Route::for_status(*status) {
                Route::Success => success,
                Route::Redirect => redirect,
                _ => failure,
            };
            if let Some(cb) = cb {
                cb(req, result);
            }
        }
        Err(e) => {
            let to = e.request_error().map_or(Route::Error, Route::for_error);
            if to == Route::Cancel {
                if let Some(cb) = cancel {
                    cb(req);
                }
            } else if let Some(cb) = error {
                cb(req, e);
            }
        }
    }
    if let Some(cb) = finish {
        cb(req);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn recording() -> (Callbacks<u8>, Arc<Mutex<Vec<&'static str>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut c = Callbacks::default();
        let l = log.clone();
        c.on_success = Some(Box::new(move |_, _| l.lock().unwrap().push("success")));
        let l = log.clone();
        c.on_redirect = Some(Box::new(move |_, _| l.lock().unwrap().push("redirect")));
        let l = log.clone();
        c.on_failure = Some(Box::new(move |_, _| l.lock().unwrap().push("failure")));
        let l = log.clone();
        c.on_error = Some(Box::new(move |_, _| l.lock().unwrap().push("error")));
        let l = log.clone();
        c.on_cancel = Some(Box::new(move |_| l.lock().unwrap().push("cancel")));
        let l = log.clone();
        c.on_finish = Some(Box::new(move |_| l.lock().unwrap().push("finish")));
        (c, log)
    }

    #[test]
    fn routes_then_finishes_once() {
        let cases: [(Outcome, &str); 5] = [
            (
                Ok((StatusCode::OK, ResultValue::Bytes("".into()))),
                "success",
            ),
            (
                Ok((StatusCode::FOUND, ResultValue::Bytes("".into()))),
                "redirect",
            ),
            (
                Ok((StatusCode::BAD_GATEWAY, ResultValue::Bytes("".into()))),
                "failure",
            ),
            (
                Err(Error::Request(urlrequest_core::Error::Cancelled)),
                "cancel",
            ),
            (
                Err(Error::Request(urlrequest_core::Error::Transport(
                    urlrequest_core::TransportError::Io("x".into()),
                ))),
                "error",
            ),
        ];
        for (outcome, expected) in cases {
            let (c, log) = recording();
            c.finish(&0, &outcome);
            assert_eq!(*log.lock().unwrap(), [expected, "finish"]);
        }
    }
}
