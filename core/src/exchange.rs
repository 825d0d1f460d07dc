//! The state machine for one request across its redirects and connections:
//! [`Exchange`]. It is fed bytes, end of stream, connect and TLS results and
//! the time; it is polled for [`Action`]s (what I/O to do), [`Event`]s (what
//! happened) and its next deadline.

use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;

use bytes::Bytes;
use http::header::CONNECTION;
use http::{HeaderMap, Method, Version};
use url::{Host, Url};

use crate::buffer::ReadBuffer;
use crate::decode::{decode_json, is_json};
use crate::error::{Error, Phase, TransportError};
use crate::event::{Event, Response};
use crate::framing::{decide, BodyDecoder, Framing};
use crate::head::{parse_head, HeadParse, ResponseHead};
use crate::pool::PoolKey;
use crate::rechunk::Rechunker;
use crate::redirect::{headers_for_hop, is_redirect_status, next_hop, NextHop};
use crate::request::Request;
use crate::transcript::{Input, Recorder, Transcript};
use crate::wire::{connect_head, request_head};

/// Where the driver must open a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTarget {
    /// Host to open TCP to: the origin, or the proxy when one is used. IPv6
    /// literals come without brackets.
    pub host: String,
    /// Port to open TCP to.
    pub port: u16,
    /// `Some(server_name)`: start TLS for this name right after TCP connects.
    pub tls: Option<String>,
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
    /// Start TLS for this server name on the open connection (after a proxy
    /// tunnel), then call [`Exchange::handle_tls_ready`].
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

/// An event waiting to be polled. Body and progress events, the hot path,
/// stay small in the queue; the rare large ones are boxed.
#[derive(Debug)]
enum Queued {
    /// A `Body` event and the `Progress` event that follows it.
    Body {
        chunk: Bytes,
        received: u64,
        total: Option<u64>,
    },
    Progress {
        received: u64,
        total: Option<u64>,
    },
    Other(Box<Event>),
}

impl Queued {
    fn boxed(event: Event) -> Queued {
        Queued::Other(Box::new(event))
    }

    fn into_event(self) -> Event {
        match self {
            Queued::Body { chunk, .. } => Event::Body(chunk),
            Queued::Progress { received, total } => Event::Progress { received, total },
            Queued::Other(e) => *e,
        }
    }
}

/// The connection currently in use.
#[derive(Debug)]
struct Conn {
    key: PoolKey,
    reused: bool,
    response_bytes: u64,
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
pub struct Exchange {
    request: Request,
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    hops: u32,
    visited: Vec<(Method, Url)>,
    fresh_only: bool,

    state: State,
    conn: Option<Conn>,
    pending: VecDeque<Action>,
    events: VecDeque<Queued>,
    writes: VecDeque<Bytes>,
    buf: ReadBuffer,
    head: Option<ResponseHead>,
    decoder: Option<BodyDecoder>,
    redirect: Option<NextHop>,
    reusable: bool,
    rechunker: Rechunker,
    pieces: Vec<Bytes>,
    /// Set when no more bytes will come: partial chunks are no longer held
    /// back in the read buffer.
    draining_all: bool,
    collected: Vec<u8>,
    received: u64,
    emitted: u64,
    total: Option<u64>,
    /// Moved by every bit of progress.
    deadline: Option<Instant>,
    /// When the response head must be complete; not moved by head bytes.
    head_deadline: Option<Instant>,
    /// When the whole exchange must be over.
    total_deadline: Option<Instant>,
    recorder: Option<Recorder>,
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("state", &self.state.name())
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("hops", &self.hops)
            .field("received", &self.received)
            .field("buffered", &self.buf.len())
            .field("pending_actions", &self.pending)
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// Largest `chunk_size` for which partial chunks wait in the read buffer
/// (larger ones are assembled in the re-chunker instead).
const HOLD_BACK_MAX_CHUNK: usize = 64 * 1024;

/// Most bytes of a redirect's body read to keep its connection for reuse.
const MAX_REDIRECT_DRAIN: u64 = 64 * 1024;

const IDEMPOTENT: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::PUT,
    Method::DELETE,
    Method::OPTIONS,
    Method::TRACE,
];

impl Exchange {
    /// Starts an exchange at time `now`.
    pub fn new(request: Request, now: Instant) -> Exchange {
        let chunk_size = request.chunk_size;
        let mut ex = Exchange {
            method: request.method.clone(),
            url: request.url.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
            request,
            hops: 0,
            visited: Vec::new(),
            fresh_only: false,
            state: State::Connecting,
            conn: None,
            pending: VecDeque::new(),
            events: VecDeque::new(),
            writes: VecDeque::new(),
            buf: ReadBuffer::new(),
            head: None,
            decoder: None,
            redirect: None,
            reusable: false,
            rechunker: Rechunker::new(chunk_size),
            pieces: Vec::new(),
            draining_all: false,
            collected: Vec::new(),
            received: 0,
            emitted: 0,
            total: None,
            deadline: None,
            head_deadline: None,
            total_deadline: None,
            recorder: None,
        };
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
        ex.recorder = Some(recorder);
        ex
    }

