//! The blocking I/O of one request: the [`Conductor`] says what to do next,
//! this does it with std sockets and rustls on the calling thread, waiting
//! no later than the exchange's deadline.

use std::borrow::BorrowMut;
use std::io;
use std::ops::ControlFlow;
use std::time::Instant;

use event_listener::Listener;
use urlrequest::client::{Conductor, Next};
use urlrequest::Upload;
use urlrequest_core::{Event, Exchange, TransportError};

use crate::transport::{connect, Connection, OpenError};

/// Does the I/O of `next` (anything but an event or the end) and returns
/// the time it reported its outcome at, the `now` of the next poll: events
/// that follow an I/O step happen at its time, and the clock is read once a
/// step rather than once an event.
pub(crate) fn perform<E: BorrowMut<Exchange>>(
    c: &mut Conductor<Connection, E>,
    next: Next,
    upload: Option<&mut Upload>,
) -> Instant {
    let deadline = c.deadline();
    match next {
        Next::Connect(target) => {
            let opened = connect(&target.host, target.port, deadline, c.cancel_handle());
            let now = Instant::now();
            match opened {
                Ok(tcp) => c.connected(now, Connection::plain(tcp)),
                Err(e) => report(c, now, e),
            }
            now
        }
        Next::WaitForSlot(listener) => {
            match deadline {
                Some(at) => drop(listener.wait_deadline(at)),
                None => listener.wait(),
            }
            Instant::now()
        }
        Next::StartTls {
            config,
            server_name,
        } => {
            let started = match c.take_connection() {
                Some(conn) => conn.start_tls(config, &server_name, deadline),
                None => Err(OpenError::Transport(TransportError::Io(
                    "no connection to start TLS on".into(),
                ))),
            };
            let now = Instant::now();
            match started {
                Ok(conn) => c.tls_ready(now, conn),
                Err(e) => report(c, now, e),
            }
            now
        }
        Next::Write => {
            let (ex, conn) = c.io();
            let result = match conn {
                Some(conn) => conn.write(ex.transmit(), deadline),
                None => Err(io::Error::from(io::ErrorKind::NotConnected)),
            };
            let now = Instant::now();
            c.write_result(now, result);
            now
        }
        Next::Read => {
            let (ex, conn) = c.io();
            // Straight into the core's buffer: the body is not copied here.
            let result = match conn {
                Some(conn) => conn.read(ex.read_buf(), deadline),
                None => Err(io::Error::from(io::ErrorKind::NotConnected)),
            };
            let now = Instant::now();
            c.read_result(now, result);
            now
        }
        Next::SendBody => {
            let (ex, _) = c.io();
            let result = match upload {
                Some(upload) => {
                    let result = upload.read(ex.body_buf());
                    let now = Instant::now();
                    if let Some(progress) = c.body_read(now, result) {
                        upload.report(Some(progress));
                    }
                    return now;
                }
                None => Err(io::Error::other("no body source")),
            };
            let now = Instant::now();
            c.body_read(now, result);
            now
        }
        Next::RewindBody => {
            let result = upload.map_or(Ok(()), |u| u.rewind());
            let now = Instant::now();
            c.rewound(now, result);
            now
        }
        Next::Sleep(at) => {
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
            Instant::now()
        }
        Next::Event(_) | Next::Finished => Instant::now(),
    }
}

fn report<E: BorrowMut<Exchange>>(c: &mut Conductor<Connection, E>, now: Instant, e: OpenError) {
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
    let mut now = Instant::now();
    loop {
        match c.poll(now) {
            Next::Event(event) => {
                if sink(event, c.exchange()).is_break() {
                    c.stop();
                }
            }
            Next::Finished => return,
            next => now = perform(c, next, upload.as_deref_mut()),
        }
    }
}
