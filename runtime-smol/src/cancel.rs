//! Cancelling a request from elsewhere (a button, another task), so that it
//! ends with `Failure(Cancelled)` and its callbacks run. Dropping the future
//! or stream also stops a request, silently.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use event_listener::Event;

/// Cancels the request it was taken from. Cheap to clone; any thread.
#[derive(Clone, Debug, Default)]
pub struct CancelHandle {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    wake: Event,
}

impl CancelHandle {
    /// A handle that is not cancelled yet.
    pub fn new() -> CancelHandle {
        CancelHandle::default()
    }

    /// Cancels the request: its socket closes at once and it ends with
    /// `Failure(Cancelled)`. Cancelling twice, or after the end, does nothing.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        self.inner.wake.notify(usize::MAX);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Completes once cancelled.
    pub(crate) async fn cancelled(&self) {
        loop {
            if self.is_cancelled() {
                return;
            }
            // Listen before the second check so a cancel in between is seen.
            let listener = self.inner.wake.listen();
            if self.is_cancelled() {
                return;
            }
            listener.await;
        }
    }
}
