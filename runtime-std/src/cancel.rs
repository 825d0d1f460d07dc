//! Cancelling a blocking request at once: setting the shared handle's flag
//! is not enough, as the driver may sit in `read()` for as long as the
//! server stays quiet. So while a connection is open the handle carries a
//! hook that shuts that socket down, which wakes the blocked call
//! immediately; the driver then sees the flag and reports `Cancelled`.

use std::net::{Shutdown, TcpStream};

pub use urlrequest::CancelHandle;

/// Lets a cancel shut `socket` down from now on. A cancel that came before
/// is caught by the caller looking at `is_cancelled` afterwards.
pub(crate) fn attach(handle: &CancelHandle, socket: &TcpStream) {
    // A handle nobody else holds can never be cancelled from elsewhere:
    // skip the clone, two system calls per request.
    if !handle.is_shared() {
        return;
    }
    if let Ok(socket) = socket.try_clone() {
        handle.set_hook(Some(Box::new(move || {
            let _ = socket.shutdown(Shutdown::Both);
        })));
    }
}

/// Forgets the socket (it is closed or back in the pool, where a late
/// cancel must not touch it).
pub(crate) fn detach(handle: &CancelHandle) {
    handle.set_hook(None);
}
