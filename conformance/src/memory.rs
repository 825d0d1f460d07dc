//! The in-memory driver: a hand-written poll loop over `Exchange` against
//! simulated servers, with no sockets, no threads and virtual time. With a
//! seed it also cuts every write and read at random points, which must not
//! change the trace.

use std::time::{Duration, Instant};

use urlrequest_core::{trace_line, Action, Exchange, Pool, TransportError};

use crate::case::Case;
use crate::driver::Driver;
use crate::normalize::simulated_rejection;
use crate::origins::{Origins, Role};
use crate::script::Script;
use crate::sim::{Readable, SimNet};

/// Upper bound on loop turns, so a core that never finishes is a failed case
/// rather than a hung test.
const TURN_LIMIT: usize = 1_000_000;

/// Runs cases through the core with simulated servers.
///
/// ```
/// use urlrequest_conformance::{run_suite, MemoryDriver};
/// let report = run_suite(&MemoryDriver::new());
/// assert!(report.is_success(), "{report}");
/// ```
#[derive(Debug, Clone)]
pub struct MemoryDriver {
    seed: Option<u64>,
    name: String,
}

impl MemoryDriver {
    /// Delivers bytes as the script wrote them, each step's bytes at once.
    pub fn new() -> MemoryDriver {
        MemoryDriver {
            seed: None,
            name: "memory".into(),
        }
    }

    /// Cuts every write and read into pieces of random size, drawn from a
    /// generator seeded with `seed` (the same seed gives the same cuts).
    pub fn with_splits(seed: u64) -> MemoryDriver {
        MemoryDriver {
            seed: Some(seed),
            name: format!("memory (split seed {seed})"),
        }
    }
}

impl Default for MemoryDriver {
    fn default() -> Self {
        MemoryDriver::new()
    }
}

impl Driver for MemoryDriver {
    fn name(&self) -> &str {
        &self.name
    }

    /// Every case runs here: TLS sits below the core, so an HTTPS origin is
    /// simulated by a plaintext one (and a certificate the case says is bad
    /// by the TLS failure a checking client reports).
    fn skip(&self, _case: &Case) -> Option<String> {
        None
    }

    fn run(&self, case: &Case) -> Result<Vec<String>, String> {
        run_in_memory(case, self.seed)
    }
}

/// Deterministic split points for a seed, drawn from `fastrand`'s seeded
/// generator. Only where reads and writes are cut depends on it; the trace
/// must not.
#[derive(Debug, Clone)]
pub struct SplitRng(fastrand::Rng);

impl SplitRng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> SplitRng {
        SplitRng(fastrand::Rng::with_seed(seed))
    }

    /// The next pseudo-random number.
    pub fn next_u64(&mut self) -> u64 {
        self.0.u64(..)
    }

    /// A piece size in `1..=max` (`max` at least 1), biased towards the tiny
    /// sizes that find framing bugs.
    pub fn piece(&mut self, max: usize) -> usize {
        let max = max.max(1);
        match self.0.u8(..4) {
            0 => 1,
            1 => self.0.usize(1..=max.min(8)),
            _ => self.0.usize(1..=max),
        }
    }
}

fn piece(rng: &mut Option<SplitRng>, max: usize) -> usize {
    match rng {
        Some(r) if max > 0 => r.piece(max),
        _ => max,
    }
}

