//! urlrequest-tokio on both of tokio's schedulers: the three ways to run a
//! request, the Kivy-style `UrlRequest`, cancelling by dropping, no task
//! spawned, and a client that outlives the runtime it was used on.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_lite::{future, StreamExt};
use urlrequest_conformance::test_server::{respond, serve, Server};
use urlrequest_tokio::{Client, Event, Request, ResultValue, UrlRequest};

const BODY: &[u8] = b"the body of the answer";

fn runtimes() -> [(&'static str, tokio::runtime::Runtime); 2] {
    [
        (
            "current-thread",
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        ),
        (
            "multi-thread",
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        ),
    ]
}

fn body_server() -> Server {
    serve(|_, w| {
        respond(w, "200 OK", &[("Content-Type", "text/plain")], BODY)?;
        Ok(true)
    })
}

#[test]
fn send_events_download_and_url_request_on_both_schedulers() {
    let server = body_server();
    let dir = tempfile::tempdir().unwrap();
    for (flavour, runtime) in runtimes() {
        let url = server.url("/");
        let path = dir.path().join(format!("{flavour}.txt"));
        // Spawned, so that on the multi-thread scheduler the requests run
        // on its workers (and must be Send).
        let (url2, path2) = (url.clone(), path.clone());
        let task = runtime.spawn(async move {
            let client = Client::new();
            let resp = client.send(Request::get(&url2).unwrap()).await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.bytes().unwrap().as_ref(), BODY);

            let mut events = client.events(Request::get(&url2).unwrap());
            let mut streamed = Vec::new();
            let mut done = None;
            while let Some(event) = events.next().await {
                match event {
                    Event::Body(b) => streamed.extend_from_slice(&b),
                    Event::Done(r) => done = Some(r),
                    _ => {}
                }
            }
            assert_eq!(streamed, BODY);
            assert!(
                done.unwrap().bytes().is_none(),
                "events() streams, never collects"
            );

            let resp = client
                .download(Request::get(&url2).unwrap(), &path2)
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            client.idle_connections()
        });
        let idle = runtime.block_on(task).unwrap();
        assert_eq!(
            idle, 1,
            "{flavour}: the three requests shared one connection"
        );
        assert_eq!(std::fs::read(&path).unwrap(), BODY, "{flavour}");

        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let req = UrlRequest::builder(url)
            .on_progress({
                let log = log.clone();
                move |_, done, total| {
                    log.lock()
                        .unwrap()
                        .push(format!("progress {done} {total:?}"))
                }
            })
            .on_success(move |req, result| {
                let text = match result {
                    ResultValue::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                    other => format!("{other:?}"),
                };
                log.lock()
                    .unwrap()
                    .push(format!("success {:?} {text}", req.resp_status()));
            })
            .build()
            .unwrap();
        runtime.block_on(req.send()).unwrap();
        assert!(req.is_finished());
        let n = BODY.len();
        assert_eq!(
            *seen.lock().unwrap(),
            [
                format!("progress 0 Some({n})"),
                format!("progress {n} Some({n})"),
                format!("progress {n} Some({n})"),
                "success Some(200) the body of the answer".to_string(),
            ],
            "{flavour}"
        );
    }
}

/// A server that takes one request, answers with `reply` (a head and part
/// of a body, never the end), tells `got` that it has the request, then
/// waits for the client to close and tells `closed` how the read ended.
fn holding_server(reply: &'static [u8]) -> (String, mpsc::Receiver<()>, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (got_tx, got) = mpsc::channel();
    let (closed_tx, closed) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
            line.clear();
        }
        let mut writer: &TcpStream = &stream;
        writer.write_all(reply).unwrap();
        got_tx.send(()).unwrap();
        // A guard against a client that never closes: the test then fails
        // on the message instead of hanging.
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut rest = [0u8; 64];
        let how = match reader.read(&mut rest) {
            // A socket closed with unread bytes in its buffer is reset.
            Ok(0) => "closed".to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => "closed".to_string(),
            Ok(n) => format!("{n} more bytes"),
            Err(e) => format!("no close: {e}"),
        };
        closed_tx.send(how).unwrap();
    });
    (url, got, closed)
}

