//! TLS settings ([`Tls`]) and how they become a `rustls` client
//! configuration: which roots to trust, the optional `ca_file`, and the
//! deliberately dangerous "verify nothing" mode.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;

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
        urlrequest_tls::client_config(
            self.ca_file.as_deref(),
            self.ca_mode == CaMode::Extend,
            self.verify,
        )
        .map_err(|e| e.to_string())
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
