//! [`TlsFiles`]: a throwaway CA and a server certificate it signed, as PEM
//! files, for real servers (nginx) that read their certificate from disk.

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

use super::process::TempDir;
use super::ServerError;

/// A CA certificate (for a client's `ca_file`) and a server certificate
/// and key it signed (for the server), in a temporary directory removed on
/// drop.
#[derive(Debug)]
pub struct TlsFiles {
    dir: TempDir,
}

impl TlsFiles {
    /// Generates a CA and a server certificate valid for `names` (DNS
    /// names or IP addresses).
    pub fn generate(names: &[&str]) -> Result<TlsFiles, ServerError> {
        let fail = |e: rcgen::Error| ServerError::Io {
            what: "generating certificates".into(),
            source: std::io::Error::other(e.to_string()),
        };
        let dir = TempDir::new("tls").map_err(ServerError::io("tls: temp dir"))?;

        let ca_key = KeyPair::generate().map_err(fail)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "urlrequest interop CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).map_err(fail)?;
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate().map_err(fail)?;
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut leaf = CertificateParams::new(names.clone()).map_err(fail)?;
        if let Some(first) = names.first() {
            leaf.distinguished_name
                .push(DnType::CommonName, first.as_str());
        }
        let cert = leaf.signed_by(&key, &issuer).map_err(fail)?;

        let files = TlsFiles { dir };
        let write = |path: PathBuf, pem: String| {
            fs::write(&path, pem).map_err(ServerError::io(format!("write {}", path.display())))
        };
        write(files.ca(), ca_cert.pem())?;
        write(files.cert(), cert.pem())?;
        write(files.key(), key.serialize_pem())?;
        Ok(files)
    }

    /// The CA certificate (PEM): what clients trust.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The server certificate (PEM).
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("server.pem")
    }

    /// The server's private key (PEM).
    pub fn key(&self) -> PathBuf {
        self.dir.path().join("server.key")
    }

    /// The directory holding the three files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_three_pem_files() {
        let files = super::TlsFiles::generate(&["localhost", "127.0.0.1"]).unwrap();
        let ca = std::fs::read_to_string(files.ca()).unwrap();
        let cert = std::fs::read_to_string(files.cert()).unwrap();
        let key = std::fs::read_to_string(files.key()).unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_ne!(ca, cert);
        assert!(key.contains("PRIVATE KEY"));
        let dir = files.dir().to_path_buf();
        drop(files);
        assert!(!dir.exists(), "the directory goes with the value");
    }
}
