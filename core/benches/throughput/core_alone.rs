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
//! the core's parsing, framing, re-chunking and events. The two take turns
//! every 1 MiB within one run (each timed on its own), because on a shared
//! machine the speed of memory moves by tens of percent from one second to
//! the next.

use std::hint::black_box;
use std::time::{Duration, Instant};

use urlrequest_core::{Action, Event, Exchange, Limits, Request};

const READ: usize = 64 << 10;
const SERVER_CHUNK: usize = 16 << 10;

/// Body size of every case: 256 MiB, far larger than the caches.
pub const BODY: usize = 256 << 20;
/// Runs per case; the figures are medians over them.
pub const RUNS: usize = 9;
/// Most growth of resident memory allowed while a body streams: a few
/// hundred KiB of noise (allocator, page tables) against a 256 MiB body.
pub const FLAT_RSS_KIB: u64 = 1024;

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
    /// Core to memcpy, run by run (within a run the two take turns every
    /// 1 MiB, so a slow moment of the machine hits both).
    pub ratio: Spread,
    /// Largest growth of resident memory over the runs, in KiB.
    pub rss_growth_kib: u64,
    /// The ratio to memcpy the core must reach (issue targets), if any.
    pub target_ratio: Option<f64>,
    /// Whether the body is streamed (not collected): memory must stay flat.
    pub streaming: bool,
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

/// Reads between two switches from the core to the memcpy and back: 1 MiB,
/// short enough that a slow moment of the machine hits both sides alike.
const WINDOW: usize = 16;

/// Time spent in the core and in the plain copy over one run.
struct RunTimes {
    core: Duration,
    copy: Duration,
    /// Wire bytes the copy moved.
    copied: usize,
    /// Body bytes the core handed out in `Body` events.
    seen: u64,
    /// The last `Progress` figure.
    progress: u64,
}

/// Copies the pieces just fed to the core, the same sizes from the same
/// offsets, out of the other copy of the wire into one reused buffer.
fn copy_window(wire: &[u8], mut pos: usize, reads: &[usize], dst: &mut [u8]) -> Duration {
    let t = Instant::now();
    for &n in reads {
        dst[..n].copy_from_slice(&wire[pos..pos + n]);
        pos += n;
        black_box(&mut *dst);
    }
    t.elapsed()
}

