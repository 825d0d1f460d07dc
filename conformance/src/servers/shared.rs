//! [`Shared`]: one server for every test of a binary that runs at the same
//! time, stopped when the last of them lets go.

use std::sync::{Arc, Mutex, Weak};

use super::ServerError;

/// A lazily started server shared by concurrent users.
///
/// A `static` holding the server itself would never be dropped (statics
/// are not), leaving the process running after the tests; a weak slot
/// instead hands out `Arc`s and the server stops when the last one drops.
/// Users that come later start a fresh one.
///
/// ```no_run
/// use urlrequest_conformance::servers::{Httpbin, Shared};
/// static HTTPBIN: Shared<Httpbin> = Shared::new();
/// let server = HTTPBIN.get(Httpbin::start)?;
/// println!("{}", server.url("/get"));
/// # Ok::<(), urlrequest_conformance::servers::ServerError>(())
/// ```
pub struct Shared<T> {
    slot: Mutex<Weak<T>>,
}

impl<T> Shared<T> {
    /// An empty slot, usable in a `static`.
    pub const fn new() -> Shared<T> {
        Shared {
            slot: Mutex::new(Weak::new()),
        }
    }

    /// The running server, or a new one from `start`. The lock is held
    /// while starting so concurrent callers share one start.
    pub fn get(
        &self,
        start: impl FnOnce() -> Result<T, ServerError>,
    ) -> Result<Arc<T>, ServerError> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(server) = slot.upgrade() {
            return Ok(server);
        }
        let server = Arc::new(start()?);
        *slot = Arc::downgrade(&server);
        Ok(server)
    }
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared::new()
    }
}
