//! The blocking driver: runs one [`Exchange`] to completion on the calling
//! thread, doing the I/O it asks for with std sockets and rustls.

use std::ops::ControlFlow;
use std::time::Instant;

use urlrequest_core::{trace_line, Action, ConnectTarget, Event, Exchange, State, TransportError};

use crate::agent::AgentInner;
use crate::cancel::{self, CancelHandle};
use crate::transport::{connect, is_timeout, Connection, OpenError};
use urlrequest::Upload;
use urlrequest_tls::TlsSettings;

/// One run of an exchange: the connection it holds and how to behave.
pub(crate) struct Driver<'a> {
    pub(crate) agent: &'a AgentInner,
    pub(crate) tls: &'a TlsSettings,
    pub(crate) cancel: &'a CancelHandle,
    pub(crate) debug: bool,
    conn: Option<Connection>,
    /// The source of a streamed request body.
    upload: Option<&'a mut Upload>,
}

impl<'a> Driver<'a> {
    pub(crate) fn new(
        agent: &'a AgentInner,
        tls: &'a TlsSettings,
        cancel: &'a CancelHandle,
        debug: bool,
    ) -> Driver<'a> {
        Driver {
            agent,
            tls,
            cancel,
            debug,
            conn: None,
            upload: None,
        }
    }

    /// Reads a streamed request body from `upload`.
    pub(crate) fn with_upload(mut self, upload: Option<&'a mut Upload>) -> Self {
        self.upload = upload;
        self
    }

    /// Drives `ex` until it is finished, handing every event to `sink`.
    /// When the sink breaks, the exchange is cancelled and later events are
    /// dropped (the sink knows why it stopped).
    pub(crate) fn run<F>(&mut self, ex: &mut Exchange, mut sink: F)
    where
        F: FnMut(Event, &Exchange) -> ControlFlow<()>,
    {
        let mut stopped = false;
        loop {
            while let Some(event) = ex.poll_event() {
                if self.debug {
                    log::debug!("{} event: {}", ex.url(), trace_line(&event));
                }
                if !stopped && sink(event, ex).is_break() {
                    stopped = true;
                    ex.cancel();
                }
            }
            // Checked only once every event has been handed over, so none is
            // left behind when the exchange ends.
            if ex.is_finished() {
                break;
            }
            if self.cancel.is_cancelled() && ex.state() != State::Finished {
                ex.cancel();
                continue;
            }
            let Some(action) = ex.poll_action() else {
                self.idle(ex);
                continue;
            };
            if self.debug && !matches!(action, Action::Read | Action::Write) {
                log::debug!("{} action: {action:?} (state {})", ex.url(), ex.state());
            }
            match action {
                Action::Connect(target) => self.connect(ex, target),
                Action::StartTls { server_name } => self.start_tls(ex, &server_name),
                Action::Write => self.write(ex),
                Action::Read => self.read(ex),
                Action::SendBody => self.send_body(ex),
                Action::RewindBody => self.rewind_body(ex),
                Action::Close => {
                    cancel::detach(self.cancel);
                    self.conn = None;
                }
                Action::Release(key) => {
                    cancel::detach(self.cancel);
                    if let Some(conn) = self.conn.take() {
                        self.agent.check_in(key, self.tls, conn);
                    }
                }
            }
        }
        cancel::detach(self.cancel);
    }

    /// The core wants nothing but time to pass: wait for its deadline.
    fn idle(&mut self, ex: &mut Exchange) {
        match ex.poll_timeout() {
            Some(deadline) => {
                std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                ex.handle_timeout(Instant::now());
            }
            None => {
                // Cannot happen with this driver (every action is completed
                // before polling again); fail loudly rather than hang.
                let msg = format!("driver stalled in state {}", ex.state());
                ex.handle_transport_error(Instant::now(), TransportError::Io(msg));
            }
        }
    }

    fn connect(&mut self, ex: &mut Exchange, target: ConnectTarget) {
        if target.reuse {
            if let Some(conn) = self.agent.check_out(&target.key, self.tls) {
                if self.debug {
                    log::debug!("reusing idle connection for {}", target.key);
                }
                cancel::attach(self.cancel, conn.tcp());
                self.conn = Some(conn);
                ex.handle_connected(Instant::now(), true);
                return;
            }
        }
        match self.open(&target, ex.poll_timeout()) {
            Ok(conn) => {
                self.conn = Some(conn);
                ex.handle_connected(Instant::now(), false);
            }
            Err(e) => self.report_open_error(ex, e),
        }
    }

    fn open(
        &mut self,
        target: &ConnectTarget,
        deadline: Option<Instant>,
    ) -> Result<Connection, OpenError> {
        let tcp = connect(&target.host, target.port, deadline, self.cancel)?;
        cancel::attach(self.cancel, &tcp);
        if self.cancel.is_cancelled() {
            return Err(OpenError::Cancelled);
        }
        // TLS, when the URL needs it, is the core's next action (StartTls).
        Ok(Connection::plain(tcp))
    }

    fn start_tls(&mut self, ex: &mut Exchange, server_name: &str) {
        let Some(conn) = self.conn.take() else {
            ex.handle_transport_error(
                Instant::now(),
                TransportError::Io("no connection to start TLS on".into()),
            );
            return;
        };
        let result = self
            .agent
            .client_config(self.tls)
            .map_err(OpenError::tls)
            .and_then(|config| conn.start_tls(config, server_name, ex.poll_timeout()));
        match result {
            Ok(conn) => {
                self.conn = Some(conn);
                ex.handle_tls_ready(Instant::now());
            }
            Err(e) => self.report_open_error(ex, e),
        }
    }

    fn report_open_error(&mut self, ex: &mut Exchange, e: OpenError) {
        let now = Instant::now();
        if self.cancel.is_cancelled() {
            ex.cancel();
            return;
        }
        match e {
            OpenError::Transport(e) => ex.handle_transport_error(now, e),
            OpenError::TimedOut => ex.handle_timeout(now),
            OpenError::Cancelled => ex.cancel(),
        }
    }

    fn write(&mut self, ex: &mut Exchange) {
        let Some(conn) = self.conn.as_mut() else {
            ex.handle_transport_error(
                Instant::now(),
                TransportError::Io("no connection to write to".into()),
            );
            return;
        };
        let result = conn.write(ex.transmit(), ex.poll_timeout());
        if self.cancel.is_cancelled() {
            ex.cancel();
            return;
        }
        let now = Instant::now();
        match result {
            Ok(n) => ex.handle_written(now, n),
            Err(e) if is_timeout(&e) => ex.handle_timeout(now),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => ex.handle_transport_error(now, TransportError::write(&e)),
        }
    }

    fn send_body(&mut self, ex: &mut Exchange) {
        let Some(upload) = self.upload.as_deref_mut() else {
            ex.handle_body_error(
                Instant::now(),
                "the request declares a streamed body but no source was given",
            );
            return;
        };
        match upload.read(ex.body_buf()) {
            Ok(n) => {
                ex.handle_body_read(Instant::now(), n);
                if n > 0 {
                    upload.report(ex.upload_progress());
                }
            }
            Err(e) => ex.handle_body_error(Instant::now(), e.to_string()),
        }
    }

    fn rewind_body(&mut self, ex: &mut Exchange) {
        let result = match self.upload.as_deref_mut() {
            Some(upload) => upload.rewind(),
            None => Ok(()),
        };
        if let Err(e) = result {
            ex.handle_body_error(Instant::now(), e.to_string());
        }
    }

    fn read(&mut self, ex: &mut Exchange) {
        let deadline = ex.poll_timeout();
        let Some(conn) = self.conn.as_mut() else {
            ex.handle_transport_error(
                Instant::now(),
                TransportError::Io("no connection to read from".into()),
            );
            return;
        };
        // Straight into the core's buffer: the body is not copied here.
        let result = conn.read(ex.read_buf(), deadline);
        if self.cancel.is_cancelled() {
            // The socket was shut down under us: that is a cancel, not EOF.
            ex.cancel();
            return;
        }
        let now = Instant::now();
        match result {
            Ok(n) => ex.handle_read(now, n),
            Err(e) if is_timeout(&e) => ex.handle_timeout(now),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => ex.handle_transport_error(now, TransportError::read(&e)),
        }
    }
}
