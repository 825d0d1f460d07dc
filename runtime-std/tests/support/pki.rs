//! Test certificates from the conformance crate's [`TestCa`], and TLS
//! servers using them.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use urlrequest_conformance::{CertKind, TestCa};

use super::{serve_on, Handler, Server};

/// A CA of its own for one test.
pub struct Ca {
    inner: TestCa,
    pub pem: String,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let inner = TestCa::new(name).unwrap();
        let pem = inner.pem().to_string();
        Ca { inner, pem }
    }

    /// Writes the CA certificate (plus `extra` PEM text) to a file.
    pub fn write_pem(&self, name: &str, extra: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("urlrequest-{}-{name}.pem", std::process::id()));
        std::fs::write(&path, format!("{extra}{}", self.pem)).unwrap();
        path
    }

    /// A server config for a leaf certificate with these names.
    pub fn server_config(&self, names: &[&str], expired: bool) -> Arc<rustls::ServerConfig> {
        let kind = if expired {
            CertKind::Expired
        } else {
            CertKind::Valid
        };
        self.inner.server_config(names, kind)
    }

    /// An HTTPS server on 127.0.0.1 with a certificate for `names`.
    pub fn serve(&self, names: &[&str], expired: bool, handler: Arc<Handler>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        serve_on(listener, Some(self.server_config(names, expired)), handler)
    }
}
