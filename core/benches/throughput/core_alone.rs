//! The core alone, from memory: a content-length body and a chunked body fed
//! in 64 KiB reads into the buffer the core lends, beside a plain memcpy of
//! the same bytes in the same reads.
//!
//! Shared by the core's `throughput` bench and the workspace benchmark
//! binary (which includes this file by path), so both report the same
//! measurement.
//!
//! The driver's copy into `read_buf()` stands for the socket read; the memcpy
//! line does exactly that copy and nothing else, so the ratio is the cost of
//! the core's parsing, framing, re-chunking and events.

use std::hint::black_box;
use std::time::{Duration, Instant};

use urlrequest_core::{Action, Event, Exchange, Request};

const READ: usize = 64 << 10;
const SERVER_CHUNK: usize = 16 << 10;

/// Median, min and max of one measured figure.
pub type Spread = (f64, f64, f64);

/// One case of the core benchmark: both figures in GB/s.
pub struct CoreCase {
    /// What the case feeds and how the body is consumed.
    pub name: &'static str,
    /// A plain copy of the same wire bytes in the same reads.
    pub memcpy: Spread,
    /// The core parsing, framing and handing out the body.
    pub core: Spread,
    /// Core to memcpy, run by run (each core run is paired with the memcpy
    /// run just before it, so a slow moment of the machine hits both).
    pub ratio: Spread,
    /// Largest growth of resident memory over the runs, in KiB.
    pub rss_growth_kib: u64,
}

fn content_length_wire(body: usize) -> Vec<u8> {
    let mut w = format!("HTTP/1.1 200 OK\r\nContent-Length: {body}\r\n\r\n").into_bytes();
    w.extend((0..body).map(|i| (i % 251) as u8));
    w
}

fn chunked_wire(body: usize) -> Vec<u8> {
    let mut w = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let mut left = body;
    let mut i = 0usize;
    while left > 0 {
        let n = left.min(SERVER_CHUNK);
        w.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        w.extend((0..n).map(|k| ((i + k) % 251) as u8));
        w.extend_from_slice(b"\r\n");
        left -= n;
        i += n;
    }
    w.extend_from_slice(b"0\r\n\r\n");
    w
}

/// Copies `wire` into one reused buffer in reads of the given sizes: the
/// same pieces, from the same offsets, as the core run's socket stand-in.
fn memcpy_run(wire: &[u8], reads: &[usize]) -> Duration {
    let mut dst = vec![0u8; READ];
    let t = Instant::now();
    let mut pos = 0;
    for &n in reads {
        dst[..n].copy_from_slice(&wire[pos..pos + n]);
        pos += n;
        black_box(&mut dst);
    }
    t.elapsed()
}

/// Feeds `wire` through an exchange; returns the time, the body bytes seen
/// and the size of every read.
fn core_run(wire: &[u8], collect: bool) -> (Duration, u64, Vec<usize>) {
    let now = Instant::now();
    let req = Request::builder("http://bench.test/")
        .collect_body(collect)
        .build()
        .unwrap();
    let t = Instant::now();
    let mut ex = Exchange::new(req, now);
    let _ = ex.poll_action();
    ex.handle_connected(now, false);
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    let mut seen = 0u64;
    let mut pos = 0;
    let mut reads = Vec::with_capacity(wire.len() / READ + 16);
    while !ex.is_finished() {
        while let Some(e) = ex.poll_event() {
            match e {
                Event::Body(b) => seen += b.len() as u64,
                Event::Done(r) => {
                    black_box(r);
                }
                Event::Failure(e) => panic!("{e}"),
                _ => {}
            }
        }
        match ex.poll_action() {
            Some(Action::Read) => {
                let buf = ex.read_buf();
                let n = buf.len().min(READ).min(wire.len() - pos);
                buf[..n].copy_from_slice(&wire[pos..pos + n]);
                pos += n;
                reads.push(n);
                ex.handle_read(now, n);
            }
            Some(_) => {}
            None => break,
        }
    }
    while let Some(e) = ex.poll_event() {
        if let Event::Body(b) = e {
            seen += b.len() as u64;
        }
    }
    (t.elapsed(), seen, reads)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn spread(mut v: Vec<f64>) -> Spread {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn gbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e9
}

/// Runs every case `runs` times with a body of `body` bytes.
pub fn run_cases(body: usize, runs: usize) -> Vec<CoreCase> {
    let cl = content_length_wire(body);
    let ch = chunked_wire(body);
    let mut out = Vec::new();
    for (name, wire, collect) in [
        ("content-length, streaming", &cl, false),
        ("chunked (16 KiB chunks), streaming", &ch, false),
        ("content-length, collected into the response", &cl, true),
    ] {
        let mut copy = Vec::new();
        let mut core = Vec::new();
        let mut ratio = Vec::new();
        let rss_before = rss_kib();
        let mut rss_growth = 0;
        // The read sizes depend only on the wire bytes and the core's
        // buffer, so one warm-up run gives them for every memcpy run.
        let (_, _, reads) = core_run(wire, collect);
        let copied: usize = reads.iter().sum();
        for _ in 0..runs.max(1) {
            copy.push(gbps(copied, memcpy_run(wire, &reads)));
            let (d, seen, _) = core_run(wire, collect);
            assert_eq!(seen, body as u64);
            core.push(gbps(body, d));
            ratio.push(core[core.len() - 1] / copy[copy.len() - 1]);
            rss_growth = rss_growth.max(rss_kib().saturating_sub(rss_before));
        }
        out.push(CoreCase {
            name,
            memcpy: spread(copy),
            core: spread(core),
            ratio: spread(ratio),
            rss_growth_kib: rss_growth,
        });
    }
    out
}

/// The 64 KiB read size used by every case.
pub const READ_SIZE: usize = READ;
