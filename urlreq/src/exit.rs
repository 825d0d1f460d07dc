//! curl's exit codes for urlrequest's failures, and the messages that go
//! with them (`urlreq: (7) could not connect: ...`).

use urlrequest_std::core::{BuildError, Error, TransportError};

/// Exit codes, numbered as curl numbers them.
pub mod code {
    /// Unsupported protocol (a URL or redirect that is not http or https).
    pub const UNSUPPORTED_PROTOCOL: i32 = 1;
    /// Usage error.
    pub const USAGE: i32 = 2;
    /// The URL is malformed.
    pub const URL_MALFORMAT: i32 = 3;
    /// The proxy's name did not resolve.
    pub const COULDNT_RESOLVE_PROXY: i32 = 5;
    /// The host's name did not resolve.
    pub const COULDNT_RESOLVE_HOST: i32 = 6;
    /// No connection to the host or proxy.
    pub const COULDNT_CONNECT: i32 = 7;
    /// The server's reply broke HTTP.
    pub const WEIRD_SERVER_REPLY: i32 = 8;
    /// The body ended before its declared length.
    pub const PARTIAL_FILE: i32 = 18;
    /// HTTP status 400 or above with -f.
    pub const HTTP_RETURNED_ERROR: i32 = 22;
    /// Writing the body (or a file) failed.
    pub const WRITE_ERROR: i32 = 23;
    /// Reading the file to upload failed.
    pub const READ_ERROR: i32 = 26;
    /// A timeout.
    pub const OPERATION_TIMEDOUT: i32 = 28;
    /// The TLS handshake failed.
    pub const SSL_CONNECT_ERROR: i32 = 35;
    /// Stopped by the caller.
    pub const ABORTED_BY_CALLBACK: i32 = 42;
    /// More redirects than allowed.
    pub const TOO_MANY_REDIRECTS: i32 = 47;
    /// The server closed the connection without a byte of reply.
    pub const GOT_NOTHING: i32 = 52;
    /// Sending the request failed.
    pub const SEND_ERROR: i32 = 55;
    /// Receiving the response failed (or the proxy refused the tunnel).
    pub const RECV_ERROR: i32 = 56;
    /// The server's certificate was not accepted.
    pub const PEER_FAILED_VERIFICATION: i32 = 60;
    /// A content coding could not be undone.
    pub const BAD_CONTENT_ENCODING: i32 = 61;
    /// The body was larger than allowed.
    pub const FILESIZE_EXCEEDED: i32 = 63;
}

/// The exit code for a failed exchange.
pub fn for_error(e: &Error) -> i32 {
    use code::*;
    match e {
        Error::Proxy { error, .. } => match error.cause() {
            Error::Transport(TransportError::Dns(_)) => COULDNT_RESOLVE_PROXY,
            other => for_error(other),
        },
        Error::Transport(TransportError::Dns(_)) => COULDNT_RESOLVE_HOST,
        Error::Transport(TransportError::Connect(_)) => COULDNT_CONNECT,
        Error::Transport(TransportError::Tls(m)) => {
            if m.contains("invalid peer certificate") {
                PEER_FAILED_VERIFICATION
            } else {
                SSL_CONNECT_ERROR
            }
        }
        Error::Transport(TransportError::Io(m)) => {
            if m.starts_with("write") {
                SEND_ERROR
            } else {
                RECV_ERROR
            }
        }
        Error::Timeout { .. } => OPERATION_TIMEDOUT,
        // Not HTTP/1.x at all: curl reads it as HTTP/0.9, which it refuses
        // as an unsupported protocol.
        Error::Malformed { what } if what.contains("status line does not start with HTTP/") => {
            UNSUPPORTED_PROTOCOL
        }
        Error::Malformed { .. } | Error::HeadTooLarge { .. } | Error::TooManyHeaders { .. } => {
            WEIRD_SERVER_REPLY
        }
        Error::Truncated { what } => {
            if what.contains("before any response bytes") {
                GOT_NOTHING
            } else if what.contains("response head") {
                WEIRD_SERVER_REPLY
            } else if what.contains("CONNECT") {
                RECV_ERROR
            } else {
                PARTIAL_FILE
            }
        }
        Error::BodyTooLarge { .. } => FILESIZE_EXCEEDED,
        Error::TooManyRedirects { .. } | Error::RedirectLoop { .. } => TOO_MANY_REDIRECTS,
        Error::RedirectRefused { .. } => UNSUPPORTED_PROTOCOL,
        Error::ProxyRefused { .. } => RECV_ERROR,
        Error::Cancelled => ABORTED_BY_CALLBACK,
        Error::RequestBody { .. } => READ_ERROR,
        Error::ContentEncoding(_) => BAD_CONTENT_ENCODING,
        _ => 1,
    }
}

/// The exit code for a request that could not be built.
pub fn for_build_error(e: &BuildError) -> i32 {
    match e {
        BuildError::UnsupportedScheme { .. } => code::UNSUPPORTED_PROTOCOL,
        BuildError::InvalidUrl { .. } | BuildError::MissingHost { .. } => code::URL_MALFORMAT,
        _ => code::USAGE,
    }
}

/// The message for a failure, worded for the command line: TLS hints name
/// `--cacert`, the option the user has, not the library's `ca_file`.
pub fn message(e: &Error) -> String {
    message_text(&e.to_string())
}

/// A library message worded for the command line.
pub fn message_text(text: &str) -> String {
    text.replace("pass its CA as ca_file", "pass its CA with --cacert")
        .replace("ca_file", "--cacert")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_errors_map_to_curls_numbers() {
        let t = |e: TransportError| for_error(&Error::Transport(e));
        assert_eq!(t(TransportError::Dns("x".into())), 6);
        assert_eq!(t(TransportError::Connect("x".into())), 7);
        assert_eq!(
            t(TransportError::Tls(
                "TLS handshake with a failed: invalid peer certificate: UnknownIssuer".into()
            )),
            60
        );
        assert_eq!(t(TransportError::Tls("handshake failure".into())), 35);
        assert_eq!(t(TransportError::Io("read: reset".into())), 56);
        assert_eq!(t(TransportError::Io("write: broken pipe".into())), 55);
    }
}
