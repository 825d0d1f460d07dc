//! The state machine for one request across its redirects and connections:
//! [`Exchange`]. It is fed bytes, end of stream, connect and TLS results and
//! the time; it is polled for [`Action`]s (what I/O to do), [`Event`]s (what
//! happened) and its next deadline. The public API lives here; the
//! connection side (`connection`), the receiving side (`receive`) and the
//! event queue (`queue`) are its submodules.

use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, Method, Version};
use url::Url;

use crate::buffer::ReadBuffer;
use crate::content_encoding::{accept_encoding, ContentDecoder};
use crate::error::{Error, Phase, TransportError};
use crate::event::Event;
use crate::framing::BodyDecoder;
use crate::head::ResponseHead;
use crate::pool::PoolKey;
use crate::rechunk::Rechunker;
use crate::redirect::NextHop;
use crate::request::Request;
use crate::transcript::{Input, Recorder, Transcript};
use crate::wire::connect_head;

mod connection;
mod expect_continue;
mod queue;
mod receive;
mod upload;

use queue::EventQueue;

/// Where the driver must open a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTarget {
    /// Host to open TCP to: the origin, or the proxy when one is used. IPv6
    /// literals come without brackets.
    pub host: String,
    /// Port to open TCP to.
    pub port: u16,
    /// Pool key of the connection this exchange needs.
    pub key: PoolKey,
    /// Whether an idle pooled connection under `key` may be used instead.
    pub reuse: bool,
}

/// The next piece of I/O the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a connection (or take one from the pool when `reuse` allows), then
    /// call [`Exchange::handle_connected`] or [`Exchange::handle_transport_error`].
    Connect(ConnectTarget),
    /// Start TLS for this server name on the open connection, then call
    /// [`Exchange::handle_tls_ready`] (or [`Exchange::handle_transport_error`]
    /// with a TLS error; a driver that cannot do TLS says so that way). Asked
    /// for every new https connection, right after `Connect` or after a
    /// proxy's `CONNECT` tunnel; nothing is written before it is done.
    StartTls {
        /// The name for SNI and certificate checks.
        server_name: String,
    },
    /// Write [`Exchange::transmit`], then call [`Exchange::handle_written`].
    Write,
    /// Read into [`Exchange::read_buf`], then call [`Exchange::handle_read`]
    /// (or [`Exchange::handle_eof`]).
    Read,
    /// Close the connection.
    Close,
    /// The connection is clean: put it in the pool under this key.
    Release(PoolKey),
    /// The request body is streamed: read the next bytes of its source into
    /// [`Exchange::body_buf`], then call [`Exchange::handle_body_read`] (or
    /// [`Exchange::handle_body_end`] at its end, or
    /// [`Exchange::handle_body_error`]).
    SendBody,
    /// Start the streamed body's source over from its first byte (a 307/308
    /// redirect or a retry is sending it again); nothing to report back, a
    /// source that cannot start over calls [`Exchange::handle_body_error`].
    RewindBody,
}

/// Where an exchange stands. Printable, for diagnosing a stuck request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Waiting for a connection.
    Connecting,
    /// Writing a `CONNECT` to the proxy.
    WritingConnect,
    /// Reading the proxy's answer to `CONNECT`.
    ReadingConnect,
    /// Waiting for TLS over the tunnel.
    Handshaking,
    /// Writing the request.
    WritingRequest,
    /// Reading the response head.
    ReadingHead,
    /// Reading the final response's body.
    ReadingBody,
    /// Reading and discarding a redirect's body before following it.
    Draining,
    /// The terminal event has been produced.
    Finished,
}

