//! Building the rustls client configuration from the user's TLS settings:
//! webpki roots, a `ca_file` that replaces or extends them, or no
//! verification at all.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// How server certificates are checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsSettings {
    /// A PEM file of CA certificates to trust (Kivy's `ca_file`).
    pub ca_file: Option<PathBuf>,
    /// With a `ca_file`: also trust the built-in webpki roots. Off (the
    /// default) means the file's certificates *replace* the roots, as in Kivy.
    pub extend_roots: bool,
    /// `false` turns certificate checking off entirely: any certificate, for
    /// any host, expired or not, is accepted. The connection is then encrypted
    /// but not authenticated, so anyone on the path can read and change it.
    /// Only for tests and machines you control.
    pub verify: bool,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            ca_file: None,
            extend_roots: false,
            verify: true,
        }
    }
}

/// Why the TLS settings could not be turned into a configuration.
#[derive(Debug)]
pub enum TlsConfigError {
    /// The `ca_file` could not be read or parsed as PEM.
    CaFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The `ca_file` holds no usable certificate.
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
            TlsConfigError::NoCertificates { path } => {
                write!(f, "ca_file {} holds no certificate", path.display())
            }
            TlsConfigError::Rustls(m) => write!(f, "TLS configuration refused: {m}"),
        }
    }
}

impl std::error::Error for TlsConfigError {}

/// Builds the client configuration for `settings`, with the ring provider
/// chosen explicitly so the process-wide default provider does not matter.
pub(crate) fn client_config(settings: &TlsSettings) -> Result<ClientConfig, TlsConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Rustls(e.to_string()))?;
    let config = if settings.verify {
        builder
            .with_root_certificates(roots(settings)?)
            .with_no_client_auth()
    } else {
        log::warn!("TLS certificate verification is disabled");
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { provider }))
            .with_no_client_auth()
    };
    Ok(config)
}

fn roots(settings: &TlsSettings) -> Result<RootCertStore, TlsConfigError> {
    let mut store = RootCertStore::empty();
    let Some(path) = &settings.ca_file else {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(store);
    };
    if settings.extend_roots {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    let mut added = 0;
    for cert in read_pem(path)? {
        store.add(cert).map_err(|e| TlsConfigError::CaFile {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        added += 1;
    }
    if added == 0 {
        return Err(TlsConfigError::NoCertificates { path: path.clone() });
    }
    Ok(store)
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let err = |reason: String| TlsConfigError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let iter = CertificateDer::pem_file_iter(path).map_err(|e| err(e.to_string()))?;
    iter.collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(e.to_string()))
}

/// The verifier behind `verify = false`: every certificate passes, but the
/// handshake signatures are still checked so the session keys are sound.
#[derive(Debug)]
struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
