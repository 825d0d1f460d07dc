//! The in-process loopback server: keep-alive HTTP/1.1 with Content-Length,
//! one thread per connection, every body produced from memory; over plain
//! TCP, or over rustls with a certificate from the test CA.
//!
//! `GET /bytes/N` answers N bytes cut from one repeated pattern buffer, so a
//! 1 GiB body costs no 1 GiB allocation; `GET /small` answers 100 bytes.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// Size of the `/small` body.
pub const SMALL: usize = 100;
/// The pattern a large body is cut from, written in pieces of this size.
const PATTERN: usize = 256 * 1024;
/// Longest request head accepted.
const MAX_HEAD: usize = 16 * 1024;

/// A running server; it lives as long as the process (the accept thread
/// blocks in `accept`, and the process exits at the end of the report).
pub struct RustServer {
    addr: SocketAddr,
    tls: bool,
}

impl RustServer {
    /// Binds a free loopback port and starts accepting.
    pub fn start() -> io::Result<RustServer> {
        RustServer::start_with(None)
    }

    /// The same server speaking TLS with `config` on every connection.
    pub fn start_tls(config: Arc<ServerConfig>) -> io::Result<RustServer> {
        RustServer::start_with(Some(config))
    }

    fn start_with(tls: Option<Arc<ServerConfig>>) -> io::Result<RustServer> {
        let with_tls = tls.is_some();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let pattern: Arc<[u8]> = (0..PATTERN).map(|i| (i % 251) as u8).collect();
        std::thread::Builder::new()
            .name("bench-accept".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let pattern = pattern.clone();
                    let tls = tls.clone();
                    let _ =
                        std::thread::Builder::new()
                            .name("bench-conn".into())
                            .spawn(move || {
                                let _ = stream.set_nodelay(true);
                                match tls {
                                    None => serve(stream, &pattern),
                                    Some(config) => {
                                        if let Ok(conn) = ServerConnection::new(config) {
                                            serve(StreamOwned::new(conn, stream), &pattern);
                                        }
                                    }
                                }
                            });
                }
            })?;
        Ok(RustServer {
            addr,
            tls: with_tls,
        })
    }

    /// `http://127.0.0.1:PORT`, or `https://` for the TLS server.
    pub fn base(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Answers request heads on one connection until the client closes it.
fn serve(mut stream: impl Read + Write, pattern: &[u8]) {
    let mut small = format!("HTTP/1.1 200 OK\r\nContent-Length: {SMALL}\r\n\r\n").into_bytes();
    small.extend_from_slice(&[b's'; SMALL]);
    let mut buf = vec![0u8; MAX_HEAD];
    let mut have = 0;
    loop {
        while let Some(end) = head_end(&buf[..have]) {
            let sent = match body_size(&buf[..end]) {
                Some(None) => stream.write_all(&small),
                Some(Some(n)) => send_large(&mut stream, pattern, n),
                None => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
            };
            if sent.is_err() {
                return;
            }
            buf.copy_within(end..have, 0);
            have -= end;
        }
        if have == buf.len() {
            return;
        }
        match stream.read(&mut buf[have..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
    }
}

/// `Some(None)` for `/small`, `Some(Some(n))` for `/bytes/n`, `None` else.
fn body_size(head: &[u8]) -> Option<Option<u64>> {
    let line = head.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let (_method, path) = (parts.next()?, parts.next()?);
    if path == "/small" {
        return Some(None);
    }
    path.strip_prefix("/bytes/")?.parse().ok().map(Some)
}

fn send_large(stream: &mut impl Write, pattern: &[u8], n: u64) -> io::Result<()> {
    stream.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n").as_bytes())?;
    let mut left = n;
    while left > 0 {
        let piece = left.min(pattern.len() as u64) as usize;
        stream.write_all(&pattern[..piece])?;
        left -= piece as u64;
    }
    Ok(())
}

fn head_end(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}
