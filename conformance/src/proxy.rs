//! An in-process HTTP proxy on loopback: absolute-form requests are
//! forwarded in origin-form, CONNECT opens a byte tunnel, and it can demand
//! `Proxy-Authorization` (answering 407 otherwise). It is transparent about
//! connections: one upstream connection per client connection, closed
//! towards the client when the origin closes, so a case's keep-alive
//! expectations hold through it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::origins::Role;
use crate::proxy_rules::{decide, ProxyStep, BAD_GATEWAY, ESTABLISHED};
use crate::script::{ReceivedRequest, RequestReader};

/// How long a proxy connection waits for a silent client.
const IDLE_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    /// Every socket the proxy holds, to cut them at shutdown.
    streams: Mutex<Vec<TcpStream>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Requests received (heads and bodies), in order.
    seen: Mutex<Vec<ReceivedRequest>>,
    /// Client connections accepted so far.
    connections: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn keep(&self, s: &TcpStream) {
        if let Ok(c) = s.try_clone() {
            lock(&self.streams).push(c);
        }
    }

    fn spawn(&self, name: &str, f: impl FnOnce() + Send + 'static) {
        if let Ok(h) = thread::Builder::new().name(name.into()).spawn(f) {
            lock(&self.threads).push(h);
        }
    }
}

/// A forwarding and tunnelling HTTP proxy on 127.0.0.1, for tests.
///
/// ```
/// use urlrequest_conformance::HttpProxy;
/// let proxy = HttpProxy::start(Some("Basic dTpw".into()))?;
/// assert!(proxy.addr().ip().is_loopback());
/// assert!(proxy.request_lines().is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct HttpProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl HttpProxy {
    /// Starts a proxy on a random loopback port. With `auth`, every request
    /// must carry `Proxy-Authorization: <auth>`, or is answered 407.
    pub fn start(auth: Option<String>) -> io::Result<HttpProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        HttpProxy::serve(listener, auth)
    }

    /// Serves on an already bound listener (so a caller can learn the port
    /// before the proxy starts).
    pub fn serve(listener: TcpListener, auth: Option<String>) -> io::Result<HttpProxy> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let inner = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name("http-proxy".into())
            .spawn(move || {
                for client in listener.incoming() {
                    if inner.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(client) = client else { continue };
                    inner.keep(&client);
                    let (s, auth) = (Arc::clone(&inner), auth.clone());
                    inner.spawn("http-proxy-conn", move || {
                        let _ = serve_client(client, auth.as_deref(), &s);
                    });
                }
            })?;
        Ok(HttpProxy {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// Where the proxy listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The request lines it received so far (`GET http://... HTTP/1.1`,
    /// `CONNECT host:port HTTP/1.1`), tunnelled bytes excluded.
    pub fn request_lines(&self) -> Vec<String> {
        lock(&self.shared.seen)
            .iter()
            .map(|r| r.request_line.clone())
            .collect()
    }

    /// The requests it received so far, with their headers (a `CONNECT`'s
    /// included; tunnelled bytes excluded).
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        lock(&self.shared.seen).clone()
    }
}

impl Drop for HttpProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
        for s in lock(&self.shared.streams).drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        let threads: Vec<_> = lock(&self.shared.threads).drain(..).collect();
        for t in threads {
            let _ = t.join();
        }
    }
}

/// The upstream a client connection currently forwards to.
struct Upstream {
    authority: String,
    stream: TcpStream,
}

fn serve_client(client: TcpStream, auth: Option<&str>, shared: &Arc<Shared>) -> io::Result<()> {
    client.set_read_timeout(Some(IDLE_LIMIT))?;
    let _ = client.set_nodelay(true);
    let mut reader = RequestReader::default();
    let mut upstream: Option<Upstream> = None;
    // Which upstream is current: a relay of an older one must not close the
    // client when that one is replaced.
    let generation = Arc::new(AtomicUsize::new(0));
    let mut buf = [0u8; 16 * 1024];
    let connection = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
    let mut reused = false;
    loop {
        while let Some(req) = reader
            .next_request()
            .map_err(|m| io::Error::new(io::ErrorKind::InvalidData, m))?
        {
            lock(&shared.seen).push(ReceivedRequest {
                role: Role::Proxy,
                connection,
                reused,
                request_line: req.request_line.clone(),
                headers: req.headers.clone(),
                body: req.body.clone(),
            });
            reused = true;
            match decide(&req, auth) {
                ProxyStep::Answer(bytes) => return answer_and_close(&client, bytes),
                ProxyStep::Tunnel(authority) => {
                    let Ok(target) = TcpStream::connect(&authority) else {
                        return answer_and_close(&client, BAD_GATEWAY);
                    };
                    shared.keep(&target);
                    (&client).write_all(ESTABLISHED)?;
                    return tunnel(client, target, shared);
                }
                ProxyStep::Forward(authority, bytes) => {
                    let same = matches!(&upstream, Some(u) if u.authority == authority);
                    if !same {
                        if let Some(old) = upstream.take() {
                            let _ = old.stream.shutdown(Shutdown::Both);
                        }
                        let Ok(stream) = TcpStream::connect(&authority) else {
                            return answer_and_close(&client, BAD_GATEWAY);
                        };
                        let _ = stream.set_nodelay(true);
                        shared.keep(&stream);
                        let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
                        let (from, to, current) = (
                            stream.try_clone()?,
                            client.try_clone()?,
                            Arc::clone(&generation),
                        );
                        shared.spawn("http-proxy-relay", move || {
                            relay(from, &to);
                            if current.load(Ordering::SeqCst) == mine {
                                // The origin closed: so does the proxy, after
                                // relaying everything (FIN, not RST).
                                let _ = to.shutdown(Shutdown::Write);
                            }
                        });
                        upstream = Some(Upstream { authority, stream });
                    }
                    if let Some(u) = &upstream {
                        (&u.stream).write_all(&bytes)?;
                    }
                }
            }
        }
        match (&client).read(&mut buf) {
            Ok(0) | Err(_) => {
                if let Some(u) = upstream {
                    let _ = u.stream.shutdown(Shutdown::Write);
                }
                return Ok(());
            }
            Ok(n) => reader.push(&buf[..n]),
        }
    }
}

/// Sends `bytes`, then FIN, then reads until the client closes (closing
/// with unread input would send RST and could lose the answer).
fn answer_and_close(client: &TcpStream, bytes: &[u8]) -> io::Result<()> {
    let mut c = client;
    c.write_all(bytes)?;
    c.shutdown(Shutdown::Write)?;
    let mut buf = [0u8; 4096];
    while let Ok(n) = c.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
    Ok(())
}

/// Relays bytes both ways until either side closes.
fn tunnel(client: TcpStream, target: TcpStream, shared: &Arc<Shared>) -> io::Result<()> {
    let (up_from, up_to) = (client.try_clone()?, target.try_clone()?);
    shared.spawn("http-proxy-tunnel", move || {
        relay(up_from, &up_to);
        let _ = up_to.shutdown(Shutdown::Write);
    });
    relay(target, &client);
    let _ = client.shutdown(Shutdown::Write);
    Ok(())
}

/// Copies from `from` to `to` until end of stream or an error.
fn relay(mut from: TcpStream, mut to: &TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}
