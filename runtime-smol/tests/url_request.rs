//! What is particular to the async `UrlRequest`: when and where it runs,
//! several awaiters, cancels before sending, executors, and TLS settings
//! per request. (Routing and properties are compared with the std runtime
//! in `same_handlers.rs`.)

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use futures_lite::future;
use support::server::{response, Reply, Server};
use support::tls::{Pki, TlsServer};
use urlrequest_smol::{Client, Error, ResultValue, UrlRequest};

fn hello_server() -> Server {
    Server::start(|_| Reply::Send(response("200 OK", &[], b"hello")))
}

fn counter() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let c = Arc::new(AtomicUsize::new(0));
    (c.clone(), c)
}

#[test]
fn nothing_is_sent_until_send_is_awaited() {
    let server = hello_server();
    let req = UrlRequest::builder(server.url("/")).build().unwrap();
    assert!(!req.is_finished());
    assert_eq!(server.accepted(), 0);
    let result = smol::block_on(req.send()).unwrap();
    assert_eq!(result.as_bytes().unwrap().as_ref(), b"hello");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn callbacks_run_in_the_awaiting_task_on_its_thread() {
    let server = hello_server();
    let me = thread::current().id();
    let threads = Arc::new(Mutex::new(Vec::new()));
    let (t1, t2) = (threads.clone(), threads.clone());
    let req = UrlRequest::builder(server.url("/"))
        .on_progress(move |_, _, _| t1.lock().unwrap().push(thread::current().id()))
        .on_finish(move |_| t2.lock().unwrap().push(thread::current().id()))
        .build()
        .unwrap();
    smol::block_on(req.send()).unwrap();
    let threads = threads.lock().unwrap();
    assert_eq!(
        threads.len(),
        4,
        "two progress updates, the last repeated, and on_finish"
    );
    assert!(threads.iter().all(|t| *t == me));
}

#[test]
fn a_second_send_waits_for_the_first_and_callbacks_run_once() {
    let server = hello_server();
    let (finishes, count) = counter();
    let req = UrlRequest::builder(server.url("/"))
        .on_finish(move |_| {
            finishes.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let (a, b) = smol::block_on(future::zip(req.send(), req.send()));
    assert_eq!(a.unwrap(), b.unwrap());
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(server.seen().len(), 1, "one request on the wire");
    // After the end, send gives the same outcome again without running it.
    let again = smol::block_on(req.send()).unwrap();
    assert_eq!(again.as_bytes().unwrap().as_ref(), b"hello");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_cancel_before_sending_runs_on_cancel_without_connecting() {
    let server = hello_server();
    let calls = Arc::new(Mutex::new(Vec::<&str>::new()));
    let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
    let req = UrlRequest::builder(server.url("/"))
        .on_success(move |_, _| c1.lock().unwrap().push("success"))
        .on_cancel(move |_| c2.lock().unwrap().push("cancel"))
        .on_finish(move |_| c3.lock().unwrap().push("finish"))
        .build()
        .unwrap();
    req.cancel();
    assert!(req.has_outcome());
    assert!(
        !req.is_finished() && req.error().is_none(),
        "the properties change with the callbacks, in send"
    );
    assert!(calls.lock().unwrap().is_empty(), "callbacks run in send");
    let err = smol::block_on(req.send()).unwrap_err();
    assert!(err.is_cancelled());
    assert!(req.is_finished());
    assert!(req.error().unwrap().is_cancelled());
    assert_eq!(*calls.lock().unwrap(), ["cancel", "finish"]);
    assert_eq!(server.accepted(), 0);
}

#[test]
fn runs_spawned_on_a_multi_threaded_executor() {
    let server = hello_server();
    let ex = Arc::new(smol::Executor::new());
    let (stop_tx, stop_rx) = smol::channel::unbounded::<()>();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (ex, stop) = (ex.clone(), stop_rx.clone());
            thread::spawn(move || smol::block_on(ex.run(stop.recv())))
        })
        .collect();
    let (successes, count) = counter();
    let reqs: Vec<UrlRequest> = (0..8)
        .map(|i| {
            let s = successes.clone();
            UrlRequest::builder(server.url(&format!("/{i}")))
                .on_success(move |_, _| {
                    s.fetch_add(1, Ordering::SeqCst);
                })
                .build()
                .unwrap()
        })
        .collect();
    let tasks: Vec<_> = reqs
        .iter()
        .map(|req| {
            let req = req.clone();
            ex.spawn(async move { req.send().await })
        })
        .collect();
    for t in tasks {
        let result = smol::block_on(t).unwrap();
        assert_eq!(result, ResultValue::Bytes("hello".into()));
    }
    assert_eq!(count.load(Ordering::SeqCst), 8);
    assert!(reqs.iter().all(|r| r.resp_status().unwrap() == 200));
    drop(stop_tx);
    for w in workers {
        let _ = w.join().unwrap();
    }
}

#[test]
fn invalid_parameters_fail_at_build() {
    let bad_url = UrlRequest::builder("ftp://example.com/").build();
    assert!(matches!(bad_url, Err(Error::Build(_))));
    let zero_chunk = UrlRequest::builder("http://example.com/")
        .chunk_size(0)
        .build();
    assert!(matches!(zero_chunk, Err(Error::Build(_))));
    let bad_header = UrlRequest::builder("http://example.com/")
        .header("X-Bad", "a\r\nb")
        .build();
    assert!(matches!(bad_header, Err(Error::Build(_))));
    let bad_proxy = UrlRequest::builder("http://example.com/")
        .proxy_host("")
        .build();
    assert!(matches!(bad_proxy, Err(Error::Build(_))));
}

fn tls_kind(req: &UrlRequest) -> Option<&'static str> {
    req.error().map(|e| e.kind_name())
}

#[test]
fn a_per_request_ca_file_is_trusted_and_its_connections_are_pooled_apart() {
    let pki = Pki::new("request CA");
    let server = TlsServer::start(pki.leaf(&["localhost"], false));
    let url = format!("https://localhost:{}/x", server.port());
    let client = Client::new();
    let with_ca = || {
        UrlRequest::builder(url.clone())
            .client(&client)
            .ca_file(pki.ca_file())
            .build()
            .unwrap()
    };
    let first = with_ca();
    let result = smol::block_on(first.send()).unwrap();
    assert_eq!(result.as_bytes().unwrap().as_ref(), b"secure /x");
    assert_eq!(client.idle_connections(), 1);
    // The same settings reuse that connection.
    smol::block_on(with_ca().send()).unwrap();
    assert_eq!(server.accepted(), 1);
    // The client's own settings (webpki roots) must not reuse a connection
    // verified under the request's CA: a fresh handshake fails.
    let plain = UrlRequest::builder(url.clone())
        .client(&client)
        .build()
        .unwrap();
    let err = smol::block_on(plain.send()).unwrap_err();
    assert_eq!(err.kind_name(), "tls", "{err}");
    assert_eq!(server.accepted(), 2);
}

#[test]
fn verify_false_accepts_an_unknown_ca_and_a_bad_ca_file_is_a_tls_error() {
    let pki = Pki::new("unknown CA");
    let server = TlsServer::start(pki.leaf(&["localhost"], false));
    let url = format!("https://localhost:{}/v", server.port());
    let unverified = UrlRequest::builder(url.clone())
        .verify(false)
        .build()
        .unwrap();
    let result = smol::block_on(unverified.send()).unwrap();
    assert_eq!(result.as_bytes().unwrap().as_ref(), b"secure /v");

    let dir = tempfile::tempdir().unwrap();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let e = errors.clone();
    let missing = UrlRequest::builder(url)
        .ca_file(dir.path().join("missing.pem"))
        .on_error(move |_, err| e.lock().unwrap().push(err.kind_name()))
        .build()
        .unwrap();
    assert!(smol::block_on(missing.send()).is_err());
    assert_eq!(*errors.lock().unwrap(), ["tls"]);
    assert_eq!(tls_kind(&missing), Some("tls"));
    assert!(missing.error().unwrap().to_string().contains("missing.pem"));
}

/// `send()` is a `Send` future, so a `UrlRequest` can run on a
/// multi-threaded executor (`smol::spawn`, a thread pool).
#[test]
fn the_send_future_can_move_between_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let req = UrlRequest::builder("http://127.0.0.1:9/").build().unwrap();
    let handle = req.clone();
    let cancelled = std::thread::spawn(move || {
        let running = handle.send();
        assert_send(&running);
        handle.cancel();
        smol::block_on(running)
    })
    .join()
    .unwrap();
    assert!(matches!(cancelled, Err(e) if e.is_cancelled()));
    assert!(req.is_finished());
}

