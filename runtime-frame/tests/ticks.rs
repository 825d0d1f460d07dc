//! What a tick promises: it reads no more than its budget and leaves the
//! rest for the next tick, a small request beside a fast download still
//! finishes at once, callbacks run in order inside the tick (one may start
//! another request), and `cancel()` closes the socket before any tick.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::LoopServer;
use urlrequest_frame::{Client, UrlRequest};

type Log = Arc<Mutex<Vec<String>>>;

fn push(log: &Log, line: String) {
    log.lock().unwrap().push(line);
}

/// Steps the server and ticks until `done`, at most 30 s; returns the
/// ticks it took.
fn run(server: &mut LoopServer, client: &Client, done: impl Fn() -> bool) -> Vec<usize> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut bytes = Vec::new();
    while !done() {
        assert!(Instant::now() < deadline, "not done after 30 s: {client:?}");
        server.serve();
        bytes.push(client.tick(Instant::now()).bytes_read);
    }
    bytes
}

#[test]
fn a_tick_reads_at_most_its_budget_and_progress_moves_by_no_more() {
    const BUDGET: usize = 50_000;
    const SIZE: usize = 1_000_000;
    let mut server = LoopServer::start();
    let client = Client::builder()
        .tick_budget(BUDGET)
        .build()
        .expect("client settings");
    let seen: Arc<Mutex<Vec<u64>>> = Arc::default();
    let s = seen.clone();
    let req = UrlRequest::builder(server.url(&format!("/big/{SIZE}")))
        .client(&client)
        .chunk_size(1000)
        .on_progress(move |_, got, _| s.lock().unwrap().push(got))
        .build()
        .unwrap();
    let mut at_tick_end = vec![0u64];
    let deadline = Instant::now() + Duration::from_secs(30);
    while !req.is_finished() {
        assert!(Instant::now() < deadline);
        server.serve();
        let tick = client.tick(Instant::now());
        assert!(tick.bytes_read <= BUDGET, "{tick:?}");
        at_tick_end.push(seen.lock().unwrap().last().copied().unwrap_or(0));
    }
    assert_eq!(*seen.lock().unwrap().last().unwrap(), SIZE as u64);
    // Progress within one tick moves by at most the budget: the body (and
    // a file_path sink) gets a bounded piece per frame.
    for pair in at_tick_end.windows(2) {
        assert!(pair[1] - pair[0] <= BUDGET as u64, "{pair:?}");
    }
    assert!(
        at_tick_end.len() > SIZE / BUDGET,
        "{} ticks",
        at_tick_end.len()
    );
    assert!(
        matches!(req.result(), Some(urlrequest_frame::ResultValue::Bytes(b)) if b.len() == SIZE)
    );
}

#[test]
fn a_small_request_beside_a_fast_download_is_not_starved() {
    let mut server = LoopServer::start();
    let client = Client::builder()
        .tick_budget(16 * 1024)
        .build()
        .expect("client settings");
    let big = UrlRequest::builder(server.url("/big/4000000"))
        .client(&client)
        .file_path(
            std::env::temp_dir().join(format!("urlrequest-frame-starve-{}", std::process::id())),
        )
        .build()
        .unwrap();
    // Let the download take the budget for a few ticks first.
    run(&mut server, &client, || big.resp_status().is_some());
    let small = UrlRequest::builder(server.url("/json"))
        .client(&client)
        .build()
        .unwrap();
    let ticks = run(&mut server, &client, || small.is_finished());
    assert!(!big.is_finished(), "the download should still be running");
    assert!(
        ticks.len() < 50,
        "the small request took {} ticks",
        ticks.len()
    );
    big.cancel();
    run(&mut server, &client, || big.is_finished());
    assert_eq!(client.active(), 0);
}

