//! Cancelling a request from elsewhere (a button, another task), so that it
//! ends with `Failure(Cancelled)` and its callbacks run: the shared layer's
//! [`CancelHandle`], which the driver races against its I/O. Dropping the
//! future or stream also stops a request, silently.

pub use urlrequest::CancelHandle;
