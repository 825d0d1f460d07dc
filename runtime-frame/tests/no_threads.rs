//! Requests with no thread but the test's own: a download to a file, JSON
//! requests and a plain transfer at once, against a server the same thread
//! steps between ticks; the process never gains a thread, and every
//! callback runs on this one. Alone in its binary: the count is
//! process-wide.

mod support;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use support::{pattern, threads, LoopServer};
use urlrequest_frame::{Client, Event, Request, ResultValue, UrlRequest};

#[test]
fn requests_run_with_no_thread_but_this_one() {
    let before = threads();
    let me = thread::current().id();
    let mut server = LoopServer::start();
    let client = Client::builder()
        .tick_budget(64 * 1024)
        .build()
        .expect("client settings");
    let path = std::env::temp_dir().join(format!("urlrequest-frame-{}.bin", std::process::id()));
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let on_this_thread = Arc::new(Mutex::new(true));

    const SIZE: usize = 3_000_000;
    let (l, t) = (log.clone(), on_this_thread.clone());
    let download = UrlRequest::builder(server.url(&format!("/big/{SIZE}")))
        .client(&client)
        .file_path(&path)
        .on_progress(move |_, _, _| *t.lock().unwrap() &= thread::current().id() == me)
        .on_success(move |_, result| l.lock().unwrap().push(format!("download {result:?}")))
        .build()
        .unwrap();
    let json: Vec<UrlRequest> = (0..2)
        .map(|i| {
            let (l, t) = (log.clone(), on_this_thread.clone());
            UrlRequest::builder(server.url("/json"))
                .client(&client)
                .on_success(move |_, result| {
                    *t.lock().unwrap() &= thread::current().id() == me;
                    if let ResultValue::Json(v) = result {
                        l.lock().unwrap().push(format!("json {i} {}", v["n"]));
                    }
                })
                .build()
                .unwrap()
        })
        .collect();
    let transfer = client.start(Request::get(server.url("/big/100000")).unwrap());
    let mut plain_body = Vec::new();
    let mut plain_done = false;

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ticks = 0;
    while !(download.is_finished() && json.iter().all(|r| r.is_finished()) && plain_done) {
        assert!(Instant::now() < deadline, "not done after 60 s: {client:?}");
        server.serve();
        let tick = client.tick(Instant::now());
        ticks += 1;
        assert!(tick.bytes_read <= 64 * 1024, "{tick:?}");
        while let Some(event) = transfer.poll_event() {
            match event {
                Event::Body(b) => plain_body.extend_from_slice(&b),
                Event::Done(r) => plain_done = r.status() == 200,
                Event::Failure(e) => panic!("plain transfer failed: {e}"),
                _ => {}
            }
        }
        assert_eq!(threads(), before, "a thread appeared after {ticks} ticks");
    }
    assert!(transfer.is_finished());
    assert_eq!(client.active(), 0);
    assert!(
        *on_this_thread.lock().unwrap(),
        "a callback ran on another thread"
    );
    // The budget spread the 3 MB over many ticks.
    assert!(ticks >= SIZE / (64 * 1024), "{ticks} ticks");

    let mut log = log.lock().unwrap().clone();
    log.sort();
    assert_eq!(
        log,
        [
            format!("download File({path:?})"),
            "json 0 42".to_string(),
            "json 1 42".to_string()
        ]
    );
    let file = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(file.len(), SIZE);
    assert!(file.iter().enumerate().all(|(i, b)| *b == pattern(i)));
    assert_eq!(plain_body.len(), 100_000);
    assert!(plain_body.iter().enumerate().all(|(i, b)| *b == pattern(i)));
    assert_eq!(threads(), before);
}
