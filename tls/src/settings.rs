//! [`TlsSettings`]: what a request or a client trusts, in one type for every
//! runtime, and the rustls configuration it becomes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;

use crate::{client_config, TlsConfigError};

/// What a `ca_file` does to the built-in roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CaMode {
    /// The file's certificates are the only ones trusted (Kivy's meaning).
    #[default]
    Replace,
    /// The file's certificates are trusted besides the built-in roots.
    Extend,
}

impl fmt::Display for CaMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaMode::Replace => "replace",
            CaMode::Extend => "extend",
        })
    }
}

/// The TLS settings of a request or a client: the roots to trust (the
/// built-in Mozilla roots, a `ca_file` replacing or extending them) and
/// whether certificates are checked at all. Connections are pooled apart
/// per settings, so a connection made with `verify(false)` never serves a
/// request that verifies.
///
/// ```
/// use urlrequest_tls::{CaMode, TlsSettings};
/// let s = TlsSettings::default()
///     .ca_file("/etc/my-ca.pem")
///     .ca_mode(CaMode::Extend);
/// assert_eq!(s.ca_file_path().unwrap().to_str(), Some("/etc/my-ca.pem"));
/// assert!(s.verifies() && s.extends_roots());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsSettings {
    ca_file: Option<PathBuf>,
    ca_mode: CaMode,
    verify: bool,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            ca_file: None,
            ca_mode: CaMode::Replace,
            verify: true,
        }
    }
}

impl TlsSettings {
    /// The built-in roots, certificates checked.
    pub fn new() -> TlsSettings {
        TlsSettings::default()
    }

    /// Trust the certificates of this PEM file: instead of the built-in
    /// roots (Kivy's meaning), or besides them with
    /// [`ca_mode(CaMode::Extend)`](Self::ca_mode).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Whether a `ca_file` replaces (default) or extends the built-in roots.
    pub fn ca_mode(mut self, mode: CaMode) -> Self {
        self.ca_mode = mode;
        self
    }

    /// **Dangerous.** `false` accepts any certificate for any name: anyone
    /// on the network path can read and change the traffic. Only the
    /// handshake signatures are still checked. Meant for tests and for
    /// talking to a device with a self-signed certificate on a trusted
    /// network; prefer [`ca_file`](Self::ca_file) with that certificate.
    pub fn verify(mut self, verify: bool) -> Self {
        self.verify = verify;
        self
    }

    /// The `ca_file`, if set.
    pub fn ca_file_path(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// What the `ca_file` does to the built-in roots.
    pub fn mode(&self) -> CaMode {
        self.ca_mode
    }

    /// Whether the built-in roots stay trusted besides a `ca_file`.
    pub fn extends_roots(&self) -> bool {
        self.ca_mode == CaMode::Extend
    }

    /// Whether certificates are checked.
    pub fn verifies(&self) -> bool {
        self.verify
    }

    /// The rustls configuration these settings describe. Fails when the
    /// `ca_file` cannot be read or holds no usable certificate (it is read
    /// here: a caller in async code may want to do this off its executor).
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TlsConfigError> {
        client_config(self.ca_file.as_deref(), self.extends_roots(), self.verify)
    }
}
