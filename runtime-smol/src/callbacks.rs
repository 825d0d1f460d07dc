//! The callbacks of a [`UrlRequest`], with the std runtime's signatures. The
//! set and Kivy's routing of an outcome to exactly one of them followed by
//! `on_finish` are the shared layer's [`Callbacks`](urlrequest::Callbacks),
//! shared by every runtime.

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

/// The set of callbacks of one request.
pub(crate) type Callbacks = urlrequest::Callbacks<UrlRequest>;

/// How a request ended: the final status with its result, or why not.
pub(crate) use urlrequest::Outcome;
