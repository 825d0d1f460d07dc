//! nginx serving static files from a temporary directory, with an access
//! log that records which connection served each request (to observe
//! keep-alive reuse) and the `Via` header (to observe a proxy).

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{
    find_program, free_port, poll_until, probe_status, ServerProcess, TempDir, START_DEADLINE,
};
use super::tls_files::TlsFiles;
use super::{retry_start, ServerError};

/// A running nginx. Files put under [`www`](Self::www) are served at once.
#[derive(Debug)]
pub struct Nginx {
    // Field order matters: the process stops before its directory goes.
    process: ServerProcess,
    dir: TempDir,
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
}

/// What the generated configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tuning {
    /// An access log naming each request's connection, modest keep-alive.
    Tests,
    /// No access log, keep-alive without a practical request limit: every
    /// request costs nginx as little as it can.
    Benchmark,
}

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    /// nginx's serial number of the connection (`$connection`).
    pub connection: u64,
    /// Which request on that connection this was, from 1
    /// (`$connection_requests`).
    pub connection_requests: u64,
    /// The status sent.
    pub status: u16,
    /// The request method.
    pub method: String,
    /// The request target as sent.
    pub uri: String,
    /// Body bytes sent.
    pub body_bytes: u64,
    /// The request's `Via` header (empty when absent).
    pub via: String,
}

impl AccessEntry {
    fn parse(line: &str) -> Option<AccessEntry> {
        let (fields, via) = line.split_once(" \"")?;
        let via = via.strip_suffix('"')?;
        let mut f = fields.split(' ');
        let entry = AccessEntry {
            connection: f.next()?.parse().ok()?,
            connection_requests: f.next()?.parse().ok()?,
            status: f.next()?.parse().ok()?,
            method: f.next()?.to_string(),
            uri: f.next()?.to_string(),
            body_bytes: f.next()?.parse().ok()?,
            via: if via == "-" {
                String::new()
            } else {
                via.to_string()
            },
        };
        f.next().is_none().then_some(entry)
    }
}

impl Nginx {
    /// Starts nginx on a free loopback port, plain http only.
    pub fn start() -> Result<Nginx, ServerError> {
        Nginx::start_with(None)
    }

    /// Starts nginx with, when `tls` is given, a second listener speaking
    /// TLS with that server certificate, serving the same files. The files
    /// must outlive the server only until it has started (nginx reads them
    /// once).
    pub fn start_with(tls: Option<&TlsFiles>) -> Result<Nginx, ServerError> {
        let exe = find_program("nginx")
            .ok_or_else(|| ServerError::missing("nginx", "apt-get install -y nginx-light"))?;
        retry_start(|| Nginx::start_once(&exe, tls, Tuning::Tests))
    }

    /// Starts nginx tuned for throughput measurements: plain http only, no
    /// access log (so [`access_log`](Self::access_log) stays empty),
    /// `keepalive_requests 1000000` and a two-minute keep-alive timeout,
    /// `sendfile` with `tcp_nopush`.
    pub fn start_for_benchmark() -> Result<Nginx, ServerError> {
        let exe = find_program("nginx")
            .ok_or_else(|| ServerError::missing("nginx", "apt-get install -y nginx-light"))?;
        retry_start(|| Nginx::start_once(&exe, None, Tuning::Benchmark))
    }

