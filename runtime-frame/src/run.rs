//! One request in flight: its [`Conductor`] (the shared client layer's
//! view of the exchange), the connect or TLS handshake under way, and
//! [`Run::advance`], which does every piece of I/O the conductor asks for
//! that can be done without waiting and hands the events to the request's
//! sink.

use std::io;
use std::net::TcpStream;
use std::ops::ControlFlow;
use std::time::Instant;

use urlrequest::client::{ClientCore, Conductor, Next};
use urlrequest_core::{Event, Exchange, TransportError};

use crate::net::{Conn, Connecting, Handshake, Interest, Step};

/// Where a request's events go: a `UrlRequest`'s feed, or the queue of a
/// [`Transfer`](crate::Transfer).
pub(crate) trait EventSink: Send {
    /// One event, with the exchange (for its response head). `Break`
    /// stops the request: it is cancelled and later events are dropped.
    fn event(&mut self, event: Event, ex: &Exchange) -> ControlFlow<()>;

    /// The end of one advance: events handed over since the last call may
    /// be published now (a sink that batches them).
    fn flush(&mut self) {}

    /// The exchange is over and its connection settled.
    fn finish(self: Box<Self>);
}

/// Where a request stands after [`Run::advance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Over: the terminal event was handed over, the connection settled.
    Finished,
    /// Waiting for its socket.
    Blocked(Interest),
    /// Waiting for nothing but time (its deadline, if any).
    Idle,
    /// Waiting for a connection slot of its host (the per-host limit);
    /// the pool's count of freed slots when it started waiting.
    WaitingForSlot(u64),
    /// Stopped by the tick's byte budget with bytes possibly waiting.
    OutOfBudget,
}

/// A connection being made, before the conductor holds it.
enum Opening {
    None,
    Connecting(Connecting),
    Handshaking(Box<Handshake>),
}

/// One request in flight.
pub(crate) struct Run {
    conductor: Conductor<Conn>,
    opening: Opening,
    sink: Option<Box<dyn EventSink>>,
    /// When the exchange was made: a tick's `now` is never earlier.
    born: Instant,
    /// A read in this advance came back short from a plain socket: the
    /// kernel had no more, so another read would only say `WouldBlock`
    /// (a system call per tick saved).
    drained: bool,
    /// What the last advance waited for.
    pub(crate) status: Status,
    /// The source of a streamed request body.
    upload: Option<urlrequest::Upload>,
}

impl Run {
    pub(crate) fn new(conductor: Conductor<Conn>, sink: Box<dyn EventSink>, born: Instant) -> Run {
        Run {
            conductor,
            opening: Opening::None,
            sink: Some(sink),
            born,
            drained: false,
            status: Status::Idle,
            upload: None,
        }
    }

    /// Reads a streamed request body from `upload`, on the ticking thread.
    /// (The conductor was told it has a body source.)
    pub(crate) fn with_upload(mut self, upload: Option<urlrequest::Upload>) -> Run {
        self.upload = upload;
        self
    }

    /// The socket a blocked request waits on.
    pub(crate) fn socket(&self) -> Option<&TcpStream> {
        match &self.opening {
            Opening::Connecting(c) => c.socket(),
            Opening::Handshaking(h) => Some(h.socket()),
            Opening::None => self.conductor.connection().map(Conn::tcp),
        }
    }