#[test]
fn callbacks_run_in_order_inside_tick_and_may_start_requests() {
    let mut server = LoopServer::start();
    let client = Client::new();
    let log: Log = Arc::default();
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let (c, url) = (client.clone(), server.url("/json"));
    let second: Arc<Mutex<Option<UrlRequest>>> = Arc::default();
    let slot = second.clone();
    let first = UrlRequest::builder(server.url("/big/20000"))
        .client(&client)
        .chunk_size(8192)
        .on_progress(move |_, got, total| push(&l1, format!("progress {got}/{total:?}")))
        .on_success(move |_, _| push(&l2, "success".into()))
        .on_finish(move |_| {
            push(&l3, "finish".into());
            let l = l3.clone();
            let next = UrlRequest::builder(url.as_str())
                .client(&c)
                .on_finish(move |_| push(&l, "second finish".into()))
                .build()
                .unwrap();
            *slot.lock().unwrap() = Some(next);
        })
        .build()
        .unwrap();
    // Nothing runs outside tick: built, not yet ticked.
    assert!(log.lock().unwrap().is_empty());
    let done = || {
        second
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|r| r.is_finished())
    };
    run(&mut server, &client, done);
    assert!(first.is_finished());
    assert_eq!(
        *log.lock().unwrap(),
        [
            "progress 0/Some(20000)",
            "progress 8192/Some(20000)",
            "progress 16384/Some(20000)",
            "progress 20000/Some(20000)",
            "progress 20000/Some(20000)",
            "success",
            "finish",
            "second finish"
        ]
    );
    // The second request reused the first one's connection.
    assert_eq!(server.accepted, 1);
}

#[test]
fn cancel_closes_the_socket_before_any_tick() {
    let mut server = LoopServer::start();
    let client = Client::new();
    let log: Log = Arc::default();
    let (l1, l2) = (log.clone(), log.clone());
    let req = UrlRequest::builder(server.url("/silent"))
        .client(&client)
        .on_cancel(move |_| push(&l1, "cancel".into()))
        .on_finish(move |_| push(&l2, "finish".into()))
        .build()
        .unwrap();
    // Until the server has the request and the client waits for an answer.
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.accepted == 0 {
        assert!(Instant::now() < deadline);
        client.tick(Instant::now());
        server.serve();
    }
    for _ in 0..3 {
        server.serve();
        client.tick(Instant::now());
    }
    assert_eq!(server.client_closed, 0);
    req.cancel();
    // No tick yet: the server already sees the connection closed.
    server.serve();
    assert_eq!(
        server.client_closed, 1,
        "the socket was not closed by cancel()"
    );
    assert!(
        log.lock().unwrap().is_empty(),
        "callbacks wait for the tick"
    );
    let tick = client.tick(Instant::now());
    assert_eq!(tick.finished, 1);
    assert_eq!(*log.lock().unwrap(), ["cancel", "finish"]);
    assert_eq!(client.active(), 0);
}

#[test]
fn wait_returns_at_the_deadline_of_a_silent_server() {
    let mut server = LoopServer::start();
    let client = Client::new();
    let req = UrlRequest::builder(server.url("/silent"))
        .client(&client)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    while !req.is_finished() {
        server.serve();
        client.tick(Instant::now());
        client.wait(Some(Duration::from_secs(10)));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    let error = req.error().unwrap().to_string();
    assert!(error.contains("timed out after 300ms"), "{error}");
}

#[test]
fn local_callbacks_touch_state_that_is_not_send_inside_tick() {
    let mut server = LoopServer::start();
    let client = Client::new();
    // Rc<RefCell<..>> is not Send: only a local request may capture it.
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    let req = UrlRequest::builder(server.url("/big/10000"))
        .client(&client)
        .chunk_size(4096)
        .local()
        .on_progress(move |_, got, _| s1.borrow_mut().push(format!("progress {got}")))
        .on_success(move |_, _| s2.borrow_mut().push("success".into()))
        .on_finish(move |_| s3.borrow_mut().push("finish".into()))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !req.is_finished() {
        assert!(Instant::now() < deadline);
        server.serve();
        client.tick(Instant::now());
    }
    // Every update delivered, in order, by the tick itself (nothing waits
    // for a dispatch).
    assert!(!req.has_pending());
    assert_eq!(
        *seen.borrow(),
        [
            "progress 0",
            "progress 4096",
            "progress 8192",
            "progress 10000",
            "progress 10000",
            "success",
            "finish"
        ]
    );
}
