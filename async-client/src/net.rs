//! What an async runtime supplies: [`Net`] (opening connections, TLS,
//! timers, blocking work) and [`Connection`] (moving bytes on one open
//! connection). Name resolution and trying each address in turn are
//! written here once, so every runtime reports them in the same words.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use rustls::ClientConfig;
use urlrequest::client::{is_ip_literal, resolve, Attempts};
use urlrequest_core::TransportError;

use crate::client::Client;

/// The I/O of one async runtime. Implemented on a marker type
/// (`urlrequest_smol::SmolNet`, `urlrequest_tokio::TokioNet`); every
/// method is an associated function, so the type carries no state.
///
/// Every future must be `Send`, so requests run on multi-threaded
/// executors too.
pub trait Net: Sized + Send + Sync + 'static {
    /// An open connection: plain TCP, or TLS over TCP.
    type Conn: Connection;

    /// Opens a TCP connection to `addr` (no TLS yet: the core asks for it
    /// with its next action).
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Conn>> + Send;

    /// Wraps the plain connection `conn` in TLS for `server_name`. Errors
    /// are worded with [`urlrequest_tls::describe_error`], as in every
    /// runtime.
    fn start_tls(
        conn: Self::Conn,
        config: Arc<ClientConfig>,
        server_name: &str,
    ) -> impl Future<Output = Result<Self::Conn, TransportError>> + Send;

    /// Completes at `at`.
    fn sleep_until(at: Instant) -> impl Future<Output = ()> + Send;

    /// Runs blocking `work` (a name lookup, reading a CA file) off the
    /// executor's threads and completes with its result.
    fn unblock<T: Send + 'static>(
        work: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = T> + Send;

    /// The process-wide client of this runtime (default settings), used by
    /// `UrlRequest`s that name no client. The runtime keeps it in a static
    /// of its own: a static in generic code would be one for all runtimes.
    fn shared_client() -> Client<Self>;
}

/// One open connection, as the driver uses it.
pub trait Connection: Send + Sync + 'static {
    /// Completes once a read would find bytes or end of stream, so a
    /// request waiting on a slow server does not hold the core's read
    /// buffer. A connection that may hold buffered bytes (TLS) is always
    /// ready.
    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send;

    /// Reads into `buf`; 0 is end of stream.
    fn read(&mut self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send;

    /// Writes some of `data` and flushes what TLS buffered, returning how
    /// much of `data` was taken.
    fn write(&mut self, data: &[u8]) -> impl Future<Output = io::Result<usize>> + Send;

    /// Whether this idle connection can serve a request polled from here.
    /// A runtime whose sockets belong to one executor instance (tokio's
    /// belong to the runtime that opened them) says no from another one,
    /// and the pool closes the connection instead of handing it out.
    fn usable_here(&self) -> bool {
        true
    }
}

/// Resolves `host` (IP literals without a lookup; names on the runtime's
/// blocking pool, because `getaddrinfo` blocks) and connects to each
/// address in turn, returning the first that accepts.
pub(crate) async fn open<N: Net>(host: &str, port: u16) -> Result<N::Conn, TransportError> {
    let addrs = if is_ip_literal(host) {
        resolve(host, port)?
    } else {
        let name = host.to_string();
        N::unblock(move || resolve(&name, port)).await?
    };
    let mut attempts = Attempts::new(host, port, addrs);
    while let Some(addr) = attempts.next_address() {
        match N::connect(addr).await {
            Ok(conn) => return Ok(conn),
            Err(e) => attempts.failed(addr, e),
        }
    }
    Err(attempts.error())
}
