//! Sockets that never wait: a TCP connect that starts now and is asked
//! later whether it finished (each address in turn), a TLS handshake
//! stepped by rustls over the non-blocking socket (`read_tls`/`write_tls`
//! until `WouldBlock`), and an open connection whose reads and writes say
//! `WouldBlock` instead of blocking.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use rustix::net::{AddressFamily, SocketType};
use rustls::{ClientConfig, ClientConnection};
use urlrequest::client::{resolve, Attempts};
use urlrequest_core::TransportError;
use urlrequest_tls::{describe_error, server_name};

/// What a step that could not finish waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interest {
    /// The socket has bytes to read (or the peer closed).
    Read,
    /// The socket can take bytes (or a connect finished).
    Write,
}

/// The result of one step of a connect or handshake.
pub(crate) enum Step<T> {
    /// Done.
    Ready(T),
    /// Not yet: try again once the socket is ready for this.
    Blocked(Interest),
    /// Failed, worded as every runtime words it.
    Failed(TransportError),
}

/// A TCP connect under way: the addresses left to try and what the tried
/// ones said.
pub(crate) struct Connecting {
    attempts: Attempts,
    /// The attempt under way: its address and socket.
    current: Option<(SocketAddr, TcpStream)>,
}

impl Connecting {
    /// Resolves `host` and starts connecting to its first address. Names
    /// go to the system resolver, which blocks while it works; an IP
    /// literal (or a name in `/etc/hosts`) answers at once.
    pub(crate) fn start(host: &str, port: u16) -> Result<Connecting, TransportError> {
        let addrs = resolve(host, port)?;
        Ok(Connecting {
            attempts: Attempts::new(host, port, addrs),
            current: None,
        })
    }

    /// The socket of the attempt under way, for waiting on it.
    pub(crate) fn socket(&self) -> Option<&TcpStream> {
        self.current.as_ref().map(|(_, s)| s)
    }

    /// Moves the connect on: the connected socket, `Blocked(Write)` while
    /// the attempt is under way, or every address's failure.
    pub(crate) fn poll(&mut self) -> Step<TcpStream> {
        loop {
            let Some((addr, socket)) = &self.current else {
                let Some(addr) = self.attempts.next_address() else {
                    return Step::Failed(self.attempts.error());
                };
                match begin(addr) {
                    Ok(socket) => self.current = Some((addr, socket)),
                    Err(e) => self.attempts.failed(addr, e),
                }
                continue;
            };
            // A failed attempt leaves its error on the socket; a finished
            // one has a peer; one under way has neither.
            let outcome = match socket.take_error() {
                Ok(Some(e)) | Err(e) => Err(e),
                Ok(None) => match socket.peer_addr() {
                    Ok(_) => Ok(true),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
                    Err(e) => Err(e),
                },
            };
            match outcome {
                Ok(false) => return Step::Blocked(Interest::Write),
                Ok(true) => {
                    let (_, socket) = self.current.take().expect("checked above");
                    // Requests go out in one or two pieces; waiting to
                    // coalesce them only adds latency.
                    let _ = socket.set_nodelay(true);
                    return Step::Ready(socket);
                }
                Err(e) => {
                    let addr = *addr;
                    self.current = None;
                    self.attempts.failed(addr, e);
                }
            }
        }
    }
}

/// Opens a non-blocking socket and starts connecting it to `addr`.
fn begin(addr: SocketAddr) -> io::Result<TcpStream> {
    let family = if addr.is_ipv4() {
        AddressFamily::INET
    } else {
        AddressFamily::INET6
    };
    let socket = TcpStream::from(rustix::net::socket(family, SocketType::STREAM, None)?);
    socket.set_nonblocking(true)?;
    match rustix::net::connect(&socket, &addr) {
        // Under way (the usual case), or interrupted, which POSIX says
        // goes on in the background all the same.
        Ok(()) | Err(rustix::io::Errno::INPROGRESS) | Err(rustix::io::Errno::INTR) => Ok(socket),
        Err(e) => Err(e.into()),
    }
}

/// A TLS handshake under way over a connected socket.
pub(crate) struct Handshake {
    tls: ClientConnection,
    tcp: TcpStream,
    host: String,
}

