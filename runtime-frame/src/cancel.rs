//! Cancelling at once: a request's [`CancelHandle`] carries, while its
//! socket is open, a hook that shuts the socket down, so the connection
//! closes the moment `cancel()` is called (from a callback, the host's
//! code between frames, or another thread), not at the next tick. The next
//! tick then sees the flag and ends the request with `Failure(Cancelled)`.

use std::net::{Shutdown, TcpStream};

use urlrequest::CancelHandle;

/// Lets a cancel shut `socket` down from now on.
pub(crate) fn attach(handle: &CancelHandle, socket: &TcpStream) {
    // A handle nobody else holds can never be cancelled from elsewhere.
    if !handle.is_shared() {
        return;
    }
    if let Ok(socket) = socket.try_clone() {
        handle.set_hook(Some(Box::new(move || {
            let _ = socket.shutdown(Shutdown::Both);
        })));
    }
}

/// Forgets the socket (closed, or back in the pool where a late cancel
/// must not touch it).
pub(crate) fn detach(handle: &CancelHandle) {
    handle.set_hook(None);
}