    /// The exchange's next deadline.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.conductor.deadline()
    }

    /// Does everything that can be done now without waiting, reading at
    /// most `budget` bytes (and counting them off it).
    pub(crate) fn advance(
        &mut self,
        now: Instant,
        core: &ClientCore<Conn>,
        budget: &mut usize,
    ) -> Status {
        let now = now.max(self.born);
        self.drained = false;
        self.status = self.step(now, core, budget);
        if let Some(sink) = self.sink.as_mut() {
            sink.flush();
        }
        if self.status == Status::Finished {
            if let Some(sink) = self.sink.take() {
                sink.finish();
            }
        }
        self.status
    }

    fn step(&mut self, now: Instant, core: &ClientCore<Conn>, budget: &mut usize) -> Status {
        loop {
            if let Some(status) = self.open(now) {
                return status;
            }
            match self.conductor.poll(now) {
                Next::Event(event) => {
                    if let Some(sink) = self.sink.as_mut() {
                        if sink.event(event, self.conductor.exchange()).is_break() {
                            self.conductor.stop();
                        }
                    }
                }
                Next::Finished => return Status::Finished,
                Next::Connect(target) => match Connecting::start(&target.host, target.port) {
                    Ok(c) => self.opening = Opening::Connecting(c),
                    Err(e) => self.conductor.failed(now, e),
                },
                Next::WaitForSlot(_) => return Status::WaitingForSlot(core.pool().slots_freed()),
                Next::StartTls {
                    config,
                    server_name,
                } => {
                    let started = match self.conductor.take_connection() {
                        Some(Conn::Plain(tcp)) => Handshake::start(tcp, config, &server_name),
                        _ => Err(TransportError::Io(
                            "no plain connection to start TLS on".into(),
                        )),
                    };
                    match started {
                        Ok(h) => self.opening = Opening::Handshaking(Box::new(h)),
                        Err(e) => self.conductor.failed(now, e),
                    }
                }
                Next::Write => {
                    if let Some(status) = self.write(now) {
                        return status;
                    }
                }
                Next::Read => {
                    if let Some(status) = self.read(now, budget) {
                        return status;
                    }
                }
                Next::SendBody => {
                    if let Some(status) = self.send_body(now, budget) {
                        return status;
                    }
                }
                Next::RewindBody => {
                    let result = self.upload.as_mut().map_or(Ok(()), |u| u.rewind());
                    self.conductor.rewound(now, result);
                }
                Next::Sleep(_) => return Status::Idle,
            }
        }
    }

    /// Moves a connect or handshake under way on; `Some` when it must wait
    /// for its socket. One the exchange no longer wants (its deadline
    /// passed, it was cancelled or it ended) is dropped, so that the
    /// conductor reaches the end instead of waiting on a socket that may
    /// never become ready.
    fn open(&mut self, now: Instant) -> Option<Status> {
        loop {
            if matches!(self.opening, Opening::None) {
                return None;
            }
            let expired = self.conductor.deadline().is_some_and(|d| now >= d);
            if expired
                || self.conductor.cancel_handle().is_cancelled()
                || self.conductor.exchange().is_finished()
            {
                self.opening = Opening::None;
                return None;
            }
            match &mut self.opening {
                Opening::Connecting(c) => match c.poll() {
                    Step::Ready(tcp) => {
                        self.opening = Opening::None;
                        self.conductor.connected(now, Conn::Plain(tcp));
                    }
                    Step::Blocked(interest) => return Some(Status::Blocked(interest)),
                    Step::Failed(e) => {
                        self.opening = Opening::None;
                        self.conductor.failed(now, e);
                    }
                },
                Opening::Handshaking(h) => match h.poll() {
                    Step::Ready(()) => {
                        if let Opening::Handshaking(h) =
                            std::mem::replace(&mut self.opening, Opening::None)
                        {
                            self.conductor.tls_ready(now, h.into_conn());
                        }
                    }
                    Step::Blocked(interest) => return Some(Status::Blocked(interest)),
                    Step::Failed(e) => {
                        self.opening = Opening::None;
                        self.conductor.failed(now, e);
                    }
                },
                Opening::None => {}
            }
        }
    }

    /// Writes what the core offers; `Some` when the socket is full.
    fn write(&mut self, now: Instant) -> Option<Status> {
        let (ex, Some(conn)) = self.conductor.io() else {
            return None;
        };
        match conn.write(ex.transmit()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Some(Status::Blocked(Interest::Write))
            }
            result => {
                self.conductor.write_result(now, result);
                None
            }
        }
    }

    /// Reads the next piece of a streamed request body from its source (a
    /// blocking read on this thread), counted against the tick's budget.
    fn send_body(&mut self, now: Instant, budget: &mut usize) -> Option<Status> {
        if *budget == 0 {
            return Some(Status::OutOfBudget);
        }
        let upload = self.upload.as_mut()?;
        let (ex, _) = self.conductor.io();
        let result = upload.read(ex.body_buf());
        if let Ok(n) = result {
            *budget = budget.saturating_sub(n);
        }
        if let Some(progress) = self.conductor.body_read(now, result) {
            upload.report(Some(progress));
        }
        None
    }

    /// Reads into the core's buffer (no copy on the body path), within the
    /// budget; `Some` when the socket is empty or the budget spent.
    fn read(&mut self, now: Instant, budget: &mut usize) -> Option<Status> {
        if self.drained {
            return Some(Status::Blocked(Interest::Read));
        }
        if *budget == 0 {
            return Some(Status::OutOfBudget);
        }
        let (ex, Some(conn)) = self.conductor.io() else {
            return None;
        };
        // TLS records of the request still buffered go out first: the
        // server answers only once it has them.
        match conn.flush() {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Some(Status::Blocked(Interest::Write))
            }
            Err(e) => {
                self.conductor.failed(now, TransportError::write(&e));
                return None;
            }
        }
        let buf = ex.read_buf();
        let room = buf.len().min(*budget);
        let got = conn.read(&mut buf[..room]);
        let plain = matches!(conn, Conn::Plain(_));
        match got {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Some(Status::Blocked(Interest::Read))
            }
            Ok(n) if n > 0 => {
                *budget -= n;
                self.drained = n < room && plain;
            }
            _ => {}
        }
        self.conductor.read_result(now, got);
        None
    }
}

impl Drop for Run {
    /// A request dropped unfinished (its client dropped) ends cancelled.
    fn drop(&mut self) {
        if let Some(sink) = self.sink.take() {
            sink.finish();
        }
    }
}
