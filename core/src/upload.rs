//! Streamed request bodies: what the core knows of a body it does not hold.
//!
//! The core never reads a file or a socket of the caller's: for a streamed
//! body the request only says how long the body is (when known) and whether
//! its source can start over (a file can, a pipe cannot). The driver owns the
//! source and hands its bytes over when the exchange asks with
//! [`Action::SendBody`](crate::Action::SendBody).

/// A request body that the driver reads from a source of its own (a reader,
/// a file, an async reader) while the request is written.
///
/// With a known `length` the request carries `Content-Length` and the source
/// must give exactly that many bytes (fewer or more fails the exchange with
/// [`Error::RequestBody`](crate::Error::RequestBody) saying how many came). With no length the body
/// goes out with `Transfer-Encoding: chunked`, one chunk per read.
///
/// A 307 or 308 redirect keeps the method and body; it is followed with a
/// streamed body only when the source is `replayable` (the driver is then
/// asked to start the source over with
/// [`Action::RewindBody`](crate::Action::RewindBody)). Otherwise the 3xx
/// response is the result, as if redirects were off for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BodyStream {
    /// The body's length in bytes, when known.
    pub length: Option<u64>,
    /// Whether the source can be read again from its start (a file).
    pub replayable: bool,
}

impl BodyStream {
    /// A body of `length` bytes whose source can be read only once.
    pub fn sized(length: u64) -> BodyStream {
        BodyStream {
            length: Some(length),
            replayable: false,
        }
    }

    /// A body of unknown length, sent chunked, read only once.
    pub fn unknown_length() -> BodyStream {
        BodyStream {
            length: None,
            replayable: false,
        }
    }

    /// The same body, from a source that can start over (a file).
    pub fn replayable(mut self) -> BodyStream {
        self.replayable = true;
        self
    }
}
