//! A fault-injecting HTTP/1.1 proxy for soak tests: it sits between the
//! clients and a real origin (nginx), relays each request, reads the whole
//! response, and hands it back whole or broken in the way the request asked
//! for in its `X-Chaos` header.
//!
//! The client chooses the fault (from a seeded generator) and so knows what
//! outcome it implies; the proxy's own choices (where to cut, how to split)
//! come from a generator seeded per connection, so a run is repeatable.
//!
//! ```no_run
//! use urlrequest_conformance::chaos::{ChaosProxy, Fault};
//! let proxy = ChaosProxy::start("127.0.0.1:8080".parse().unwrap(), 7)?;
//! // A GET through `proxy.url("/files/a.bin")` with `X-Chaos: close-mid-body`
//! // ends in a truncated body.
//! assert_eq!(Fault::CloseMidBody.implied_failures(), ["truncated"]);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// The request header that names the fault to inject into its response.
pub const FAULT_HEADER: &str = "x-chaos";

/// What the proxy does to one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Relayed unchanged.
    Pass,
    /// Relayed unchanged, then the connection is closed: the client's pooled
    /// connection is stale when it next uses it.
    PassThenClose,
    /// Relayed in pieces: the head and the first KiB of the body one byte
    /// per write, the rest in pieces of up to 1,400 bytes.
    Pieces,
    /// Relayed after a pause of 1 to 50 ms.
    Delay,
    /// The connection is reset (RST) instead of answering.
    Reset,
    /// Part of the head, then the connection is closed.
    CloseMidHead,
    /// The head and part of the body, then the connection is closed.
    CloseMidBody,
    /// Re-framed as chunked (1,000-byte chunks), closed inside a chunk.
    CloseMidChunk,
    /// The head and half of the body, then nothing until the client leaves.
    Stall,
}

impl Fault {
    /// Every fault, in a fixed order.
    pub const ALL: [Fault; 9] = [
        Fault::Pass,
        Fault::PassThenClose,
        Fault::Pieces,
        Fault::Delay,
        Fault::Reset,
        Fault::CloseMidHead,
        Fault::CloseMidBody,
        Fault::CloseMidChunk,
        Fault::Stall,
    ];

    /// The name used in the header.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Pass => "pass",
            Fault::PassThenClose => "pass-then-close",
            Fault::Pieces => "pieces",
            Fault::Delay => "delay",
            Fault::Reset => "reset",
            Fault::CloseMidHead => "close-mid-head",
            Fault::CloseMidBody => "close-mid-body",
            Fault::CloseMidChunk => "close-mid-chunk",
            Fault::Stall => "stall",
        }
    }

    /// The fault named `name`.
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The failure kinds (as `Error::kind_name`) a client may report for a
    /// response broken this way; empty when it must complete. A reset can
    /// reach a client as a reset or, when it races the client's read, as
    /// an end of stream.
    pub fn implied_failures(self) -> &'static [&'static str] {
        match self {
            Fault::Pass | Fault::PassThenClose | Fault::Pieces | Fault::Delay => &[],
            Fault::Reset => &["io", "truncated"],
            Fault::CloseMidHead | Fault::CloseMidBody | Fault::CloseMidChunk => &["truncated"],
            Fault::Stall => &["timeout"],
        }
    }
}

/// A running chaos proxy; stops accepting when dropped.
pub struct ChaosProxy {
    addr: SocketAddr,
    accepted: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl ChaosProxy {
    /// Listens on a free loopback port and relays to `upstream`.
    pub fn start(upstream: SocketAddr, seed: u64) -> io::Result<ChaosProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopping) = (accepted.clone(), stop.clone());
        thread::Builder::new()
            .name("chaos-accept".into())
            .spawn(move || {
                for client in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(client) = client else { continue };
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    let conn_seed = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    // A connection that gets no thread is dropped (closed).
                    let _ = thread::Builder::new().spawn(move || {
                        let _ = relay(client, upstream, conn_seed);
                    });
                }
            })?;
        Ok(ChaosProxy {
            addr,
            accepted,
            stop,
        })
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Client connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// A chaos proxy in a child process (the `chaos_proxy` binary of this
/// crate), so that the process under test counts only its own threads,
/// descriptors and memory. The child ends when this value is dropped.
pub struct ProxyProcess {
    child: std::process::Child,
    addr: SocketAddr,
}

