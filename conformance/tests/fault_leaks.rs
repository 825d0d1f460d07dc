//! Five hundred failing requests per runtime leave descriptor and thread
//! counts where they started. Alone in its binary: the counts are
//! process-wide.

mod fault_support;

use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use fault_support::{answer, request, Clients, FaultServer, RUNTIMES};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn five_hundred_failures_per_runtime_leak_nothing() {
    // Servers that close mid-body: every request fails.
    let s = FaultServer::start(answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        true,
    ));
    let clients = Clients::new();
    let req = request(&s.url("/"));
    // Warm up (lazily created pools, TLS roots...), then measure.
    let _ = clients.all(&req);
    let (fds, tasks) = (open_fds(), threads());
    for _ in 0..500 {
        for (_, outcome) in clients.all(&req) {
            assert!(outcome.is_err());
        }
    }
    // The server's own threads finish when the clients close; give them a
    // bounded while to do so before counting.
    let deadline = Instant::now() + Duration::from_secs(10);
    while (open_fds() > fds || threads() > tasks) && Instant::now() < deadline {
        thread::yield_now();
    }
    assert!(
        open_fds() <= fds,
        "descriptors: {} after, {fds} before",
        open_fds()
    );
    assert!(
        threads() <= tasks,
        "threads: {} after, {tasks} before",
        threads()
    );
    // The warm-up and 500 rounds, one request per runtime each.
    assert_eq!(s.accepted.load(Ordering::SeqCst), 501 * RUNTIMES.len());
}
