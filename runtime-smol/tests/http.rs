//! Plain-http behaviour of the smol driver against in-process servers.

mod support;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_lite::{future, StreamExt};
use support::server::{response, Reply, Server, ServerProbe};
use urlrequest_smol::{core, trace_line, Client, Error, Event, Phase, Request};

fn hello_server() -> Server {
    Server::start(|seen| match seen.target.as_str() {
        "/json" => Reply::Send(response(
            "200 OK",
            &["Content-Type: application/json"],
            br#"{"a":[1,2],"b":"x"}"#,
        )),
        "/echo" => {
            let mut body = format!("{} ", seen.method).into_bytes();
            body.extend_from_slice(&seen.body);
            Reply::Send(response("200 OK", &[], &body))
        }
        "/moved" => Reply::Send(response("302 Found", &["Location: /hello"], b"")),
        "/see-other" => Reply::Send(response("303 See Other", &["Location: /echo"], b"")),
        "/missing" => Reply::Send(response("404 Not Found", &[], b"nope")),
        "/big" => Reply::Send(response("200 OK", &[], &pattern(20_000))),
        _ => Reply::Send(response("200 OK", &[], b"hello")),
    })
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[test]
fn get_returns_status_and_body() {
    let server = hello_server();
    let client = Client::new();
    let resp = smol::block_on(client.send(Request::get(server.url("/hello")).unwrap())).unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().unwrap().as_ref(), b"hello");
    let seen = server.seen();
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].target, "/hello");
    assert_eq!(
        seen[0].header("host"),
        Some(server.addr().to_string().as_str())
    );
}

#[test]
fn post_sends_the_body() {
    let server = hello_server();
    let client = Client::new();
    let req = Request::builder(server.url("/echo"))
        .body("x=1&y=2")
        .build()
        .unwrap();
    let resp = smol::block_on(client.send(req)).unwrap();
    assert_eq!(resp.bytes().unwrap().as_ref(), b"POST x=1&y=2");
    assert_eq!(server.seen()[0].header("content-length"), Some("7"));
}

#[test]
fn json_is_decoded() {
    let server = hello_server();
    let client = Client::new();
    let resp = smol::block_on(client.send(Request::get(server.url("/json")).unwrap())).unwrap();
    let json = resp.json_value().expect("decoded");
    assert_eq!(json["a"][1], 2);
    assert_eq!(json["b"], "x");
}

#[test]
fn redirects_are_followed_and_303_switches_to_get() {
    let server = hello_server();
    let client = Client::new();
    let resp = smol::block_on(client.send(Request::get(server.url("/moved")).unwrap())).unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.url().path(), "/hello");
    let req = Request::builder(server.url("/see-other"))
        .body("data")
        .build()
        .unwrap();
    let resp = smol::block_on(client.send(req)).unwrap();
    assert_eq!(resp.bytes().unwrap().as_ref(), b"GET ");
}

#[test]
fn event_stream_is_in_order_and_rechunked() {
    let server = hello_server();
    let client = Client::new();
    let req = Request::builder(server.url("/moved")).build().unwrap();
    let from = server.url("/moved");
    let to = server.url("/hello");
    let events: Vec<Event> = smol::block_on(client.events(req).collect());
    let trace: Vec<String> = events.iter().map(trace_line).collect();
    assert_eq!(trace[0], format!("redirect 302 GET {from} -> {to}"));
    assert_eq!(trace[1], "progress 0/5");
    assert_eq!(trace[2], "body 5 \"hello\"");
    assert_eq!(trace[3], "progress 5/5");
    assert!(trace[4].starts_with("done 200"), "{}", trace[4]);
    assert_eq!(trace.len(), 5);

    let req = Request::builder(server.url("/big"))
        .chunk_size(8192)
        .build()
        .unwrap();
    let events: Vec<Event> = smol::block_on(client.events(req).collect());
    let sizes: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::Body(b) => Some(b.len()),
            _ => None,
        })
        .collect();
    assert_eq!(sizes, vec![8192, 8192, 3616]);
    let body: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            Event::Body(b) => Some(b.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(body, pattern(20_000));
    assert!(matches!(events.last(), Some(Event::Done(_))));
}

