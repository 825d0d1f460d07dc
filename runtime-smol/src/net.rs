//! Moving bytes: name resolution on the blocking pool, TCP over
//! `async_io::Async`, and TLS with futures-rustls on top.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_io::Async;
use futures_lite::io::{AsyncRead, AsyncWrite};
use futures_rustls::client::TlsStream;
use futures_rustls::TlsConnector;
use rustls::ClientConfig;
use urlrequest_core::TransportError;

/// One open connection: plain TCP, or TLS over TCP (directly or through a
/// proxy tunnel).
pub(crate) enum Conn {
    /// Plain TCP.
    Plain(Async<TcpStream>),
    /// TLS over TCP. Boxed: the rustls session is large and most pool
    /// entries in a plain-http workload never need it.
    Tls(Box<TlsStream<Async<TcpStream>>>),
}

impl Conn {
    /// Wraps a plain connection in TLS for `server_name`.
    pub(crate) async fn start_tls(
        self,
        config: Arc<ClientConfig>,
        server_name: &str,
    ) -> Result<Conn, TransportError> {
        let tcp = match self {
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
}

impl Conn {
    /// Waits until a read would find bytes (or end of stream) on a plain
    /// connection, so the core's read buffer is only taken when data is
    /// there: a request waiting on a slow server holds no buffer. TLS may
    /// already hold decrypted bytes, so it is always ready.
    pub(crate) async fn readable(&self) -> io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.readable().await,
            Conn::Tls(_) => Ok(()),
        }
    }
}

/// rustls reports its errors wrapped in `io::Error`; show the inner one.
impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_close(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_close(cx),
        }
    }
}

/// Resolves `host` (IP literals without a lookup; names on the blocking
/// pool, because `getaddrinfo` blocks).
pub(crate) async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, TransportError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let name = host.to_string();
    let found = blocking::unblock(move || {
        (name.as_str(), port)
            .to_socket_addrs()
            .map(Iterator::collect::<Vec<_>>)
    })
    .await;
    match found {
        Ok(addrs) if !addrs.is_empty() => Ok(addrs),
        Ok(_) => Err(TransportError::unresolved(host, None)),
        Err(e) => Err(TransportError::unresolved(host, Some(&e))),
    }
}

/// Connects to each address in turn and returns the first that accepts.
pub(crate) async fn connect_any(
    host: &str,
    port: u16,
    addrs: &[SocketAddr],
) -> Result<Conn, TransportError> {
    let mut failures = Vec::new();
    for addr in addrs {
        match Async::<TcpStream>::connect(*addr).await {
            Ok(tcp) => {
                // Requests are written whole and answered at once: waiting
                // to coalesce small segments only adds latency.
                let _ = tcp.get_ref().set_nodelay(true);
                return Ok(Conn::Plain(tcp));
            }
            Err(e) => failures.push((*addr, e)),
        }
    }
    Err(TransportError::unreachable(host, port, &failures))
}
