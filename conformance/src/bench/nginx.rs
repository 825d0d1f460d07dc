//! nginx as a second server, when it is installed: started in the foreground
//! with a generated configuration in a temporary directory, on a free
//! loopback port, serving a sparse file; killed when dropped.

use std::fs;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server::SMALL;

/// A running nginx and the directory holding its configuration and files.
pub struct Nginx {
    child: Child,
    dir: PathBuf,
    addr: SocketAddr,
}

/// The first `nginx` executable on `PATH` (plus the sbin directories, which
/// are often missing from the `PATH` of unprivileged shells).
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file())
}

impl Nginx {
    /// Starts `exe` serving `/big` (a sparse file of `big` bytes) and
    /// `/small` (100 bytes), and waits until it accepts connections.
    pub fn start(exe: &Path, big: u64) -> io::Result<Nginx> {
        let dir =
            std::env::temp_dir().join(format!("urlrequest-bench-nginx-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let www = dir.join("www");
        fs::create_dir_all(&www)?;
        fs::create_dir_all(dir.join("temp"))?;
        // Sparse: no disk space and no page-cache misses, the file reads as
        // zeros straight from memory.
        fs::File::create(www.join("big"))?.set_len(big)?;
        fs::write(www.join("small"), [b's'; SMALL])?;
        let addr = free_port()?;
        let conf = dir.join("nginx.conf");
        fs::write(&conf, config(&dir, addr))?;
        let child = Command::new(exe)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut nginx = Nginx { child, dir, addr };
        nginx.wait_ready()?;
        Ok(nginx)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn wait_ready(&mut self) -> io::Result<()> {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect(self.addr).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                let log = fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
                return Err(io::Error::other(format!("nginx exited ({status}): {log}")));
            }
            if Instant::now() > until {
                return Err(io::Error::other("nginx did not start listening in 10 s"));
            }
            // Polling a starting process: nothing to wait on but time.
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A port nothing listens on now (the kernel's pick, released at once).
fn free_port() -> io::Result<SocketAddr> {
    TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// One foreground process, no access log, sendfile, keep-alive without a
/// request limit; every path nginx writes under `dir`.
fn config(dir: &Path, addr: SocketAddr) -> String {
    let d = dir.display();
    format!(
        "daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    default_type application/octet-stream;
    client_body_temp_path {d}/temp/body;
    proxy_temp_path {d}/temp/proxy;
    fastcgi_temp_path {d}/temp/fastcgi;
    uwsgi_temp_path {d}/temp/uwsgi;
    scgi_temp_path {d}/temp/scgi;
    server {{
        listen {addr};
        root {d}/www;
        location / {{ }}
    }}
}}
"
    )
}
