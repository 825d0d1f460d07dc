//! The streamed request body of an exchange: asking the driver for bytes
//! (`Action::SendBody`), framing them (counted against `Content-Length`, or
//! chunked when the length is unknown), and starting the source over for a
//! 307/308 redirect or a retry when it can be (`Action::RewindBody`).

use std::time::Instant;

use bytes::Bytes;
use http::header::{HeaderValue, TRANSFER_ENCODING};

use super::{Action, Exchange, State};
use crate::error::Error;
use crate::redirect::NextHop;
use crate::transcript::Input;
use crate::upload::BodyStream;
use crate::wire::request_head;

/// Largest piece of the body asked of the source at a time.
const BODY_READ: usize = 64 * 1024;

/// The streamed body's progress on the current hop.
#[derive(Debug)]
pub(super) struct Upload {
    spec: BodyStream,
    /// Bytes taken from the source on this hop.
    sent: u64,
    /// The source reported its end on this hop.
    ended: bool,
    /// This hop's request carries the body.
    active: bool,
    /// The source was read on an earlier hop: it must start over.
    touched: bool,
    buf: Vec<u8>,
    lent: usize,
    /// Held back for `100 Continue`.
    held: bool,
}

impl Upload {
    pub(super) fn new(spec: BodyStream) -> Upload {
        Upload {
            spec,
            sent: 0,
            ended: false,
            active: false,
            touched: false,
            buf: Vec::new(),
            lent: 0,
            held: false,
        }
    }

    /// Holds the body back (`Expect: 100-continue`) or lets it go.
    pub(super) fn hold(&mut self, on: bool) {
        self.held = on;
    }

    /// A final status came before the body: it is never sent on this hop.
    pub(super) fn abandon(&mut self) {
        self.held = false;
        self.active = false;
    }

    /// Whether the declared length is 0.
    pub(super) fn declared_empty(&self) -> bool {
        self.spec.length == Some(0)
    }
}

impl Exchange {
    /// Whether the current hop waits for body bytes from the driver.
    pub(super) fn upload_wants_bytes(&self) -> bool {
        self.upload
            .as_ref()
            .is_some_and(|u| u.active && !u.ended && !u.held)
    }

    /// Whether a stale pooled connection may be retried as far as the
    /// streamed body goes: nothing read from the source yet, or a source
    /// that can start over.
    pub(super) fn upload_repeatable(&self) -> bool {
        self.upload
            .as_ref()
            .is_none_or(|u| u.spec.replayable || (u.sent == 0 && !u.touched && !u.ended))
    }

    /// A 307/308 that keeps the body cannot be followed with a source read
    /// only once: the 3xx is then the result.
    pub(super) fn upload_blocks_redirect(&self, hop: &NextHop) -> bool {
        // A body never read (a final status came before it, with
        // `Expect: 100-continue`) can still be sent.
        hop.keep_body
            && self
                .upload
                .as_ref()
                .is_some_and(|u| !u.spec.replayable && (u.sent > 0 || u.touched || u.ended))
    }

    /// After a redirect: a body that is not kept is gone for good.
    pub(super) fn upload_after_redirect(&mut self, keep_body: bool) {
        if !keep_body {
            self.upload = None;
        }
    }

    /// Writes the head of a request whose body is streamed and gets ready
    /// to ask for the body. Returns false when the request has no streamed
    /// body.
    pub(super) fn queue_streamed_request(&mut self) -> bool {
        let Some(u) = self.upload.as_mut() else {
            return false;
        };
        if u.touched || u.sent > 0 {
            // Read on an earlier hop: the driver starts the source over
            // before the first SendBody of this one.
            self.pending.push_back(Action::RewindBody);
        }
        u.touched |= u.sent > 0 || u.ended;
        u.sent = 0;
        u.ended = false;
        u.active = true;
        u.held = false;
        let spec = u.spec;
        let via_plain_proxy = if self.url.scheme() == "http" {
            self.request.proxy.as_ref()
        } else {
            None
        };
        let head = match spec.length {
            Some(n) => request_head(
                &self.method,
                &self.url,
                &self.headers,
                Some(usize::try_from(n).unwrap_or(usize::MAX)),
                via_plain_proxy,
            ),
            None => {
                let mut headers = self.headers.clone();
                headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
                request_head(&self.method, &self.url, &headers, None, via_plain_proxy)
            }
        };
        self.writes.push_back(Bytes::from(head));
        self.state = State::WritingRequest;
        true
    }