/// Feeds `feed` through an exchange in 64 KiB reads and, after every
/// `WINDOW` reads, copies the same pieces out of `other` (an identical copy
/// of the wire, so neither side finds the other's bytes in cache).
fn core_run(feed: &[u8], other: &[u8], collect: bool) -> RunTimes {
    let now = Instant::now();
    // A collected 256 MiB body is over the default limit for bodies kept
    // in memory: lift it.
    let unlimited = Limits {
        max_body_bytes: Some(u64::MAX),
        ..Limits::default()
    };
    let req = Request::builder("http://bench.test/")
        .collect_body(collect)
        .limits(unlimited)
        .build()
        .unwrap();
    let mut times = RunTimes {
        core: Duration::ZERO,
        copy: Duration::ZERO,
        copied: 0,
        seen: 0,
        progress: 0,
    };
    let mut dst = vec![0u8; READ];
    let mut window = Vec::with_capacity(WINDOW);
    let mut window_start = 0;
    let mut t = Instant::now();
    let mut ex = Exchange::new(req, now);
    let _ = ex.poll_action();
    ex.handle_connected(now, false);
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    let mut pos = 0;
    loop {
        while let Some(e) = ex.poll_event() {
            match e {
                Event::Body(b) => times.seen += b.len() as u64,
                Event::Progress { received, .. } => times.progress = received,
                Event::Failure(e) => panic!("{e}"),
                other => {
                    black_box(other);
                }
            }
        }
        if ex.is_finished() {
            break;
        }
        match ex.poll_action() {
            Some(Action::Read) => {
                if window.len() == WINDOW {
                    times.core += t.elapsed();
                    times.copy += copy_window(other, window_start, &window, &mut dst);
                    times.copied += window.iter().sum::<usize>();
                    window.clear();
                    window_start = pos;
                    t = Instant::now();
                }
                let buf = ex.read_buf();
                let n = buf.len().min(READ).min(feed.len() - pos);
                buf[..n].copy_from_slice(&feed[pos..pos + n]);
                pos += n;
                window.push(n);
                ex.handle_read(now, n);
            }
            Some(_) => {}
            None => break,
        }
    }
    times.core += t.elapsed();
    times.copy += copy_window(other, window_start, &window, &mut dst);
    times.copied += window.iter().sum::<usize>();
    times
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
    for (name, wire, collect, target_ratio) in [
        ("content-length, streaming", &cl, false, Some(0.90)),
        ("chunked (16 KiB chunks), streaming", &ch, false, Some(0.50)),
        (
            "content-length, collected into the response",
            &cl,
            true,
            None,
        ),
    ] {
        let mut copy = Vec::new();
        let mut core = Vec::new();
        let mut ratio = Vec::new();
        let mut rss_growth = 0;
        // Two identical copies of the wire; the core and the memcpy swap
        // them from run to run, so where each copy landed in memory (huge
        // pages or not, alignment) favours neither side.
        // Both are fresh copies made the same way (the original grew by
        // reallocation and reads measurably slower than a one-piece copy).
        let (a, b) = (wire.to_vec(), wire.to_vec());
        let rss_before = rss_kib();
        let _ = core_run(&a, &b, collect);
        for run in 0..runs.max(1) {
            let (feed, other) = if run % 2 == 0 {
                (&a[..], &b[..])
            } else {
                (&b[..], &a[..])
            };
            let times = core_run(feed, other, collect);
            assert_eq!((times.seen, times.progress), (body as u64, body as u64));
            copy.push(gbps(times.copied, times.copy));
            core.push(gbps(body, times.core));
            ratio.push(core[core.len() - 1] / copy[copy.len() - 1]);
            rss_growth = rss_growth.max(rss_kib().saturating_sub(rss_before));
        }
        out.push(CoreCase {
            name,
            memcpy: spread(copy),
            core: spread(core),
            ratio: spread(ratio),
            rss_growth_kib: rss_growth,
            target_ratio,
            streaming: !collect,
        });
    }
    out
}

/// Nanoseconds the core spends on one 64 KiB read of a content-length body
/// besides the copy: the reads are reported without filling the buffer (the
/// core never looks at body bytes), so what is timed is the exchange's own
/// work and its events. Median, min and max of `runs` runs of 100,000 reads.
pub fn overhead_per_read(runs: usize) -> Spread {
    const READS: u64 = 100_000;
    let body = READS * READ as u64 * 2;
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {body}\r\n\r\n").into_bytes();
    let mut ns = Vec::new();
    for _ in 0..runs.max(1) {
        let now = Instant::now();
        let req = Request::builder("http://bench.test/")
            .collect_body(false)
            .build()
            .unwrap();
        let mut ex = Exchange::new(req, now);
        let _ = ex.poll_action();
        ex.handle_connected(now, false);
        let n = ex.transmit().len();
        ex.handle_written(now, n);
        ex.read_buf()[..head.len()].copy_from_slice(&head);
        ex.handle_read(now, head.len());
        let (mut seen, mut progress, mut reads) = (0u64, 0u64, 0u64);
        let t = Instant::now();
        while reads < READS {
            while let Some(e) = ex.poll_event() {
                match e {
                    Event::Body(b) => seen += b.len() as u64,
                    Event::Progress { received, .. } => progress = received,
                    Event::Failure(e) => panic!("{e}"),
                    other => {
                        black_box(other);
                    }
                }
            }
            match ex.poll_action() {
                Some(Action::Read) => {
                    let n = ex.read_buf().len().min(READ);
                    ex.handle_read(now, n);
                    reads += 1;
                }
                _ => break,
            }
        }
        ns.push(t.elapsed().as_nanos() as f64 / reads as f64);
        assert_eq!(seen, progress);
        assert!(seen >= (READS - 2) * READ as u64, "{seen} body bytes");
    }
    spread(ns)
}

/// The 64 KiB read size used by every case.
pub const READ_SIZE: usize = READ;