impl ProxyProcess {
    /// Starts `exe` (the `chaos_proxy` binary) relaying to `upstream`.
    pub fn spawn(
        exe: &std::path::Path,
        upstream: SocketAddr,
        seed: u64,
    ) -> io::Result<ProxyProcess> {
        use std::process::{Command, Stdio};
        let mut child = Command::new(exe)
            .arg(upstream.to_string())
            .arg(seed.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped");
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| io::Error::other(format!("chaos proxy said {line:?}")))?;
        Ok(ProxyProcess { child, addr })
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP message read whole: the head as received, and the body.
struct Message {
    head: Vec<u8>,
    body: Vec<u8>,
}

/// Relays requests on one client connection until it or the fault ends it.
fn relay(client: TcpStream, upstream: SocketAddr, seed: u64) -> io::Result<()> {
    let mut rng = fastrand::Rng::with_seed(seed);
    client.set_nodelay(true)?;
    let mut from_client = BufReader::new(client.try_clone()?);
    let mut to_client = client;
    let mut origin: Option<(TcpStream, BufReader<TcpStream>)> = None;
    loop {
        let Some(request) = read_message(&mut from_client, true)? else {
            return Ok(());
        };
        let fault = header(&request.head, FAULT_HEADER)
            .and_then(|v| Fault::from_name(v.trim()))
            .unwrap_or(Fault::Pass);
        let response = ask_origin(&mut origin, upstream, &request)?;
        let keep_going = answer(&mut to_client, &mut from_client, &response, fault, &mut rng)?;
        if !keep_going {
            return Ok(());
        }
    }
}

/// Sends `request` to the origin on the kept connection (opening one when
/// there is none, or when the kept one turns out closed) and reads the
/// response whole.
fn ask_origin(
    origin: &mut Option<(TcpStream, BufReader<TcpStream>)>,
    upstream: SocketAddr,
    request: &Message,
) -> io::Result<Message> {
    for _attempt in 0..2 {
        let (out, input) = match origin {
            Some(c) => c,
            None => {
                let s = TcpStream::connect(upstream)?;
                s.set_nodelay(true)?;
                let r = BufReader::new(s.try_clone()?);
                origin.insert((s, r))
            }
        };
        let sent = out
            .write_all(&request.head)
            .and_then(|()| out.write_all(&request.body));
        if sent.is_ok() {
            if let Some(response) = read_message(input, false)? {
                if header(&response.head, "connection").is_some_and(|v| v.contains("close")) {
                    *origin = None;
                }
                return Ok(response);
            }
        }
        // The origin closed its keep-alive connection: once more, fresh.
        *origin = None;
    }
    Err(io::Error::other(
        "the origin closed two connections in a row",
    ))
}

/// Answers with `response` broken as `fault` says; `false` when the
/// connection is finished.
fn answer(
    out: &mut TcpStream,
    input: &mut BufReader<TcpStream>,
    response: &Message,
    fault: Fault,
    rng: &mut fastrand::Rng,
) -> io::Result<bool> {
    let (head, body) = (&response.head[..], &response.body[..]);
    match fault {
        Fault::Pass => write_all(out, &[head, body])?,
        Fault::PassThenClose => {
            write_all(out, &[head, body])?;
            return close(out, input);
        }
        Fault::Pieces => {
            for &b in head.iter().chain(body.iter().take(1024)) {
                out.write_all(&[b])?;
            }
            let mut rest = body.get(1024..).unwrap_or_default();
            while !rest.is_empty() {
                let n = rng.usize(1..=1400).min(rest.len());
                out.write_all(&rest[..n])?;
                rest = &rest[n..];
            }
        }
        Fault::Delay => {
            thread::sleep(Duration::from_millis(rng.u64(1..=50)));
            write_all(out, &[head, body])?;
        }
        Fault::Reset => {
            rustix::net::sockopt::set_socket_linger(&*out, Some(Duration::ZERO))?;
            return Ok(false);
        }
        Fault::CloseMidHead => {
            out.write_all(&head[..rng.usize(1..head.len())])?;
            return close(out, input);
        }
        Fault::CloseMidBody => {
            let cut = if body.len() > 1 {
                rng.usize(1..body.len())
            } else {
                0
            };
            write_all(out, &[head, &body[..cut]])?;
            return close(out, input);
        }
        Fault::CloseMidChunk => {
            out.write_all(&chunked_head(head))?;
            let chunks: Vec<&[u8]> = body.chunks(1000).collect();
            let broken = rng.usize(0..chunks.len().max(1));
            for (i, chunk) in chunks.iter().enumerate() {
                if i == broken {
                    write!(out, "{:x}\r\n", chunk.len())?;
                    out.write_all(&chunk[..rng.usize(0..chunk.len())])?;
                    break;
                }
                write!(out, "{:x}\r\n", chunk.len())?;
                write_all(out, &[chunk, b"\r\n"])?;
            }
            if chunks.is_empty() {
                // No body to cut: a chunk that promises bytes never sent.
                out.write_all(b"10\r\nabc")?;
            }
            return close(out, input);
        }
        Fault::Stall => {
            write_all(out, &[head, &body[..body.len() / 2]])?;
            // Nothing more: wait for the client to give up and leave.
            let _ = io::copy(input, &mut io::sink());
            return Ok(false);
        }
    }
    Ok(true)
}

fn write_all(out: &mut TcpStream, parts: &[&[u8]]) -> io::Result<()> {
    let joined: Vec<u8> = parts.concat();
    out.write_all(&joined)
}

/// Ends the connection with a clean end of stream, reading what the client
/// still sends so the close is not turned into a reset.
fn close(out: &mut TcpStream, input: &mut BufReader<TcpStream>) -> io::Result<bool> {
    out.shutdown(Shutdown::Write)?;
    let _ = io::copy(input, &mut io::sink());
    Ok(false)
}

/// The response head with `Content-Length` replaced by chunked framing.
fn chunked_head(head: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if !line.to_ascii_lowercase().starts_with("content-length:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Transfer-Encoding: chunked\r\n\r\n");
    out.into_bytes()
}

/// The first value of `name` in a raw head.
fn header<'a>(head: &'a [u8], name: &str) -> Option<&'a str> {
    std::str::from_utf8(head)
        .ok()?
        .split("\r\n")
        .find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
}

