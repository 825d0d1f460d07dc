//! Building the rustls client configuration from the user's TLS settings:
//! webpki roots, a `ca_file` that replaces or extends them, or no
//! verification at all.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::ClientConfig;

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

pub use urlrequest_tls::TlsConfigError;

/// Builds the client configuration for `settings` (shared with the std
/// runtime, so both trust and describe certificates the same way).
pub(crate) fn client_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>, TlsConfigError> {
    urlrequest_tls::client_config(
        settings.ca_file.as_deref(),
        settings.extend_roots,
        settings.verify,
    )
}
