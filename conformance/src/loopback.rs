//! A scripted server on loopback: real TCP on 127.0.0.1 with random ports,
//! serving a case's script so that runtimes can be checked over real sockets.
//! One thread accepts per server; one thread serves each connection.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::case::{Case, End};
use crate::origins::{Origins, Role};
use crate::script::{ReceivedRequest, RequestReader, Script};

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
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking connection thread must not hide the script's verdict.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The servers of one case on 127.0.0.1, each on a random port: `{origin}`
/// and `{origin2}`. Start one per run, point the case's request at
/// [`origins`](Self::origins), run it, then call [`finish`](Self::finish).
///
/// ```
/// use urlrequest_conformance::{builtin_cases, Role, ScriptedServer};
/// let cases = builtin_cases()?;
/// let case = cases.iter().find(|c| !c.needs_tls()).unwrap();
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
}

impl ScriptedServer {
    /// Binds the case's servers and starts serving its script. Fails for a
    /// case that needs an HTTPS server.
    pub fn start(case: &Case) -> io::Result<ScriptedServer> {
        if case.needs_tls() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("case {} needs an HTTPS server", case.full_name()),
            ));
        }
        let mut bound = Vec::new();
        for role in [Role::Origin, Role::Origin2] {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?;
            bound.push((role, listener, addr));
        }
        let origins = Origins::new(
            bound
                .iter()
                .map(|(role, _, addr)| (*role, format!("http://{addr}"))),
        );
        let script = Script::new(case, &origins)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let shared = Arc::new(Shared {
            script: Mutex::new(script),
            stop: AtomicBool::new(false),
            streams: Mutex::new(Vec::new()),
            handlers: Mutex::new(Vec::new()),
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
        self.shared.stop.store(true, Ordering::SeqCst);
        for (addr, handle) in self.acceptors.drain(..) {
            // Wakes the accept call, which then sees the stop flag.
            let _ = TcpStream::connect(addr);
            let _ = handle.join();
        }
        for s in lock(&self.shared.streams).drain(..) {
            let _ = s.shutdown(Shutdown::Both);
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
    if close_now {
        close_gracefully(&stream);
    } else {
        answer_requests(&stream, role, number, shared);
    }
    // The clone kept for shutdown would hold the socket open otherwise.
    let _ = stream.shutdown(Shutdown::Both);
}

fn answer_requests(mut stream: &TcpStream, role: Role, number: usize, shared: &Shared) {
    let mut reader = RequestReader::default();
    let mut requests = 0;
    let mut buf = [0u8; 16 * 1024];
    loop {
        match reader.next_request() {
            Ok(Some(req)) => {
                requests += 1;
                let (send, end) = lock(&shared.script).respond(role, number, requests > 1, req);
                if stream.write_all(&send).is_err() {
                    return;
                }
                match end {
                    End::Keep => continue,
                    End::Close => return close_gracefully(stream),
                    End::Stall => return drain(stream),
                }
            }
            Ok(None) => {}
            Err(m) => {
                lock(&shared.script).bad_request(role, number, m);
                return close_gracefully(stream);
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => reader.push(&buf[..n]),
        }
    }
}

/// Sends FIN but keeps reading until the client closes: closing a socket
/// with unread input would send RST, and the client could then lose bytes
/// already sent or see "connection reset" instead of end of stream.
fn close_gracefully(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    drain(stream);
}

/// Reads and discards until the client closes (or the idle limit passes).
fn drain(mut stream: &TcpStream) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            return;
        }
    }
}