/// Async application code replays too: the same function, generic over the
/// runtime, run live on smol with a recording client, then from the
/// recording with no network, makes the same callbacks.
#[test]
fn an_async_application_replays_to_the_same_callbacks() {
    use urlrequest::{AsyncRuntime, Recording, Replay};

    async fn app<R: AsyncRuntime>(url: String, client: &R::Client) -> Vec<String> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (p, s, f) = (log.clone(), log.clone(), log.clone());
        let req = urlrequest::UrlRequest::<R>::builder(url)
            .client(client)
            .chunk_size(1000)
            .on_progress(move |_, got, total| p.lock().unwrap().push(format!("{got}/{total:?}")))
            .on_success(move |req, r| {
                s.lock().unwrap().push(format!(
                    "{:?} {:?}",
                    req.resp_status(),
                    r.as_bytes().map(|b| b.len())
                ))
            })
            .on_finish(move |_| f.lock().unwrap().push("finish".into()))
            .build()
            .unwrap();
        let _ = req.send().await;
        let got = log.lock().unwrap().clone();
        got
    }

    let recording = Recording::new();
    let (url, live) = {
        let server = Server::start(|_| Reply::Send(response("200 OK", &[], &[b'x'; 4500])));
        let client = Client::builder().record(&recording).build().unwrap();
        let url = server.url("/data");
        let live = smol::block_on(app::<urlrequest_smol::Smol>(url.clone(), &client));
        (url, live)
    };
    let replayed = smol::block_on(app::<Replay>(url, &recording));
    assert_eq!(live.len(), 9, "{live:?}");
    assert_eq!(replayed, live);
}
