//! httpbin (the Flask application) under gunicorn: redirects of every
//! kind, status codes, JSON, streaming, slow and delayed responses, basic
//! auth and request echoes.

use std::net::SocketAddr;
use std::process::Command;

use super::process::{free_port, probe_status, ServerProcess, TempDir, START_DEADLINE};
use super::{retry_start, ServerError};

const INSTALL: &str = "pip install httpbin gunicorn";

/// A running gunicorn serving `httpbin:app`.
#[derive(Debug)]
pub struct Httpbin {
    // Field order matters: the process stops before its directory goes.
    process: ServerProcess,
    _dir: TempDir,
    addr: SocketAddr,
}

impl Httpbin {
    /// Starts gunicorn on a free loopback port and waits until httpbin
    /// answers.
    ///
    /// Threaded workers (`gthread`): the sync worker closes every
    /// connection and a slow endpoint (`/delay`, `/drip`) would hold one of
    /// only two workers; with threads, tests running side by side and
    /// clients that give up early do not starve each other.
    pub fn start() -> Result<Httpbin, ServerError> {
        let python = super::find_program("python3")
            .ok_or_else(|| ServerError::missing("python3", "apt-get install -y python3"))?;
        retry_start(|| {
            let dir = TempDir::new("httpbin").map_err(ServerError::io("httpbin: temp dir"))?;
            let port = free_port().map_err(ServerError::io("httpbin: free port"))?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let mut cmd = Command::new(&python);
            cmd.args(["-m", "gunicorn", "--bind"])
                .arg(addr.to_string())
                .args([
                    "--workers",
                    "2",
                    "--worker-class",
                    "gthread",
                    "--threads",
                    "16",
                    "--keep-alive",
                    "30",
                    "--graceful-timeout",
                    "1",
                    "--error-logfile",
                    "-",
                    "httpbin:app",
                ])
                .current_dir(dir.path());
            let log = dir.path().join("gunicorn.log");
            let mut process = ServerProcess::spawn("gunicorn (httpbin)", cmd, &log)?;
            let ready = process.wait_ready(START_DEADLINE, || {
                probe_status(addr, "/status/200") == Some(200)
            });
            match ready {
                Ok(()) => Ok(Httpbin {
                    process,
                    _dir: dir,
                    addr,
                }),
                Err(ServerError::Exited { log, .. }) if log.contains("No module named") => {
                    Err(ServerError::missing(&missing_module(&log), INSTALL))
                }
                Err(e) => Err(e),
            }
        })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// gunicorn's log so far.
    pub fn log_text(&self) -> String {
        self.process.log_text()
    }
}

/// Which Python module the log says is missing (`httpbin`, `gunicorn`...).
fn missing_module(log: &str) -> String {
    log.lines()
        .find_map(|l| l.split("No module named ").nth(1))
        .map(|m| format!("the Python module {}", m.trim()))
        .unwrap_or_else(|| "httpbin or gunicorn".to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_the_missing_module() {
        let log = "Traceback...\nModuleNotFoundError: No module named 'httpbin'\n";
        assert_eq!(super::missing_module(log), "the Python module 'httpbin'");
        assert_eq!(super::missing_module("other"), "httpbin or gunicorn");
    }
}