impl Handshake {
    /// Starts TLS for `host` on `tcp`; nothing is sent until [`poll`](Self::poll).
    pub(crate) fn start(
        tcp: TcpStream,
        config: Arc<ClientConfig>,
        host: &str,
    ) -> Result<Handshake, TransportError> {
        let name = server_name(host).map_err(TransportError::Tls)?;
        let tls = ClientConnection::new(config, name)
            .map_err(|e| TransportError::Tls(format!("TLS setup for {host} failed: {e}")))?;
        Ok(Handshake {
            tls,
            tcp,
            host: host.to_string(),
        })
    }

    /// The socket underneath, for waiting on it.
    pub(crate) fn socket(&self) -> &TcpStream {
        &self.tcp
    }

    /// Moves the handshake on as far as the socket allows.
    pub(crate) fn poll(&mut self) -> Step<()> {
        let failed =
            |host: &str, e: &io::Error| Step::Failed(TransportError::Tls(describe_error(host, e)));
        loop {
            while self.tls.wants_write() {
                match self.tls.write_tls(&mut self.tcp) {
                    Ok(0) => return failed(&self.host, &io::ErrorKind::WriteZero.into()),
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        return Step::Blocked(Interest::Write)
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return failed(&self.host, &e),
                }
            }
            if !self.tls.is_handshaking() {
                return Step::Ready(());
            }
            match self.tls.read_tls(&mut self.tcp) {
                Ok(0) => return failed(&self.host, &io::ErrorKind::UnexpectedEof.into()),
                Ok(_) => {
                    if let Err(e) = self.tls.process_new_packets() {
                        // The alert saying why, if the socket takes it.
                        let _ = self.tls.write_tls(&mut self.tcp);
                        return failed(&self.host, &io::Error::new(io::ErrorKind::InvalidData, e));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Step::Blocked(Interest::Read)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return failed(&self.host, &e),
            }
        }
    }

    /// The connection, once [`poll`](Self::poll) said `Ready`.
    pub(crate) fn into_conn(self) -> Conn {
        Conn::Tls(Box::new(TlsConn {
            tls: self.tls,
            tcp: self.tcp,
        }))
    }
}

/// An open connection, plain or TLS, on a non-blocking socket.
pub(crate) enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsConn>),
}

/// TLS over TCP, both sides buffered by rustls.
pub(crate) struct TlsConn {
    tls: ClientConnection,
    tcp: TcpStream,
}

impl Conn {
    /// The TCP socket underneath.
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(t) => &t.tcp,
        }
    }

    /// Reads what is there into `buf`: `Ok(0)` at end of stream (for TLS
    /// also a peer that closes without `close_notify`: the core's framing
    /// decides whether the body was complete), `WouldBlock` when nothing
    /// is there yet.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(t) => t.read(buf),
        }
    }

    /// Writes some of `data`. For TLS the plaintext is taken by rustls
    /// and as many records as the socket accepts are sent; the rest goes
    /// out with [`flush`](Self::flush).
    pub(crate) fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(data),
            Conn::Tls(t) => {
                t.flush()?;
                let n = t.tls.writer().write(data)?;
                match t.flush() {
                    Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(e),
                    _ => Ok(n),
                }
            }
        }
    }

    /// Sends TLS records still buffered (`WouldBlock` if some remain).
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(_) => Ok(()),
            Conn::Tls(t) => t.flush(),
        }
    }

    /// Whether an idle connection still looks usable: the peer has not
    /// closed it and sent nothing unasked.
    pub(crate) fn looks_alive(&self) -> bool {
        let mut probe = [0u8; 1];
        matches!(self.tcp().peek(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

impl TlsConn {
    fn flush(&mut self) -> io::Result<()> {
        while self.tls.wants_write() {
            if self.tls.write_tls(&mut self.tcp)? == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.tls.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(e),
            }
            // Nothing decrypted is waiting: read records from the socket
            // (WouldBlock when it has none).
            self.tls.read_tls(&mut self.tcp)?;
            if let Err(e) = self.tls.process_new_packets() {
                let _ = self.tls.write_tls(&mut self.tcp);
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
    }
}

impl urlrequest::client::PooledConnection for Conn {
    fn is_reusable(&self) -> bool {
        self.looks_alive()
    }

    /// Shutting the socket down closes the connection the moment a cancel
    /// is called, not at the next tick.
    fn shutdown_hook(&self) -> Option<urlrequest::CancelHook> {
        urlrequest::client::shutdown_hook(self.tcp())
    }
}
