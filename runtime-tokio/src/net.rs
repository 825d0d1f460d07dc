//! Moving bytes on tokio: `tokio::net::TcpStream`, tokio-rustls on top,
//! `tokio::time` for deadlines and tokio's blocking pool for name lookups
//! and CA files. This is all the shared async client needs from this
//! runtime ([`TokioNet`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rustls::ClientConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::{Handle, Id};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use urlrequest_async::{Connection, Net};
use urlrequest_core::TransportError;

use urlrequest_async::Client;

/// The I/O of this runtime, as the shared async client uses it: tokio
/// sockets and timers, tokio-rustls, tokio's blocking pool. Its futures
/// must run inside a tokio runtime (current-thread or multi-thread) with
/// I/O and time enabled.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioNet;

/// One open connection, and the tokio runtime whose reactor it is
/// registered with: it only works while polled from that runtime.
pub struct Conn {
    stream: Stream,
    runtime: Id,
}

/// Plain TCP, or TLS over TCP (directly or through a proxy tunnel).
enum Stream {
    Plain(TcpStream),
    /// Boxed: the rustls session is large and most pool entries in a
    /// plain-http workload never need it.
    Tls(Box<TlsStream<TcpStream>>),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.stream {
            Stream::Plain(_) => "plain",
            Stream::Tls(_) => "tls",
        };
        f.debug_struct("Conn")
            .field("stream", &kind)
            .field("runtime", &self.runtime)
            .finish()
    }
}

impl Net for TokioNet {
    type Conn = Conn;

    async fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let tcp = TcpStream::connect(addr).await?;
        // Requests are written whole and answered at once: waiting to
        // coalesce small segments only adds latency.
        let _ = tcp.set_nodelay(true);
        Ok(Conn {
            stream: Stream::Plain(tcp),
            runtime: Handle::current().id(),
        })
    }

    async fn start_tls(
        conn: Conn,
        config: Arc<ClientConfig>,
        server_name: &str,
    ) -> Result<Conn, TransportError> {
        let tcp = match conn.stream {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(_) => {
                return Err(TransportError::Tls(
                    "TLS requested on a connection that already runs TLS".into(),
                ))
            }
        };
        let name = urlrequest_tls::server_name(server_name).map_err(TransportError::Tls)?;
        let tls = TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| TransportError::Tls(urlrequest_tls::describe_error(server_name, &e)))?;
        Ok(Conn {
            stream: Stream::Tls(Box::new(tls)),
            runtime: conn.runtime,
        })
    }

    async fn sleep_until(at: Instant) {
        tokio::time::sleep_until(at.into()).await;
    }

    fn unblock<T: Send + 'static>(
        work: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = T> + Send {
        let task = tokio::task::spawn_blocking(work);
        async move {
            match task.await {
                Ok(value) => value,
                // The work panicked: let the panic go on in the caller.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
    }

    fn shared_client() -> Client<Self> {
        static SHARED: OnceLock<Client<TokioNet>> = OnceLock::new();
        SHARED.get_or_init(Client::new).clone()
    }
}

impl Connection for Conn {
    async fn readable(&self) -> io::Result<()> {
        match &self.stream {
            Stream::Plain(tcp) => tcp.readable().await,
            Stream::Tls(_) => Ok(()),
        }
    }

    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.stream {
            Stream::Plain(s) => s.read(buf).await,
            Stream::Tls(s) => s.read(buf).await,
        }
    }

    async fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match &mut self.stream {
            Stream::Plain(s) => s.write(data).await,
            Stream::Tls(s) => {
                let n = s.write(data).await?;
                s.flush().await?;
                Ok(n)
            }
        }
    }

    /// A connection opened under another tokio runtime (a shared client
    /// used from two `#[tokio::test]`s, say) is registered with that
    /// runtime's reactor, which may be gone: never reuse it from here.
    fn usable_here(&self) -> bool {
        Handle::try_current().is_ok_and(|h| h.id() == self.runtime)
    }
}
