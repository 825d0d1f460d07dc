//! In-process servers for the tests: a tiny HTTP/1.1 server (plain or TLS)
//! with keep-alive and a count of accepted connections, and two proxies.
#![allow(dead_code)]

pub mod pki;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// A request as the test server saw it.
#[derive(Debug, Clone, Default)]
pub struct Req {
    pub method: String,
    pub target: String,
    /// Names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
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
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    pub requests: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

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
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (acc, reqs) = (accepted.clone(), requests.clone());
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            acc.fetch_add(1, Ordering::SeqCst);
            let (handler, reqs, tls) = (handler.clone(), reqs.clone(), tls.clone());
            thread::spawn(move || {
                let _ = match tls {
                    None => connection_loop(stream, &*handler, &reqs),
                    Some(cfg) => {
                        let conn = rustls::ServerConnection::new(cfg).unwrap();
                        connection_loop(rustls::StreamOwned::new(conn, stream), &*handler, &reqs)
                    }
                };
            });
        }
    });
    Server {
        addr,
        accepted,
        requests,
    }
}

fn connection_loop<S: Read + Write>(
    stream: S,
    handler: &Handler,
    reqs: &Mutex<Vec<Req>>,
) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader)? {
        reqs.lock().unwrap().push(req.clone());
        let keep = handler(&req, reader.get_mut())?;
        if !keep {
            break;
        }
    }
    Ok(())
}

/// A proxy on a free port: for every connection, reads the first request,
/// records it, and hands it with the client socket to `handle`. Returns the
/// address and the requests seen.
fn proxy(
    handle: impl Fn(Req, TcpStream) + Send + Sync + 'static,
) -> (SocketAddr, Arc<Mutex<Vec<Req>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let handle = Arc::new(handle);
    thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let (seen, handle) = (seen2.clone(), handle.clone());
            thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let Ok(Some(req)) = read_request(&mut reader) else {
                    return;
                };
                seen.lock().unwrap().push(req.clone());
                handle(req, client);
            });
        }
    });
    (addr, seen)
}

/// A proxy for `CONNECT` tunnels that demands `Proxy-Authorization: auth`.
/// Returns the address and the CONNECT requests it saw.
pub fn connect_proxy(auth: &'static str) -> (SocketAddr, Arc<Mutex<Vec<Req>>>) {
    proxy(move |req, mut client| {
        if req.method != "CONNECT" {
            let _ = respond(&mut client, "405 Method Not Allowed", &[], b"");
            return;
        }
        if req.header("proxy-authorization") != Some(auth) {
            let _ = respond(
                &mut client,
                "407 Proxy Authentication Required",
                &[("Proxy-Authenticate", "Basic realm=\"test\"")],
                b"",
            );
            return;
        }
        let Ok(upstream) = TcpStream::connect(&req.target) else {
            let _ = respond(&mut client, "502 Bad Gateway", &[], b"");
            return;
        };
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .unwrap();
        pipe(client, upstream);
    })
}

/// An HTTP proxy for absolute-form requests: forwards each request to the
/// origin in origin-form (one request per connection) and relays the answer.
pub fn forward_proxy() -> (SocketAddr, Arc<Mutex<Vec<Req>>>) {
    proxy(|req, mut client| {
        let rest = req.target.strip_prefix("http://").unwrap_or(&req.target);
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut upstream = TcpStream::connect(authority).unwrap();
        let mut head = format!(
            "{} {} HTTP/1.1\r\n",
            req.method,
            if path.is_empty() { "/" } else { path }
        );
        for (n, v) in &req.headers {
            if !n.starts_with("proxy-") && n != "connection" {
                head.push_str(&format!("{n}: {v}\r\n"));
            }
        }
        head.push_str("Connection: close\r\n\r\n");
        upstream.write_all(head.as_bytes()).unwrap();
        upstream.write_all(&req.body).unwrap();
        let _ = io::copy(&mut upstream, &mut client);
    })
}

/// Copies both ways until either side closes.
fn pipe(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let t = thread::spawn(move || {
        let _ = io::copy(&mut b2, &mut a2);
        let _ = a2.shutdown(std::net::Shutdown::Write);
    });
    let (mut a, mut b) = (a, b);
    let _ = io::copy(&mut a, &mut b);
    let _ = b.shutdown(std::net::Shutdown::Write);
    let _ = t.join();
}
