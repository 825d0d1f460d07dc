//! TLS settings ([`Tls`]) and how they become a `rustls` client
//! configuration: which roots to trust, the optional `ca_file`, and the
//! deliberately dangerous "verify nothing" mode.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;

/// How the certificates of a `ca_file` combine with the built-in roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CaMode {
    /// Trust only the certificates in the file (Kivy's meaning of `ca_file`).
    #[default]
    Replace,
    /// Trust the file's certificates in addition to the built-in roots.
    Extend,
}

/// TLS settings for https requests. Plain http ignores them.
///
/// The default trusts the Mozilla roots shipped in `webpki-roots` and checks
/// the server's name, validity dates and chain, like a browser.
///
/// ```
/// use urlrequest_std::{CaMode, Tls};
/// let tls = Tls::default().ca_file("/etc/my-company/ca.pem").ca_mode(CaMode::Extend);
/// assert_eq!(tls.ca_file_path().unwrap().to_str(), Some("/etc/my-company/ca.pem"));
/// assert!(tls.verifies());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tls {
    ca_file: Option<PathBuf>,
    ca_mode: CaMode,
    verify: bool,
}

impl Default for Tls {
    fn default() -> Self {
        Tls {
            ca_file: None,
            ca_mode: CaMode::Replace,
            verify: true,
        }
    }
}

impl Tls {
    /// Trust the certificates of this PEM file (one or many `CERTIFICATE`
    /// blocks). By default they replace the built-in roots; see [`Tls::ca_mode`].
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Whether the `ca_file` replaces (default) or extends the built-in roots.
    pub fn ca_mode(mut self, mode: CaMode) -> Self {
        self.ca_mode = mode;
        self
    }

    /// **Dangerous.** `false` accepts any certificate for any name: anyone
    /// on the network path can read and change the traffic. Only the
    /// handshake signatures are still checked. Meant for tests and for
    /// talking to a device with a self-signed certificate on a trusted
    /// network; prefer [`Tls::ca_file`] with that certificate instead.
    pub fn verify(mut self, verify: bool) -> Self {
        self.verify = verify;
        self
    }

    /// The `ca_file`, if set.
    pub fn ca_file_path(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// Whether certificates are checked.
    pub fn verifies(&self) -> bool {
        self.verify
    }

    /// Builds the rustls configuration these settings describe. Fails when
    /// the `ca_file` cannot be read or holds no usable certificate.
    pub(crate) fn client_config(&self) -> Result<Arc<ClientConfig>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?;
        let mut config = if self.verify {
            let mut roots = RootCertStore::empty();
            if self.ca_file.is_none() || self.ca_mode == CaMode::Extend {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            if let Some(path) = &self.ca_file {
                add_pem_file(&mut roots, path)?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        } else {
            log::warn!("TLS certificate verification is disabled (verify = false)");
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { provider }))
                .with_no_client_auth()
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

fn add_pem_file(roots: &mut RootCertStore, path: &Path) -> Result<(), String> {
    let shown = path.display();
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read ca_file {shown}: {}", pem_error(e)))?;
    let mut added = 0;
    for cert in iter {
        let cert = cert.map_err(|e| format!("cannot parse ca_file {shown}: {}", pem_error(e)))?;
        roots
            .add(cert)
            .map_err(|e| format!("ca_file {shown} holds an unusable certificate: {e}"))?;
        added += 1;
    }
    if added == 0 {
        return Err(format!(
            "ca_file {shown} holds no PEM CERTIFICATE block (a DER file must be converted to PEM)"
        ));
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
/// names too (they are checked against the certificate's IP entries and
/// not sent as SNI).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_string())
        .map_err(|_| format!("{host:?} is not a valid TLS server name"))
}

/// Turns a handshake failure into a message that says what to do about it.
pub(crate) fn describe_error(host: &str, e: &io::Error) -> String {
    let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
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

/// The verifier behind `verify = false`: accepts every certificate, but
/// still checks that the handshake was signed by the certificate's key.
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

impl fmt::Display for CaMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaMode::Replace => "replace",
            CaMode::Extend => "extend",
        })
    }
}