#[test]
fn the_event_stream_streams_the_body_without_collecting_it() {
    let server = hello_server();
    let client = Client::new();
    let body_of = |events: &[Event]| -> Vec<u8> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Body(b) => Some(b.to_vec()),
                _ => None,
            })
            .flatten()
            .collect()
    };
    // Built with the default `collect_body(true)`: `events` streams anyway.
    let req = Request::get(server.url("/big")).unwrap();
    assert!(req.collect_body());
    let events: Vec<Event> = smol::block_on(client.events(req).collect());
    assert_eq!(body_of(&events), pattern(20_000));
    match events.last() {
        Some(Event::Done(r)) => {
            assert_eq!(r.status(), 200);
            assert_eq!(r.bytes(), None, "the Done response kept the body");
        }
        other => panic!("expected Done, got {other:?}"),
    }
    // The same through `events_with_cancel`.
    let req = Request::get(server.url("/big")).unwrap();
    let events: Vec<Event> = smol::block_on(
        client
            .events_with_cancel(req, urlrequest_smol::CancelHandle::new())
            .collect(),
    );
    assert_eq!(body_of(&events), pattern(20_000));
    assert!(matches!(events.last(), Some(Event::Done(r)) if r.bytes().is_none()));
    // `events_collecting` runs the request as built: the body in both.
    let req = Request::get(server.url("/big")).unwrap();
    let events: Vec<Event> = smol::block_on(client.events_collecting(req).collect());
    assert_eq!(body_of(&events), pattern(20_000));
    match events.last() {
        Some(Event::Done(r)) => assert_eq!(r.bytes().unwrap().as_ref(), &pattern(20_000)[..]),
        other => panic!("expected Done, got {other:?}"),
    }
}

#[test]
fn status_4xx_is_a_response_not_an_error() {
    let server = hello_server();
    let client = Client::new();
    let resp = smol::block_on(client.send(Request::get(server.url("/missing")).unwrap())).unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.bytes().unwrap().as_ref(), b"nope");
}

#[test]
fn a_stalled_server_times_out() {
    let server = Server::start(|_| Reply::Stall);
    let client = Client::new();
    let req = Request::builder(server.url("/"))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = smol::block_on(client.send(req)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Request(core::Error::Timeout {
                phase: Phase::Head,
                ..
            })
        ),
        "{err:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(started.elapsed() < Duration::from_secs(5));
    // The timed-out connection was closed, not pooled.
    assert!(server.wait_all_closed(Duration::from_secs(5)));
    assert_eq!(client.idle_connections(), 0);
}

#[test]
fn refused_connection_is_a_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = Client::new();
    let err =
        smol::block_on(client.send(Request::get(format!("http://127.0.0.1:{port}/")).unwrap()))
            .unwrap_err();
    assert_eq!(err.kind_name(), "connect", "{err}");
}

#[test]
fn unknown_host_is_a_dns_error() {
    let client = Client::new();
    let req = Request::get("http://no-such-host.invalid/").unwrap();
    let err = smol::block_on(client.send(req)).unwrap_err();
    assert_eq!(err.kind_name(), "dns", "{err}");
}

#[test]
fn dropping_the_future_closes_the_socket() {
    let server = Server::start(|_| Reply::Stall);
    let client = Client::new();
    let req = Request::get(server.url("/")).unwrap();
    let server_saw_request = blocking::unblock({
        let probe = server.probe();
        move || probe.wait_seen(1, Duration::from_secs(5))
    });
    let finished = smol::block_on(future::or(
        async {
            let _ = client.send(req).await;
            true
        },
        async {
            server_saw_request.await;
            false
        },
    ));
    assert!(!finished, "the stalled request cannot have finished");
    assert_eq!(server.seen().len(), 1);
    assert!(
        server.wait_all_closed(Duration::from_secs(5)),
        "the server still sees the connection open"
    );
    assert_eq!(client.idle_connections(), 0);
}

#[test]
fn dropping_the_stream_closes_the_socket() {
    let server = Server::start(|seen| {
        if seen.target == "/stall" {
            Reply::Stall
        } else {
            Reply::Send(response("200 OK", &[], b"ok"))
        }
    });
    let client = Client::new();
    let mut events = client.events(Request::get(server.url("/stall")).unwrap());
    let probe = server.probe();
    let polled = smol::block_on(future::or(async { events.next().await.is_some() }, async {
        blocking::unblock(move || probe.wait_seen(1, Duration::from_secs(5))).await;
        false
    }));
    assert!(!polled);
    drop(events);
    assert!(server.wait_all_closed(Duration::from_secs(5)));
    // The per-host slot was given back: a new request gets through.
    let resp = smol::block_on(client.send(Request::get(server.url("/ok")).unwrap())).unwrap();
    assert_eq!(resp.status(), 200);
}

#[test]
fn keep_alive_connections_are_reused() {
    let server = hello_server();
    let client = Client::new();
    smol::block_on(async {
        for _ in 0..5 {
            let resp = client
                .send(Request::get(server.url("/hello")).unwrap())
                .await
                .unwrap();
            assert_eq!(resp.bytes().unwrap().as_ref(), b"hello");
        }
    });
    assert_eq!(server.accepted(), 1);
    assert_eq!(client.idle_connections(), 1);
    assert!(server.seen().iter().all(|s| s.conn == 0));
    client.close_idle();
    assert_eq!(client.idle_connections(), 0);
    assert!(server.wait_all_closed(Duration::from_secs(5)));
}