/// Reads one message framed by `Content-Length` (none: no body); `None` at
/// a clean end of stream before its first byte. The origin here sends no
/// chunked bodies.
fn read_message(input: &mut BufReader<TcpStream>, request: bool) -> io::Result<Option<Message>> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = input.read_until(b'\n', &mut head)?;
        if n == 0 {
            return if before == 0 {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        if request && head == b"\r\n" {
            // An empty line before a request is ignored (RFC 9112, 2.2).
            head.clear();
            continue;
        }
        if head.ends_with(b"\r\n\r\n") {
            break;
        }
        if head.len() > 64 * 1024 {
            return Err(io::Error::other("head too large"));
        }
    }
    if header(&head, "transfer-encoding").is_some() {
        return Err(io::Error::other("chunked messages are not relayed"));
    }
    let length: usize = header(&head, "content-length")
        .map(|v| {
            v.parse()
                .map_err(|_| io::Error::other("bad Content-Length"))
        })
        .transpose()?
        .unwrap_or(0);
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Some(Message { head, body }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_names_round_trip() {
        for f in Fault::ALL {
            assert_eq!(Fault::from_name(f.name()), Some(f));
        }
        assert_eq!(Fault::from_name("nonsense"), None);
    }

    #[test]
    fn chunked_head_drops_the_length() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\n";
        assert_eq!(
            chunked_head(head),
            b"HTTP/1.1 200 OK\r\nServer: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
    }

    #[test]
    fn header_lookup_ignores_case() {
        let head = b"GET / HTTP/1.1\r\nX-Chaos: stall\r\n\r\n";
        assert_eq!(header(head, FAULT_HEADER), Some("stall"));
        assert_eq!(header(head, "host"), None);
    }
}