impl State {
    /// The state's name, as printed in logs.
    pub fn name(self) -> &'static str {
        match self {
            State::Connecting => "connecting",
            State::WritingConnect => "writing-connect",
            State::ReadingConnect => "reading-connect",
            State::Handshaking => "handshaking",
            State::WritingRequest => "writing-request",
            State::ReadingHead => "reading-head",
            State::ReadingBody => "reading-body",
            State::Draining => "draining-redirect",
            State::Finished => "finished",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The connection currently in use.
#[derive(Debug)]
#[repr(C)]
struct Conn {
    // First: counted on every read (see `Exchange`).
    response_bytes: u64,
    reused: bool,
    key: PoolKey,
}

/// What one hop accumulates: one request written on one connection and the
/// response read back. A redirect or the retry of a stale pooled connection
/// starts a new hop by replacing this value whole, so nothing of one hop
/// (a flag set while draining, a decoder, a deadline) can leak into the next.
#[derive(Debug, Default)]
#[repr(C)]
struct Hop {
    // First: read on every body read (see `Exchange`).
    /// Set when no more bytes will come: partial chunks are no longer held
    /// back in the read buffer.
    draining_all: bool,
    /// The connection may go back to the pool once the response is read.
    reusable: bool,
    /// Body bytes of this hop's response decoded so far.
    received: u64,
    /// Body bytes handed out in `Body` events.
    emitted: u64,
    /// The body's length when the framing says it (`Progress`'s total).
    total: Option<u64>,
    decoder: Option<BodyDecoder>,
    conn: Option<Conn>,
    head: Option<ResponseHead>,
    redirect: Option<NextHop>,
    /// The body kept for `Done`, when collecting.
    collected: Vec<u8>,
    /// When the response head must be complete; not moved by head bytes.
    head_deadline: Option<Instant>,
    /// Undoes the final response's content codings, when it has any this
    /// build knows (see `content_encoding`).
    content: Option<Box<ContentDecoder>>,
    /// When the connection must be ready to take the request (TCP, proxy
    /// tunnel, TLS): `connect_timeout` after it was asked for.
    connect_deadline: Option<Instant>,
    /// The body held back for `100 Continue`.
    expect: Option<Box<expect_continue::Waiting>>,
}

/// One request, driven to completion by feeding inputs and polling outputs.
///
/// Poll order for a driver: drain [`poll_event`](Self::poll_event), then do
/// what [`poll_action`](Self::poll_action) says, waiting no later than
/// [`poll_timeout`](Self::poll_timeout) (and then calling
/// [`handle_timeout`](Self::handle_timeout)); stop once
/// [`is_finished`](Self::is_finished). Time must not go backwards.
///
/// ```
/// use std::time::Instant;
/// use urlrequest_core::{Action, Event, Exchange, Request};
///
/// let now = Instant::now();
/// let mut ex = Exchange::new(Request::get("http://example.com/")?, now);
/// let mut server = &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"[..];
/// let mut trace = Vec::new();
/// while !ex.is_finished() {
///     while let Some(e) = ex.poll_event() { trace.push(urlrequest_core::trace_line(&e)); }
///     match ex.poll_action() {
///         Some(Action::Connect(_)) => ex.handle_connected(now, false),
///         Some(Action::Write) => { let n = ex.transmit().len(); ex.handle_written(now, n) }
///         Some(Action::Read) => {
///             let buf = ex.read_buf();
///             let n = server.len().min(buf.len());
///             buf[..n].copy_from_slice(&server[..n]);
///             server = &server[n..];
///             if n == 0 { ex.handle_eof(now) } else { ex.handle_read(now, n) }
///         }
///         Some(_) | None => {}
///     }
/// }
/// while let Some(e) = ex.poll_event() { trace.push(urlrequest_core::trace_line(&e)); }
/// assert_eq!(trace[0], "progress 0/5");
/// assert_eq!(trace[1], "body 5 \"hello\"");
/// assert!(trace[3].starts_with("done 200"));
/// # Ok::<(), urlrequest_core::BuildError>(())
/// ```
#[repr(C)]
pub struct Exchange {
    // Fields read or written for every body read come first, in declaration
    // order (`repr(C)`; a few cold flags fill the first word): a 64 KiB read
    // pushes the exchange out of the first-level cache, and each cache line
    // the body path then touches is a miss, so the hot fields share as few
    // lines as they can instead of being spread over the struct by the
    // compiler (see BENCHMARKS.md).
    state: State,
    fresh_only: bool,
    hops: u32,
    /// Moved by every bit of progress.
    deadline: Option<Instant>,
    events: EventQueue,
    pending: VecDeque<Action>,
    buf: ReadBuffer,
    rechunker: Rechunker,
    /// Checked on every read, used only when recording: boxed, as 500
    /// bytes in place would stand between the hot fields.
    recorder: Option<Box<Recorder>>,
    hop: Hop,
    request: Request,

    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    visited: Vec<(Method, Url)>,
    writes: VecDeque<Bytes>,
    pieces: Vec<Bytes>,
    /// When the whole exchange must be over.
    total_deadline: Option<Instant>,
    /// The latest `now` given (when a new connection is asked for, its
    /// connect deadline starts from it).
    clock: Instant,
    /// The streamed request body, when there is one.
    upload: Option<Box<upload::Upload>>,
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("state", &self.state.name())
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("hops", &self.hops)
            .field("received", &self.hop.received)
            .field("buffered", &self.buf.len())
            .field("pending_actions", &self.pending)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Exchange {
    /// Starts an exchange at time `now`.
    pub fn new(request: Request, now: Instant) -> Exchange {
        let chunk_size = request.chunk_size;
        let mut headers = request.headers.clone();
        if request.decompress && !headers.contains_key(http::header::ACCEPT_ENCODING) {
            if let Some(value) = accept_encoding() {
                headers.insert(
                    http::header::ACCEPT_ENCODING,
                    http::HeaderValue::from_static(value),
                );
            }
        }
        let mut ex = Exchange {
            method: request.method.clone(),
            url: request.url.clone(),
            headers,
            body: request.body.clone(),
            request,
            hops: 0,
            visited: Vec::new(),
            fresh_only: false,
            state: State::Connecting,
            pending: VecDeque::new(),
            events: EventQueue::default(),
            writes: VecDeque::new(),
            buf: ReadBuffer::new(),
            rechunker: Rechunker::new(chunk_size),
            pieces: Vec::new(),
            deadline: None,
            total_deadline: None,
            recorder: None,
            hop: Hop::default(),
            clock: now,
            upload: None,
        };
        ex.upload = ex.request.upload.map(|s| Box::new(upload::Upload::new(s)));
        ex.visited.push((ex.method.clone(), ex.url.clone()));
        ex.progress(now);
        ex.total_deadline = ex.request.total_timeout.map(|t| now + t);
        ex.start_hop();
        ex
    }

    /// Starts an exchange that records every input into a [`Transcript`].
    pub fn recording(request: Request, now: Instant) -> Exchange {
        let recorder = Recorder::new(&request, now);
        let mut ex = Exchange::new(request, now);
        ex.recorder = Some(Box::new(recorder));
        ex
    }

    /// The transcript so far, when recording.
    pub fn transcript(&self) -> Option<Transcript> {
        self.recorder.as_deref().map(Recorder::transcript)
    }

    /// The request as given.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The URL currently requested (changes with redirects).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Where the exchange stands.
    pub fn state(&self) -> State {
        self.state
    }

    /// The head of the final response once it arrived: status and headers.
    pub fn response_head(&self) -> Option<(http::StatusCode, &HeaderMap)> {
        match self.state {
            State::ReadingBody | State::Finished => {
                self.hop.head.as_ref().map(|h| (h.status, &h.headers))
            }
            _ => None,
        }
    }

    /// The final response's status line and header lines as the server
    /// sent them, once its head arrived (see [`Response::raw_head`](crate::Response::raw_head)).
    pub fn response_raw_head(&self) -> Option<&[u8]> {
        match self.state {
            State::ReadingBody | State::Finished => self.hop.head.as_ref().map(|h| &h.raw[..]),
            _ => None,
        }
    }

    /// The HTTP version and reason phrase of the final response once its
    /// head arrived.
    pub fn response_status_line(&self) -> Option<(Version, &str)> {
        match self.state {
            State::ReadingBody | State::Finished => self
                .hop
                .head
                .as_ref()
                .map(|h| (h.version, h.reason.as_str())),
            _ => None,
        }
    }

    /// The next I/O to do, or `None` when waiting for input or finished.
    pub fn poll_action(&mut self) -> Option<Action> {
        if let Some(a) = self.pending.pop_front() {
            return Some(a);
        }
        match self.state {
            State::WritingRequest if self.writes.is_empty() && self.upload_wants_bytes() => {
                Some(Action::SendBody)
            }
            State::WritingConnect | State::WritingRequest => Some(Action::Write),
            State::ReadingConnect | State::ReadingHead | State::ReadingBody | State::Draining => {
                Some(Action::Read)
            }
            State::Connecting | State::Handshaking | State::Finished => None,
        }
    }

    /// The next event, in order.
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        match self.events.next_small() {
            Some(small) => Some(small.into()),
            None => self.events.pop_rest(),
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called if no
    /// other input arrives first.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Finished {
            return None;
        }
        [
            self.deadline,
            self.hop.head_deadline,
            self.total_deadline,
            self.hop.connect_deadline,
            self.continue_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether the terminal event was produced and no action remains.
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished && self.pending.is_empty()
    }

    /// The connection is open (`reused`: it came from the pool).
    pub fn handle_connected(&mut self, now: Instant, reused: bool) {
        self.record(now, Input::Connected { reused });
        if self.state != State::Connecting || self.hop.conn.is_some() {
            return;
        }
        self.progress(now);
        let key = self.pool_key();
        self.hop.conn = Some(Conn {
            key,
            reused,
            response_bytes: 0,
        });
        let https = self.url.scheme() == "https";
        if reused {
            // A pooled connection is already what its key says (TLS
            // included): the request goes out at once.
            self.queue_request();
        } else if let (true, Some(proxy)) = (https, self.request.proxy.as_ref()) {
            self.writes
                .push_back(Bytes::from(connect_head(&self.url, proxy)));
            self.state = State::WritingConnect;
        } else if https {
            // Nothing is written until the driver reports the handshake
            // done: a driver that cannot do TLS never sends the request in
            // clear.
            let server_name = self.target(false).key.host;
            self.pending.push_back(Action::StartTls { server_name });
            self.state = State::Handshaking;
        } else {
            self.queue_request();
        }
    }

    /// The TLS handshake asked for with `StartTls` is done.
    pub fn handle_tls_ready(&mut self, now: Instant) {
        self.record(now, Input::TlsReady);
        if self.state == State::Handshaking {
            self.progress(now);
            self.queue_request();
        }
    }

    /// The runtime failed to resolve, connect, handshake, read or write.
    pub fn handle_transport_error(&mut self, now: Instant, error: TransportError) {
        self.record(now, Input::TransportError(error.clone()));
        self.transport_failed(error);
    }

    fn transport_failed(&mut self, error: TransportError) {
        if self.state == State::Finished {
            return;
        }
        if matches!(error, TransportError::Io(_)) && self.may_retry() {
            self.retry();
            return;
        }
        self.fail(Error::Transport(error));
    }

    /// The bytes to write now (the front of the write queue).
    pub fn transmit(&self) -> &[u8] {
        self.writes.front().map(|b| &b[..]).unwrap_or(&[])
    }

    /// `n` bytes of [`transmit`](Self::transmit) were written. Reporting 0
    /// bytes of a non-empty `transmit` is a transport error (what
    /// `std::io::Write` calls `WriteZero`): the request fails, or is retried
    /// on a fresh connection when a pooled one went stale.
    pub fn handle_written(&mut self, now: Instant, n: usize) {
        self.record(now, Input::Written(n));
        if !matches!(self.state, State::WritingConnect | State::WritingRequest) {
            return;
        }
        if n == 0 && !self.transmit().is_empty() {
            // A socket that takes nothing will take nothing next time
            // either: waiting would spin until the deadline, or forever.
            self.transport_failed(TransportError::Io(
                "write: the connection accepted no bytes".into(),
            ));
            return;
        }
        if n > 0 {
            self.progress(now);
        }
        let mut left = n;
        while left > 0 {
            let Some(front) = self.writes.front_mut() else {
                break;
            };
            let take = left.min(front.len());
            let _ = front.split_to(take);
            left -= take;
            if front.is_empty() {
                self.writes.pop_front();
            }
        }
        while self.writes.front().is_some_and(Bytes::is_empty) {
            self.writes.pop_front();
        }
        if self.writes.is_empty()
            && self.state == State::WritingRequest
            && self.upload_wants_bytes()
        {
            return; // the streamed body's next bytes are asked for with SendBody
        }
        if self.writes.is_empty() {
            self.start_continue_wait(now);
            self.state = match self.state {
                State::WritingConnect => State::ReadingConnect,
                _ => State::ReadingHead,
            };
            self.hop.head_deadline = self.request.timeout.map(|t| now + t);
            self.process();
        }
    }

    /// Free space to read the next bytes into; report them with
    /// [`handle_read`](Self::handle_read).
    pub fn read_buf(&mut self) -> &mut [u8] {
        // While body chunks wait in the buffer, reads are sized to end on a
        // chunk boundary, so the partial chunk never has to be moved to the
        // front of the buffer.
        let chunk = self.held_back_chunk();
        self.buf.spare_aligned(chunk)
    }

    /// `n` bytes were read into [`read_buf`](Self::read_buf). `n == 0` means
    /// end of stream. `n` larger than the last `read_buf` (or a second report
    /// for one `read_buf`) is a driver error: the request fails with a
    /// transport error saying so.
    pub fn handle_read(&mut self, now: Instant, n: usize) {
        if n == 0 {
            self.handle_eof(now);
            return;
        }
        self.clock = now;
        if let Err(lent) = self.buf.commit(n) {
            // A driver bug, not the server's: fail rather than take bytes
            // that were never written into the buffer.
            self.handle_transport_error(
                now,
                TransportError::Io(format!(
                    "read: the driver reported {n} bytes read into a buffer of {lent}"
                )),
            );
            return;
        }
        if let Some(rec) = &mut self.recorder {
            let data = self.buf.data();
            rec.record(
                now,
                Input::Data(Bytes::copy_from_slice(&data[data.len() - n..])),
            );
        }
        if self.state == State::Finished {
            return;
        }
        self.progress(now);
        if let Some(c) = &mut self.hop.conn {
            c.response_bytes += n as u64;
        }
        self.process();
    }

    /// Bytes that arrived, for drivers that already hold them in a buffer of
    /// their own (TLS plaintext, tests). Copies them into the read buffer.
    pub fn handle_data(&mut self, now: Instant, mut data: &[u8]) {
        while !data.is_empty() && self.state != State::Finished {
            let spare = self.read_buf();
            let n = spare.len().min(data.len());
            spare[..n].copy_from_slice(&data[..n]);
            data = &data[n..];
            self.handle_read(now, n);
        }
    }

    /// The peer closed its side of the connection.
    pub fn handle_eof(&mut self, now: Instant) {
        self.record(now, Input::Eof);
        match self.state {
            State::Finished | State::Connecting | State::Handshaking => {}
            State::WritingConnect | State::WritingRequest => {
                if self.may_retry() {
                    self.retry();
                } else {
                    self.fail(Error::Transport(TransportError::Io(
                        "server closed the connection while the request was being written".into(),
                    )));
                }
            }
            State::ReadingConnect | State::ReadingHead if self.malformed_at_eof().is_some() => {
                let e = self.malformed_at_eof().expect("checked above");
                self.fail(e);
            }
            State::ReadingConnect => self.fail(Error::truncated(
                "proxy closed the connection before answering CONNECT",
            )),
            State::ReadingHead => {
                if self.may_retry() {
                    self.retry();
                } else if self.buf.len() == 0 {
                    let got = self.hop.conn.as_ref().map_or(0, |c| c.response_bytes);
                    self.fail(Error::truncated(if got == 0 {
                        "connection closed before any response bytes arrived"
                    } else {
                        "connection closed after an interim (1xx) response, before the final response head"
                    }));
                } else {
                    let got = self.buf.len();
                    self.fail(Error::truncated(format!(
                        "connection closed after {got} bytes of an incomplete response head"
                    )));
                }
            }
            State::ReadingBody | State::Draining => {
                self.hop.reusable = false;
                self.take_held_back();
                if self.state == State::Finished {
                    return;
                }
                let result = match &mut self.hop.decoder {
                    Some(d) => d.finish_at_eof(),
                    None => Ok(()),
                };
                match result {
                    Ok(()) => self.finish_body(),
                    // A redirect's body is thrown away: a short one does not
                    // stop the redirect that was already announced.
                    Err(_) if self.state == State::Draining => self.finish_body(),
                    Err(e) => self.fail(e),
                }
            }
        }
    }

    /// Time has passed; fails the exchange if a deadline is reached.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.record(now, Input::Timeout);
        if self.state == State::Finished {
            return;
        }
        let due = |d: Option<Instant>| d.is_some_and(|d| now >= d);
        let after = if due(self.total_deadline) {
            self.request.total_timeout
        } else if due(self.hop.connect_deadline) {
            self.request.connect_timeout
        } else if due(self.deadline) || due(self.hop.head_deadline) {
            self.request.timeout
        } else {
            None
        };
        if after.is_none() && self.awaiting_continue() && due(self.continue_deadline()) {
            // No `100 Continue` in time: the body goes out anyway.
            self.release_body();
            return;
        }
        if let Some(after) = after {
            self.take_held_back();
            if self.state == State::Finished {
                return;
            }
            let phase = self.phase();
            let received = if phase == Phase::Body {
                self.hop.received
            } else {
                0
            };
            self.fail(Error::Timeout {
                phase,
                after,
                received,
            });
        }
    }

    /// Cancels the exchange: a `Close` action and `Failure(Cancelled)` follow.
    pub fn cancel(&mut self) {
        if let Some(rec) = &mut self.recorder {
            rec.record_last(Input::Cancel);
        }
        if self.state != State::Finished {
            self.fail(Error::Cancelled);
        }
    }
}
