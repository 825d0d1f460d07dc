//! # urlrequest-tls
//!
//! The one place where the urlrequest runtimes turn TLS settings into a
//! `rustls` client configuration, so that both trust the same roots, read a
//! `ca_file` the same way, describe handshake failures the same way, and
//! mean the same thing by `verify = false`. TLS sits below the sans-IO core:
//! the core never sees ciphertext.
//!
//! ```
//! let config = urlrequest_tls::client_config(None, false, true).unwrap();
//! assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod settings;
mod verifier;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;

pub use rustls;
pub use settings::{CaMode, TlsSettings};

/// Why TLS settings could not become a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// The `ca_file` could not be read or parsed as PEM, or holds a
    /// certificate rustls cannot use.
    CaFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The `ca_file` holds no `CERTIFICATE` block.
    NoCertificates {
        /// The file.
        path: PathBuf,
    },
    /// rustls refused the configuration.
    Rustls(String),
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsConfigError::CaFile { path, reason } => {
                write!(f, "cannot use ca_file {}: {reason}", path.display())
            }
            TlsConfigError::NoCertificates { path } => write!(
                f,
                "ca_file {} holds no PEM CERTIFICATE block (a DER file must be converted to PEM)",
                path.display()
            ),
            TlsConfigError::Rustls(m) => write!(f, "TLS configuration refused: {m}"),
        }
    }
}

impl std::error::Error for TlsConfigError {}

/// Builds a client configuration.
///
/// - `ca_file`: a PEM file of CA certificates (one or many). Without
///   `extend_roots` it *replaces* the built-in Mozilla roots (Kivy's meaning);
///   with it, it adds to them. Without a file, the built-in roots are used.
/// - `verify = false` is **dangerous**: every certificate is accepted for
///   every name, so anyone on the path can read and change the traffic (only
///   the handshake signatures are still checked). For tests and devices on
///   a network you control; prefer `ca_file` with the device's certificate.
///
/// The ring provider is chosen explicitly, so the process-wide default
/// provider does not matter. ALPN offers `http/1.1`.
pub fn client_config(
    ca_file: Option<&Path>,
    extend_roots: bool,
    verify: bool,
) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Rustls(e.to_string()))?;
    let mut config = if verify {
        let mut roots = RootCertStore::empty();
        if ca_file.is_none() || extend_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        if let Some(path) = ca_file {
            add_pem_file(&mut roots, path)?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        log::warn!("TLS certificate verification is disabled (verify = false)");
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier::AcceptAnyCertificate::new(
                provider,
            )))
            .with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn add_pem_file(roots: &mut RootCertStore, path: &Path) -> Result<(), TlsConfigError> {
    let err = |reason: String| TlsConfigError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let iter = CertificateDer::pem_file_iter(path).map_err(|e| err(pem_error(e)))?;
    let mut added = 0;
    for cert in iter {
        let cert = cert.map_err(|e| err(pem_error(e)))?;
        roots
            .add(cert)
            .map_err(|e| err(format!("unusable certificate: {e}")))?;
        added += 1;
    }
    if added == 0 {
        return Err(TlsConfigError::NoCertificates {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

fn pem_error(e: rustls_pki_types::pem::Error) -> String {
    match e {
        rustls_pki_types::pem::Error::Io(io) => io.to_string(),
        other => format!("{other:?}"),
    }
}

/// The server name for SNI and certificate checks. IP literals are valid
/// names too (checked against the certificate's IP entries, not sent as SNI).
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_string())
        .map_err(|_| format!("{host:?} is not a valid TLS server name"))
}

/// Turns a handshake failure into a message that says what to do about it.
///
/// ```
/// let e = std::io::Error::new(
///     std::io::ErrorKind::InvalidData,
///     urlrequest_tls::rustls::Error::InvalidCertificate(
///         urlrequest_tls::rustls::CertificateError::UnknownIssuer,
///     ),
/// );
/// assert!(urlrequest_tls::describe_error("a.test", &e).contains("pass its CA as ca_file"));
/// ```
pub fn describe_error(host: &str, e: &io::Error) -> String {
    let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
        // Each TLS library words a peer that hangs up mid-handshake its own
        // way; the runtimes report it the same.
        if e.kind() == io::ErrorKind::UnexpectedEof {
            return format!("TLS handshake with {host} failed: the server closed the connection");
        }
        return format!("TLS handshake with {host} failed: {e}");
    };
    let hint = match tls {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => {
                " (the certificate is not signed by a trusted authority: pass its CA as ca_file)"
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                " (the certificate belongs to another host name)"
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                " (the certificate has expired; check the server, and this machine's clock)"
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                " (the certificate is not valid yet; check this machine's clock)"
            }
            _ => "",
        },
        _ => "",
    };
    format!("TLS handshake with {host} failed: {tls}{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_ca_files_are_named() {
        let e = client_config(Some(Path::new("/no/such/ca.pem")), false, true).unwrap_err();
        assert!(matches!(e, TlsConfigError::CaFile { .. }), "{e}");
        assert!(e.to_string().contains("/no/such/ca.pem"));
        let empty =
            std::env::temp_dir().join(format!("urlrequest-tls-empty-{}.pem", std::process::id()));
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = client_config(Some(&empty), false, true).unwrap_err();
        let _ = std::fs::remove_file(&empty);
        assert_eq!(e, TlsConfigError::NoCertificates { path: empty });
    }

    #[test]
    fn server_names() {
        assert!(server_name("example.com").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("bad name").is_err());
    }

    #[test]
    fn verify_off_builds() {
        assert!(client_config(None, false, false).is_ok());
    }
}