    /// Free space for the next bytes of a streamed request body, asked for
    /// with [`Action::SendBody`]; report them with
    /// [`handle_body_read`](Self::handle_body_read). Empty when no body is
    /// wanted. Once a known length has been given whole, one byte is still
    /// lent: the source should now report its end, and a byte more is an
    /// error.
    pub fn body_buf(&mut self) -> &mut [u8] {
        let wanted = self.upload_wants_bytes();
        let Some(u) = self.upload.as_mut() else {
            return &mut [];
        };
        if !wanted {
            u.lent = 0;
            return &mut [];
        }
        let size = match u.spec.length {
            Some(len) => usize::try_from(len - u.sent.min(len))
                .unwrap_or(BODY_READ)
                .clamp(1, BODY_READ),
            None => BODY_READ,
        };
        if u.buf.len() < size {
            u.buf.resize(size, 0);
        }
        u.lent = size;
        &mut u.buf[..size]
    }

    /// `n` bytes of the request body were read into
    /// [`body_buf`](Self::body_buf). `n == 0` is the source's end, as
    /// [`handle_body_end`](Self::handle_body_end).
    pub fn handle_body_read(&mut self, now: Instant, n: usize) {
        if n == 0 {
            self.handle_body_end(now);
            return;
        }
        let wanted = self.upload_wants_bytes() && self.state == State::WritingRequest;
        let Some(u) = self.upload.as_mut() else {
            return;
        };
        if n > u.lent {
            let lent = u.lent;
            self.fail(Error::RequestBody {
                what: format!("the driver reported {n} bytes read into a buffer of {lent}"),
            });
            return;
        }
        u.lent = 0;
        let data = Bytes::copy_from_slice(&u.buf[..n]);
        self.record(now, Input::BodyData(data.clone()));
        if wanted {
            self.take_body_bytes(data);
        }
    }

    /// Body bytes the driver holds in a buffer of its own (replay, tests):
    /// copied into [`body_buf`](Self::body_buf) piece by piece.
    pub fn handle_body_data(&mut self, now: Instant, mut data: &[u8]) {
        while !data.is_empty() && self.upload_wants_bytes() && self.state == State::WritingRequest {
            let spare = self.body_buf();
            let n = spare.len().min(data.len());
            spare[..n].copy_from_slice(&data[..n]);
            data = &data[n..];
            self.handle_body_read(now, n);
        }
    }

    fn take_body_bytes(&mut self, data: Bytes) {
        let Some(u) = self.upload.as_mut() else {
            return;
        };
        let n = data.len() as u64;
        match u.spec.length {
            Some(len) if u.sent + n > len => {
                let got = u.sent + n;
                self.fail(Error::RequestBody {
                    what: format!(
                        "the source gave more than the declared {len} bytes ({got} so far)"
                    ),
                });
            }
            Some(_) => {
                u.sent += n;
                self.writes.push_back(data);
            }
            None => {
                u.sent += n;
                self.writes
                    .push_back(Bytes::from(format!("{:x}\r\n", data.len())));
                self.writes.push_back(data);
                self.writes.push_back(Bytes::from_static(b"\r\n"));
            }
        }
    }

    /// The request body's source ended. With a known length, ending early
    /// fails the exchange ("request body ended after 512 of 1024 bytes").
    pub fn handle_body_end(&mut self, now: Instant) {
        self.record(now, Input::BodyEnd);
        if !(self.upload_wants_bytes() && self.state == State::WritingRequest) {
            return;
        }
        let Some(u) = self.upload.as_mut() else {
            return;
        };
        u.lent = 0;
        match u.spec.length {
            Some(len) if u.sent < len => {
                let sent = u.sent;
                self.fail(Error::RequestBody {
                    what: format!("ended after {sent} of {len} bytes"),
                });
                return;
            }
            Some(_) => {}
            None => self.writes.push_back(Bytes::from_static(b"0\r\n\r\n")),
        }
        u.ended = true;
        if self.writes.is_empty() {
            self.request_written(now);
        }
    }

    /// Reading the request body's source failed: the exchange fails with
    /// [`Error::RequestBody`] quoting `message`.
    pub fn handle_body_error(&mut self, now: Instant, message: impl Into<String>) {
        let message = message.into();
        self.record(now, Input::BodyError(message.clone()));
        if self.state == State::Finished {
            return;
        }
        self.fail(Error::RequestBody {
            what: format!("reading its source failed: {message}"),
        });
    }

    /// How much of the streamed request body was taken from the source on
    /// the current hop, and its length when known; `None` when the request
    /// has no streamed body. Upload progress for the runtimes' APIs.
    pub fn upload_progress(&self) -> Option<(u64, Option<u64>)> {
        self.upload.as_ref().map(|u| (u.sent, u.spec.length))
    }

    /// The whole request is written: wait for the response head.
    pub(super) fn request_written(&mut self, now: Instant) {
        self.state = State::ReadingHead;
        self.hop.head_deadline = self.request.timeout.map(|t| now + t);
        self.process();
    }
}
