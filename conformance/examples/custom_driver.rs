//! How a third party checks a new runtime against every conformance case
//! with one call. The "runtime" here is a minimal blocking driver written on
//! `std::net` alone (no TLS, no pool beyond one request): it implements the
//! suite's `fetch` contract, and `run_suite` does the rest (scripted servers
//! on loopback, placeholders, trace comparison, report).
//!
//! ```sh
//! cargo run -p urlrequest-conformance --example custom_driver
//! ```

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use urlrequest_conformance::{run_suite, LoopbackDriver};
use urlrequest_core::{Action, Event, Exchange, Pool, Request, TransportError};

/// How long to wait for a silent server when the request has no timeout.
const PATIENCE: Duration = Duration::from_secs(10);

/// The whole runtime: one request, blocking sockets, the core decides.
fn fetch(request: Request) -> Result<Vec<Event>, String> {
    let mut ex = Exchange::new(request, Instant::now());
    let mut pool: Pool<TcpStream> = Pool::new(Duration::from_secs(30), 4);
    let mut conn: Option<TcpStream> = None;
    let mut events = Vec::new();
    // A streamed request body: the suite says which one for the case.
    let mut source = urlrequest_conformance::upload::current_upload().map(|u| u.reader());
    loop {
        while let Some(e) = ex.poll_event() {
            events.push(e);
        }
        if ex.is_finished() {
            return Ok(events);
        }
        let now = Instant::now();
        // Socket timeouts are the core's deadline, so a stall surfaces as a
        // timed-out read, reported with handle_timeout.
        let budget = match ex.poll_timeout() {
            Some(d) if d <= now => {
                ex.handle_timeout(now);
                continue;
            }
            Some(d) => d - now,
            None => PATIENCE,
        };
        match ex.poll_action() {
            Some(Action::Connect(t)) => {
                if let Some(s) = t.reuse.then(|| pool.check_out(&t.key, now)).flatten() {
                    conn = Some(s);
                    ex.handle_connected(now, true);
                } else {
                    match TcpStream::connect((t.host.as_str(), t.port)) {
                        Ok(s) => {
                            conn = Some(s);
                            ex.handle_connected(Instant::now(), false);
                        }
                        Err(e) => ex.handle_transport_error(
                            Instant::now(),
                            TransportError::Connect(e.to_string()),
                        ),
                    }
                }
            }
            Some(Action::StartTls { .. }) => return Err("this example runtime has no TLS".into()),
            Some(Action::Write) => {
                let s = conn.as_mut().ok_or("write without a connection")?;
                let _ = s.set_write_timeout(Some(budget));
                match s.write(ex.transmit()) {
                    Ok(n) => ex.handle_written(Instant::now(), n),
                    Err(e) if timed_out(&e) => ex.handle_timeout(Instant::now()),
                    Err(e) => {
                        ex.handle_transport_error(Instant::now(), TransportError::Io(e.to_string()))
                    }
                }
            }
            Some(Action::Read) => {
                let s = conn.as_mut().ok_or("read without a connection")?;
                let _ = s.set_read_timeout(Some(budget));
                match s.read(ex.read_buf()) {
                    Ok(n) => ex.handle_read(Instant::now(), n),
                    Err(e) if timed_out(&e) && ex.poll_timeout().is_some() => {
                        ex.handle_timeout(Instant::now())
                    }
                    Err(e) if timed_out(&e) => return Err("server silent, no timeout set".into()),
                    Err(e) => {
                        ex.handle_transport_error(Instant::now(), TransportError::Io(e.to_string()))
                    }
                }
            }
            Some(Action::SendBody) => match source.as_mut() {
                Some(r) => match r.read(ex.body_buf()) {
                    Ok(n) => ex.handle_body_read(Instant::now(), n),
                    Err(e) => ex.handle_body_error(Instant::now(), e.to_string()),
                },
                None => ex.handle_body_error(Instant::now(), "no body source"),
            },
            Some(Action::RewindBody) => {
                if let Some(r) = source.as_mut() {
                    let _ = std::io::Seek::seek(r, std::io::SeekFrom::Start(0));
                }
            }
            Some(Action::Close) => conn = None,
            Some(Action::Release(key)) => {
                if let Some(s) = conn.take() {
                    let _ = pool.check_in(key, s, Instant::now());
                }
            }
            None => return Err(format!("nothing to do and no deadline: {ex:?}")),
        }
    }
}

fn timed_out(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn main() -> ExitCode {
    // The one call. Without `.with_tls()` the TLS cases are skipped; a
    // runtime with TLS trusts `TestCa::trusted().pem_file()` and adds it.
    let report = run_suite(&LoopbackDriver::new("std::net example", fetch));
    print!("{report}");
    if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
