//! tinyproxy: a real forwarding proxy (absolute-form http) that also opens
//! `CONNECT` tunnels to the ports it is told to allow.

use std::fs;
use std::net::SocketAddr;
use std::process::Command;

use super::process::{accepts, find_program, free_port, ServerProcess, TempDir, START_DEADLINE};
use super::{retry_start, ServerError};

/// A running tinyproxy.
#[derive(Debug)]
pub struct Tinyproxy {
    // Field order matters: the process stops before its directory goes.
    process: ServerProcess,
    dir: TempDir,
    addr: SocketAddr,
}

impl Tinyproxy {
    /// Starts tinyproxy in the foreground on a free loopback port,
    /// accepting clients from 127.0.0.1 only. `CONNECT` is allowed to the
    /// `connect_ports` only; an empty list refuses every tunnel (tinyproxy
    /// would otherwise allow all ports).
    pub fn start(connect_ports: &[u16]) -> Result<Tinyproxy, ServerError> {
        let exe = find_program("tinyproxy")
            .ok_or_else(|| ServerError::missing("tinyproxy", "apt-get install -y tinyproxy"))?;
        retry_start(|| {
            let dir = TempDir::new("tinyproxy").map_err(ServerError::io("tinyproxy: temp dir"))?;
            let port = free_port().map_err(ServerError::io("tinyproxy: free port"))?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let conf = dir.path().join("tinyproxy.conf");
            fs::write(&conf, config(&dir, port, connect_ports))
                .map_err(ServerError::io("tinyproxy: write config"))?;
            let mut cmd = Command::new(&exe);
            cmd.arg("-d").arg("-c").arg(&conf);
            let mut process =
                ServerProcess::spawn("tinyproxy", cmd, &dir.path().join("stderr.log"))?;
            let ready = process.wait_ready(START_DEADLINE, || accepts(addr));
            if let Err(e) = ready {
                // tinyproxy says why it stopped in its own log file.
                let extra =
                    fs::read_to_string(dir.path().join("tinyproxy.log")).unwrap_or_default();
                return Err(match e {
                    ServerError::Exited { name, status, log } => ServerError::Exited {
                        name,
                        status,
                        log: log + &extra,
                    },
                    other => other,
                });
            }
            Ok(Tinyproxy { process, dir, addr })
        })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1`, for proxy settings that take a host and a port.
    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT`, for clients that take the proxy as a URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// tinyproxy's log so far (connections, requests, refusals).
    pub fn log_text(&self) -> String {
        let file = fs::read_to_string(self.dir.path().join("tinyproxy.log")).unwrap_or_default();
        file + &self.process.log_text()
    }
}

fn config(dir: &TempDir, port: u16, connect_ports: &[u16]) -> String {
    let d = dir.path().display();
    // With no ConnectPort line tinyproxy tunnels to any port; port 0 can
    // never be a destination, so listing it alone refuses every CONNECT.
    let ports: Vec<u16> = if connect_ports.is_empty() {
        vec![0]
    } else {
        connect_ports.to_vec()
    };
    let connect: String = ports.iter().map(|p| format!("ConnectPort {p}\n")).collect();
    format!(
        "Port {port}
Listen 127.0.0.1
Timeout 30
Allow 127.0.0.1
MaxClients 64
PidFile \"{d}/tinyproxy.pid\"
LogFile \"{d}/tinyproxy.log\"
LogLevel Info
{connect}"
    )
}
