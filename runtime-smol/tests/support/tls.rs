//! HTTPS test servers with certificates from the conformance crate's
//! [`TestCa`], served by its test server. Each answers `secure <target>`
//! (noting it if proxy credentials reached it).

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use urlrequest_conformance::test_server::{respond, serve_on, Req, Server};
use urlrequest_conformance::{CertKind, TestCa};

/// A CA of its own for one test.
pub struct Pki {
    ca: TestCa,
}

/// A leaf certificate to serve: its names and whether it has expired.
pub struct Leaf {
    config: Arc<rustls::ServerConfig>,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        Pki {
            ca: TestCa::new(name).unwrap(),
        }
    }

    /// The CA certificate as a PEM file.
    pub fn ca_file(&self) -> PathBuf {
        self.ca.pem_file().to_path_buf()
    }

    pub fn leaf(&self, names: &[&str], expired: bool) -> Leaf {
        let kind = if expired {
            CertKind::Expired
        } else {
            CertKind::Valid
        };
        Leaf {
            config: self.ca.server_config(names, kind),
        }
    }
}

/// A running HTTPS server on 127.0.0.1.
pub struct TlsServer {
    server: Server,
}

impl TlsServer {
    pub fn start(leaf: Leaf) -> TlsServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = serve_on(
            listener,
            Some(leaf.config),
            Arc::new(|req: &Req, w: &mut dyn std::io::Write| {
                let mut body = format!("secure {}", req.target);
                if req.header("proxy-authorization").is_some() {
                    body.push_str(" (proxy credentials leaked to origin)");
                }
                respond(w, "200 OK", &[], body.as_bytes())?;
                Ok(true)
            }),
        );
        TlsServer { server }
    }

    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    pub fn accepted(&self) -> usize {
        self.server.accepted()
    }
}
