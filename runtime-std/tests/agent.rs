//! The blocking API (`Agent::send`, `get`) against in-process servers.

mod support;

use std::net::TcpListener;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{respond, serve, serve_on};
use urlrequest_core::{Event, Exchange, Request};
use urlrequest_std::{Agent, DriveOptions, Error};

#[test]
fn plain_get_returns_body_and_headers() {
    let server = serve(|req, w| {
        assert_eq!(req.target, "/hello?x=1");
        respond(
            w,
            "200 OK",
            &[("X-Test", "a"), ("X-Test", "b")],
            b"hello world",
        )?;
        Ok(true)
    });
    let r = urlrequest_std::get(&server.url("/hello?x=1#frag")).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().unwrap().as_ref(), b"hello world");
    let all: Vec<_> = r.headers().get_all("x-test").iter().collect();
    assert_eq!(all, ["a", "b"]);
    // The fragment never reaches the server.
    assert_eq!(server.requests.lock().unwrap()[0].target, "/hello?x=1");
}

#[test]
fn post_sends_body_and_length() {
    let server = serve(|req, w| {
        let echo = format!(
            "{} {} {}",
            req.method,
            req.header("content-length").unwrap_or("-"),
            String::from_utf8_lossy(&req.body)
        );
        respond(w, "201 Created", &[], echo.as_bytes())?;
        Ok(true)
    });
    let req = Request::builder(server.url("/submit"))
        .body("a=1&b=2")
        .build()
        .unwrap();
    let r = Agent::new().send(req).unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.bytes().unwrap().as_ref(), b"POST 7 a=1&b=2");
}

#[test]
fn json_is_decoded() {
    let server = serve(|_, w| {
        respond(
            w,
            "200 OK",
            &[("Content-Type", "application/json; charset=utf-8")],
            br#"{"n":[1,2,3]}"#,
        )?;
        Ok(true)
    });
    let r = Agent::new().get(&server.url("/j")).unwrap();
    assert_eq!(r.json_value().unwrap()["n"][2], 3);
    // The typed reading and the text, with the crate's own serde_json.
    let typed: std::collections::BTreeMap<String, Vec<u32>> = r.json().unwrap();
    assert_eq!(typed["n"], [1, 2, 3]);
    let value: urlrequest_std::serde_json::Value = r.json().unwrap();
    assert_eq!(value, urlrequest_std::serde_json::json!({"n": [1, 2, 3]}));
    assert_eq!(r.text().unwrap(), r#"{"n":[1,2,3]}"#);
}

#[test]
fn keep_alive_reuses_one_connection() {
    let server = serve(|req, w| {
        respond(w, "200 OK", &[], req.target.as_bytes())?;
        Ok(true)
    });
    let agent = Agent::new();
    for i in 0..5 {
        let r = agent.get(&server.url(&format!("/{i}"))).unwrap();
        assert_eq!(r.bytes().unwrap().as_ref(), format!("/{i}").as_bytes());
    }
    assert_eq!(server.accepted(), 1, "all five requests share a connection");
    assert_eq!(agent.idle_connections(), 1);
}

#[test]
fn pool_is_shared_across_threads() {
    let server = serve(|_, w| {
        respond(w, "200 OK", &[], b"ok")?;
        Ok(true)
    });
    let agent = Agent::new();
    let url = server.url("/");
    // Sequential batches on different threads: each one finds the
    // connection the previous one released.
    for _ in 0..3 {
        let (a, u) = (agent.clone(), url.clone());
        std::thread::spawn(move || a.get(&u).unwrap())
            .join()
            .unwrap();
    }
    assert_eq!(server.accepted(), 1);
}

#[test]
fn connection_closed_by_server_is_not_reused() {
    let server = serve(|_, w| {
        respond(w, "200 OK", &[("Connection", "close")], b"bye")?;
        Ok(false)
    });
    let agent = Agent::new();
    agent.get(&server.url("/")).unwrap();
    agent.get(&server.url("/")).unwrap();
    assert_eq!(server.accepted(), 2);
    assert_eq!(agent.idle_connections(), 0);
}

#[test]
fn same_origin_redirects_are_followed_on_one_connection() {
    let server = serve(|req, w| {
        match req.target.as_str() {
            "/a" => respond(w, "302 Found", &[("Location", "/b")], b"moved")?,
            "/b" => respond(w, "301 Moved", &[("Location", "c")], b"")?,
            _ => respond(w, "200 OK", &[], b"final")?,
        }
        Ok(true)
    });
    let r = Agent::new().get(&server.url("/a")).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().unwrap().as_ref(), b"final");
    assert_eq!(r.url().path(), "/c");
    assert_eq!(server.accepted(), 1);
}

