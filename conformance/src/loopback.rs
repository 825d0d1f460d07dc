//! A scripted server on loopback: real TCP on 127.0.0.1 with random ports,
//! serving a case's script so that runtimes can be checked over real sockets.
//! `{tls-origin}` speaks TLS with a certificate from [`TestCa::trusted`]
//! (or the case's `tls-cert` kind), and `{proxy}` is an [`HttpProxy`] in
//! front of them. One thread accepts per server; one thread serves each
//! connection.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::case::{Case, End};
use crate::origins::{Origins, Role};
use crate::pki::{CertKind, TestCa};
use crate::proxy::HttpProxy;
use crate::script::{ReceivedRequest, RequestReader, Script};
use crate::server_stream::ServerStream;

/// How long a connection thread waits for a silent client before giving up,
/// so a driver that leaks a connection cannot hang the suite.
const IDLE_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct Shared {
    script: Mutex<Script>,
    stop: AtomicBool,
    /// Server ends of every accepted connection, to cut them at shutdown.
    streams: Mutex<Vec<TcpStream>>,
    handlers: Mutex<Vec<JoinHandle<()>>>,
    /// The certificate `{tls-origin}` presents.
    tls_cert: CertKind,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking connection thread must not hide the script's verdict.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The servers of one case on 127.0.0.1, each on a random port: `{origin}`,
/// `{origin2}`, `{tls-origin}` and, when the case uses it, the proxy
/// `{proxy}`. A runtime checks `{tls-origin}` by trusting
/// [`TestCa::trusted`]'s PEM file. Start one per run, point the case's request at
/// [`origins`](Self::origins), run it, then call [`finish`](Self::finish).
///
/// ```
/// use urlrequest_conformance::{builtin_cases, Role, ScriptedServer};
/// let cases = builtin_cases()?;
/// let case = &cases[0];
/// let server = ScriptedServer::start(case)?;
/// assert!(server.origins().origin(Role::Origin).unwrap().starts_with("http://127.0.0.1:"));
/// // ... run case.request(server.origins()) with a runtime here ...
/// let verdict = server.finish(); // Err: the client never came
/// assert!(verdict.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ScriptedServer {
    origins: Origins,
    shared: Arc<Shared>,
    acceptors: Vec<(SocketAddr, JoinHandle<()>)>,
    proxy: Option<HttpProxy>,
}

impl ScriptedServer {
    /// Binds the case's servers and starts serving its script.
    pub fn start(case: &Case) -> io::Result<ScriptedServer> {
        let mut bound = Vec::new();
        for role in [Role::Origin, Role::Origin2, Role::TlsOrigin] {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?;
            bound.push((role, listener, addr));
        }
        let proxy = if case.uses_proxy_server() {
            Some(HttpProxy::start(case.proxy_auth.clone())?)
        } else {
            None
        };
        let scheme = |role: Role| {
            if role == Role::TlsOrigin {
                "https"
            } else {
                "http"
            }
        };
        let origins = Origins::new(
            bound
                .iter()
                .map(|(role, _, addr)| (*role, format!("{}://{addr}", scheme(*role))))
                .chain(
                    proxy
                        .iter()
                        .map(|p| (Role::Proxy, format!("http://{}", p.addr()))),
                ),
        );
        let script = Script::new(case, &origins)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let shared = Arc::new(Shared {
            script: Mutex::new(script),
            stop: AtomicBool::new(false),
            streams: Mutex::new(Vec::new()),
            handlers: Mutex::new(Vec::new()),
            tls_cert: case.tls_cert,
        });
        let mut acceptors = Vec::new();
        for (role, listener, addr) in bound {
            let shared = Arc::clone(&shared);
            let handle = thread::Builder::new()
                .name(format!("scripted-{role}"))
                .spawn(move || accept_loop(listener, role, shared))?;
            acceptors.push((addr, handle));
        }
        Ok(ScriptedServer {
            origins,
            shared,
            acceptors,
            proxy,
        })
    }

