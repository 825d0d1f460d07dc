//! Moving bytes on smol's building blocks: TCP over `async_io::Async`,
//! TLS with futures-rustls on top, `async_io::Timer` for deadlines and
//! smol's blocking pool for name lookups. This is all the shared async
//! client needs from this runtime ([`SmolNet`]).

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use async_io::{Async, Timer};
use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::client::TlsStream;
use futures_rustls::TlsConnector;
use rustls::ClientConfig;
use urlrequest_async::{Connection, Net};
use urlrequest_core::TransportError;

use urlrequest_async::Client;

/// The I/O of this runtime, as the shared async client uses it:
/// `async_io` sockets and timers, futures-rustls, smol's blocking pool.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmolNet;

/// One open connection: plain TCP, or TLS over TCP (directly or through a
/// proxy tunnel).
pub enum Conn {
    /// Plain TCP.
    Plain(Async<TcpStream>),
    /// TLS over TCP. Boxed: the rustls session is large and most pool
    /// entries in a plain-http workload never need it.
    Tls(Box<TlsStream<Async<TcpStream>>>),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Conn::Plain(_) => "Conn::Plain",
            Conn::Tls(_) => "Conn::Tls",
        })
    }
}

impl Net for SmolNet {
    type Conn = Conn;

    async fn connect(addr: SocketAddr) -> io::Result<Conn> {
        let tcp = Async::<TcpStream>::connect(addr).await?;
        // Requests are written whole and answered at once: waiting to
        // coalesce small segments only adds latency.
        let _ = tcp.get_ref().set_nodelay(true);
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
        Timer::at(at).await;
    }

    fn unblock<T: Send + 'static>(
        work: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = T> + Send {
        blocking::unblock(work)
    }

    fn shared_client() -> Client<Self> {
        static SHARED: OnceLock<Client<SmolNet>> = OnceLock::new();
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
