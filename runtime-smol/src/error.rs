//! [`Error`]: why a request of this runtime did not give a response. It is
//! the core's [`ClientError`](urlrequest_core::ClientError), the same type in
//! both runtimes, so handlers that look at errors move between them unchanged.

pub use urlrequest_core::ClientError as Error;