#[test]
fn a_stale_pooled_connection_is_retried_on_a_fresh_one() {
    // Answers, then closes without saying so: the pooled connection is dead
    // when the next request takes it.
    let server = Server::start(|_| Reply::SendClose(response("200 OK", &[], b"once")));
    let client = Client::new();
    smol::block_on(async {
        for _ in 0..3 {
            let resp = client
                .send(Request::get(server.url("/")).unwrap())
                .await
                .unwrap();
            assert_eq!(resp.bytes().unwrap().as_ref(), b"once");
        }
    });
    assert_eq!(server.accepted(), 3);
}

#[test]
fn per_host_limit_is_respected() {
    const LIMIT: usize = 3;
    let probe: Arc<OnceLock<ServerProbe>> = Arc::new(OnceLock::new());
    let p = probe.clone();
    let server = Server::start(move |_| {
        // Hold each answer until the limit's worth of requests are in
        // flight at once (bounded), so any excess would show.
        if let Some(p) = p.get() {
            p.wait_in_handler(LIMIT, Duration::from_millis(500));
        }
        Reply::Send(response("200 OK", &[], b"limited"))
    });
    let _ = probe.set(server.probe());
    let client = Client::builder().per_host_limit(LIMIT).build().unwrap();
    let ex = smol::Executor::new();
    let results = smol::block_on(ex.run(async {
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let client = client.clone();
                let url = server.url("/");
                ex.spawn(async move { client.send(Request::get(url).unwrap()).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await);
        }
        out
    }));
    for r in results {
        assert_eq!(r.unwrap().bytes().unwrap().as_ref(), b"limited");
    }
    assert!(server.max_open() <= LIMIT, "{} open", server.max_open());
    assert_eq!(server.max_in_handler(), LIMIT);
    assert!(server.accepted() <= LIMIT);
    assert_eq!(server.seen().len(), 12);
}

#[test]
fn runs_on_a_multi_threaded_executor() {
    let server = hello_server();
    let client = Client::new();
    let ex = Arc::new(smol::Executor::new());
    let (stop, shutdown) = smol::channel::unbounded::<()>();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (ex, shutdown) = (ex.clone(), shutdown.clone());
            std::thread::spawn(move || smol::block_on(ex.run(shutdown.recv())))
        })
        .collect();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let client = client.clone();
            let url = server.url(if i % 2 == 0 { "/hello" } else { "/json" });
            ex.spawn(async move { client.send(Request::get(url).unwrap()).await })
        })
        .collect();
    let results: Vec<_> = smol::block_on(async {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await);
        }
        out
    });
    drop(stop);
    for t in threads {
        let _ = t.join();
    }
    for (i, r) in results.into_iter().enumerate() {
        let r = r.unwrap();
        if i % 2 == 0 {
            assert_eq!(r.bytes().unwrap().as_ref(), b"hello");
        } else {
            assert_eq!(r.json_value().unwrap()["b"], "x");
        }
    }
}

#[test]
fn runs_on_a_local_executor() {
    let server = hello_server();
    let client = Client::new();
    let local = smol::LocalExecutor::new();
    // Not Send: shows the tasks stay on this thread.
    let bodies = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    smol::block_on(local.run(async {
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (client, bodies) = (client.clone(), bodies.clone());
                let url = server.url("/hello");
                local.spawn(async move {
                    let r = client.send(Request::get(url).unwrap()).await.unwrap();
                    bodies.borrow_mut().push(r.bytes().unwrap().clone());
                })
            })
            .collect();
        for t in tasks {
            t.await;
        }
    }));
    assert_eq!(bodies.borrow().len(), 8);
    assert!(bodies.borrow().iter().all(|b| b.as_ref() == b"hello"));
}

/// A client set to record keeps each request's transcript, and replaying
/// it gives the events of the live run with no network.
#[test]
fn a_recording_client_keeps_transcripts_that_replay_to_the_live_events() {
    use futures_lite::StreamExt;
    let server = Server::start(|seen| match seen.target.as_str() {
        "/a" => Reply::Send(response("200 OK", &[], b"first")),
        _ => Reply::Send(response("404 Not Found", &[], b"second")),
    });
    let recording = urlrequest_smol::Recording::new();
    let client = Client::builder().record(&recording).build().unwrap();
    let live_a = smol::block_on(client.send(Request::get(server.url("/a")).unwrap())).unwrap();
    let live_b: Vec<_> = smol::block_on(
        client
            .events(Request::get(server.url("/b")).unwrap())
            .collect::<Vec<_>>(),
    );
    drop(server);
    let transcripts = recording.transcripts();
    assert_eq!(transcripts.len(), 2);
    let replay_a = transcripts[0].replay(std::time::Instant::now());
    match replay_a.last() {
        Some(urlrequest_smol::Event::Done(r)) => {
            assert_eq!(r.status(), live_a.status());
            assert_eq!(r.bytes(), live_a.bytes());
        }
        other => panic!("{other:?}"),
    }
    let replay_b = transcripts[1].replay(std::time::Instant::now());
    let lines = |e: &[urlrequest_smol::Event]| {
        e.iter()
            .map(urlrequest_smol::trace_line)
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&replay_b), lines(&live_b));
}