/// Waits on a std channel from async code, on tokio's blocking pool.
async fn recv<T: Send + 'static>(rx: mpsc::Receiver<T>) -> T {
    tokio::task::spawn_blocking(move || rx.recv().unwrap())
        .await
        .unwrap()
}

#[test]
fn dropping_the_future_or_the_stream_closes_the_socket_at_once() {
    for (flavour, runtime) in runtimes() {
        // The future of `send`, dropped while it waits for the body.
        let (url, got, closed) =
            holding_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
        let client = Client::new();
        runtime.block_on(async {
            let send = async {
                let outcome = client.send(Request::get(&url).unwrap()).await;
                panic!("the request ended: {outcome:?}");
            };
            future::or(send, recv(got)).await;
        });
        // The client and the runtime are still alive: the close came from
        // dropping the future, not from tearing anything down.
        let how = closed.recv_timeout(Duration::from_secs(15)).unwrap();
        assert_eq!(how, "closed", "{flavour}: send future dropped");
        assert_eq!(client.idle_connections(), 0);

        // The event stream, dropped after its first events.
        let (url, got, closed) =
            holding_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
        runtime.block_on(async {
            // Nothing is sent before the stream is first polled.
            let mut events = client.events(Request::get(&url).unwrap());
            let first = events.next().await.unwrap();
            assert!(matches!(first, Event::Progress { .. }), "{first:?}");
            recv(got).await;
            drop(events);
        });
        let how = closed.recv_timeout(Duration::from_secs(15)).unwrap();
        assert_eq!(how, "closed", "{flavour}: event stream dropped");
        drop(runtime);
    }
}

#[test]
fn a_request_spawns_no_task() {
    let server = body_server();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tasks_seen = Arc::new(Mutex::new(Vec::new()));
    let seen = tasks_seen.clone();
    let req = UrlRequest::builder(server.url("/"))
        .on_progress(move |_, _, _| {
            let metrics = tokio::runtime::Handle::current().metrics();
            seen.lock().unwrap().push(metrics.num_alive_tasks());
        })
        .build()
        .unwrap();
    let client = Client::new();
    runtime.block_on(async {
        req.send().await.unwrap();
        let mut events = client.events(Request::get(server.url("/")).unwrap());
        while let Some(_event) = events.next().await {
            let metrics = tokio::runtime::Handle::current().metrics();
            tasks_seen.lock().unwrap().push(metrics.num_alive_tasks());
        }
    });
    let seen = tasks_seen.lock().unwrap();
    assert!(seen.len() >= 4, "{seen:?}");
    assert!(
        seen.iter().all(|&n| n == 0),
        "tasks alive while running: {seen:?}"
    );
}

#[test]
fn a_client_outlives_the_runtime_it_was_used_on() {
    let server = body_server();
    let client = Client::new();
    let get = |runtime: &tokio::runtime::Runtime| {
        let client = client.clone();
        let url = server.url("/");
        runtime.block_on(async move { client.send(Request::get(&url).unwrap()).await })
    };
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(get(&first).unwrap().status(), 200);
    assert_eq!(get(&first).unwrap().status(), 200);
    assert_eq!(server.accepted(), 1, "one runtime reuses its connection");
    assert_eq!(client.idle_connections(), 1);
    drop(first);
    // The idle connection belongs to the dropped runtime's reactor: the
    // next runtime must open its own instead of failing on it.
    let second = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let resp = get(&second).unwrap();
    assert_eq!(resp.bytes().unwrap().as_ref(), BODY);
    assert_eq!(server.accepted(), 2);
    assert_eq!(get(&second).unwrap().status(), 200);
    assert_eq!(server.accepted(), 2, "then reuses the new one");
}
