//! [`Error`]: why a request of this runtime did not give a response. It is
//! the shared layer's [`Error`](urlrequest::Error), the same type in
//! both runtimes, so handlers that look at errors move between them unchanged.

pub use urlrequest::Error;
