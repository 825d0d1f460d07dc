//! One request in flight: its exchange, the connection it holds (or is
//! opening), and [`Run::advance`], which does every action of the core
//! that can be done without waiting and hands the events to the request's
//! sink.

use std::io;
use std::net::TcpStream;
use std::ops::ControlFlow;
use std::time::Instant;

use urlrequest::CancelHandle;
use urlrequest_core::{trace_line, Action, ConnectTarget, Event, Exchange, State, TransportError};
use urlrequest_tls::TlsSettings;

use crate::cancel;
use crate::net::{Conn, Connecting, Handshake, Interest, Step};
use crate::shared::Shared;

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
    /// Stopped by the tick's byte budget with bytes possibly waiting.
    OutOfBudget,
}

/// The I/O a request holds.
enum Io {
    None,
    Connecting(Connecting),
    Handshaking(Box<Handshake>),
    Open(Conn),
}

/// One request in flight.
pub(crate) struct Run {
    ex: Exchange,
    io: Io,
    tls: TlsSettings,
    cancel: CancelHandle,
    sink: Option<Box<dyn EventSink>>,
    /// The sink broke: later events are dropped.
    stopped: bool,
    recorded: bool,
    debug: bool,
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
    pub(crate) fn new(
        ex: Exchange,
        tls: TlsSettings,
        cancel: CancelHandle,
        debug: bool,
        sink: Box<dyn EventSink>,
        born: Instant,
    ) -> Run {
        Run {
            ex,
            io: Io::None,
            tls,
            cancel,
            sink: Some(sink),
            stopped: false,
            recorded: false,
            debug,
            born,
            drained: false,
            status: Status::Idle,
            upload: None,
        }
    }

    /// Reads a streamed request body from `upload`, on the ticking thread.
    pub(crate) fn with_upload(mut self, upload: Option<urlrequest::Upload>) -> Run {
        self.upload = upload;
        self
    }

    /// The socket a blocked request waits on.
    pub(crate) fn socket(&self) -> Option<&TcpStream> {
        match &self.io {
            Io::None => None,
            Io::Connecting(c) => c.socket(),
            Io::Handshaking(h) => Some(h.socket()),
            Io::Open(conn) => Some(conn.tcp()),
        }
    }

