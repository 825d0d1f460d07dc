//! [`Conductor`]: one request of a client, between the core's exchange and
//! a runtime's I/O, written once. It does every step that needs no socket
//! (handing out events, keeping the transcript, the pool on connect,
//! release and close, the per-host limit, the cancel guard, a missing body
//! source, a deadline that passed, a core that asks for nothing) and hands
//! the runtime only the I/O to do, as a [`Next`]. The runtime does it and
//! reports back; it never sees an `Action`.
//!
//! A runtime's loop is then, whatever its way of waiting:
//!
//! ```text
//! loop {
//!     match conductor.poll(now) {
//!         Next::Event(e)          => hand e to the user (stop() if they are done),
//!         Next::Connect(target)   => open a socket: connected() or failed(),
//!         Next::WaitForSlot(l)    => wait for l (or the deadline), poll again,
//!         Next::StartTls{..}      => take_connection(), handshake: tls_ready() or failed(),
//!         Next::Write / Read      => move bytes: write_result() / read_result(),
//!         Next::SendBody          => read the upload: body_read(),
//!         Next::RewindBody        => rewind it: rewound(),
//!         Next::Sleep(deadline)   => wait until then (or the socket), poll again,
//!         Next::Finished          => stop,
//!     }
//! }
//! ```

use std::borrow::BorrowMut;
use std::io;
use std::sync::Arc;
use std::time::Instant;

use event_listener::EventListener;
use urlrequest_core::{trace_line, Action, ConnectTarget, Event, Exchange, State, TransportError};
use urlrequest_tls::rustls::ClientConfig;
use urlrequest_tls::TlsSettings;

use crate::cancel::CancelHandle;
use crate::client::pool::{Permit, PooledConnection};
use crate::client::ClientCore;

/// The I/O a runtime does next for its request (or the event it hands
/// over, or the end).
// An event is handed on at once; boxing it would cost an allocation per
// body chunk for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Next {
    /// An event for the user, in order. Call [`Conductor::stop`] if the
    /// user wants no more.
    Event(Event),
    /// Open a new connection to `target.host:target.port` (the pool had
    /// none to reuse), then report [`Conductor::connected`] or
    /// [`Conductor::failed`].
    Connect(ConnectTarget),
    /// The per-host limit is reached: wait until this listener fires or
    /// the exchange's deadline ([`Conductor::deadline`]) passes, then poll
    /// again.
    WaitForSlot(EventListener),
    /// Wrap the open connection ([`Conductor::take_connection`]) in TLS for
    /// `server_name` with `config`, then report [`Conductor::tls_ready`]
    /// or [`Conductor::failed`].
    StartTls {
        /// The rustls configuration of this request's TLS settings.
        config: Arc<ClientConfig>,
        /// The name the certificate must be valid for.
        server_name: String,
    },
    /// Write some of [`Exchange::transmit`] to the connection, then report
    /// [`Conductor::write_result`].
    Write,
    /// Read into [`Exchange::read_buf`] from the connection, then report
    /// [`Conductor::read_result`].
    Read,
    /// Read the streamed request body into [`Exchange::body_buf`], then
    /// report [`Conductor::body_read`].
    SendBody,
    /// Start the streamed request body over (a redirect resends it), then
    /// report [`Conductor::rewound`].
    RewindBody,
    /// Nothing to do before this instant (a deadline); poll again then, or
    /// earlier if something may have changed.
    Sleep(Instant),
    /// The request is over: every event was handed over, the connection is
    /// back in the pool or closed.
    Finished,
}

/// One request run by a client: the exchange, the connection and slot it
/// holds, and what it has handed over. The exchange is owned, or borrowed
/// (`E = &mut Exchange`) by a caller that built it and looks at it after.
pub struct Conductor<C: PooledConnection, E: BorrowMut<Exchange> = Exchange> {
    ex: E,
    client: Arc<ClientCore<C>>,
    tls: TlsSettings,
    conn: Option<C>,
    permit: Option<Permit>,
    /// A connect waiting for a slot of the per-host limit.
    pending_connect: Option<ConnectTarget>,
    cancel: CancelHandle,
    /// Whether the runtime has a source for a streamed request body.
    has_body_source: bool,
    /// The user stopped: later events are dropped.
    stopped: bool,
    recorded: bool,
    debug: bool,
}

