//! A throwaway certificate authority for loopback TLS servers: one trusted
//! CA per process (its PEM written to a file a runtime can be told to
//! trust), one CA nobody trusts, and rustls server configurations for the
//! certificate kinds the cases exercise.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Which certificate a TLS server presents (the `tls-cert` line of a case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CertKind {
    /// Issued by the trusted CA for the server's name: the handshake succeeds.
    #[default]
    Valid,
    /// Issued by the trusted CA for another name (`wrong.test`).
    WrongHost,
    /// For the right name, but issued by a CA the client does not trust.
    UnknownCa,
    /// For the right name by the trusted CA, but valid only in 2020.
    Expired,
}

impl CertKind {
    /// Every kind, in a fixed order.
    pub const ALL: [CertKind; 4] = [
        CertKind::Valid,
        CertKind::WrongHost,
        CertKind::UnknownCa,
        CertKind::Expired,
    ];

    /// The kind's name as written in case files.
    pub fn name(self) -> &'static str {
        match self {
            CertKind::Valid => "valid",
            CertKind::WrongHost => "wrong-host",
            CertKind::UnknownCa => "unknown-ca",
            CertKind::Expired => "expired",
        }
    }

    /// The kind with this case-file name.
    pub fn from_name(name: &str) -> Option<CertKind> {
        CertKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What a client that checks certificates reports, in the canonical
    /// words of [`crate::normalize_line`]; `None` for a valid certificate.
    pub fn rejection(self) -> Option<&'static str> {
        match self {
            CertKind::Valid => None,
            CertKind::WrongHost => Some(crate::normalize::NOT_VALID_FOR_NAME),
            CertKind::UnknownCa => Some(crate::normalize::UNKNOWN_ISSUER),
            CertKind::Expired => Some(crate::normalize::EXPIRED),
        }
    }
}

/// Names and kind of a cached server configuration.
type ConfigKey = (Vec<String>, CertKind);

/// A certificate authority made for tests: it signs leaf certificates for
/// loopback servers.
///
/// ```
/// use urlrequest_conformance::{CertKind, TestCa};
/// let ca = TestCa::trusted();
/// assert!(std::fs::read_to_string(ca.pem_file()).unwrap().contains("BEGIN CERTIFICATE"));
/// let _config = ca.server_config(&["127.0.0.1"], CertKind::Expired);
/// ```
pub struct TestCa {
    pem: String,
    der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    pem_file: PathBuf,
    configs: Mutex<HashMap<ConfigKey, Arc<rustls::ServerConfig>>>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("pem_file", &self.pem_file)
            .finish_non_exhaustive()
    }
}

impl TestCa {
    /// Makes a new CA named `name` and writes its certificate to a PEM file
    /// in the temporary directory.
    pub fn new(name: &str) -> io::Result<TestCa> {
        let fail = |e: rcgen::Error| io::Error::other(e.to_string());
        let key = KeyPair::generate().map_err(fail)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).map_err(fail)?;
        // One file per CA, even for two CAs of one name made at once.
        static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pem_file = std::env::temp_dir().join(format!(
            "urlrequest-conformance-{}-{n}-{}.pem",
            std::process::id(),
            name.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
        ));
        std::fs::write(&pem_file, cert.pem())?;
        Ok(TestCa {
            pem: cert.pem(),
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
            pem_file,
            configs: Mutex::new(HashMap::new()),
        })
    }

    /// The process's trusted CA: runtimes under test trust the
    /// [`pem_file`](Self::pem_file) of this one.
    ///
    /// Panics if the CA cannot be made or written (no usable temp dir).
    pub fn trusted() -> &'static TestCa {
        static CA: OnceLock<TestCa> = OnceLock::new();
        CA.get_or_init(|| TestCa::new("urlrequest conformance CA").expect("test CA"))
    }

    /// A CA nobody is told to trust, for [`CertKind::UnknownCa`].
    pub fn untrusted() -> &'static TestCa {
        static CA: OnceLock<TestCa> = OnceLock::new();
        CA.get_or_init(|| TestCa::new("urlrequest untrusted CA").expect("test CA"))
    }

    /// The CA certificate as PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A PEM file holding the CA certificate (for a runtime's `ca_file`).
    pub fn pem_file(&self) -> &Path {
        &self.pem_file
    }

    /// A rustls server configuration presenting a certificate of `kind`
    /// meant for `names` (DNS names or IP addresses). Configurations are
    /// cached: key generation is the slow part.
    ///
    /// Panics if rcgen or rustls refuse the parameters (a bug here).
    pub fn server_config(&self, names: &[&str], kind: CertKind) -> Arc<rustls::ServerConfig> {
        if kind == CertKind::UnknownCa && !std::ptr::eq(self, TestCa::untrusted()) {
            return TestCa::untrusted().server_config(names, CertKind::Valid);
        }
        let key = (names.iter().map(|s| s.to_string()).collect(), kind);
        let mut cache = self.configs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.get(&key) {
            return Arc::clone(c);
        }
        let config = self.make_config(names, kind);
        cache.insert(key, Arc::clone(&config));
        config
    }

    fn make_config(&self, names: &[&str], kind: CertKind) -> Arc<rustls::ServerConfig> {
        let names: Vec<String> = match kind {
            CertKind::WrongHost => vec!["wrong.test".to_string()],
            _ => names.iter().map(|s| s.to_string()).collect(),
        };
        let key = KeyPair::generate().expect("leaf key");
        let mut params = CertificateParams::new(names.clone()).expect("leaf names");
        params
            .distinguished_name
            .push(DnType::CommonName, names[0].as_str());
        if kind == CertKind::Expired {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2020, 12, 31);
        }
        let cert = params.signed_by(&key, &self.issuer).expect("leaf cert");
        let chain = vec![cert.der().clone(), self.der.clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server certificate");
        Arc::new(config)
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pem_file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_configs_are_cached() {
        for k in CertKind::ALL {
            assert_eq!(CertKind::from_name(k.name()), Some(k));
        }
        let ca = TestCa::trusted();
        let a = ca.server_config(&["127.0.0.1"], CertKind::Valid);
        let b = ca.server_config(&["127.0.0.1"], CertKind::Valid);
        assert!(Arc::ptr_eq(&a, &b));
        let c = ca.server_config(&["127.0.0.1"], CertKind::Expired);
        assert!(!Arc::ptr_eq(&a, &c));
        assert_ne!(TestCa::trusted().pem(), TestCa::untrusted().pem());
    }
}
