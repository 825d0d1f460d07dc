//! [`Error`]: why a request run by a runtime did not give the response
//! its caller wanted. Every runtime returns this one type (as its
//! `Error`), so handlers that look at errors move between runtimes
//! unchanged, and one function can `?` sending, checking the status
//! ([`StatusError`]) and reading the body ([`BodyError`]). It is plain
//! data: the core still touches no file.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use urlrequest_core::{BodyError, BuildError, StatusError};

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
    /// The response came, but its status is 4xx or 5xx (from
    /// [`Response::error_for_status`](urlrequest_core::Response::error_for_status)).
    Status(StatusError),
    /// The response came, but its body could not be read as asked
    /// ([`Response::text`](urlrequest_core::Response::text),
    /// [`Response::json`](urlrequest_core::Response::json)).
    Body(BodyError),
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

    /// The response of a [`Status`](Error::Status) error, when that is
    /// what this is.
    pub fn status_error(&self) -> Option<&StatusError> {
        match self {
            Error::Status(e) => Some(e),
            _ => None,
        }
    }

    /// A short stable name for the kind of failure (`"dns"`, `"timeout"`,
    /// `"cancelled"`, `"file"`, `"build"`, `"status"`, `"body"`...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::Build(_) => "build",
            Error::TlsConfig(_) => "tls-config",
            Error::Request(e) => e.kind_name(),
            Error::File { .. } => "file",
            Error::Status(_) => "status",
            Error::Body(_) => "body",
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
            Error::Status(e) => e.fmt(f),
            Error::Body(e) => e.fmt(f),
        }
    }
}

/// No variant has a [`source`](std::error::Error::source): the message of
/// each already holds the whole story (the build error's, the failure's,
/// the status error's or the body error's own text, or the path with what
/// the file system said), so a reporter
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

impl From<StatusError> for Error {
    fn from(e: StatusError) -> Self {
        Error::Status(e)
    }
}

impl From<BodyError> for Error {
    fn from(e: BodyError) -> Self {
        Error::Body(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::answered;

    /// Reads a user from a response, as application code does: `?` on the
    /// status and on the body.
    fn user_id(response: urlrequest_core::Response) -> Result<u32, Error> {
        let response = response.error_for_status()?;
        Ok(response.json::<u32>()?)
    }

    #[test]
    fn status_and_body_errors_convert_with_their_own_kind_and_message() {
        let missing = answered(
            "http://h/users/7",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 16\r\n\r\n{\"error\":\"nope\"}",
        );
        let e = user_id(missing).unwrap_err();
        assert_eq!(e.kind_name(), "status");
        assert_eq!(
            e.to_string(),
            r#"HTTP 404 Not Found from http://h/users/7: {"error":"nope"}"#
        );
        let back = e.status_error().unwrap().clone().into_response();
        assert_eq!(back.status(), 404);

        let garbled = answered(
            "http://h/users/7",
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        );
        let e = user_id(garbled).unwrap_err();
        assert_eq!(e.kind_name(), "body");
        assert!(e.status_error().is_none() && e.request_error().is_none());
        assert!(
            e.to_string()
                .starts_with("body is not valid JSON for u32: "),
            "{e}"
        );

        let fine = answered(
            "http://h/users/7",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n7",
        );
        assert_eq!(user_id(fine).unwrap(), 7);
    }

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
            Error::from(
                answered(
                    "http://h/",
                    b"HTTP/1.1 500 Oops\r\nContent-Length: 1\r\n\r\nx",
                )
                .error_for_status()
                .unwrap_err(),
            ),
            Error::from(BodyError::NotCollected),
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
        assert_eq!(chain(&every[4]), ["HTTP 500 Oops from http://h/: x"]);
    }
}