    fn start_once(
        exe: &Path,
        tls: Option<&TlsFiles>,
        tuning: Tuning,
    ) -> Result<Nginx, ServerError> {
        let dir = TempDir::new("nginx").map_err(ServerError::io("nginx: temp dir"))?;
        let d = dir.path();
        for sub in ["www", "temp"] {
            fs::create_dir_all(d.join(sub)).map_err(ServerError::io("nginx: mkdir"))?;
        }
        let port = free_port().map_err(ServerError::io("nginx: free port"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let tls_addr = match tls {
            Some(_) => {
                let p = free_port().map_err(ServerError::io("nginx: free port"))?;
                Some(SocketAddr::from(([127, 0, 0, 1], p)))
            }
            None => None,
        };
        let conf = d.join("nginx.conf");
        fs::write(&conf, config(d, addr, tls.zip(tls_addr), tuning))
            .map_err(ServerError::io("nginx: write config"))?;
        let mut cmd = Command::new(exe);
        // -e: nginx opens its compiled-in error log before reading the
        // configuration unless told otherwise; -p keeps relative paths here.
        cmd.arg("-e")
            .arg(d.join("error.log"))
            .arg("-p")
            .arg(d)
            .arg("-c")
            .arg(&conf);
        let mut process = ServerProcess::spawn("nginx", cmd, &d.join("stderr.log"))?;
        let ready = process.wait_ready(START_DEADLINE, || probe_status(addr, "/").is_some());
        if let Err(e) = ready {
            return Err(with_error_log(e, d));
        }
        if tuning == Tuning::Tests {
            // The probe went into the access log; clear it so tests see
            // only their own requests.
            let _ = poll_until(Duration::from_secs(2), || {
                fs::read_to_string(d.join("access.log"))
                    .ok()
                    .filter(|t| !t.is_empty())
            });
            let _ = fs::write(d.join("access.log"), "");
        }
        Ok(Nginx {
            process,
            dir,
            addr,
            tls_addr,
        })
    }

    /// The plain http address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The TLS address, when started with one.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `https://localhost:PORT` followed by `path`, when started with TLS.
    pub fn https_url(&self, path: &str) -> Option<String> {
        self.tls_addr
            .map(|a| format!("https://localhost:{}{path}", a.port()))
    }

    /// The document root.
    pub fn www(&self) -> PathBuf {
        self.dir.path().join("www")
    }

    /// Writes `content` to `rel` under the document root (creating
    /// directories) and returns the file's path.
    pub fn put(&self, rel: &str, content: &[u8]) -> Result<PathBuf, ServerError> {
        let path = self.www().join(rel.trim_start_matches('/'));
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(ServerError::io("nginx: mkdir"))?;
        }
        fs::write(&path, content).map_err(ServerError::io(format!("nginx: write {rel}")))?;
        Ok(path)
    }

    /// Every access log entry so far.
    pub fn access_log(&self) -> Vec<AccessEntry> {
        fs::read_to_string(self.dir.path().join("access.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(AccessEntry::parse)
            .collect()
    }

    /// The access log once it holds at least `n` entries. nginx writes an
    /// entry after the response has gone out, so a client can finish
    /// before its line exists; this waits (up to two seconds) for it.
    pub fn wait_for_entries(&self, n: usize) -> Vec<AccessEntry> {
        poll_until(Duration::from_secs(2), || {
            let log = self.access_log();
            (log.len() >= n).then_some(log)
        })
        .unwrap_or_else(|| self.access_log())
    }

    /// Empties the access log.
    pub fn clear_access_log(&self) {
        let _ = fs::write(self.dir.path().join("access.log"), "");
    }

    /// nginx's error log so far.
    pub fn error_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }
}

/// Adds nginx's own error log to a start failure: that is where it says
/// why it stopped.
fn with_error_log(e: ServerError, dir: &Path) -> ServerError {
    let extra = fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    match e {
        ServerError::Exited { name, status, log } => ServerError::Exited {
            name,
            status,
            log: log + &extra,
        },
        ServerError::NotReady { name, waited, log } => ServerError::NotReady {
            name,
            waited,
            log: log + &extra,
        },
        other => other,
    }
}

/// One foreground process; every path nginx writes is under `dir`;
/// keep-alive generous enough that a test's requests share a connection
/// (and, for a benchmark, that no connection is ever closed by nginx).
fn config(
    dir: &Path,
    addr: SocketAddr,
    tls: Option<(&TlsFiles, SocketAddr)>,
    tuning: Tuning,
) -> String {
    let d = dir.display();
    let (connections, logging) = match tuning {
        Tuning::Tests => (
            256,
            format!(
                "log_format interop '$connection $connection_requests $status $request_method $request_uri $body_bytes_sent \"$http_via\"';
    access_log {d}/access.log interop;
    keepalive_requests 1000;
    keepalive_timeout 60s;"
            ),
        ),
        Tuning::Benchmark => (
            1024,
            "access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    tcp_nopush on;"
                .to_string(),
        ),
    };
    let tls_server = match tls {
        Some((t, a)) => format!(
            "    server {{
        listen {a} ssl;
        server_name localhost;
        ssl_certificate {};
        ssl_certificate_key {};
        root {d}/www;
        location / {{ }}
    }}
",
            t.cert().display(),
            t.key().display()
        ),
        None => String::new(),
    };
    format!(
        "daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections {connections}; }}
http {{
    {logging}
    sendfile on;
    types {{ text/html html; text/plain txt; application/json json; }}
    default_type application/octet-stream;
    client_body_temp_path {d}/temp/body;
    proxy_temp_path {d}/temp/proxy;
    fastcgi_temp_path {d}/temp/fastcgi;
    uwsgi_temp_path {d}/temp/uwsgi;
    scgi_temp_path {d}/temp/scgi;
    server {{
        listen {addr};
        server_name localhost;
        root {d}/www;
        location / {{ }}
        # For soak tests: /redirect/X answers 302 to /files/X (a relative
        # Location, so a client behind a proxy stays behind it), and a POST
        # to a file is answered with the file.
        location /redirect/ {{
            absolute_redirect off;
            rewrite ^/redirect/(.*)$ /files/$1 redirect;
        }}
        location /files/ {{ error_page 405 =200 $uri; }}
        # Content codings: files under /gzip/ are gzipped on the fly for a
        # client that accepts gzip (chunked, no Content-Length).
        location /gzip/ {{
            gzip on;
            gzip_types *;
            gzip_min_length 0;
        }}
    }}
{tls_server}}}
"
    )
}

