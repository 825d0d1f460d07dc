//! [`CancelHandle`]: stops a running request from any thread, at once.
//!
//! Setting a flag is not enough for a blocking driver: the worker may sit in
//! `read()` for as long as the server stays quiet. So the handle also keeps
//! a clone of the socket in use and shuts it down, which wakes the blocked
//! call immediately; the driver then sees the flag and reports `Cancelled`.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Cancels a request from any thread. Cloning gives another handle to the
/// same request.
///
/// ```
/// let handle = urlrequest_std::CancelHandle::new();
/// assert!(!handle.is_cancelled());
/// handle.cancel();
/// assert!(handle.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelHandle {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    socket: Mutex<Option<TcpStream>>,
}

impl CancelHandle {
    /// A handle that has not been cancelled.
    pub fn new() -> CancelHandle {
        CancelHandle::default()
    }

    /// Cancels: the request's socket is shut down now and the request ends
    /// with `Failure(Cancelled)`, unless it already finished.
    ///
    /// Blocked reads, writes and TLS handshakes return at once. Name
    /// resolution and a single TCP connect attempt cannot be interrupted
    /// with std sockets: a cancel during them takes effect as soon as they
    /// return (connects are bounded by the request's timeout).
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        if let Some(s) = self.socket().as_ref() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Remembers the socket the request now uses, so a cancel can shut it.
    /// A cancel that came before this call is caught by the caller checking
    /// [`is_cancelled`](Self::is_cancelled) afterwards.
    pub(crate) fn attach(&self, socket: &TcpStream) {
        // A handle nobody else holds can never be cancelled (options give
        // no access to theirs): skip the clone, two syscalls per request.
        if Arc::strong_count(&self.inner) == 1 {
            return;
        }
        *self.socket() = socket.try_clone().ok();
    }

    /// Forgets the socket (it is closed or back in the pool, where a late
    /// cancel must not touch it).
    pub(crate) fn detach(&self) {
        *self.socket() = None;
    }

    fn socket(&self) -> MutexGuard<'_, Option<TcpStream>> {
        // A panic while holding this lock cannot leave the Option invalid.
        self.inner
            .socket
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