#[test]
fn refused_connection_is_a_connect_error_naming_the_address() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = urlrequest_std::get(&format!("http://127.0.0.1:{port}/")).unwrap_err();
    assert_eq!(err.kind_name(), "connect", "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
}

#[test]
fn stalled_server_times_out() {
    let server = serve(|_, _| {
        // Answer nothing; hold the connection until the client gives up.
        std::thread::park_timeout(Duration::from_secs(30));
        Ok(false)
    });
    let req = Request::builder(server.url("/slow"))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let t0 = Instant::now();
    let err = Agent::new().send(req).unwrap_err();
    assert_eq!(err.kind_name(), "timeout", "{err}");
    assert!(
        err.to_string().contains("waiting for the response head"),
        "{err}"
    );
    assert!(t0.elapsed() < Duration::from_secs(5));
}

#[test]
fn ipv6_literal_hosts_work() {
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback on this machine; nothing to check");
        return;
    };
    let server = serve_on(
        listener,
        None,
        Arc::new(|req: &support::Req, w: &mut dyn std::io::Write| {
            let host = req.header("host").unwrap_or("").to_string();
            respond(w, "200 OK", &[], host.as_bytes())?;
            Ok(true)
        }),
    );
    let url = format!("http://[::1]:{}/v6", server.addr.port());
    let r = urlrequest_std::get(&url).unwrap();
    assert_eq!(
        r.bytes().unwrap().as_ref(),
        format!("[::1]:{}", server.addr.port()).as_bytes()
    );
}

#[test]
fn drive_streams_events_and_break_cancels() {
    let server = serve(|_, w| {
        respond(w, "200 OK", &[], &vec![b'x'; 10_000])?;
        Ok(true)
    });
    let req = Request::builder(server.url("/"))
        .chunk_size(1000)
        .collect_body(false)
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, Instant::now());
    let mut bodies = 0;
    let mut last = None;
    Agent::new().drive(&mut ex, &DriveOptions::new(), |ev, ex| {
        if let Event::Progress { received: 0, .. } = ev {
            assert_eq!(ex.response_head().unwrap().0, 200);
        }
        if let Event::Body(b) = &ev {
            bodies += 1;
            assert_eq!(b.len(), 1000);
            if bodies == 3 {
                return ControlFlow::Break(());
            }
        }
        last = Some(ev);
        ControlFlow::Continue(())
    });
    assert_eq!(bodies, 3);
    assert!(ex.is_finished());
    assert!(matches!(last, Some(Event::Progress { received: 2000, .. })));
}

#[test]
fn bad_url_is_a_build_error() {
    let err = urlrequest_std::get("ftp://example.com/").unwrap_err();
    assert!(matches!(err, Error::Build(_)), "{err}");
}

/// An exchange that is already over when driven hands its one event to the
/// sink, and the driver stops there: no connection is opened, nothing is
/// left undelivered.
#[test]
fn driving_a_finished_exchange_delivers_its_event_and_connects_nowhere() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let mut ex = Exchange::new(Request::get(&url).unwrap(), Instant::now());
    ex.cancel();
    let mut seen = Vec::new();
    Agent::new().drive(&mut ex, &DriveOptions::new(), |event, _| {
        seen.push(urlrequest_core::trace_line(&event));
        ControlFlow::Continue(())
    });
    assert_eq!(seen, ["failure cancelled: request cancelled"]);
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "the driver connected for a cancelled request"
    );
}
