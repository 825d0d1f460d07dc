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
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use urlrequest_async::{Connection, Net};
use urlrequest_core::TransportError;

use crate::Client;

/// The I/O of this runtime, as the shared async client uses it: tokio
/// sockets and timers, tokio-rustls, tokio's blocking pool. Its futures
/// must run inside a tokio runtime (current-thread or multi-thread) with
/// I/O and time enabled.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioNet;

/// One open connection: plain TCP, or TLS over TCP (directly or through a
/// proxy tunnel).
pub enum Conn {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP. Boxed: the rustls session is large and most pool
    /// entries in a plain-http workload never need it.
    Tls(Box<TlsStream<TcpStream>>),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Conn::Plain(_) => "Conn::Plain",
            Conn::Tls(_) => "Conn::Tls",
        })
    }
}

impl Net for TokioNet {
    type Conn = Conn;

    async fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let tcp = TcpStream::connect(addr).await?;
        // Requests are written whole and answered at once: waiting to
        // coalesce small segments only adds latency.
        let _ = tcp.set_nodelay(true);
        Ok(Conn::Plain(tcp))
    }

    async fn start_tls(
        conn: Conn,
        config: Arc<ClientConfig>,
        server_name: &str,
    ) -> Result<Conn, TransportError> {
        let tcp = match conn {
            Conn::Plain(tcp) => tcp,
            Conn::Tls(_) => {
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
        Ok(Conn::Tls(Box::new(tls)))
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

    fn shared_client() -> Client {
        static SHARED: OnceLock<Client> = OnceLock::new();
        SHARED.get_or_init(Client::new).clone()
    }
}

impl Connection for Conn {
    async fn readable(&self) -> io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.readable().await,
            Conn::Tls(_) => Ok(()),
        }
    }

    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf).await,
            Conn::Tls(s) => s.read(buf).await,
        }
    }

    async fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(data).await,
            Conn::Tls(s) => {
                let n = s.write(data).await?;
                s.flush().await?;
                Ok(n)
            }
        }
    }
}
