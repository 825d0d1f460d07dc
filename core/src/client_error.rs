//! [`ClientError`]: why a request run by a runtime did not give a response.
//! Both runtimes return this one type (as their `Error`), so handlers that
//! look at errors move between runtimes unchanged. It is plain data: the
//! core still touches no file.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::BuildError;

/// Why a request failed in a runtime. Cheap to clone (callbacks and properties share it).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientError {
    /// The request description was invalid (URL, header, method...).
    Build(BuildError),
    /// The exchange ended with a `Failure`: DNS, connect, TLS, timeout,
    /// malformed or truncated response, redirects, proxy refusal,
    /// cancellation...
    Request(crate::Error),
    /// Writing the `file_path` download failed.
    File {
        /// The file being written.
        path: PathBuf,
        /// What the file system said.
        source: Arc<io::Error>,
    },
}

impl ClientError {
    /// Whether the request was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, ClientError::Request(crate::Error::Cancelled))
    }

    /// The exchange failure, when that is what this is.
    pub fn request_error(&self) -> Option<&crate::Error> {
        match self {
            ClientError::Request(e) => Some(e),
            _ => None,
        }
    }

    /// A short stable name for the kind of failure (`"dns"`, `"timeout"`,
    /// `"cancelled"`, `"file"`, `"build"`...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            ClientError::Build(_) => "build",
            ClientError::Request(e) => e.kind_name(),
            ClientError::File { .. } => "file",
        }
    }

    /// A failure to write the download file at `path`.
    pub fn file(path: PathBuf, source: io::Error) -> ClientError {
        ClientError::File {
            path,
            source: Arc::new(source),
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Build(e) => e.fmt(f),
            ClientError::Request(e) => e.fmt(f),
            ClientError::File { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Build(e) => Some(e),
            ClientError::Request(e) => Some(e),
            ClientError::File { source, .. } => Some(&**source),
        }
    }
}

impl From<BuildError> for ClientError {
    fn from(e: BuildError) -> Self {
        ClientError::Build(e)
    }
}

impl From<crate::Error> for ClientError {
    fn from(e: crate::Error) -> Self {
        ClientError::Request(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_cancellation() {
        assert!(ClientError::Request(crate::Error::Cancelled).is_cancelled());
        let file = ClientError::file(PathBuf::from("/x/y"), io::Error::other("disk full"));
        assert!(!file.is_cancelled());
        assert_eq!(file.kind_name(), "file");
        assert!(file.request_error().is_none());
        assert_eq!(file.to_string(), "cannot write /x/y: disk full");
        let build = ClientError::from(BuildError::ZeroChunkSize);
        assert_eq!(build.kind_name(), "build");
    }
}
