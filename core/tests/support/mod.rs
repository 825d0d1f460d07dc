//! A tiny in-memory driver for the core's own tests: one scripted server
//! answer per connection, virtual time, configurable read sizes.

// Each test binary uses a different part of the harness.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use urlrequest_core::{trace_line, Action, Event, Exchange, Request};

/// What the fake server does on one connection.
#[derive(Clone, Debug)]
pub struct Conn {
    /// Bytes sent after the request was written.
    pub reply: Vec<u8>,
    /// After the reply: `true` closes (EOF), `false` stalls.
    pub close: bool,
}

impl Conn {
    pub fn closing(reply: &[u8]) -> Conn {
        Conn {
            reply: reply.to_vec(),
            close: true,
        }
    }
    pub fn stalling(reply: &[u8]) -> Conn {
        Conn {
            reply: reply.to_vec(),
            close: false,
        }
    }
}

/// The outcome of a run.
#[derive(Debug)]
pub struct Run {
    pub events: Vec<Event>,
    pub trace: Vec<String>,
    pub actions: Vec<Action>,
    /// Every request the client wrote, one per connection use.
    pub written: Vec<Vec<u8>>,
    /// For each connection use, the size of every read buffer the core
    /// offered (`read_buf().len()`).
    pub offers: Vec<Vec<usize>>,
}

/// Runs `request` against `conns` (one per connection, in order), handing
/// the reply over in reads of at most `read_size` bytes.
pub fn run(request: Request, conns: &[Conn], read_size: usize) -> Run {
    run_with(request, conns, &mut |_| read_size, false)
}

/// As [`run`], with read sizes chosen per read and an optional pool that
/// reuses released connections.
pub fn run_with(
    request: Request,
    conns: &[Conn],
    read_size: &mut dyn FnMut(usize) -> usize,
    pooled: bool,
) -> Run {
    let mut now = Instant::now();
    let mut ex = Exchange::new(request, now);
    let mut out = Run {
        events: Vec::new(),
        trace: Vec::new(),
        actions: Vec::new(),
        written: Vec::new(),
        offers: Vec::new(),
    };
    let mut next_conn = 0usize;
    // (script index, bytes of its reply already sent)
    let mut current: Option<(usize, usize)> = None;
    let mut idle: Option<(usize, usize)> = None;
    let mut reads = 0usize;
    for _ in 0..1_000_000 {
        while let Some(e) = ex.poll_event() {
            out.trace.push(trace_line(&e));
            out.events.push(e);
        }
        if ex.is_finished() {
            return out;
        }
        let action = ex.poll_action();
        if let Some(a) = &action {
            if !matches!(a, Action::Read | Action::Write) {
                out.actions.push(a.clone());
            }
        }
        match action {
            Some(Action::Connect(t)) => {
                if t.reuse && pooled && idle.is_some() {
                    current = idle.take();
                    ex.handle_connected(now, true);
                } else if next_conn < conns.len() {
                    current = Some((next_conn, 0));
                    next_conn += 1;
                    ex.handle_connected(now, false);
                } else {
                    ex.handle_transport_error(
                        now,
                        urlrequest_core::TransportError::Connect("connection refused".into()),
                    );
                }
                out.written.push(Vec::new());
                out.offers.push(Vec::new());
            }
            Some(Action::Write) => {
                let bytes = ex.transmit().to_vec();
                out.written.last_mut().unwrap().extend_from_slice(&bytes);
                ex.handle_written(now, bytes.len());
            }
            // These requests carry no streamed body.
            Some(Action::SendBody) => ex.handle_body_end(now),
            Some(Action::RewindBody) => {}
            Some(Action::Read) => {
                let (idx, sent) = current.expect("read without a connection");
                let conn = &conns[idx];
                if sent < conn.reply.len() {
                    let n = read_size(reads).max(1).min(conn.reply.len() - sent);
                    reads += 1;
                    let buf = ex.read_buf();
                    out.offers.last_mut().unwrap().push(buf.len());
                    let n = n.min(buf.len());
                    buf[..n].copy_from_slice(&conn.reply[sent..sent + n]);
                    current = Some((idx, sent + n));
                    ex.handle_read(now, n);
                } else if conn.close {
                    ex.handle_eof(now);
                } else {
                    match ex.poll_timeout() {
                        Some(t) => {
                            now = t;
                            ex.handle_timeout(now);
                        }
                        None => panic!("stalled with no timeout: {ex:?}"),
                    }
                }
            }
            Some(Action::Close) => current = None,
            Some(Action::Release(_)) => {
                // The next script entry plays the role of the next response
                // on this same connection.
                if pooled {
                    idle = Some((next_conn, 0));
                    next_conn += 1;
                }
                current = None;
            }
            Some(Action::StartTls { .. }) => ex.handle_tls_ready(now),
            None => match ex.poll_timeout() {
                Some(t) => {
                    now = t.max(now + Duration::from_millis(1));
                    ex.handle_timeout(now);
                }
                None => panic!("exchange waits for nothing: {ex:?}"),
            },
        }
    }
    panic!("exchange did not finish: {ex:?}");
}