/// Runs one case in memory; with `seed`, every write and read is cut at
/// random points. Returns the trace with origins as placeholders.
pub fn run_in_memory(case: &Case, seed: Option<u64>) -> Result<Vec<String>, String> {
    let origins = Origins::virtual_origins();
    let request = case.request(&origins)?;
    let mut script = Script::new(case, &origins)?;
    let mut rng = seed.map(SplitRng::new);
    // Only a base for virtual time: the clock is never read again, time moves
    // when the client would otherwise wait.
    let mut now = Instant::now();
    let mut ex = Exchange::new(request, now);
    // The streamed body's source, when the case has one, and how far it
    // was read.
    let upload = case.request.body_stream;
    let mut upload_pos: u64 = 0;
    let mut net = SimNet::new(origins.clone(), case.proxy_auth.clone());
    let mut current: Option<usize> = None;
    let mut pool: Pool<usize> = Pool::new(Duration::from_secs(90), 8);
    let mut trace = Vec::new();
    let no_conn = || "the core asked for I/O with no connection open".to_string();
    // What a checking TLS client says about the case's certificate.
    let tls_error = || {
        let class = case.tls_cert.rejection()?;
        Some(TransportError::Tls(simulated_rejection(class)))
    };
    for _ in 0..TURN_LIMIT {
        while let Some(e) = ex.poll_event() {
            trace.push(origins.unmap(&trace_line(&e)));
        }
        if ex.is_finished() {
            script.verdict()?;
            return Ok(trace);
        }
        let wait = |ex: &mut Exchange, now: &mut Instant| match ex.poll_timeout() {
            Some(deadline) => {
                *now = (*now).max(deadline);
                ex.handle_timeout(*now);
                Ok(())
            }
            None => Err(format!(
                "the client waits for bytes the script never sends and the request has no timeout\n\
                 (state {}, trace so far: {trace:?})",
                ex.state()
            )),
        };
        match ex.poll_action() {
            Some(Action::Connect(t)) => {
                if t.reuse {
                    if let Some(id) = pool.check_out(&t.key, now) {
                        current = Some(id);
                        ex.handle_connected(now, true);
                        continue;
                    }
                }
                match origins.role_at(&t.host, t.port) {
                    None => ex.handle_transport_error(
                        now,
                        TransportError::Connect(format!(
                            "nothing listens at {}:{}",
                            t.host, t.port
                        )),
                    ),
                    Some(role) => {
                        current = Some(net.open(role, &mut script));
                        ex.handle_connected(now, false);
                    }
                }
            }
            Some(Action::StartTls { .. }) => {
                let id = current.ok_or_else(no_conn)?;
                match tls_error().filter(|_| net.far_role(id) == Role::TlsOrigin) {
                    Some(e) => ex.handle_transport_error(now, e),
                    None => ex.handle_tls_ready(now),
                }
            }
            Some(Action::Write) => {
                let id = current.ok_or_else(no_conn)?;
                let data = ex.transmit();
                let n = piece(&mut rng, data.len());
                let written = data[..n].to_vec();
                net.client_wrote(id, &written, &mut script);
                ex.handle_written(now, n);
            }
            Some(Action::SendBody) => match upload {
                None => ex.handle_body_error(now, "the case has no streamed body"),
                Some(u) => {
                    let buf = ex.body_buf();
                    let left = (u.source_len - upload_pos).min(buf.len() as u64) as usize;
                    let n = piece(&mut rng, left);
                    for (k, b) in buf[..n].iter_mut().enumerate() {
                        *b = crate::upload::pattern_byte(upload_pos + k as u64);
                    }
                    upload_pos += n as u64;
                    ex.handle_body_read(now, n);
                }
            },
            Some(Action::RewindBody) => upload_pos = 0,
            Some(Action::Read) => {
                let id = current.ok_or_else(no_conn)?;
                match net.readable(id) {
                    Readable::Bytes(waiting) => {
                        let buf = ex.read_buf();
                        if buf.is_empty() {
                            return Err("the core lent an empty read buffer".into());
                        }
                        let n = piece(&mut rng, waiting.min(buf.len()));
                        let bytes = net.take(id, n);
                        buf[..bytes.len()].copy_from_slice(&bytes);
                        ex.handle_read(now, bytes.len());
                    }
                    Readable::Eof => ex.handle_eof(now),
                    Readable::Nothing => wait(&mut ex, &mut now)?,
                }
            }
            Some(Action::Close) => {
                current = None;
            }
            Some(Action::Release(key)) => {
                let id = current.take().ok_or_else(no_conn)?;
                // An evicted connection is simply forgotten: the server side
                // never notices a client that goes quiet.
                let _ = pool.check_in(key, id, now);
            }
            None => wait(&mut ex, &mut now)?,
        }
    }
    Err(format!(
        "the exchange did not finish within {TURN_LIMIT} turns"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_stay_in_range_and_repeat_per_seed() {
        let mut a = SplitRng::new(7);
        let mut b = SplitRng::new(7);
        for max in 1..200 {
            let n = a.piece(max);
            assert!((1..=max).contains(&n));
            assert_eq!(n, b.piece(max));
        }
        assert_ne!(SplitRng::new(1).next_u64(), SplitRng::new(2).next_u64());
    }

    #[test]
    fn pieces_cover_the_tiny_and_the_whole() {
        // The bias that finds framing bugs: single bytes, and also pieces as
        // large as what is waiting.
        let mut rng = SplitRng::new(0);
        let pieces: Vec<usize> = (0..1000).map(|_| rng.piece(100)).collect();
        assert!(pieces.iter().filter(|&&n| n == 1).count() >= 200);
        assert!(pieces.iter().any(|&n| n > 50));
        assert_eq!(SplitRng::new(3).piece(0), 1);
    }
}