    /// The exchange's next deadline.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.ex.poll_timeout()
    }

    /// Does everything that can be done now without waiting, reading at
    /// most `budget` bytes (and counting them off it).
    pub(crate) fn advance(&mut self, now: Instant, shared: &Shared, budget: &mut usize) -> Status {
        let now = now.max(self.born);
        self.drained = false;
        self.status = self.step(now, shared, budget);
        if let Some(sink) = self.sink.as_mut() {
            sink.flush();
        }
        if self.status == Status::Finished {
            self.io = Io::None;
            cancel::detach(&self.cancel);
            if let Some(sink) = self.sink.take() {
                sink.finish();
            }
        }
        self.status
    }

    fn step(&mut self, now: Instant, shared: &Shared, budget: &mut usize) -> Status {
        loop {
            self.hand_over_events(shared);
            if self.ex.is_finished() {
                return Status::Finished;
            }
            if self.cancel.is_cancelled() && self.ex.state() != State::Finished {
                self.ex.cancel();
                continue;
            }
            if self.ex.poll_timeout().is_some_and(|d| now >= d) {
                self.ex.handle_timeout(now);
                continue;
            }
            // A connect or handshake the exchange no longer wants (it
            // ended meanwhile: a deadline, a cancel) is dropped, so that the
            // `Close` it asked for is reached instead of waiting on a socket
            // that may never become ready.
            if self.ex.state() == State::Finished
                && matches!(self.io, Io::Connecting(_) | Io::Handshaking(_))
            {
                cancel::detach(&self.cancel);
                self.io = Io::None;
            }
            // A connect or handshake under way comes first.
            match &mut self.io {
                Io::Connecting(c) => match c.poll() {
                    Step::Ready(tcp) => {
                        cancel::attach(&self.cancel, &tcp);
                        self.io = Io::Open(Conn::Plain(tcp));
                        self.ex.handle_connected(now, false);
                        continue;
                    }
                    Step::Blocked(interest) => return Status::Blocked(interest),
                    Step::Failed(e) => {
                        self.io = Io::None;
                        self.failed(now, e);
                        continue;
                    }
                },
                Io::Handshaking(h) => match h.poll() {
                    Step::Ready(()) => {
                        let Io::Handshaking(h) = std::mem::replace(&mut self.io, Io::None) else {
                            unreachable!("matched above")
                        };
                        self.io = Io::Open(h.into_conn());
                        self.ex.handle_tls_ready(now);
                        continue;
                    }
                    Step::Blocked(interest) => return Status::Blocked(interest),
                    Step::Failed(e) => {
                        self.io = Io::None;
                        self.failed(now, e);
                        continue;
                    }
                },
                Io::None | Io::Open(_) => {}
            }
            let Some(action) = self.ex.poll_action() else {
                if self.ex.poll_timeout().is_none() {
                    // Waiting for nothing but time, with no deadline: it
                    // would never move again. Fail rather than hang.
                    let state = self.ex.state();
                    let e = TransportError::Io(format!("request stalled in state {state}"));
                    self.ex.handle_transport_error(now, e);
                    continue;
                }
                return Status::Idle;
            };
            if self.debug && !matches!(action, Action::Read | Action::Write) {
                log::debug!(
                    "{} action: {action:?} (state {})",
                    self.ex.url(),
                    self.ex.state()
                );
            }
            match action {
                Action::Connect(target) => self.connect(now, shared, target),
                Action::StartTls { server_name } => self.start_tls(now, shared, &server_name),
                Action::Write => {
                    if let Some(status) = self.write(now) {
                        return status;
                    }
                }
                Action::Read => {
                    if let Some(status) = self.read(now, budget) {
                        return status;
                    }
                }
                Action::SendBody => {
                    if let Some(status) = self.send_body(now, budget) {
                        return status;
                    }
                }
                Action::RewindBody => {
                    let result = self.upload.as_mut().map_or(Ok(()), |u| u.rewind());
                    if let Err(e) = result {
                        self.ex.handle_body_error(now, e.to_string());
                    }
                }
                Action::Close => self.close(),
                Action::Release(key) => {
                    cancel::detach(&self.cancel);
                    if let Io::Open(conn) = std::mem::replace(&mut self.io, Io::None) {
                        shared.check_in(key, &self.tls, conn, now);
                    }
                }
            }
        }
    }

    fn hand_over_events(&mut self, shared: &Shared) {
        while let Some(event) = self.ex.poll_event() {
            if self.debug {
                log::debug!("{} event: {}", self.ex.url(), trace_line(&event));
            }
            // Kept before the terminal event is handed over: whoever waits
            // for the outcome finds it recorded.
            if event.is_terminal() {
                self.record(shared);
            }
            if self.stopped {
                continue;
            }
            let Some(sink) = self.sink.as_mut() else {
                continue;
            };
            if sink.event(event, &self.ex).is_break() {
                self.stopped = true;
                self.ex.cancel();
                // A run the sink stopped keeps where it stopped.
                self.record(shared);
            }
        }
    }

    fn record(&mut self, shared: &Shared) {
        if self.recorded {
            return;
        }
        if let (Some(rec), Some(t)) = (&shared.recording, self.ex.transcript()) {
            rec.push(t);
            self.recorded = true;
        }
    }

    fn close(&mut self) {
        cancel::detach(&self.cancel);
        self.io = Io::None;
    }

    /// A transport failure, or a cancel if the request was cancelled
    /// meanwhile (its socket was shut down under it).
    fn failed(&mut self, now: Instant, e: TransportError) {
        if self.cancel.is_cancelled() {
            self.ex.cancel();
        } else {
            self.ex.handle_transport_error(now, e);
        }
    }

    fn connect(&mut self, now: Instant, shared: &Shared, target: ConnectTarget) {
        self.close();
        if target.reuse {
            if let Some(conn) = shared.check_out(&target.key, &self.tls, now) {
                if self.debug {
                    log::debug!("reusing idle connection for {}", target.key);
                }
                cancel::attach(&self.cancel, conn.tcp());
                self.io = Io::Open(conn);
                self.ex.handle_connected(now, true);
                return;
            }
        }
        match Connecting::start(&target.host, target.port) {
            Ok(c) => self.io = Io::Connecting(c),
            Err(e) => self.failed(now, e),
        }
    }

    fn start_tls(&mut self, now: Instant, shared: &Shared, server_name: &str) {
        let Io::Open(Conn::Plain(tcp)) = std::mem::replace(&mut self.io, Io::None) else {
            let e = TransportError::Io("no plain connection to start TLS on".into());
            return self.failed(now, e);
        };
        let started = shared
            .client_config(&self.tls)
            .map_err(TransportError::Tls)
            .and_then(|config| Handshake::start(tcp, config, server_name));
        match started {
            Ok(h) => self.io = Io::Handshaking(Box::new(h)),
            Err(e) => self.failed(now, e),
        }
    }

    /// Writes what the core offers; `Some` when the socket is full.
    fn write(&mut self, now: Instant) -> Option<Status> {
        let Io::Open(conn) = &mut self.io else {
            let e = TransportError::Io("no connection to write to".into());
            self.failed(now, e);
            return None;
        };
        match conn.write(self.ex.transmit()) {
            _ if self.cancel.is_cancelled() => self.ex.cancel(),
            Ok(n) => self.ex.handle_written(now, n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Some(Status::Blocked(Interest::Write))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => self
                .ex
                .handle_transport_error(now, TransportError::write(&e)),
        }
        None
    }

    /// Reads the next piece of a streamed request body from its source (a
    /// blocking read on this thread), counted against the tick's budget.
    fn send_body(&mut self, now: Instant, budget: &mut usize) -> Option<Status> {
        if *budget == 0 {
            return Some(Status::OutOfBudget);
        }
        let Some(upload) = self.upload.as_mut() else {
            self.ex.handle_body_error(
                now,
                "the request declares a streamed body but no source was given",
            );
            return None;
        };
        match upload.read(self.ex.body_buf()) {
            Ok(n) => {
                *budget = budget.saturating_sub(n);
                self.ex.handle_body_read(now, n);
                if n > 0 {
                    upload.report(self.ex.upload_progress());
                }
            }
            Err(e) => self.ex.handle_body_error(now, e.to_string()),
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
        let Io::Open(conn) = &mut self.io else {
            let e = TransportError::Io("no connection to read from".into());
            self.failed(now, e);
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
                self.failed(now, TransportError::write(&e));
                return None;
            }
        }
        let buf = self.ex.read_buf();
        let room = buf.len().min(*budget);
        let got = conn.read(&mut buf[..room]);
        if self.cancel.is_cancelled() {
            // The socket was shut down under us: a cancel, not an EOF.
            self.ex.cancel();
            return None;
        }
        match got {
            Ok(0) => self.ex.handle_eof(now),
            Ok(n) => {
                *budget -= n;
                self.drained = n < room && matches!(conn, Conn::Plain(_));
                self.ex.handle_read(now, n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Some(Status::Blocked(Interest::Read))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => self
                .ex
                .handle_transport_error(now, TransportError::read(&e)),
        }
        None
    }
}

impl Drop for Run {
    /// A request dropped unfinished (its client dropped) ends cancelled.
    fn drop(&mut self) {
        cancel::detach(&self.cancel);
        if let Some(sink) = self.sink.take() {
            sink.finish();
        }
    }
}
