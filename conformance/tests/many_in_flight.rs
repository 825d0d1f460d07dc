//! 10,000 requests with 1,000 in flight against a loopback server, through
//! each async runtime's client: every body checked, none lost, none hung,
//! and every file descriptor given back. Alone in its test binary so no
//! other test opens descriptors meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use urlrequest_conformance::test_server::{respond, serve, Server};
use urlrequest_core::Request;

const TOTAL: usize = 10_000;
const IN_FLIGHT: usize = 1_000;
/// Hard bound on each run, so a hang fails instead of waiting forever.
const BOUND: Duration = Duration::from_secs(120);

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// The body for request `n`: its number, padded to a length that varies.
fn body_for(n: usize) -> Vec<u8> {
    let mut b = format!("response {n};").into_bytes();
    let len = 50 + n % 400;
    while b.len() < len {
        b.push(b'a' + (n % 26) as u8);
    }
    b
}

/// Raises the soft descriptor limit towards what the run needs and returns
/// how many requests may be in flight under it (client and server each hold
/// one socket per connection).
fn in_flight_allowed() -> usize {
    let want = (2 * IN_FLIGHT + 256) as u64;
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    if soft < want {
        let _ = rlimit::setrlimit(rlimit::Resource::NOFILE, want.min(hard), hard);
    }
    let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    IN_FLIGHT
        .min((soft.saturating_sub(256) / 2) as usize)
        .max(1)
}

fn server() -> Server {
    serve(|req, w| {
        let n: usize = req.target.trim_start_matches('/').parse().unwrap_or(0);
        respond(w, "200 OK", &[], &body_for(n))?;
        Ok(true)
    })
}

/// Request `n` of the run, with a timeout well inside the bound.
fn request(base: &str, n: usize) -> Request {
    Request::builder(format!("{base}{n}"))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Checks one answer.
fn check(n: usize, status: u16, body: Option<&[u8]>) {
    assert_eq!(status, 200, "request {n}");
    assert_eq!(body, Some(body_for(n).as_slice()), "body {n}");
}

/// What every run must show once its client is gone.
fn check_run(name: &str, server: Server, ok: usize, elapsed: Duration, fds_before: usize) {
    assert_eq!(ok, TOTAL, "{name}: answers");
    // Every request reached the server exactly once.
    let mut targets: Vec<usize> = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.target[1..].parse().unwrap())
        .collect();
    targets.sort_unstable();
    assert_eq!(targets, (0..TOTAL).collect::<Vec<_>>(), "{name}");
    let in_flight = in_flight_allowed();
    assert!(
        server.accepted() <= in_flight,
        "{name}: {} connections",
        server.accepted()
    );
    eprintln!(
        "{name}: {TOTAL} requests, {in_flight} in flight, {} connections, {elapsed:?}",
        server.accepted()
    );
    assert!(
        server.wait_all_closed(Duration::from_secs(30)),
        "{name}: the server still has {} connections open",
        server.open_connections()
    );
    drop(server);
    assert_eq!(open_fds(), fds_before, "{name}: file descriptors leaked");
}

fn smol_run(server: Server, fds_before: usize) {
    use urlrequest_smol::Client;
    let in_flight = in_flight_allowed();
    let client = Client::builder().per_host_limit(in_flight).build().unwrap();
    let (next, ok) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let started = Instant::now();
    let ex = smol::Executor::new();
    let base = server.url("/");
    let finished = smol::block_on(ex.run(smol::future::or(
        async {
            let workers: Vec<_> = (0..in_flight)
                .map(|_| {
                    let (client, next, ok, base) =
                        (client.clone(), next.clone(), ok.clone(), base.clone());
                    ex.spawn(async move {
                        loop {
                            let n = next.fetch_add(1, Ordering::SeqCst);
                            if n >= TOTAL {
                                return;
                            }
                            let resp = client
                                .send(request(&base, n))
                                .await
                                .unwrap_or_else(|e| panic!("request {n}: {e}"));
                            check(n, resp.status().as_u16(), resp.bytes().map(|b| &b[..]));
                            ok.fetch_add(1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            for w in workers {
                w.await;
            }
            true
        },
        async {
            smol::Timer::after(BOUND).await;
            false
        },
    )));
    assert!(finished, "smol: not done within {BOUND:?}");
    let elapsed = started.elapsed();
    drop(ex);
    drop(client);
    check_run(
        "smol",
        server,
        ok.load(Ordering::SeqCst),
        elapsed,
        fds_before,
    );
}

fn tokio_run(server: Server, fds_before: usize, runtime: tokio::runtime::Runtime) {
    use urlrequest_tokio::Client;
    let in_flight = in_flight_allowed();
    let (next, ok) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let started = Instant::now();
    let base = server.url("/");
    let finished = runtime.block_on(async {
        let client = Client::builder().per_host_limit(in_flight).build().unwrap();
        let workers: Vec<_> = (0..in_flight)
            .map(|_| {
                let (client, next, ok, base) =
                    (client.clone(), next.clone(), ok.clone(), base.clone());
                tokio::spawn(async move {
                    loop {
                        let n = next.fetch_add(1, Ordering::SeqCst);
                        if n >= TOTAL {
                            return;
                        }
                        let resp = client
                            .send(request(&base, n))
                            .await
                            .unwrap_or_else(|e| panic!("request {n}: {e}"));
                        check(n, resp.status().as_u16(), resp.bytes().map(|b| &b[..]));
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        let all = async {
            for w in workers {
                w.await.expect("a worker task panicked");
            }
        };
        tokio::time::timeout(BOUND, all).await.is_ok()
    });
    assert!(finished, "tokio: not done within {BOUND:?}");
    let elapsed = started.elapsed();
    drop(runtime);
    check_run(
        "tokio",
        server,
        ok.load(Ordering::SeqCst),
        elapsed,
        fds_before,
    );
}

#[test]
fn ten_thousand_requests_with_a_thousand_in_flight() {
    in_flight_allowed();
    let tokio_runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    // Warm up each reactor (its epoll and wake descriptors stay for the
    // process) and the descriptors a tokio runtime holds, before counting.
    {
        let s = server();
        let client = urlrequest_smol::Client::new();
        let r = smol::block_on(client.send(request(&s.url("/"), 1))).unwrap();
        check(1, r.status().as_u16(), r.bytes().map(|b| &b[..]));
        drop(client);
        assert!(s.wait_all_closed(Duration::from_secs(5)));
    }
    // The servers' listening sockets stay open for the process (their
    // accept threads never end): made before counting.
    let (smol_server, tokio_server) = (server(), server());
    let fds_before = open_fds();
    smol_run(smol_server, fds_before);
    // A tokio runtime's own descriptors (its epoll, its waker) are made
    // with the runtime: it is dropped before the count.
    tokio_run(tokio_server, fds_before, tokio_runtime());
}
