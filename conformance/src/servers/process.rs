//! What every real server needs: a free loopback port, a private temporary
//! directory, a child process that is stopped (with its workers) when
//! dropped, and readiness polling bounded by a deadline.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::ServerError;

/// How long a server may take to start answering. gunicorn importing
/// httpbin needs about two seconds on a quiet machine; parallel builds and
/// tests can make it several times slower.
pub const START_DEADLINE: Duration = Duration::from_secs(30);

/// A loopback port nothing listens on right now (the kernel's pick,
/// released at once). Another process may take it before the server binds
/// it; the servers' `start` functions retry with a new port when that
/// happens.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The first executable called `name` on `PATH` or in the sbin directories
/// (often missing from the `PATH` of unprivileged shells).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A directory of its own under the system temporary directory, removed
/// with everything in it when dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<tmp>/urlrequest-<prefix>-<pid>-<n>-<nanos>`.
    pub fn new(prefix: &str) -> io::Result<TempDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "urlrequest-{prefix}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A server process started in a process group of its own, so that
/// dropping it kills the server and every worker it forked at once, even
/// when the test that owns it panics.
#[derive(Debug)]
pub struct ServerProcess {
    name: String,
    child: Child,
    log: PathBuf,
}

impl ServerProcess {
    /// Spawns `command` with stdin closed and stdout and stderr appended to
    /// `log`.
    pub fn spawn(
        name: &str,
        mut command: Command,
        log: &Path,
    ) -> Result<ServerProcess, ServerError> {
        use std::os::unix::process::CommandExt;
        let io_err = |what: &str, e: io::Error| ServerError::Io {
            what: format!("{name}: {what}"),
            source: e,
        };
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| io_err("open log", e))?;
        let err = out.try_clone().map_err(|e| io_err("open log", e))?;
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| io_err("spawn", e))?;
        Ok(ServerProcess {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        })
    }

    /// The process id (also the process group id).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// What the server wrote to its log so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls `probe` until it succeeds, the process exits, or `deadline`
    /// passes. Starting processes give nothing to wait on, so this polls
    /// every 20 ms; the deadline bounds it.
    pub fn wait_ready(
        &mut self,
        deadline: Duration,
        mut probe: impl FnMut() -> bool,
    ) -> Result<(), ServerError> {
        let until = Instant::now() + deadline;
        loop {
            if probe() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(ServerError::Exited {
                    name: self.name.clone(),
                    status: status.to_string(),
                    log: self.log_text(),
                });
            }
            if Instant::now() >= until {
                return Err(ServerError::NotReady {
                    name: self.name.clone(),
                    waited: deadline,
                    log: self.log_text(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // The group id is the child's id (process_group(0) above). Killing
        // the group reaches workers a master forked; the plain kill is the
        // fallback should the group be gone already.
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether something accepts TCP connections on `addr`.
pub fn accepts(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// Sends `GET path` over a fresh connection and returns the status code,
/// if a well-formed status line came back within a second. Used as a
/// readiness probe: it proves the server answers HTTP, not only that a
/// socket is bound.
pub fn probe_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(1))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 64];
    let mut got = 0;
    while got < 12 {
        match s.read(&mut head[got..]) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got += n,
        }
    }
    let line = std::str::from_utf8(&head[..got]).ok()?;
    let code = line.strip_prefix("HTTP/1.")?.get(2..5)?;
    code.parse().ok()
}

/// Polls `check` every 10 ms until it gives a value or `deadline` passes.
/// For facts a server records asynchronously (a log line written after the
/// response went out).
pub fn poll_until<T>(deadline: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let until = Instant::now() + deadline;
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if Instant::now() >= until {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