#[cfg(test)]
mod tests {
    use super::{config, AccessEntry, Tuning};
    use std::net::SocketAddr;
    use std::path::Path;

    #[test]
    fn benchmark_tuning_logs_nothing_and_keeps_connections() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 8080));
        let bench = config(Path::new("/d"), addr, None, Tuning::Benchmark);
        assert!(bench.contains("access_log off;"), "{bench}");
        assert!(bench.contains("keepalive_requests 1000000;"), "{bench}");
        assert!(!bench.contains("/d/access.log"), "{bench}");
        let tests = config(Path::new("/d"), addr, None, Tuning::Tests);
        assert!(
            tests.contains("access_log /d/access.log interop;"),
            "{tests}"
        );
        assert!(tests.contains("keepalive_requests 1000;"), "{tests}");
        assert!(tests.contains("listen 127.0.0.1:8080;"), "{tests}");
    }

    #[test]
    fn access_entries_parse() {
        let e =
            AccessEntry::parse("7 3 200 GET /a/b?x=1 1024 \"1.1 tinyproxy (tinyproxy/1.11.1)\"")
                .unwrap();
        assert_eq!(e.connection, 7);
        assert_eq!(e.connection_requests, 3);
        assert_eq!(e.status, 200);
        assert_eq!(e.method, "GET");
        assert_eq!(e.uri, "/a/b?x=1");
        assert_eq!(e.body_bytes, 1024);
        assert_eq!(e.via, "1.1 tinyproxy (tinyproxy/1.11.1)");
        let none = AccessEntry::parse("1 1 304 HEAD / 0 \"-\"").unwrap();
        assert_eq!(none.via, "");
        assert_eq!(AccessEntry::parse("garbage"), None);
        assert_eq!(AccessEntry::parse("1 1 200 GET / 0 extra \"-\""), None);
    }
}
