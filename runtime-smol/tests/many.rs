//! 10,000 requests with 1,000 in flight against a loopback server: every
//! body checked, none lost, none hung, and every file descriptor given back.
//! Alone in its test binary so no other test opens descriptors meanwhile.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_lite::future;
use support::open_fds;
use support::server::{response, Reply, Server};
use urlrequest_smol::{Client, Request};

const TOTAL: usize = 10_000;
const IN_FLIGHT: usize = 1_000;
/// Hard bound on the whole run, so a hang fails instead of waiting forever.
const BOUND: Duration = Duration::from_secs(120);

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
    Server::start(|seen| {
        let n: usize = seen.target.trim_start_matches('/').parse().unwrap_or(0);
        Reply::Send(response("200 OK", &[], &body_for(n)))
    })
}

#[test]
fn ten_thousand_requests_with_a_thousand_in_flight() {
    let in_flight = in_flight_allowed();
    // Warm up the reactor (its epoll and wake descriptors stay for the
    // process) before counting.
    {
        let s = server();
        let client = Client::new();
        let r = smol::block_on(client.send(Request::get(s.url("/1")).unwrap())).unwrap();
        assert_eq!(r.bytes().unwrap().as_ref(), body_for(1));
        drop(client);
        assert!(s.wait_all_closed(Duration::from_secs(5)));
    }
    let fds_before = open_fds();

    let server = server();
    let client = Client::builder().per_host_limit(in_flight).build().unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let ex = smol::Executor::new();
    let finished = smol::block_on(ex.run(future::or(
        async {
            let workers: Vec<_> = (0..in_flight)
                .map(|_| {
                    let (client, next, ok) = (client.clone(), next.clone(), ok.clone());
                    let base = server.url("/");
                    ex.spawn(async move {
                        loop {
                            let n = next.fetch_add(1, Ordering::SeqCst);
                            if n >= TOTAL {
                                return;
                            }
                            let req = Request::builder(format!("{base}{n}"))
                                .timeout(Duration::from_secs(30))
                                .build()
                                .unwrap();
                            let resp = client
                                .send(req)
                                .await
                                .unwrap_or_else(|e| panic!("request {n}: {e}"));
                            assert_eq!(resp.status(), 200);
                            assert_eq!(resp.bytes().unwrap().as_ref(), body_for(n), "body {n}");
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
            async_io::Timer::after(BOUND).await;
            false
        },
    )));
    let elapsed = started.elapsed();
    assert!(
        finished,
        "not done within {BOUND:?}: {} ok",
        ok.load(Ordering::SeqCst)
    );
    assert_eq!(ok.load(Ordering::SeqCst), TOTAL);
    // Every request reached the server exactly once.
    let mut targets: Vec<usize> = server
        .seen()
        .iter()
        .map(|s| s.target[1..].parse().unwrap())
        .collect();
    targets.sort_unstable();
    assert_eq!(targets, (0..TOTAL).collect::<Vec<_>>());
    assert!(
        server.accepted() <= in_flight,
        "{} connections",
        server.accepted()
    );
    eprintln!(
        "{TOTAL} requests, {in_flight} in flight, {} connections, {elapsed:?}",
        server.accepted()
    );

    drop(ex);
    drop(client);
    assert!(server.wait_all_closed(Duration::from_secs(30)));
    drop(server);
    assert_eq!(open_fds(), fds_before, "file descriptors leaked");
}
