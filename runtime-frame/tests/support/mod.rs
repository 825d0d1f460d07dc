//! A loopback HTTP server with no thread of its own: the test steps it
//! with [`LoopServer::serve`] between ticks, so the whole exchange runs on
//! the test's thread. Answers by path: `/big/N` sends N bytes of a known
//! pattern, `/json` a small JSON document, `/silent` nothing ever.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};

/// The byte at offset `i` of a `/big` body.
pub fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

struct Conn {
    stream: TcpStream,
    request: Vec<u8>,
    /// The answer being written and how far.
    out: Vec<u8>,
    sent: usize,
    /// Bytes of a `/big` body still to generate after `out`.
    body_left: usize,
    body_at: usize,
    closed: bool,
}

pub struct LoopServer {
    listener: TcpListener,
    conns: Vec<Conn>,
    /// Connections accepted so far.
    pub accepted: usize,
    /// Connections whose client closed (or reset) them.
    pub client_closed: usize,
}

impl LoopServer {
    pub fn start() -> LoopServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        LoopServer {
            listener,
            conns: Vec::new(),
            accepted: 0,
            client_closed: 0,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.listener.local_addr().unwrap())
    }

    /// Accepts, reads and writes whatever can be done without waiting.
    pub fn serve(&mut self) {
        while let Ok((stream, _)) = self.listener.accept() {
            stream.set_nonblocking(true).unwrap();
            self.accepted += 1;
            self.conns.push(Conn {
                stream,
                request: Vec::new(),
                out: Vec::new(),
                sent: 0,
                body_left: 0,
                body_at: 0,
                closed: false,
            });
        }
        for conn in &mut self.conns {
            if conn.step() {
                self.client_closed += 1;
            }
        }
        self.conns.retain(|c| !c.closed);
    }
}

impl Conn {
    /// Returns true when the client closed the connection in this step.
    fn step(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.closed = true;
                    return true;
                }
                Ok(n) => self.request.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => {
                    self.closed = true;
                    return true;
                }
            }
        }
        if self.out.len() == self.sent && self.body_left == 0 {
            if let Some(end) = find(&self.request, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.request[..end]).into_owned();
                self.request.drain(..end + 4);
                self.answer(&head);
            }
        }
        loop {
            if self.sent == self.out.len() {
                if self.body_left == 0 {
                    return false;
                }
                let n = self.body_left.min(64 * 1024);
                self.out = (self.body_at..self.body_at + n).map(pattern).collect();
                self.sent = 0;
                self.body_at += n;
                self.body_left -= n;
            }
            match self.stream.write(&self.out[self.sent..]) {
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                Err(_) => {
                    self.closed = true;
                    return true;
                }
            }
        }
    }

    fn answer(&mut self, head: &str) {
        let path = head.split(' ').nth(1).unwrap_or("/").to_string();
        self.sent = 0;
        self.body_at = 0;
        if let Some(n) = path.strip_prefix("/big/") {
            let n: usize = n.parse().unwrap();
            self.out = format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n").into_bytes();
            self.body_left = n;
        } else if path == "/json" {
            let body = r#"{"frame":true,"n":42}"#;
            self.out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes();
        } else if path == "/silent" {
            self.out.clear();
        } else {
            self.out = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec();
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Threads of this process.
pub fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}
