//! A small HTTP/1.1 test server for any runtime's tests: a handler per
//! request (it writes the answer and says whether to keep the connection),
//! keep-alive, plain or TLS, every request recorded and every accepted
//! connection counted.
//!
//! ```
//! use urlrequest_conformance::test_server::{respond, serve};
//! let server = serve(|req, w| {
//!     respond(w, "200 OK", &[("X-Path", &req.target)], b"hi")?;
//!     Ok(true)
//! });
//! assert!(server.url("/x").starts_with("http://127.0.0.1:"));
//! ```

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// A request as the test server saw it.
#[derive(Debug, Clone, Default)]
pub struct Req {
    /// The method.
    pub method: String,
    /// The request target as sent.
    pub target: String,
    /// Names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (by `Content-Length`).
    pub body: Vec<u8>,
}

impl Req {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one request head and its `Content-Length` body. `None` at a clean EOF.
pub fn read_request(r: &mut impl BufRead) -> io::Result<Option<Req>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let mut req = Req {
        method: parts.next().unwrap_or_default().to_string(),
        target: parts.next().unwrap_or_default().to_string(),
        ..Req::default()
    };
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "eof in head"));
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            req.headers
                .push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = req
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    req.body = vec![0; len];
    r.read_exact(&mut req.body)?;
    Ok(Some(req))
}

/// Writes a response with a `Content-Length`.
pub fn respond(
    w: &mut dyn Write,
    status: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(body)?;
    w.flush()
}

/// What a handler wants after answering: keep the connection or close it.
pub type Handler = dyn Fn(&Req, &mut dyn Write) -> io::Result<bool> + Send + Sync;

/// A running test server.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    /// Connections accepted and not yet closed by this server.
    open: Arc<AtomicUsize>,
    /// Every request received, in order.
    pub requests: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Connections accepted whose handling has not ended yet (the server
    /// closes its end when the client closes or the handler says so).
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Waits until every accepted connection is closed on the server's
    /// side, at most `limit`; whether they all were.
    pub fn wait_all_closed(&self, limit: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        while self.open_connections() > 0 {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            thread::yield_now();
        }
        true
    }

    /// `http://ADDR` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `https://HOST:PORT` followed by `path`.
    pub fn https_url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.addr.port())
    }
}

/// A plain HTTP server on 127.0.0.1.
pub fn serve<H>(handler: H) -> Server
where
    H: Fn(&Req, &mut dyn Write) -> io::Result<bool> + Send + Sync + 'static,
{
    serve_on(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        None,
        Arc::new(handler),
    )
}

/// A server on `listener`, with TLS when `tls` is given.
pub fn serve_on(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    handler: Arc<Handler>,
) -> Server {
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let open = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (acc, reqs, opened) = (accepted.clone(), requests.clone(), open.clone());
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            acc.fetch_add(1, Ordering::SeqCst);
            opened.fetch_add(1, Ordering::SeqCst);
            let (handler, reqs, tls) = (handler.clone(), reqs.clone(), tls.clone());
            let open = OpenGuard(opened.clone());
            thread::spawn(move || {
                let _open = open;
                let _ = match tls {
                    None => connection_loop(stream, &*handler, &reqs),
                    Some(cfg) => {
                        let Ok(conn) = rustls::ServerConnection::new(cfg) else {
                            return;
                        };
                        connection_loop(rustls::StreamOwned::new(conn, stream), &*handler, &reqs)
                    }
                };
            });
        }
    });
    Server {
        addr,
        accepted,
        open,
        requests,
    }
}

/// Counts a connection as closed when its thread ends, panicking or not
/// (the connection loop, which owns the socket, has returned by then).
struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn connection_loop<S: Read + Write>(
    stream: S,
    handler: &Handler,
    reqs: &Mutex<Vec<Req>>,
) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader)? {
        reqs.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(req.clone());
        let keep = handler(&req, reader.get_mut())?;
        if !keep {
            break;
        }
    }
    Ok(())
}