    /// Where the servers listen, for [`Case::request`] and trace mapping.
    pub fn origins(&self) -> &Origins {
        &self.origins
    }

    /// The requests received so far, in arrival order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        lock(&self.shared.script).received().to_vec()
    }

    /// Stops the servers (cutting any connection still open) and returns the
    /// requests received, or every mismatch between them and the script
    /// (wrong request, failed expectation, steps left unused).
    pub fn finish(mut self) -> Result<Vec<ReceivedRequest>, String> {
        self.shutdown();
        let script = lock(&self.shared.script);
        script.verdict()?;
        Ok(script.received().to_vec())
    }

    fn shutdown(&mut self) {
        // The proxy first: its upstream connections end at the servers.
        self.proxy = None;
        self.shared.stop.store(true, Ordering::SeqCst);
        for (addr, handle) in self.acceptors.drain(..) {
            // Wakes the accept call, which then sees the stop flag.
            let _ = TcpStream::connect(addr);
            let _ = handle.join();
        }
        for s in lock(&self.shared.streams).drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        let handlers: Vec<_> = lock(&self.shared.handlers).drain(..).collect();
        for h in handlers {
            let _ = h.join();
        }
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: TcpListener, role: Role, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let (number, close_now) = lock(&shared.script).accept(role);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.streams).push(clone);
        }
        let inner = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name(format!("scripted-{role}-{number}"))
            .spawn(move || serve(stream, role, number, close_now, &inner));
        if let Ok(h) = spawned {
            lock(&shared.handlers).push(h);
        }
    }
}

fn serve(stream: TcpStream, role: Role, number: usize, close_now: bool, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(IDLE_LIMIT));
    let mut stream = ServerStream::Plain(stream);
    if role == Role::TlsOrigin {
        let config = TestCa::trusted().server_config(&["127.0.0.1"], shared.tls_cert);
        match stream.start_tls(config) {
            Ok(s) => stream = s,
            Err(_) => return,
        }
    }
    if close_now {
        stream.close_gracefully();
    } else {
        answer_requests(&mut stream, role, number, shared);
    }
    // The clone kept for shutdown would hold the socket open otherwise.
    stream.shutdown();
}

fn answer_requests(stream: &mut ServerStream, role: Role, number: usize, shared: &Shared) {
    let mut reader = RequestReader::default();
    let mut requests = 0;
    let mut buf = [0u8; 16 * 1024];
    loop {
        match reader.next_request() {
            Ok(Some(req)) => {
                requests += 1;
                let connect = req.request_line.starts_with("CONNECT ");
                let authority = req.request_line.split(' ').nth(1).unwrap_or("").to_string();
                let (send, end) = lock(&shared.script).respond(role, number, requests > 1, req);
                if stream
                    .write_all(&send)
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
                match end {
                    End::Keep if connect && is_success(&send) => {
                        // The script played a proxy and accepted the tunnel:
                        // what follows is TLS to the origin it also plays.
                        let host = authority
                            .rsplit_once(':')
                            .map_or(authority.as_str(), |(h, _)| h);
                        let config = TestCa::trusted().server_config(&[host], CertKind::Valid);
                        if stream.upgrade(config).is_err() {
                            return;
                        }
                        continue;
                    }
                    End::Keep => continue,
                    End::Close => return stream.close_gracefully(),
                    End::Stall => return stream.drain(),
                }
            }
            Ok(None) => {}
            Err(m) => {
                lock(&shared.script).bad_request(role, number, m);
                return stream.close_gracefully();
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => reader.push(&buf[..n]),
        }
    }
}

/// Whether an answer's status line says 2xx.
fn is_success(send: &[u8]) -> bool {
    send.starts_with(b"HTTP/1.1 2") || send.starts_with(b"HTTP/1.0 2")
}
