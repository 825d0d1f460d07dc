//! A scripted server's side of one connection: plain TCP, or TLS over it
//! (from the start on `{tls-origin}`, or after a CONNECT the script
//! accepted, when the scripted server plays the proxy and the origin).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// One accepted connection.
pub(crate) enum ServerStream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl ServerStream {
    /// Wraps a plain connection in TLS (the handshake happens on first use).
    pub(crate) fn start_tls(self, config: Arc<ServerConfig>) -> io::Result<ServerStream> {
        match self {
            ServerStream::Plain(tcp) => {
                let conn = ServerConnection::new(config).map_err(io::Error::other)?;
                Ok(ServerStream::Tls(Box::new(StreamOwned::new(conn, tcp))))
            }
            tls => Ok(tls),
        }
    }

    /// Starts TLS on this connection in place (after a CONNECT).
    pub(crate) fn upgrade(&mut self, config: Arc<ServerConfig>) -> io::Result<()> {
        let tcp = self.tcp().try_clone()?;
        let plain = std::mem::replace(self, ServerStream::Plain(tcp));
        *self = plain.start_tls(config)?;
        Ok(())
    }

    fn tcp(&self) -> &TcpStream {
        match self {
            ServerStream::Plain(s) => s,
            ServerStream::Tls(s) => &s.sock,
        }
    }

    /// Sends FIN (after a TLS close_notify) but keeps reading until the
    /// client closes: closing a socket with unread input would send RST, and
    /// the client could then lose bytes already sent or see "connection
    /// reset" instead of end of stream.
    pub(crate) fn close_gracefully(&mut self) {
        if let ServerStream::Tls(s) = self {
            s.conn.send_close_notify();
            let _ = s.flush();
        }
        let _ = self.tcp().shutdown(Shutdown::Write);
        self.drain();
    }

    /// Reads and discards until the client closes (or the read times out).
    pub(crate) fn drain(&mut self) {
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.read(&mut buf) {
            if n == 0 {
                return;
            }
        }
    }

    /// Cuts the connection both ways.
    pub(crate) fn shutdown(&self) {
        let _ = self.tcp().shutdown(Shutdown::Both);
    }
}

impl Read for ServerStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ServerStream::Plain(s) => s.read(buf),
            ServerStream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for ServerStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            ServerStream::Plain(s) => s.write(buf),
            ServerStream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            ServerStream::Plain(s) => s.flush(),
            ServerStream::Tls(s) => s.flush(),
        }
    }
}
