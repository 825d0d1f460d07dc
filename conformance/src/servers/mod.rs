//! Real servers for interop tests and benchmarks: nginx, httpbin under
//! gunicorn and tinyproxy, each started on a free loopback port with a
//! configuration generated in a temporary directory of its own, and
//! stopped (with every worker) when dropped.
//!
//! A server that is not installed is an error naming what to install, never
//! a silent skip: the interop tests fail with that message.
//!
//! ```no_run
//! use urlrequest_conformance::servers::Nginx;
//! let nginx = Nginx::start()?;
//! nginx.put("hello.txt", b"hi")?;
//! println!("{}", nginx.url("/hello.txt"));
//! # Ok::<(), urlrequest_conformance::servers::ServerError>(())
//! ```

mod error;
mod httpbin;
mod nginx;
mod process;
mod shared;
mod tinyproxy;
mod tls_files;

pub use error::ServerError;
pub use httpbin::Httpbin;
pub use nginx::{AccessEntry, Nginx};
pub use process::{
    accepts, find_program, free_port, poll_until, probe_status, ServerProcess, TempDir,
    START_DEADLINE,
};
pub use shared::Shared;
pub use tinyproxy::Tinyproxy;
pub use tls_files::TlsFiles;

/// How many times a server start is retried with a new port when the
/// process exits at once (most likely another process took the port
/// between [`free_port`] and the server's bind).
const START_ATTEMPTS: usize = 3;

/// Runs `start` up to [`START_ATTEMPTS`] times while it fails with
/// [`ServerError::Exited`] and a log mentioning an address in use.
fn retry_start<T>(mut start: impl FnMut() -> Result<T, ServerError>) -> Result<T, ServerError> {
    let mut attempt = 1;
    loop {
        match start() {
            Err(ServerError::Exited { ref log, .. })
                if attempt < START_ATTEMPTS && log.contains("in use") =>
            {
                attempt += 1;
            }
            other => return other,
        }
    }
}
