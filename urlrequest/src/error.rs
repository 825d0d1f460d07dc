//! [`Error`]: why a request run by a runtime did not give a response.
//! Both runtimes return this one type (as their `Error`), so handlers that
//! look at errors move between runtimes unchanged. It is plain data: the
//! core still touches no file.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use urlrequest_core::BuildError;

/// Why a request failed in a runtime. Cheap to clone (callbacks and properties share it).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The request description was invalid (URL, header, method...).
    Build(BuildError),
    /// The exchange ended with a `Failure`: DNS, connect, TLS, timeout,
    /// malformed or truncated response, redirects, proxy refusal,
    /// cancellation...
    Request(urlrequest_core::Error),
    /// The client's TLS settings cannot be used (a `ca_file` that cannot
    /// be read or holds no certificate); reported when the client is built.
    TlsConfig(urlrequest_tls::TlsConfigError),
    /// Writing the `file_path` download failed.
    File {
        /// The file being written.
        path: PathBuf,
        /// What the file system said.
        source: Arc<io::Error>,
    },
}

impl Error {
    /// Whether the request was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Request(urlrequest_core::Error::Cancelled))
    }

    /// The exchange failure, when that is what this is.
    pub fn request_error(&self) -> Option<&urlrequest_core::Error> {
        match self {
            Error::Request(e) => Some(e),
            _ => None,
        }
    }

    /// A short stable name for the kind of failure (`"dns"`, `"timeout"`,
    /// `"cancelled"`, `"file"`, `"build"`...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::Build(_) => "build",
            Error::TlsConfig(_) => "tls-config",
            Error::Request(e) => e.kind_name(),
            Error::File { .. } => "file",
        }
    }

    /// A failure to write the download file at `path`.
    pub fn file(path: PathBuf, source: io::Error) -> Error {
        Error::File {
            path,
            source: Arc::new(source),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Build(e) => e.fmt(f),
            Error::TlsConfig(e) => e.fmt(f),
            Error::Request(e) => e.fmt(f),
            Error::File { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
        }
    }
}

/// No variant has a [`source`](std::error::Error::source): the message of
/// each already holds the whole story (the build error's or the failure's
/// own text, or the path with what the file system said), so a reporter
/// that walks the chain (anyhow's `{:#}`, `Report`) prints it once instead
/// of twice. The inner values stay reachable by matching on the variant.
impl std::error::Error for Error {}

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Self {
        Error::Build(e)
    }
}

impl From<urlrequest_core::Error> for Error {
    fn from(e: urlrequest_core::Error) -> Self {
        Error::Request(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_cancellation() {
        assert!(Error::Request(urlrequest_core::Error::Cancelled).is_cancelled());
        let file = Error::file(PathBuf::from("/x/y"), io::Error::other("disk full"));
        assert!(!file.is_cancelled());
        assert_eq!(file.kind_name(), "file");
        assert!(file.request_error().is_none());
        assert_eq!(file.to_string(), "cannot write /x/y: disk full");
        let build = Error::from(BuildError::ZeroChunkSize);
        assert_eq!(build.kind_name(), "build");
    }

    /// The messages along the source chain, as a reporter prints them.
    fn chain(e: &Error) -> Vec<String> {
        let mut out = vec![e.to_string()];
        let mut next = std::error::Error::source(e);
        while let Some(s) = next {
            out.push(s.to_string());
            next = s.source();
        }
        out
    }

    #[test]
    fn the_source_chain_says_each_message_once() {
        let every = [
            Error::from(BuildError::ZeroChunkSize),
            Error::from(urlrequest_core::Error::Cancelled),
            Error::from(urlrequest_core::Error::Transport(
                urlrequest_core::TransportError::Connect("127.0.0.1:9: refused".into()),
            )),
            Error::file(PathBuf::from("/x/y"), io::Error::other("disk full")),
        ];
        for e in &every {
            let chain = chain(e);
            assert_eq!(chain, vec![e.to_string()], "{e:?}");
        }
        // What the inner error said is in the one message.
        assert_eq!(
            chain(&every[2]),
            ["could not connect: 127.0.0.1:9: refused"]
        );
        assert_eq!(chain(&every[3]), ["cannot write /x/y: disk full"]);
    }
}
