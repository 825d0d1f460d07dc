//! Blocking sockets for the driver: resolving and connecting with a
//! deadline (every address in order), the optional TLS layer, and reads and
//! writes bounded by the core's deadline.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ClientConfig, ClientConnection, StreamOwned};

use urlrequest::client::{resolve, Attempts, PooledConnection};
use urlrequest::{CancelHandle, CancelHook};
use urlrequest_core::TransportError;
use urlrequest_tls::{describe_error, server_name};

/// Why opening a connection failed.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// Resolving, connecting or the TLS handshake failed.
    Transport(TransportError),
    /// The deadline passed first.
    TimedOut,
    /// The request was cancelled meanwhile.
    Cancelled,
}

impl OpenError {
    pub(crate) fn tls(message: String) -> OpenError {
        OpenError::Transport(TransportError::Tls(message))
    }
}

/// An open connection: plain TCP or TLS over TCP, and the socket timeouts
/// last set on it.
pub(crate) struct Connection {
    stream: Stream,
    /// `Some(t)`: the socket's read timeout is known to be `t`, so setting
    /// it again is skipped (one syscall per read saved when it does not
    /// change, as with no deadline).
    read_timeout: Option<Option<Duration>>,
    write_timeout: Option<Option<Duration>>,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.stream {
            Stream::Plain(_) => "plain",
            Stream::Tls(_) => "tls",
        };
        write!(
            f,
            "Connection({kind}, peer {:?})",
            self.tcp().peer_addr().ok()
        )
    }
}

/// How long a blocking call may wait before the deadline: `Ok(None)` means
/// no deadline, `Err(())` that it has passed.
fn remaining(deadline: Option<Instant>) -> Result<Option<Duration>, ()> {
    match deadline {
        None => Ok(None),
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                Err(())
            } else {
                // Socket timeouts of zero mean "forever"; never pass one.
                Ok(Some(left.max(Duration::from_millis(1))))
            }
        }
    }
}

/// Whether an I/O error is a socket timeout firing.
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Resolves `host` and connects to each address in turn until one accepts.
pub(crate) fn connect(
    host: &str,
    port: u16,
    deadline: Option<Instant>,
    cancel: &CancelHandle,
) -> Result<TcpStream, OpenError> {
    let addrs = resolve(host, port).map_err(OpenError::Transport)?;
    let mut attempts = Attempts::new(host, port, addrs);
    while let Some(addr) = attempts.next_address() {
        if cancel.is_cancelled() {
            return Err(OpenError::Cancelled);
        }
        let attempt = match remaining(deadline) {
            Err(()) => return Err(OpenError::TimedOut),
            Ok(None) => TcpStream::connect(addr),
            Ok(Some(left)) => TcpStream::connect_timeout(&addr, left),
        };
        match attempt {
            Ok(stream) => {
                // Requests are written in one or two pieces; waiting for
                // more data to coalesce only adds latency.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) if is_timeout(&e) && remaining(deadline).is_err() => {
                return Err(OpenError::TimedOut)
            }
            Err(e) => attempts.failed(addr, e),
        }
    }
    Err(OpenError::Transport(attempts.error()))
}

impl Connection {
    /// A plain TCP connection.
    pub(crate) fn plain(tcp: TcpStream) -> Connection {
        Connection {
            stream: Stream::Plain(tcp),
            read_timeout: None,
            write_timeout: None,
        }
    }

    /// The TCP socket underneath.
    pub(crate) fn tcp(&self) -> &TcpStream {
        match &self.stream {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
        }
    }

    /// Runs the TLS handshake for `host` over this (plain) connection.
    pub(crate) fn start_tls(
        self,
        config: Arc<ClientConfig>,
        host: &str,
        deadline: Option<Instant>,
    ) -> Result<Connection, OpenError> {
        let mut tcp = match self.stream {
            Stream::Plain(s) => s,
            Stream::Tls(_) => {
                return Err(OpenError::tls(format!(
                    "TLS to {host} requested on a connection that already uses TLS"
                )))
            }
        };
        let name = server_name(host).map_err(OpenError::tls)?;
        let mut conn = ClientConnection::new(config, name)
            .map_err(|e| OpenError::tls(format!("TLS setup for {host} failed: {e}")))?;
        while conn.is_handshaking() {
            let left = remaining(deadline).map_err(|()| OpenError::TimedOut)?;
            set_timeouts(&tcp, left).map_err(|e| OpenError::tls(e.to_string()))?;
            match conn.complete_io(&mut tcp) {
                Ok((0, 0)) if conn.is_handshaking() => {
                    let closed = io::Error::from(io::ErrorKind::UnexpectedEof);
                    return Err(OpenError::tls(describe_error(host, &closed)));
                }
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {
                    if remaining(deadline).is_err() {
                        return Err(OpenError::TimedOut);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(OpenError::tls(describe_error(host, &e))),
            }
        }
        // The handshake changed the socket timeouts: nothing is known now.
        Ok(Connection {
            stream: Stream::Tls(Box::new(StreamOwned::new(conn, tcp))),
            read_timeout: None,
            write_timeout: None,
        })
    }

    /// Reads, waiting no later than `deadline`. TLS end of stream without
    /// `close_notify` counts as end of stream: HTTP framing (checked by the
    /// core) is what detects a cut-off body.
    pub(crate) fn read(&mut self, buf: &mut [u8], deadline: Option<Instant>) -> io::Result<usize> {
        let left = remaining(deadline)
            .map_err(|()| io::Error::new(io::ErrorKind::TimedOut, "deadline passed"))?;
        if self.read_timeout != Some(left) {
            self.tcp().set_read_timeout(left)?;
            self.read_timeout = Some(left);
        }
        let r = match &mut self.stream {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        };
        match r {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
            other => other,
        }
    }

    /// Writes some of `data`, waiting no later than `deadline`. For TLS the
    /// encrypted records are flushed before returning.
    pub(crate) fn write(&mut self, data: &[u8], deadline: Option<Instant>) -> io::Result<usize> {
        let left = remaining(deadline)
            .map_err(|()| io::Error::new(io::ErrorKind::TimedOut, "deadline passed"))?;
        if self.write_timeout != Some(left) {
            self.tcp().set_write_timeout(left)?;
            self.write_timeout = Some(left);
        }
        match &mut self.stream {
            Stream::Plain(s) => s.write(data),
            Stream::Tls(s) => {
                let n = s.write(data)?;
                s.flush()?;
                Ok(n)
            }
        }
    }

    /// Whether an idle connection still looks usable: the peer has not
    /// closed it and sent nothing unasked.
    pub(crate) fn looks_alive(&self) -> bool {
        let tcp = self.tcp();
        if tcp.set_nonblocking(true).is_err() {
            return false;
        }
        let mut probe = [0u8; 1];
        let alive = matches!(tcp.peek(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        tcp.set_nonblocking(false).is_ok() && alive
    }
}

fn set_timeouts(tcp: &TcpStream, left: Option<Duration>) -> io::Result<()> {
    tcp.set_read_timeout(left)?;
    tcp.set_write_timeout(left)
}

impl PooledConnection for Connection {
    fn is_reusable(&self) -> bool {
        self.looks_alive()
    }

    /// Shutting the socket down wakes a read or write blocked on it at
    /// once; the driver then sees the cancel.
    fn shutdown_hook(&self) -> Option<CancelHook> {
        urlrequest::client::shutdown_hook(self.tcp())
    }
}
