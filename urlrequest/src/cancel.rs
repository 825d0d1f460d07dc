//! [`CancelHandle`]: stops a running request from any thread or task, at
//! once, whatever runtime runs it.
//!
//! A flag alone would do for nothing that blocks: a blocking runtime may sit
//! in `read()` for as long as the server stays quiet, so it registers a
//! hook (shutting the socket down) that a cancel runs; an async runtime
//! waits on [`cancelled`](CancelHandle::cancelled) beside its I/O.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use event_listener::Event;

/// What a cancel does besides setting the flag (a blocking runtime shuts
/// its socket down with it).
pub type CancelHook = Box<dyn Fn() + Send + Sync>;

/// Cancels a request from any thread or task. Cloning gives another handle
/// to the same request.
///
/// ```
/// let handle = urlrequest::CancelHandle::new();
/// assert!(!handle.is_cancelled());
/// handle.cancel();
/// assert!(handle.is_cancelled());
/// ```
#[derive(Clone, Default)]
pub struct CancelHandle {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    wake: Event,
    hook: Mutex<Option<CancelHook>>,
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelHandle {
    /// A handle that has not been cancelled.
    pub fn new() -> CancelHandle {
        CancelHandle::default()
    }

    /// Cancels: the request's connection closes at once and the request
    /// ends with `Failure(Cancelled)`, unless it already finished.
    /// Cancelling twice, or after the end, does nothing more.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        self.inner.wake.notify(usize::MAX);
        if let Some(hook) = self.hook().as_ref() {
            hook();
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Completes once cancelled (for async runtimes, raced against I/O).
    pub async fn cancelled(&self) {
        loop {
            if self.is_cancelled() {
                return;
            }
            // Listen before the second look, so a cancel in between is seen.
            let listener = self.inner.wake.listen();
            if self.is_cancelled() {
                return;
            }
            listener.await;
        }
    }

    /// Sets (or with `None` clears) what a later cancel runs besides the
    /// flag. A runtime sets it when it opens a connection and clears it
    /// when the connection is closed or back in its pool, where a late
    /// cancel must not touch it. A cancel that came before the hook was set
    /// is caught by looking at [`is_cancelled`](Self::is_cancelled) after.
    pub fn set_hook(&self, hook: Option<CancelHook>) {
        *self.hook() = hook;
    }

    /// Whether another handle to this request exists (only then can a
    /// cancel come from elsewhere, and a hook be worth setting).
    pub fn is_shared(&self) -> bool {
        Arc::strong_count(&self.inner) > 1
    }

    fn hook(&self) -> MutexGuard<'_, Option<CancelHook>> {
        // A panic while holding this lock cannot leave the Option invalid.
        self.inner.hook.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn a_cancel_runs_the_hook_set_at_the_time() {
        let handle = CancelHandle::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        handle.set_hook(Some(Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        })));
        handle.set_hook(None);
        handle.cancel();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            0,
            "a cleared hook does not run"
        );
        let r = runs.clone();
        handle.set_hook(Some(Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        })));
        handle.clone().cancel();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(handle.is_cancelled());
    }

    #[test]
    fn cancelled_completes_once_cancelled() {
        let handle = CancelHandle::new();
        let other = handle.clone();
        assert!(handle.is_shared());
        let waiter = std::thread::spawn(move || futures_lite::future::block_on(other.cancelled()));
        handle.cancel();
        waiter.join().unwrap();
    }
}