impl<C: PooledConnection, E: BorrowMut<Exchange>> std::fmt::Debug for Conductor<C, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conductor")
            .field("url", &self.ex_ref().url().as_str())
            .field("state", &self.ex_ref().state())
            .field("connected", &self.conn.is_some())
            .finish()
    }
}

impl<C: PooledConnection, E: BorrowMut<Exchange>> Conductor<C, E> {
    /// A request on `client`, its exchange already prepared
    /// ([`ClientSettings::exchange`](crate::client::ClientSettings::exchange)).
    pub fn new(client: Arc<ClientCore<C>>, ex: E) -> Conductor<C, E> {
        let tls = client.settings().tls().clone();
        Conductor {
            ex,
            client,
            tls,
            conn: None,
            permit: None,
            pending_connect: None,
            cancel: CancelHandle::new(),
            has_body_source: false,
            stopped: false,
            recorded: false,
            debug: false,
        }
    }

    /// Uses these TLS settings instead of the client's.
    pub fn with_tls(mut self, tls: Option<TlsSettings>) -> Self {
        if let Some(tls) = tls {
            self.tls = tls;
        }
        self
    }

    /// Lets `cancel` end the request from elsewhere.
    pub fn with_cancel(mut self, cancel: CancelHandle) -> Self {
        self.cancel = cancel;
        self
    }

    /// Says whether the runtime holds a source for a streamed request body
    /// (without one, such a request fails with a `request-body` error).
    pub fn with_body_source(mut self, has: bool) -> Self {
        self.has_body_source = has;
        self
    }

    /// Logs every action and event at `debug` level (else `trace`).
    pub fn with_debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// The exchange, for its state and response head.
    pub fn exchange(&self) -> &Exchange {
        self.ex.borrow()
    }

    fn ex_ref(&self) -> &Exchange {
        self.ex.borrow()
    }

    fn ex_mut(&mut self) -> &mut Exchange {
        self.ex.borrow_mut()
    }

    /// The exchange and the open connection, for a runtime's I/O step.
    pub fn io(&mut self) -> (&mut Exchange, Option<&mut C>) {
        (self.ex.borrow_mut(), self.conn.as_mut())
    }

    /// The open connection.
    pub fn connection(&self) -> Option<&C> {
        self.conn.as_ref()
    }

    /// The cancel handle of this request.
    pub fn cancel_handle(&self) -> &CancelHandle {
        &self.cancel
    }