    /// The transcript so far, when recording.
    pub fn transcript(&self) -> Option<Transcript> {
        self.recorder.as_ref().map(Recorder::transcript)
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
                self.head.as_ref().map(|h| (h.status, &h.headers))
            }
            _ => None,
        }
    }

    /// The HTTP version and reason phrase of the final response once its
    /// head arrived.
    pub fn response_status_line(&self) -> Option<(Version, &str)> {
        match self.state {
            State::ReadingBody | State::Finished => {
                self.head.as_ref().map(|h| (h.version, h.reason.as_str()))
            }
            _ => None,
        }
    }

    /// The next I/O to do, or `None` when waiting for input or finished.
    pub fn poll_action(&mut self) -> Option<Action> {
        if let Some(a) = self.pending.pop_front() {
            return Some(a);
        }
        match self.state {
            State::WritingConnect | State::WritingRequest => Some(Action::Write),
            State::ReadingConnect | State::ReadingHead | State::ReadingBody | State::Draining => {
                Some(Action::Read)
            }
            State::Connecting | State::Handshaking | State::Finished => None,
        }
    }

    /// The next event, in order.
    pub fn poll_event(&mut self) -> Option<Event> {
        let front = self.events.front_mut()?;
        if let Queued::Body {
            chunk,
            received,
            total,
        } = front
        {
            // Hand out the chunk now and leave its progress in place: one
            // queue entry for the pair keeps the body path short.
            let event = Event::Body(std::mem::take(chunk));
            *front = Queued::Progress {
                received: *received,
                total: *total,
            };
            return Some(event);
        }
        self.events.pop_front().map(Queued::into_event)
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called if no
    /// other input arrives first.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Finished {
            return None;
        }
        [self.deadline, self.head_deadline, self.total_deadline]
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
        if self.state != State::Connecting || self.conn.is_some() {
            return;
        }
        self.progress(now);
        let key = self.target(false).key;
        self.conn = Some(Conn {
            key,
            reused,
            response_bytes: 0,
        });
        let tunnel = self.url.scheme() == "https" && self.request.proxy.is_some();
        if tunnel && !reused {
            let proxy = self.request.proxy.as_ref().expect("tunnel implies proxy");
            self.writes
                .push_back(Bytes::from(connect_head(&self.url, proxy)));
            self.state = State::WritingConnect;
        } else {
            self.queue_request();
        }
    }

    /// TLS over the proxy tunnel is up.
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

    /// `n` bytes of [`transmit`](Self::transmit) were written.
    pub fn handle_written(&mut self, now: Instant, n: usize) {
        self.record(now, Input::Written(n));
        if !matches!(self.state, State::WritingConnect | State::WritingRequest) {
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
        if self.writes.is_empty() {
            self.state = match self.state {
                State::WritingConnect => State::ReadingConnect,
                _ => State::ReadingHead,
            };
            self.head_deadline = self.request.timeout.map(|t| now + t);
            self.process();
        }
    }

    /// Free space to read the next bytes into; report them with
    /// [`handle_read`](Self::handle_read).
    pub fn read_buf(&mut self) -> &mut [u8] {
        self.buf.spare()
    }

    /// `n` bytes were read into [`read_buf`](Self::read_buf). `n == 0` means
    /// end of stream.
    pub fn handle_read(&mut self, now: Instant, n: usize) {
        if n == 0 {
            self.handle_eof(now);
            return;
        }
        self.buf.commit(n);
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
        if let Some(c) = &mut self.conn {
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
                    let got = self.conn.as_ref().map_or(0, |c| c.response_bytes);
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
                self.reusable = false;
                self.take_held_back();
                if self.state == State::Finished {
                    return;
                }
                let result = match &mut self.decoder {
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
        } else if due(self.deadline) || due(self.head_deadline) {
            self.request.timeout
        } else {
            None
        };
        if let Some(after) = after {
            self.take_held_back();
            if self.state == State::Finished {
                return;
            }
            let phase = self.phase();
            let received = if phase == Phase::Body {
                self.received
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

    // ---- internals ----

    fn record(&mut self, now: Instant, input: Input) {
        if let Some(rec) = &mut self.recorder {
            rec.record(now, input);
        }
    }

    fn progress(&mut self, now: Instant) {
        self.deadline = self.request.timeout.map(|t| now + t);
    }

    fn phase(&self) -> Phase {
        match self.state {
            State::Connecting | State::Handshaking => Phase::Connect,
            State::WritingConnect | State::ReadingConnect => Phase::ProxyConnect,
            State::WritingRequest => Phase::Write,
            State::ReadingHead => Phase::Head,
            State::ReadingBody | State::Draining | State::Finished => Phase::Body,
        }
    }

    fn target(&self, reuse: bool) -> ConnectTarget {
        let host = match self.url.host() {
            Some(Host::Ipv6(a)) => a.to_string(),
            Some(h) => h.to_string(),
            None => String::new(),
        };
        let port = self.url.port_or_known_default().unwrap_or(80);
        let https = self.url.scheme() == "https";
        let proxy = self.request.proxy.as_ref();
        let key = PoolKey {
            scheme: self.url.scheme().to_string(),
            host: host.clone(),
            port,
            proxy: proxy.map(|p| (p.host.clone(), p.port)),
        };
        match proxy {
            None => ConnectTarget {
                tls: https.then(|| host.clone()),
                host,
                port,
                key,
                reuse,
            },
            Some(p) => ConnectTarget {
                host: p.host.clone(),
                port: p.port,
                tls: None,
                key,
                reuse,
            },
        }
    }

    fn start_hop(&mut self) {
        self.head_deadline = None;
        self.buf.clear();
        self.conn = None;
        self.head = None;
        self.decoder = None;
        self.writes.clear();
        self.state = State::Connecting;
        let target = self.target(!self.fresh_only);
        self.pending.push_back(Action::Connect(target));
    }

    fn queue_request(&mut self) {
        let via_plain_proxy = if self.url.scheme() == "http" {
            self.request.proxy.as_ref()
        } else {
            None
        };
        let head = request_head(
            &self.method,
            &self.url,
            &self.headers,
            self.body.as_ref().map(Bytes::len),
            via_plain_proxy,
        );
        self.writes.push_back(Bytes::from(head));
        if let Some(b) = &self.body {
            if !b.is_empty() {
                self.writes.push_back(b.clone());
            }
        }
        self.state = State::WritingRequest;
    }

    /// A reused connection that died before answering was stale: try once
    /// more on a fresh one, for methods that may safely be repeated.
    fn may_retry(&self) -> bool {
        match &self.conn {
            Some(c) => {
                c.reused
                    && c.response_bytes == 0
                    && !self.fresh_only
                    && IDEMPOTENT.contains(&self.method)
            }
            None => false,
        }
    }

    fn retry(&mut self) {
        if self.conn.take().is_some() {
            self.pending.push_back(Action::Close);
        }
        self.fresh_only = true;
        self.start_hop();
    }

    fn fail(&mut self, error: Error) {
        if self.conn.take().is_some() {
            self.pending.push_back(Action::Close);
        }
        self.writes.clear();
        self.events
            .push_back(Queued::Other(Box::new(Event::Failure(error))));
        self.state = State::Finished;
    }

    fn release_or_close(&mut self) {
        if let Some(conn) = self.conn.take() {
            if self.reusable && self.buf.len() == 0 {
                self.pending.push_back(Action::Release(conn.key));
            } else {
                self.pending.push_back(Action::Close);
            }
        }
    }

    /// A head that was held back as incomplete but cannot become valid.
    fn malformed_at_eof(&self) -> Option<Error> {
        if self.buf.len() == 0 {
            return None;
        }
        parse_head(self.buf.data(), &self.request.limits, true).err()
    }

    /// Works through buffered bytes as far as they go.
    fn process(&mut self) {
        loop {
            let more = match self.state {
                State::ReadingConnect => self.process_connect_head(),
                State::ReadingHead => self.process_head(),
                State::ReadingBody | State::Draining => self.process_body(),
                _ => false,
            };
            if !more {
                return;
            }
        }
    }

    fn process_connect_head(&mut self) -> bool {
        let head = match parse_head(self.buf.data(), &self.request.limits, false) {
            Ok(HeadParse::Partial) => return false,
            Ok(HeadParse::Complete(head, len)) => {
                self.buf.consume(len);
                self.head_deadline = None;
                head
            }
            Err(e) => {
                self.fail(e);
                return false;
            }
        };
        if !head.status.is_success() {
            self.fail(Error::ProxyRefused {
                status: head.status.as_u16(),
                reason: head.reason,
            });
            return false;
        }
        if self.buf.len() > 0 {
            self.fail(Error::malformed(format!(
                "proxy sent {} unexpected bytes after accepting the tunnel",
                self.buf.len()
            )));
            return false;
        }
        let server_name = self.target(false).key.host;
        self.pending.push_back(Action::StartTls { server_name });
        self.state = State::Handshaking;
        false
    }

    fn process_head(&mut self) -> bool {
        match parse_head(self.buf.data(), &self.request.limits, false) {
            Ok(HeadParse::Partial) => false,
            Ok(HeadParse::Complete(head, len)) => {
                self.buf.consume(len);
                self.on_head(head);
                true
            }
            Err(e) => {
                self.fail(e);
                false
            }
        }
    }

    fn on_head(&mut self, head: ResponseHead) {
        let status = head.status.as_u16();
        if status == 101 {
            self.fail(Error::malformed(
                "unexpected 101 Switching Protocols: no upgrade was requested",
            ));
            return;
        }
        if head.status.is_informational() {
            return; // 100 Continue, 103 Early Hints: the real head follows
        }
        self.head_deadline = None;
        let decision = match decide(&self.method, status, &head.headers) {
            Ok(d) => d,
            Err(e) => {
                self.fail(e);
                return;
            }
        };
        self.reusable = decision.reusable && self.keep_alive(&head);
        let max_trailers = self.request.limits.max_head_bytes;
        self.decoder = Some(BodyDecoder::new(decision.framing, max_trailers));
        if is_redirect_status(head.status) && self.request.max_redirects > 0 {
            let hop = next_hop(
                head.status,
                &head.headers,
                &self.url,
                &self.method,
                self.request.allow_https_to_http,
            );
            match hop {
                Err(e) => {
                    self.fail(e);
                    return;
                }
                Ok(Some(hop)) => {
                    self.begin_redirect(head, hop, decision.framing);
                    return;
                }
                Ok(None) => {}
            }
        }
        self.total = match decision.framing {
            Framing::Length(n) => Some(n),
            Framing::Empty => Some(0),
            Framing::Chunked | Framing::UntilClose => None,
        };
        if let (Some(limit), Some(total)) = (self.request.limits.max_body_bytes, self.total) {
            if total > limit {
                self.fail(Error::BodyTooLarge { limit });
                return;
            }
        }
        if self.request.collect_body {
            let hint = self.total.unwrap_or(0).min(16 * 1024 * 1024) as usize;
            self.collected = Vec::with_capacity(hint);
        }
        self.events.push_back(Queued::Progress {
            received: 0,
            total: self.total,
        });
        self.head = Some(head);
        self.state = State::ReadingBody;
        if self.decoder.as_ref().is_some_and(BodyDecoder::is_finished) {
            self.finish_body();
        }
    }

    fn begin_redirect(&mut self, head: ResponseHead, hop: NextHop, framing: Framing) {
        if self.hops >= self.request.max_redirects {
            self.fail(Error::TooManyRedirects {
                limit: self.request.max_redirects,
                to: hop.url.to_string(),
            });
            return;
        }
        if self
            .visited
            .iter()
            .any(|(m, u)| *m == hop.method && *u == hop.url)
        {
            self.fail(Error::RedirectLoop {
                url: hop.url.to_string(),
            });
            return;
        }
        self.events.push_back(Queued::boxed(Event::Redirect {
            status: head.status,
            from: self.url.clone(),
            to: hop.url.clone(),
            method: hop.method.clone(),
        }));
        self.head = Some(head);
        self.redirect = Some(hop);
        self.state = State::Draining;
        let drained = self.decoder.as_ref().is_some_and(BodyDecoder::is_finished);
        let long = matches!(framing, Framing::Length(n) if n > MAX_REDIRECT_DRAIN);
        if framing == Framing::UntilClose || long {
            // Reading a redirect body of unknown or large length to keep the
            // connection is not worth it: close and move on.
            self.reusable = false;
            self.finish_body();
        } else if drained {
            self.finish_body();
        }
    }

    fn keep_alive(&self, head: &ResponseHead) -> bool {
        let has = |headers: &HeaderMap, token: &str| {
            headers.get_all(CONNECTION).iter().any(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case(token))
            })
        };
        if has(&self.headers, "close") || has(&head.headers, "close") {
            return false;
        }
        head.version == Version::HTTP_11 || has(&head.headers, "keep-alive")
    }

    fn process_body(&mut self) -> bool {
        let Some(decoder) = &mut self.decoder else {
            return false;
        };
        if self.buf.len() == 0 {
            return false;
        }
        let mut input = self.buf.shared();
        if !self.draining_all && self.state == State::ReadingBody && !self.rechunker.has_pending() {
            // A body whose bytes are the wire bytes is taken in whole chunks
            // only: the partial chunk at the end stays in the read buffer,
            // where the next read lands right after it, so every `Body`
            // event is a slice of the buffer and nothing is copied.
            let chunk = self.rechunker.size();
            let whole = input.len() - input.len() % chunk;
            let held = match decoder.identity_remaining() {
                Ok(Some(remaining)) => remaining > input.len() as u64,
                Ok(None) => true,
                Err(()) => false,
            };
            if held && chunk <= HOLD_BACK_MAX_CHUNK {
                if whole == 0 {
                    return false;
                }
                input.truncate(whole);
            }
        }
        let mut pieces = std::mem::take(&mut self.pieces);
        let result = decoder.decode(&input, &mut |p| pieces.push(p));
        drop(input);
        let finished = decoder.is_finished();
        match result {
            Ok(used) => self.buf.consume(used),
            Err(e) => {
                pieces.clear();
                self.pieces = pieces;
                self.fail(e);
                return false;
            }
        }
        let reading = |s: State| matches!(s, State::ReadingBody | State::Draining);
        for piece in pieces.drain(..) {
            if !reading(self.state) {
                break;
            }
            self.on_body_piece(piece);
        }
        self.pieces = pieces;
        if finished && reading(self.state) {
            self.finish_body();
            return true;
        }
        false
    }

    /// Decodes the bytes held back as a partial chunk, so that they count
    /// before the exchange ends at end of stream or on a timeout.
    fn take_held_back(&mut self) {
        if matches!(self.state, State::ReadingBody | State::Draining) {
            self.draining_all = true;
            self.process();
        }
    }

    fn on_body_piece(&mut self, mut piece: Bytes) {
        let before = self.received;
        self.received += piece.len() as u64;
        if self.state == State::Draining {
            if self.received > MAX_REDIRECT_DRAIN {
                // Not worth reading to keep the connection: close it and go.
                self.reusable = false;
                self.finish_body();
            }
            return;
        }
        let mut over_limit = None;
        if let Some(limit) = self.request.limits.max_body_bytes {
            if self.received > limit {
                // Deliver the bytes up to the limit first: failing at once
                // would make the Body events depend on how the bytes were
                // split into reads.
                piece.truncate(limit.saturating_sub(before) as usize);
                over_limit = Some(limit);
            }
        }
        self.deliver(piece);
        if let Some(limit) = over_limit {
            self.fail(Error::BodyTooLarge { limit });
        }
    }

    fn deliver(&mut self, piece: Bytes) {
        if self.request.collect_body {
            self.collected.extend_from_slice(&piece);
        }
        let (events, emitted, total) = (&mut self.events, &mut self.emitted, self.total);
        self.rechunker.push(piece, &mut |chunk| {
            *emitted += chunk.len() as u64;
            events.push_back(Queued::Body {
                chunk,
                received: *emitted,
                total,
            });
        });
    }

    fn finish_body(&mut self) {
        if self.state == State::Draining {
            self.finish_redirect();
            return;
        }
        let (events, emitted, total) = (&mut self.events, &mut self.emitted, self.total);
        self.rechunker.finish(&mut |chunk| {
            *emitted += chunk.len() as u64;
            events.push_back(Queued::Body {
                chunk,
                received: *emitted,
                total,
            });
        });
        let trailers = self
            .decoder
            .as_mut()
            .map(BodyDecoder::take_trailers)
            .unwrap_or_default();
        // Kept (not taken) so `response_head()` still answers once finished.
        let head = self.head.clone().expect("a body follows a head");
        self.release_or_close();
        let body = self
            .request
            .collect_body
            .then(|| Bytes::from(std::mem::take(&mut self.collected)));
        let mut json = None;
        if let Some(b) = &body {
            if self.request.decode && !b.is_empty() && is_json(&head.headers) {
                match decode_json(b) {
                    Ok(v) => json = Some(v),
                    Err(e) => {
                        self.fail(e);
                        return;
                    }
                }
            }
        }
        self.events.push_back(Queued::boxed(Event::Done(Response {
            status: head.status,
            reason: head.reason,
            version: head.version,
            headers: head.headers,
            trailers,
            url: self.url.clone(),
            body,
            json,
        })));
        self.state = State::Finished;
    }

    fn finish_redirect(&mut self) {
        self.release_or_close();
        let hop = self.redirect.take().expect("draining implies a redirect");
        headers_for_hop(&mut self.headers, &hop);
        if !hop.keep_body {
            self.body = None;
        }
        self.method = hop.method.clone();
        self.url = hop.url.clone();
        self.visited.push((hop.method, hop.url));
        self.hops += 1;
        self.received = 0;
        self.fresh_only = false;
        self.start_hop();
    }
}
