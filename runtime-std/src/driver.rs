//! The blocking I/O of one request: the [`Conductor`] says what to do next,
//! this does it with std sockets and rustls on the calling thread, waiting
//! no later than the exchange's deadline.

use std::borrow::BorrowMut;
use std::ops::ControlFlow;
use std::time::Instant;

use event_listener::Listener;
use urlrequest::client::{Conductor, Next};
use urlrequest::Upload;
use urlrequest_core::{Event, Exchange};

use crate::transport::{connect, Connection, OpenError};

/// Does the I/O of `next` (anything but an event or the end).
pub(crate) fn perform<E: BorrowMut<Exchange>>(
    c: &mut Conductor<Connection, E>,
    next: Next,
    upload: Option<&mut Upload>,
) {
    let deadline = c.deadline();
    match next {
        Next::Connect(target) => {
            let opened = connect(&target.host, target.port, deadline, c.cancel_handle());
            match opened {
                Ok(tcp) => c.connected(Instant::now(), Connection::plain(tcp)),
                Err(e) => report(c, e),
            }
        }
        Next::WaitForSlot(listener) => match deadline {
            Some(at) => drop(listener.wait_deadline(at)),
            None => listener.wait(),
        },
        Next::StartTls {
            config,
            server_name,
        } => {
            let Some(conn) = c.take_connection() else {
                return;
            };
            match conn.start_tls(config, &server_name, deadline) {
                Ok(conn) => c.tls_ready(Instant::now(), conn),
                Err(e) => report(c, e),
            }
        }
        Next::Write => {
            let (ex, conn) = c.io();
            let Some(conn) = conn else { return };
            let result = conn.write(ex.transmit(), deadline);
            c.write_result(Instant::now(), result);
        }
        Next::Read => {
            let (ex, conn) = c.io();
            let Some(conn) = conn else { return };
            // Straight into the core's buffer: the body is not copied here.
            let result = conn.read(ex.read_buf(), deadline);
            c.read_result(Instant::now(), result);
        }
        Next::SendBody => {
            let Some(upload) = upload else { return };
            let (ex, _) = c.io();
            let result = upload.read(ex.body_buf());
            if let Some(progress) = c.body_read(Instant::now(), result) {
                upload.report(Some(progress));
            }
        }
        Next::RewindBody => {
            if let Some(upload) = upload {
                let result = upload.rewind();
                c.rewound(Instant::now(), result);
            }
        }
        Next::Sleep(at) => std::thread::sleep(at.saturating_duration_since(Instant::now())),
        Next::Event(_) | Next::Finished => {}
    }
}

fn report<E: BorrowMut<Exchange>>(c: &mut Conductor<Connection, E>, e: OpenError) {
    let now = Instant::now();
    match e {
        OpenError::Transport(e) => c.failed(now, e),
        OpenError::TimedOut => c.timed_out(now),
        OpenError::Cancelled => {
            c.failed(now, urlrequest_core::TransportError::Io("cancelled".into()))
        }
    }
}

/// Drives the conductor to its end on this thread, handing every event
/// (with the exchange, for its response head) to `sink`. When the sink
/// breaks, the exchange is cancelled and later events are dropped.
pub(crate) fn run<E, F>(
    c: &mut Conductor<Connection, E>,
    mut upload: Option<&mut Upload>,
    mut sink: F,
) where
    E: BorrowMut<Exchange>,
    F: FnMut(Event, &Exchange) -> ControlFlow<()>,
{
    loop {
        match c.poll(Instant::now()) {
            Next::Event(event) => {
                if sink(event, c.exchange()).is_break() {
                    c.stop();
                }
            }
            Next::Finished => return,
            next => perform(c, next, upload.as_deref_mut()),
        }
    }
}
