//! A small HTTP/1.1 test server on loopback: one thread per connection,
//! keep-alive, scripted replies, and counters the tests assert on.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which accepted connection (0, 1, ...) carried it.
    pub conn: usize,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
pub enum Reply {
    /// Write these bytes and keep the connection for the next request.
    Send(Vec<u8>),
    /// Write these bytes and close the connection.
    SendClose(Vec<u8>),
    /// Never answer; wait until the client closes the connection.
    Stall,
    /// Write these bytes, then wait until the client closes the connection.
    SendThenStall(Vec<u8>),
}

/// A complete response with a body and extra header lines.
pub fn response(status: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

#[derive(Default)]
struct Counts {
    open: usize,
    max_open: usize,
    in_handler: usize,
    max_in_handler: usize,
}

#[derive(Default)]
struct State {
    accepted: AtomicUsize,
    stop: AtomicBool,
    counts: Mutex<Counts>,
    changed: Condvar,
    seen: Mutex<Vec<Seen>>,
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

pub struct Server {
    addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let handler: Arc<Handler> = Arc::new(handler);
        let st = state.clone();
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let id = st.accepted.fetch_add(1, Ordering::SeqCst);
                {
                    let mut c = st.counts.lock().unwrap();
                    c.open += 1;
                    c.max_open = c.max_open.max(c.open);
                }
                let (st, handler) = (st.clone(), handler.clone());
                std::thread::spawn(move || {
                    serve(stream, id, &st, &*handler);
                    st.counts.lock().unwrap().open -= 1;
                    st.changed.notify_all();
                });
            }
        });
        Server {
            addr,
            state,
            accept: Some(accept),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// Most connections open at the same time.
    pub fn max_open(&self) -> usize {
        self.state.counts.lock().unwrap().max_open
    }

    /// Most requests being handled at the same time.
    pub fn max_in_handler(&self) -> usize {
        self.state.counts.lock().unwrap().max_in_handler
    }

    /// Requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Blocks until `cond` holds for (open connections, requests in the
    /// handler, requests seen) or `limit` passes; returns whether it held.
    pub fn wait_for(&self, limit: Duration, cond: impl Fn(usize, usize, usize) -> bool) -> bool {
        let end = Instant::now() + limit;
        let mut c = self.state.counts.lock().unwrap();
        loop {
            let seen = self.state.seen.lock().unwrap().len();
            if cond(c.open, c.in_handler, seen) {
                return true;
            }
            let now = Instant::now();
            if now >= end {
                return false;
            }
            c = self.state.changed.wait_timeout(c, end - now).unwrap().0;
        }
    }

    /// Blocks until every connection the server accepted has closed.
    pub fn wait_all_closed(&self, limit: Duration) -> bool {
        self.wait_for(limit, |open, _, _| open == 0)
    }

    pub fn probe(&self) -> ServerProbe {
        ServerProbe(self.state.clone())
    }
}

/// A handle on the server's counters that a handler can hold.
#[derive(Clone)]
pub struct ServerProbe(Arc<State>);

impl ServerProbe {
    /// Blocks until the server has seen `n` requests, or `limit` passes.
    pub fn wait_seen(&self, n: usize, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        let mut c = self.0.counts.lock().unwrap();
        loop {
            if self.0.seen.lock().unwrap().len() >= n {
                return true;
            }
            let now = Instant::now();
            if now >= end {
                return false;
            }
            c = self.0.changed.wait_timeout(c, end - now).unwrap().0;
        }
    }

    /// Inside a handler: blocks until `n` requests are in handlers at once,
    /// or `limit` passes.
    pub fn wait_in_handler(&self, n: usize, limit: Duration) {
        let end = Instant::now() + limit;
        let mut c = self.0.counts.lock().unwrap();
        while c.in_handler < n {
            let now = Instant::now();
            if now >= end {
                return;
            }
            c = self.0.changed.wait_timeout(c, end - now).unwrap().0;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn serve(stream: TcpStream, id: usize, st: &State, handler: &Handler) {
    let _ = stream.set_nodelay(true);
    let mut writer = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    while let Some(seen) = read_request(&mut reader, id) {
        st.seen.lock().unwrap().push(seen.clone());
        {
            let mut c = st.counts.lock().unwrap();
            c.in_handler += 1;
            c.max_in_handler = c.max_in_handler.max(c.in_handler);
        }
        st.changed.notify_all();
        let reply = handler(&seen);
        st.counts.lock().unwrap().in_handler -= 1;
        st.changed.notify_all();
        match reply {
            Reply::Send(bytes) => {
                if writer.write_all(&bytes).is_err() {
                    return;
                }
            }
            Reply::SendClose(bytes) => {
                let _ = writer.write_all(&bytes);
                return;
            }
            Reply::Stall | Reply::SendThenStall(_) => {
                if let Reply::SendThenStall(bytes) = reply {
                    let _ = writer.write_all(&bytes);
                }
                let mut sink = [0u8; 1024];
                while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
                return;
            }
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>, conn: usize) -> Option<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    let len = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        target,
        headers,
        body,
        conn,
    })
}