    /// The exchange's next deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.ex_ref().poll_timeout()
    }

    /// The next thing to do at `now`.
    pub fn poll(&mut self, now: Instant) -> Next {
        loop {
            if let Some(event) = self.ex_mut().poll_event() {
                self.log_event(&event);
                if event.is_terminal() {
                    // The connection goes back (or is closed) and the
                    // transcript is kept before the outcome is handed
                    // over: whoever acts on the outcome finds both done.
                    self.settle(now);
                    self.record();
                }
                if self.stopped {
                    continue;
                }
                return Next::Event(event);
            }
            if self.ex_mut().is_finished() {
                self.settle(now);
                return Next::Finished;
            }
            if self.cancel.is_cancelled() && self.ex_mut().state() != State::Finished {
                self.ex_mut().cancel();
                continue;
            }
            if self.ex_mut().poll_timeout().is_some_and(|d| now >= d) {
                self.ex_mut().handle_timeout(now);
                continue;
            }
            if let Some(target) = self.pending_connect.take() {
                match self.connect(now, target) {
                    Some(next) => return next,
                    None => continue,
                }
            }
            let Some(action) = self.ex_mut().poll_action() else {
                match self.ex_mut().poll_timeout() {
                    Some(deadline) => return Next::Sleep(deadline),
                    None => {
                        // Waiting for nothing but time, with no deadline:
                        // it would never move again. Fail rather than hang.
                        let state = self.ex_mut().state();
                        let e = TransportError::Io(format!("request stalled in state {state}"));
                        self.ex_mut().handle_transport_error(now, e);
                        continue;
                    }
                }
            };
            self.log_action(&action);
            match action {
                Action::Connect(target) => {
                    self.close();
                    self.pending_connect = Some(target);
                }
                Action::StartTls { server_name } => {
                    if self.conn.is_none() {
                        self.no_connection(now, "start TLS on");
                        continue;
                    }
                    match self.client.pool().tls_config(&self.tls) {
                        Ok(config) => {
                            return Next::StartTls {
                                config,
                                server_name,
                            }
                        }
                        Err(e) => self.failed(now, TransportError::Tls(e.to_string())),
                    }
                }
                Action::Write if self.conn.is_none() => self.no_connection(now, "write to"),
                Action::Write => return Next::Write,
                Action::Read if self.conn.is_none() => self.no_connection(now, "read from"),
                Action::Read => return Next::Read,
                Action::SendBody if !self.has_body_source => self.ex_mut().handle_body_error(
                    now,
                    "the request declares a streamed body but no source was given",
                ),
                Action::SendBody => return Next::SendBody,
                // Nothing was read from a source that is not there.
                Action::RewindBody if !self.has_body_source => {}
                Action::RewindBody => return Next::RewindBody,
                Action::Close => self.close(),
                Action::Release(key) => {
                    self.detach();
                    if let Some(conn) = self.conn.take() {
                        self.client.pool().check_in(key, &self.tls, conn, now);
                    }
                    self.permit = None;
                }
            }
        }
    }

    /// A slot, then an idle connection to reuse, or the connect to do.
    fn connect(&mut self, now: Instant, target: ConnectTarget) -> Option<Next> {
        let pool = self.client.pool();
        if self.permit.is_none() {
            self.permit = pool.try_acquire(&target.key);
        }
        if self.permit.is_none() {
            let listener = pool.slot_freed();
            self.permit = pool.try_acquire(&target.key);
            if self.permit.is_none() {
                self.pending_connect = Some(target);
                return Some(Next::WaitForSlot(listener));
            }
        }
        // Looked up only once a slot is held, so a connection released
        // while this request waited is found instead of opening another.
        if target.reuse {
            if let Some(conn) = pool.check_out(&target.key, &self.tls, now) {
                if self.debug {
                    log::debug!("reusing idle connection for {}", target.key);
                }
                self.attach(conn);
                self.ex_mut().handle_connected(now, true);
                return None;
            }
        } else {
            pool.discard_one(&target.key, &self.tls, now);
        }
        Some(Next::Connect(target))
    }

    /// The connection asked for by [`Next::Connect`] is open.
    pub fn connected(&mut self, now: Instant, conn: C) {
        self.attach(conn);
        if self.cancel.is_cancelled() {
            // Cancelled while connecting: the hook came too late to fire.
            self.ex_mut().cancel();
            return;
        }
        self.ex_mut().handle_connected(now, false);
    }

    /// Takes the open connection out, to wrap it in TLS.
    pub fn take_connection(&mut self) -> Option<C> {
        self.detach();
        self.conn.take()
    }

    /// The TLS connection asked for by [`Next::StartTls`] is ready.
    pub fn tls_ready(&mut self, now: Instant, conn: C) {
        self.attach(conn);
        if self.cancel.is_cancelled() {
            self.ex_mut().cancel();
            return;
        }
        self.ex_mut().handle_tls_ready(now);
    }

    /// Connecting or TLS failed (a cancel meanwhile is reported as the
    /// cancel: the socket was shut down under the runtime).
    pub fn failed(&mut self, now: Instant, e: TransportError) {
        if self.cancel.is_cancelled() {
            self.ex_mut().cancel();
        } else {
            self.ex_mut().handle_transport_error(now, e);
        }
    }

    /// The runtime's own wait for the current step ran past the exchange's
    /// deadline.
    pub fn timed_out(&mut self, now: Instant) {
        self.ex_mut().handle_timeout(now);
    }

    /// The outcome of a [`Next::Write`]. A socket timeout counts as the
    /// deadline passing; `Interrupted` is tried again.
    pub fn write_result(&mut self, now: Instant, result: io::Result<usize>) {
        if self.cancel.is_cancelled() {
            self.ex_mut().cancel();
            return;
        }
        match result {
            Ok(n) => self.ex_mut().handle_written(now, n),
            Err(e) if is_timeout(&e) => self.ex_mut().handle_timeout(now),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => self
                .ex_mut()
                .handle_transport_error(now, TransportError::write(&e)),
        }
    }

    /// The outcome of a [`Next::Read`]: 0 is end of stream. A TLS peer that
    /// closes without `close_notify` is end of stream too (the core's
    /// framing decides whether the body was complete).
    pub fn read_result(&mut self, now: Instant, result: io::Result<usize>) {
        if self.cancel.is_cancelled() {
            // The socket was shut down under us: a cancel, not an EOF.
            self.ex_mut().cancel();
            return;
        }
        match result {
            Ok(0) => self.ex_mut().handle_eof(now),
            Ok(n) => self.ex_mut().handle_read(now, n),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => self.ex_mut().handle_eof(now),
            Err(e) if is_timeout(&e) => self.ex_mut().handle_timeout(now),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => self
                .ex_mut()
                .handle_transport_error(now, TransportError::read(&e)),
        }
    }

    /// The outcome of a [`Next::SendBody`]; returns the upload progress to
    /// report when bytes were read.
    pub fn body_read(
        &mut self,
        now: Instant,
        result: io::Result<usize>,
    ) -> Option<(u64, Option<u64>)> {
        match result {
            Ok(n) => {
                self.ex_mut().handle_body_read(now, n);
                if n > 0 {
                    return self.ex_mut().upload_progress();
                }
            }
            Err(e) => self.ex_mut().handle_body_error(now, e.to_string()),
        }
        None
    }

    /// The outcome of a [`Next::RewindBody`].
    pub fn rewound(&mut self, now: Instant, result: io::Result<()>) {
        if let Err(e) = result {
            self.ex_mut().handle_body_error(now, e.to_string());
        }
    }

    /// The user wants no more events: the exchange is cancelled, later
    /// events are dropped, and the transcript kept so far is recorded.
    pub fn stop(&mut self) {
        if !self.stopped {
            self.stopped = true;
            self.ex_mut().cancel();
            self.record();
        }
    }

    /// Handles what is left after the terminal event (only `Close` and
    /// `Release` can remain), then lets go of the connection and slot.
    fn settle(&mut self, now: Instant) {
        self.pending_connect = None;
        while let Some(action) = self.ex_mut().poll_action() {
            match action {
                Action::Release(key) => {
                    self.detach();
                    if let Some(conn) = self.conn.take() {
                        self.client.pool().check_in(key, &self.tls, conn, now);
                    }
                }
                _ => self.close(),
            }
        }
        self.close();
    }

    fn close(&mut self) {
        self.detach();
        self.conn = None;
        self.permit = None;
    }

    fn attach(&mut self, conn: C) {
        // A handle nobody else holds can never be cancelled from elsewhere:
        // no hook (it costs a socket clone).
        if self.cancel.is_shared() {
            self.cancel.set_hook(conn.shutdown_hook());
        }
        self.conn = Some(conn);
    }

    fn detach(&mut self) {
        if self.cancel.is_shared() {
            self.cancel.set_hook(None);
        }
    }

    fn no_connection(&mut self, now: Instant, what: &str) {
        let e = TransportError::Io(format!("no open connection to {what}"));
        self.ex_mut().handle_transport_error(now, e);
    }

    fn record(&mut self) {
        if self.recorded {
            return;
        }
        if let (Some(rec), Some(t)) = (
            self.client.settings().recording(),
            self.ex_ref().transcript(),
        ) {
            rec.push(t);
            self.recorded = true;
        }
    }

    fn log_event(&self, event: &Event) {
        if self.debug {
            log::debug!("{} event: {}", self.ex_ref().url(), trace_line(event));
        }
    }

    fn log_action(&self, action: &Action) {
        if self.debug && !matches!(action, Action::Read | Action::Write) {
            log::debug!(
                "{} action: {action:?} (state {})",
                self.ex_ref().url(),
                self.ex_ref().state()
            );
        } else {
            log::trace!("{} {:?}", self.ex_ref().state(), action);
        }
    }
}

impl<C: PooledConnection, E: BorrowMut<Exchange>> Drop for Conductor<C, E> {
    fn drop(&mut self) {
        // A socket closed or pooled must not be shut down by a late cancel.
        self.detach();
    }
}

/// Whether an I/O error is a socket timeout firing.
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
