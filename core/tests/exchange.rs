//! Scenario tests of the whole exchange: events, actions and the bytes written,
//! for each framing, redirect and error rule.

mod support;

use std::time::{Duration, Instant};

use support::{run, run_with, Conn};
use urlrequest_core::{Action, Error, Event, Exchange, Limits, Proxy, Request, Transcript};

fn get(url: &str) -> Request {
    Request::builder(url).user_agent("test").build().unwrap()
}

fn terminal(events: &[Event]) -> &Event {
    let last = events.last().expect("no events");
    assert!(last.is_terminal(), "last event is not terminal: {last:?}");
    assert_eq!(
        events.iter().filter(|e| e.is_terminal()).count(),
        1,
        "one terminal event"
    );
    last
}

fn failure(events: &[Event]) -> &Error {
    match terminal(events) {
        Event::Failure(e) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn content_length_body_is_recut_to_chunk_size() {
    let req = Request::builder("http://a.test/")
        .chunk_size(4)
        .build()
        .unwrap();
    let r = run(
        req,
        &[Conn::closing(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
        )],
        3,
    );
    assert_eq!(
        r.trace,
        vec![
            "progress 0/10",
            "body 4 \"0123\"",
            "progress 4/10",
            "body 4 \"4567\"",
            "progress 8/10",
            "body 2 \"89\"",
            "progress 10/10",
            "done 200 HTTP/1.1 http://a.test/ bytes=10 \"0123456789\"",
        ]
    );
    assert_eq!(
        r.actions.last(),
        Some(&Action::Release(r_key("http", "a.test", 80)))
    );
}

fn r_key(scheme: &str, host: &str, port: u16) -> urlrequest_core::PoolKey {
    urlrequest_core::PoolKey::new(scheme, host, port, None)
}

#[test]
fn request_bytes_are_origin_form_with_host() {
    let r = run(
        get("http://a.test:8080/p?q=1#frag"),
        &[Conn::closing(b"HTTP/1.1 204 No Content\r\n\r\n")],
        64,
    );
    // Accept-Encoding names the codings compiled in (gzip by default).
    let head = String::from_utf8(r.written[0].clone()).unwrap();
    let accept = [
        ("gzip", cfg!(feature = "gzip")),
        ("deflate", cfg!(feature = "deflate")),
        ("br", cfg!(feature = "brotli")),
        ("zstd", cfg!(feature = "zstd")),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| *name)
    .collect::<Vec<_>>()
    .join(", ");
    let accept_line = if accept.is_empty() {
        String::new()
    } else {
        format!("accept-encoding: {accept}\r\n")
    };
    assert_eq!(
        head,
        format!(
            "GET /p?q=1 HTTP/1.1\r\nHost: a.test:8080\r\nuser-agent: test\r\n{accept_line}\r\n"
        )
    );
    assert_eq!(
        r.trace,
        vec![
            "progress 0/0",
            "done 204 HTTP/1.1 http://a.test:8080/p?q=1 bytes=0 \"\""
        ]
    );
}

#[test]
fn interim_responses_are_skipped() {
    let reply = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let r = run(get("http://a.test/"), &[Conn::closing(reply)], 5);
    assert_eq!(
        r.trace.last().unwrap(),
        "done 200 HTTP/1.1 http://a.test/ bytes=2 \"ok\""
    );
    assert_eq!(
        r.trace
            .iter()
            .filter(|l| l.starts_with("progress 0/"))
            .count(),
        1
    );
}

#[test]
fn head_has_no_body_whatever_content_length_says() {
    let req = Request::builder("http://a.test/")
        .method("HEAD")
        .build()
        .unwrap();
    let r = run(
        req,
        &[Conn::stalling(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
        )],
        64,
    );
    assert_eq!(
        r.trace,
        vec![
            "progress 0/0",
            "done 200 HTTP/1.1 http://a.test/ bytes=0 \"\""
        ]
    );
}

#[test]
fn until_close_body_ends_at_eof_and_closes() {
    let r = run(
        get("http://a.test/"),
        &[Conn::closing(b"HTTP/1.0 200 OK\r\n\r\nall the rest")],
        4,
    );
    assert_eq!(r.trace.first().unwrap(), "progress 0/?");
    assert!(r
        .trace
        .last()
        .unwrap()
        .ends_with("bytes=12 \"all the rest\""));
    assert_eq!(r.actions.last(), Some(&Action::Close));
}

#[test]
fn chunked_with_trailers() {
    let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Check: 5\r\n\r\n";
    let r = run(get("http://a.test/"), &[Conn::closing(reply)], 7);
    assert_eq!(
        r.trace.last().unwrap(),
        "done 200 HTTP/1.1 http://a.test/ trailer=x-check:5 bytes=5 \"abcde\""
    );
}

#[test]
fn te_and_cl_together_is_chunked_and_not_reused() {
    let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 100\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
    let r = run(get("http://a.test/"), &[Conn::stalling(reply)], 64);
    assert!(r.trace.last().unwrap().ends_with("bytes=2 \"hi\""));
    assert_eq!(r.actions.last(), Some(&Action::Close));
}

#[test]
fn truncated_content_length_is_a_failure_not_done() {
    let mut reply = b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n".to_vec();
    reply.extend(std::iter::repeat_n(b'x', 512));
    let r = run(get("http://a.test/"), &[Conn::closing(&reply)], 100);
    assert_eq!(
        failure(&r.events).to_string(),
        "response ended after 512 of 1024 body bytes"
    );
    assert_eq!(r.actions.last(), Some(&Action::Close));
}

#[test]
fn truncated_head_is_named() {
    let r = run(
        get("http://a.test/"),
        &[Conn::closing(b"HTTP/1.1 200 OK\r\nX-A")],
        4,
    );
    assert_eq!(
        failure(&r.events).to_string(),
        "connection closed after 20 bytes of an incomplete response head"
    );
    let r = run(get("http://a.test/"), &[Conn::closing(b"")], 4);
    assert_eq!(
        failure(&r.events).to_string(),
        "connection closed before any response bytes arrived"
    );
}

#[test]
fn connection_close_header_prevents_reuse() {
    let reply = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    let r = run(get("http://a.test/"), &[Conn::stalling(reply)], 64);
    assert!(matches!(terminal(&r.events), Event::Done(_)));
    assert_eq!(r.actions.last(), Some(&Action::Close));
}

#[test]
fn extra_bytes_after_response_prevent_reuse() {
    let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n";
    let r = run(get("http://a.test/"), &[Conn::stalling(reply)], 1024);
    assert!(r.trace.last().unwrap().ends_with("bytes=2 \"ok\""));
    assert_eq!(r.actions.last(), Some(&Action::Close));
}

#[test]
fn timeout_in_head_and_in_body() {
    let req = Request::builder("http://a.test/")
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let r = run(req.clone(), &[Conn::stalling(b"HTTP/1.1 200 OK\r\n")], 64);
    assert_eq!(
        failure(&r.events).to_string(),
        "timed out after 2s while waiting for the response head"
    );
    let r = run(
        req,
        &[Conn::stalling(
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc",
        )],
        64,
    );
    assert_eq!(
        failure(&r.events).to_string(),
        "timed out after 2s while reading the response body (3 body bytes received)"
    );
}

#[test]
fn timeout_is_a_deadline_that_progress_moves() {
    let t0 = Instant::now();
    let req = Request::builder("http://a.test/")
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, t0);
    assert_eq!(ex.poll_timeout(), Some(t0 + Duration::from_secs(5)));
    assert!(matches!(ex.poll_action(), Some(Action::Connect(_))));
    let t1 = t0 + Duration::from_secs(3);
    ex.handle_connected(t1, false);
    assert_eq!(ex.poll_timeout(), Some(t1 + Duration::from_secs(5)));
    ex.handle_timeout(t1 + Duration::from_secs(4));
    assert!(ex.poll_event().is_none(), "not yet due");
    ex.handle_timeout(t1 + Duration::from_secs(5));
    match ex.poll_event() {
        Some(Event::Failure(Error::Timeout { .. })) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(ex.poll_action(), Some(Action::Close));
    assert!(ex.is_finished());
    assert_eq!(ex.poll_timeout(), None);
}

#[test]
fn cancel_closes_and_fails() {
    let t0 = Instant::now();
    let mut ex = Exchange::new(get("http://a.test/"), t0);
    let _ = ex.poll_action();
    ex.handle_connected(t0, false);
    assert_eq!(ex.state().name(), "writing-request");
    ex.cancel();
    assert_eq!(ex.poll_action(), Some(Action::Close));
    assert_eq!(ex.poll_event(), Some(Event::Failure(Error::Cancelled)));
    assert!(ex.is_finished());
    ex.handle_data(t0, b"HTTP/1.1 200 OK\r\n\r\n");
    assert_eq!(ex.poll_event(), None, "nothing follows the terminal event");
}

#[test]
fn redirect_chain_with_method_rewrite_and_credential_stripping() {
    let req = Request::builder("http://user:pw@a.test/form")
        .user_agent("test")
        .header("Cookie", "s=1")
        .body("x=1")
        .build()
        .unwrap();
    let conns = [
        Conn::stalling(
            b"HTTP/1.1 303 See Other\r\nLocation: /done\r\nContent-Length: 3\r\n\r\nabc",
        ),
        Conn::stalling(
            b"HTTP/1.1 302 Found\r\nLocation: http://b.test/final\r\nContent-Length: 0\r\n\r\n",
        ),
        Conn::closing(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ];
    let r = run(req, &conns, 5);
    assert_eq!(
        r.trace,
        vec![
            "redirect 303 GET http://a.test/form -> http://a.test/done",
            "redirect 302 GET http://a.test/done -> http://b.test/final",
            "progress 0/2",
            "body 2 \"ok\"",
            "progress 2/2",
            "done 200 HTTP/1.1 http://b.test/final bytes=2 \"ok\"",
        ]
    );
    let first = String::from_utf8(r.written[0].clone()).unwrap();
    assert!(
        first.starts_with("POST /form HTTP/1.1\r\n") && first.ends_with("x=1"),
        "{first}"
    );
    assert!(first.contains("authorization: Basic dXNlcjpwdw=="));
    let second = String::from_utf8(r.written[1].clone()).unwrap();
    assert!(second.starts_with("GET /done HTTP/1.1\r\n"), "{second}");
    assert!(
        second.contains("authorization:") && second.contains("cookie: s=1"),
        "same origin keeps them"
    );
    assert!(!second.contains("Content-Length"), "body dropped: {second}");
    let third = String::from_utf8(r.written[2].clone()).unwrap();
    assert!(
        third.starts_with("GET /final HTTP/1.1\r\nHost: b.test\r\n"),
        "{third}"
    );
    assert!(
        !third.contains("authorization") && !third.contains("cookie"),
        "{third}"
    );
}

#[test]
fn redirect_307_replays_body() {
    let req = Request::builder("http://a.test/a")
        .body("payload")
        .build()
        .unwrap();
    let conns = [
        Conn::stalling(
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n",
        ),
        Conn::closing(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
    ];
    let r = run(req, &conns, 64);
    let second = String::from_utf8(r.written[1].clone()).unwrap();
    assert!(
        second.starts_with("POST /b HTTP/1.1\r\n") && second.ends_with("\r\n\r\npayload"),
        "{second}"
    );
}

#[test]
fn redirect_reuses_a_released_connection() {
    let conns = [
        Conn::stalling(b"HTTP/1.1 301 Moved\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n"),
        Conn::closing(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ];
    let r = run_with(get("http://a.test/a"), &conns, &mut |_| 64, true);
    assert!(matches!(terminal(&r.events), Event::Done(_)));
    assert!(
        matches!(&r.actions[1], Action::Release(_)),
        "{:?}",
        r.actions
    );
    match &r.actions[2] {
        Action::Connect(t) => assert!(t.reuse),
        other => panic!("{other:?}"),
    }
}

#[test]
fn redirect_limits_and_loops() {
    let hop = |to: &str| {
        Conn::stalling(
            format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
        )
    };
    let req = Request::builder("http://a.test/0")
        .max_redirects(2)
        .build()
        .unwrap();
    let r = run(req, &[hop("/1"), hop("/2"), hop("/3")], 64);
    assert_eq!(
        failure(&r.events).to_string(),
        "too many redirects: the limit of 2 was reached before http://a.test/3"
    );
    let r = run(get("http://a.test/0"), &[hop("/1"), hop("/0")], 64);
    assert_eq!(
        failure(&r.events).to_string(),
        "redirect loop: http://a.test/0 was already visited"
    );
    let req = Request::builder("http://a.test/0")
        .max_redirects(0)
        .build()
        .unwrap();
    let r = run(req, &[hop("/1")], 64);
    assert!(
        r.trace.last().unwrap().starts_with("done 302"),
        "{:?}",
        r.trace
    );
}

#[test]
fn https_to_http_refused_unless_allowed() {
    let conns = [
        Conn::stalling(
            b"HTTP/1.1 302 Found\r\nLocation: http://a.test/\r\nContent-Length: 0\r\n\r\n",
        ),
        Conn::closing(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ];
    let r = run(get("https://a.test/"), &conns, 64);
    assert!(matches!(failure(&r.events), Error::RedirectRefused { .. }));
    let req = Request::builder("https://a.test/")
        .allow_https_to_http(true)
        .build()
        .unwrap();
    let r = run(req, &conns, 64);
    assert!(r
        .trace
        .last()
        .unwrap()
        .starts_with("done 200 HTTP/1.1 http://a.test/"));
}

#[test]
fn json_decode_and_invalid_json_keeps_raw() {
    let ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 8\r\n\r\n{\"a\":[1]}";
    let r = run(
        get("http://a.test/"),
        &[Conn::closing(&ok[..ok.len() - 1])],
        64,
    );
    // Body is 8 bytes: `{"a":[1]` without the closing brace: invalid.
    match failure(&r.events) {
        Error::Json { raw, .. } => assert_eq!(&raw[..], b"{\"a\":[1]"),
        other => panic!("{other:?}"),
    }
    let ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/problem+json\r\nContent-Length: 9\r\n\r\n{\"a\":[1]}";
    let r = run(get("http://a.test/"), &[Conn::closing(ok)], 64);
    assert_eq!(
        r.trace.last().unwrap(),
        "done 200 HTTP/1.1 http://a.test/ json={\"a\":[1]}"
    );
    let req = Request::builder("http://a.test/")
        .decode(false)
        .build()
        .unwrap();
    let r = run(req, &[Conn::closing(ok)], 64);
    assert!(r.trace.last().unwrap().contains("bytes=9"));
}

#[test]
fn collect_off_leaves_body_out_of_done() {
    let req = Request::builder("http://a.test/")
        .collect_body(false)
        .build()
        .unwrap();
    let r = run(
        req,
        &[Conn::closing(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        )],
        64,
    );
    assert_eq!(
        r.trace.last().unwrap(),
        "done 200 HTTP/1.1 http://a.test/ not-collected"
    );
}

#[test]
fn limits_head_headers_body() {
    let tight = Limits {
        max_head_bytes: 64,
        max_headers: 3,
        max_body_bytes: Some(4),
    };
    let req = Request::builder("http://a.test/")
        .limits(tight)
        .build()
        .unwrap();
    let long = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(100));
    let r = run(req.clone(), &[Conn::stalling(long.as_bytes())], 8);
    assert_eq!(failure(&r.events), &Error::HeadTooLarge { limit: 64 });
    let many = b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
    let r = run(req.clone(), &[Conn::stalling(many)], 8);
    assert_eq!(failure(&r.events), &Error::TooManyHeaders { limit: 3 });
    let r = run(
        req.clone(),
        &[Conn::stalling(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
        )],
        8,
    );
    let set_limit = Error::BodyTooLarge {
        limit: 4,
        default_for_collected: false,
    };
    assert_eq!(failure(&r.events), &set_limit);
    let r = run(req, &[Conn::closing(b"HTTP/1.1 200 OK\r\n\r\n123456")], 2);
    assert_eq!(failure(&r.events), &set_limit);
    assert_eq!(
        set_limit.to_string(),
        "response body is larger than the limit of 4 bytes"
    );
}

#[test]
fn a_collected_body_has_a_default_limit_and_a_streamed_one_none() {
    use urlrequest_core::DEFAULT_MAX_COLLECTED_BODY;
    let over = DEFAULT_MAX_COLLECTED_BODY as usize + 1;
    // Declared length: refused at the head, before any body event.
    let declared = format!("HTTP/1.1 200 OK\r\nContent-Length: {over}\r\n\r\n");
    let mut declared = declared.into_bytes();
    let head_len = declared.len();
    declared.resize(head_len + over, b'x');
    // Until close: found out once the bytes pass the limit.
    let mut undeclared = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
    undeclared.resize(undeclared.len() + over, b'y');
    let build = |collect: bool| {
        Request::builder("http://a.test/")
            .chunk_size(1 << 20)
            .collect_body(collect)
            .build()
            .unwrap()
    };
    let want = Error::BodyTooLarge {
        limit: DEFAULT_MAX_COLLECTED_BODY,
        default_for_collected: true,
    };
    for reply in [&declared, &undeclared] {
        let r = run(build(true), &[Conn::closing(reply)], 1 << 16);
        assert_eq!(failure(&r.events), &want);
        assert_eq!(
            want.to_string(),
            "response body is larger than the limit of 10485760 bytes for a body \
             kept in memory; raise Limits::max_body_bytes or stream it \
             (collect_body(false), file_path)"
        );
        assert_eq!(want.kind_name(), "body-too-large");
        // The bytes up to the limit were delivered, none past it.
        let delivered: usize = r
            .events
            .iter()
            .map(|e| match e {
                Event::Body(b) => b.len(),
                _ => 0,
            })
            .sum();
        assert!(delivered <= DEFAULT_MAX_COLLECTED_BODY as usize);

        // Streamed: no limit, every byte arrives and the response is Done.
        let r = run(build(false), &[Conn::closing(reply)], 1 << 16);
        match terminal(&r.events) {
            Event::Done(resp) => assert_eq!(resp.bytes(), None),
            other => panic!("expected Done, got {other:?}"),
        }
        let streamed: usize = r
            .events
            .iter()
            .map(|e| match e {
                Event::Body(b) => b.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(streamed, over);
    }

    // A limit of the request's own replaces the default, both ways.
    let unlimited = Limits {
        max_body_bytes: Some(u64::MAX),
        ..Limits::default()
    };
    let req = Request::builder("http://a.test/")
        .chunk_size(1 << 20)
        .limits(unlimited)
        .build()
        .unwrap();
    let r = run(req, &[Conn::closing(&undeclared)], 1 << 16);
    match terminal(&r.events) {
        Event::Done(resp) => assert_eq!(resp.bytes().map(|b| b.len()), Some(over)),
        other => panic!("expected Done, got {other:?}"),
    }
    let small = Limits {
        max_body_bytes: Some(10),
        ..Limits::default()
    };
    let req = Request::builder("http://a.test/")
        .limits(small)
        .build()
        .unwrap();
    let r = run(req, &[Conn::closing(&undeclared)], 1 << 16);
    assert_eq!(
        failure(&r.events),
        &Error::BodyTooLarge {
            limit: 10,
            default_for_collected: false
        }
    );
}

#[test]
fn stale_pooled_connection_is_retried_once_fresh() {
    let t0 = Instant::now();
    let mut ex = Exchange::new(get("http://a.test/"), t0);
    match ex.poll_action() {
        Some(Action::Connect(t)) => assert!(t.reuse),
        other => panic!("{other:?}"),
    }
    ex.handle_connected(t0, true);
    let n = ex.transmit().len();
    ex.handle_written(t0, n);
    ex.handle_eof(t0);
    assert_eq!(ex.poll_action(), Some(Action::Close));
    match ex.poll_action() {
        Some(Action::Connect(t)) => assert!(!t.reuse, "retry must use a fresh connection"),
        other => panic!("{other:?}"),
    }
    assert!(
        ex.poll_event().is_none(),
        "the retry is invisible in the trace"
    );
    ex.handle_connected(t0, false);
    let n = ex.transmit().len();
    ex.handle_written(t0, n);
    ex.handle_eof(t0);
    assert!(matches!(
        ex.poll_event(),
        Some(Event::Failure(Error::Truncated { .. }))
    ));
}

#[test]
fn post_on_stale_connection_is_not_retried() {
    let t0 = Instant::now();
    let mut ex = Exchange::new(
        Request::builder("http://a.test/")
            .body("x")
            .build()
            .unwrap(),
        t0,
    );
    let _ = ex.poll_action();
    ex.handle_connected(t0, true);
    let n = ex.transmit().len();
    ex.handle_written(t0, n);
    ex.handle_eof(t0);
    assert!(matches!(ex.poll_event(), Some(Event::Failure(_))));
}

#[test]
fn https_through_proxy_tunnels_then_starts_tls() {
    let proxy = Proxy::new("proxy.test", 3128)
        .unwrap()
        .header("Proxy-Authorization", "Basic eA==")
        .unwrap();
    let req = Request::builder("https://a.test/x")
        .proxy(proxy)
        .build()
        .unwrap();
    let t0 = Instant::now();
    let mut ex = Exchange::new(req, t0);
    match ex.poll_action() {
        Some(Action::Connect(t)) => {
            assert_eq!((t.host.as_str(), t.port), ("proxy.test", 3128));
        }
        other => panic!("{other:?}"),
    }
    ex.handle_connected(t0, false);
    let connect = String::from_utf8(ex.transmit().to_vec()).unwrap();
    assert!(
        connect.starts_with("CONNECT a.test:443 HTTP/1.1\r\n"),
        "{connect}"
    );
    assert!(connect.contains("proxy-authorization: Basic eA=="));
    ex.handle_written(t0, connect.len());
    ex.handle_data(t0, b"HTTP/1.1 200 Connection established\r\n\r\n");
    assert_eq!(
        ex.poll_action(),
        Some(Action::StartTls {
            server_name: "a.test".into()
        })
    );
    ex.handle_tls_ready(t0);
    let req = String::from_utf8(ex.transmit().to_vec()).unwrap();
    assert!(
        req.starts_with("GET /x HTTP/1.1\r\nHost: a.test\r\n"),
        "{req}"
    );
    assert!(
        !req.contains("proxy-authorization"),
        "proxy headers stay with the proxy"
    );
}

#[test]
fn proxy_refusal_names_the_status() {
    let proxy = Proxy::new("proxy.test", 3128).unwrap();
    let req = Request::builder("https://a.test/x")
        .proxy(proxy)
        .build()
        .unwrap();
    let r = run(
        req,
        &[Conn::stalling(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
        )],
        64,
    );
    assert_eq!(
        failure(&r.events).to_string(),
        "proxy proxy.test:3128 (from the proxy setting) refused CONNECT \
         with status 407 Proxy Authentication Required"
    );
}

#[test]
fn transcript_round_trip_replays_the_same_trace() {
    let t0 = Instant::now();
    let req = Request::builder("http://a.test/")
        .chunk_size(3)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let mut ex = Exchange::recording(req, t0);
    let _ = ex.poll_action();
    ex.handle_connected(t0, false);
    let n = ex.transmit().len();
    ex.handle_written(t0 + Duration::from_millis(1), n);
    ex.handle_data(
        t0 + Duration::from_millis(2),
        b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nab",
    );
    ex.handle_data(t0 + Duration::from_millis(3), b"\xff\x00cd");
    ex.handle_timeout(t0 + Duration::from_millis(1003));
    let events: Vec<Event> = std::iter::from_fn(|| ex.poll_event()).collect();
    let text = ex.transcript().unwrap().to_json_lines();
    assert!(text.lines().count() >= 6, "{text}");
    let parsed = Transcript::parse(&text).unwrap();
    assert_eq!(parsed.to_json_lines(), text, "stable format");
    assert_eq!(parsed.replay(Instant::now()), events);
    assert!(matches!(
        events.last(),
        Some(Event::Failure(Error::Timeout { .. }))
    ));
}

#[test]
fn transcript_errors_name_the_line() {
    let e = Transcript::parse("{\"urlrequest_transcript\":1,\"request\":{}}").unwrap_err();
    assert_eq!(e.line, 1);
    let ok_head = Transcript::parse(
        &urlrequest_core::Exchange::recording(get("http://a.test/"), Instant::now())
            .transcript()
            .unwrap()
            .to_json_lines(),
    );
    assert!(ok_head.is_ok());
    let text = format!(
        "{}\n{{\"at_us\":0,\"input\":\"teleport\"}}\n",
        ok_head.unwrap().to_json_lines().trim_end()
    );
    let e = Transcript::parse(&text).unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("teleport"));
}

#[test]
fn streaming_body_reuses_one_buffer() {
    // With the body not collected and Body events dropped at once, the read
    // buffer is taken back whole after each read: its address never changes.
    let t0 = Instant::now();
    let req = Request::builder("http://a.test/")
        .collect_body(false)
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, t0);
    let _ = ex.poll_action();
    ex.handle_connected(t0, false);
    let n = ex.transmit().len();
    ex.handle_written(t0, n);
    let total: usize = 64 * 1024 * 64;
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n");
    ex.handle_data(t0, head.as_bytes());
    let mut addresses = std::collections::HashSet::new();
    let mut sent = 0;
    while sent < total {
        let buf = ex.read_buf();
        addresses.insert(buf.as_ptr() as usize & !0xffff);
        let n = buf.len().min(total - sent);
        buf[..n].fill(b'z');
        sent += n;
        ex.handle_read(t0, n);
        while let Some(e) = ex.poll_event() {
            drop(e);
        }
    }
    assert!(ex.is_finished() || matches!(ex.poll_action(), Some(Action::Release(_))));
    assert!(
        addresses.len() <= 2,
        "buffer reallocated {} times",
        addresses.len()
    );
}

#[test]
fn body_limit_delivers_bytes_up_to_the_limit_whatever_the_read_size() {
    let req = || {
        Request::builder("http://a.test/")
            .chunk_size(2)
            .limits(Limits {
                max_body_bytes: Some(4),
                ..Limits::default()
            })
            .build()
            .unwrap()
    };
    let response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n0\r\n\r\n";
    let whole = run(req(), &[Conn::closing(response)], 1000);
    let bytewise = run(req(), &[Conn::closing(response)], 1);
    assert_eq!(
        whole.trace,
        vec![
            "progress 0/?",
            "body 2 \"ab\"",
            "progress 2/?",
            "body 2 \"cd\"",
            "progress 4/?",
            "failure body-too-large: response body is larger than the limit of 4 bytes",
        ]
    );
    assert_eq!(bytewise.trace, whole.trace);
}

#[test]
fn long_redirect_bodies_are_not_drained() {
    let mut big =
        b"HTTP/1.1 302 Found\r\nLocation: /b\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..100 {
        big.extend_from_slice(b"400\r\n");
        big.extend(std::iter::repeat_n(b'x', 0x400));
        big.extend_from_slice(b"\r\n");
    }
    let conns = [
        Conn::stalling(&big),
        Conn::closing(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ];
    let r = run(get("http://a.test/a"), &conns, 4096);
    assert!(
        r.trace.last().unwrap().starts_with("done 200"),
        "{:?}",
        r.trace
    );
    assert_eq!(r.actions[1], Action::Close, "{:?}", r.actions);
    let huge = b"HTTP/1.1 301 Moved\r\nLocation: /b\r\nContent-Length: 999999999\r\n\r\n";
    let r = run(
        get("http://a.test/a"),
        &[Conn::stalling(huge), conns[1].clone()],
        64,
    );
    assert!(
        r.trace.last().unwrap().starts_with("done 200"),
        "{:?}",
        r.trace
    );
    assert_eq!(r.actions[1], Action::Close);
}

/// Drives `req` against a server that sends the first `fast` bytes of
/// `reply` at once and the rest one byte per second.
fn trickle(req: Request, reply: &[u8], fast: usize) -> (Vec<Event>, Duration) {
    let t0 = Instant::now();
    let mut now = t0;
    let mut ex = Exchange::new(req, now);
    let mut sent = 0;
    let mut events = Vec::new();
    while !ex.is_finished() {
        events.extend(std::iter::from_fn(|| ex.poll_event()));
        match ex.poll_action() {
            Some(Action::Connect(_)) => ex.handle_connected(now, false),
            Some(Action::Write) => {
                let n = ex.transmit().len();
                ex.handle_written(now, n)
            }
            Some(Action::Read) => {
                let next_byte = now + Duration::from_secs(1);
                match ex.poll_timeout() {
                    Some(d) if d <= next_byte => {
                        now = d;
                        ex.handle_timeout(now);
                    }
                    _ if sent < fast => {
                        ex.handle_data(now, &reply[..fast]);
                        sent = fast;
                    }
                    _ if sent < reply.len() => {
                        now = next_byte;
                        ex.handle_data(now, &reply[sent..sent + 1]);
                        sent += 1;
                    }
                    _ => panic!("server ran dry"),
                }
            }
            _ => {}
        }
    }
    events.extend(std::iter::from_fn(|| ex.poll_event()));
    (events, now - t0)
}

#[test]
fn slowloris_head_fails_at_the_timeout() {
    let req = Request::builder("http://a.test/")
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let (events, elapsed) = trickle(
        req,
        b"HTTP/1.1 200 OK\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
        0,
    );
    assert_eq!(
        failure(&events).to_string(),
        "timed out after 5s while waiting for the response head"
    );
    assert_eq!(elapsed, Duration::from_secs(5));
}

#[test]
fn slowloris_body_fails_at_the_total_timeout() {
    let req = Request::builder("http://a.test/")
        .timeout(Duration::from_secs(5))
        .total_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut reply = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec();
    reply.extend(std::iter::repeat_n(b'z', 1000));
    let fast = reply.len() - 1000;
    let (events, elapsed) = trickle(req, &reply, fast);
    let e = failure(&events);
    assert!(
        matches!(e, Error::Timeout { after, .. } if *after == Duration::from_secs(60)),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("timed out after 60s while reading the response body"),
        "{e}"
    );
    assert_eq!(elapsed, Duration::from_secs(60));
}

/// Whatever way a redirect's response ended (a length, chunked, the server
/// closing, no body at all, a body too long to drain), the next hop starts
/// afresh: its body is read and delivered exactly as the same response alone
/// would be, read buffer offers included (a flag left over from draining the
/// redirect once made every later read take the slow, unaligned path).
#[test]
fn a_redirect_after_each_receive_path_leaves_nothing_to_the_next_hop() {
    let body: Vec<u8> = (0..40_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let mut final_reply = b"HTTP/1.1 200 OK\r\nContent-Length: 40000\r\n\r\n".to_vec();
    final_reply.extend_from_slice(&body);
    let long = format!(
        "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 70000\r\n\r\n{}",
        "x".repeat(70_000)
    );
    let redirects: [(&str, Vec<u8>, bool); 6] = [
        (
            "content-length",
            b"HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 3\r\n\r\nabc".to_vec(),
            false,
        ),
        (
            "chunked",
            b"HTTP/1.1 302 Found\r\nLocation: /next\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec(),
            false,
        ),
        (
            "until-close",
            b"HTTP/1.1 302 Found\r\nLocation: /next\r\n\r\nsome body".to_vec(),
            true,
        ),
        (
            "no body",
            b"HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n".to_vec(),
            false,
        ),
        (
            "cut short by the server closing",
            b"HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 10\r\n\r\nabc".to_vec(),
            true,
        ),
        ("too long to drain", long.into_bytes(), true),
    ];
    let request = |url: &str| Request::builder(url).chunk_size(1000).build().unwrap();
    let alone = run(
        request("http://a.test/next"),
        &[Conn::closing(&final_reply)],
        4096,
    );
    for (path, reply, close) in redirects {
        let first = Conn { reply, close };
        let r = run(
            request("http://a.test/start"),
            &[first, Conn::closing(&final_reply)],
            4096,
        );
        assert_eq!(
            r.trace[0], "redirect 302 GET http://a.test/start -> http://a.test/next",
            "{path}"
        );
        assert_eq!(
            &r.trace[1..],
            &alone.trace[..],
            "{path}: events of the next hop"
        );
        // The first offer may be larger: the read buffer keeps the capacity
        // it grew to in the previous hop.
        assert_eq!(
            r.offers.last().map(|o| &o[1..]),
            alone.offers.last().map(|o| &o[1..]),
            "{path}: read buffers offered in the next hop"
        );
    }
}

/// A write that takes no bytes is a transport error at once: a driver that
/// passes it on cannot spin until the deadline (or forever without one).
#[test]
fn writing_zero_bytes_is_a_transport_error() {
    let now = Instant::now();
    let mut ex = Exchange::new(get("http://a.test/"), now);
    assert!(matches!(ex.poll_action(), Some(Action::Connect(_))));
    ex.handle_connected(now, false);
    assert_eq!(ex.poll_action(), Some(Action::Write));
    assert!(!ex.transmit().is_empty());
    ex.handle_written(now, 0);
    assert_eq!(ex.poll_action(), Some(Action::Close));
    assert!(ex.is_finished());
    let events: Vec<Event> = std::iter::from_fn(|| ex.poll_event()).collect();
    assert_eq!(
        failure(&events).to_string(),
        "connection failed: write: the connection accepted no bytes"
    );
}

/// A stale pooled connection that takes no bytes is retried like one that
/// closed: the zero-byte write goes through the same transport-error rule.
#[test]
fn writing_zero_bytes_on_a_pooled_connection_retries_on_a_fresh_one() {
    let now = Instant::now();
    let mut ex = Exchange::new(get("http://a.test/"), now);
    assert!(matches!(ex.poll_action(), Some(Action::Connect(t)) if t.reuse));
    ex.handle_connected(now, true);
    assert_eq!(ex.poll_action(), Some(Action::Write));
    ex.handle_written(now, 0);
    assert_eq!(ex.poll_action(), Some(Action::Close));
    assert!(matches!(ex.poll_action(), Some(Action::Connect(t)) if !t.reuse));
}

/// Reporting more bytes than `read_buf` lent is the driver's error: the
/// request fails saying so, and nothing of the unwritten buffer is taken.
#[test]
fn reporting_more_bytes_than_the_read_buffer_lent_fails_the_request() {
    let now = Instant::now();
    let mut ex = Exchange::new(get("http://a.test/"), now);
    ex.poll_action();
    ex.handle_connected(now, false);
    assert_eq!(ex.poll_action(), Some(Action::Write));
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    assert_eq!(ex.poll_action(), Some(Action::Read));
    let lent = ex.read_buf().len();
    ex.handle_read(now, lent + 1);
    let events: Vec<Event> = std::iter::from_fn(|| ex.poll_event()).collect();
    assert_eq!(
        failure(&events).to_string(),
        format!(
            "connection failed: read: the driver reported {} bytes read into a buffer of {lent}",
            lent + 1
        )
    );
    // A second report for the same region is refused the same way.
    let mut ex = Exchange::new(get("http://a.test/"), now);
    ex.poll_action();
    ex.handle_connected(now, false);
    ex.poll_action();
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    ex.poll_action();
    ex.read_buf()[..8].copy_from_slice(b"HTTP/1.1");
    ex.handle_read(now, 8);
    ex.handle_read(now, 1);
    let events: Vec<Event> = std::iter::from_fn(|| ex.poll_event()).collect();
    assert!(
        failure(&events)
            .to_string()
            .ends_with("the driver reported 1 bytes read into a buffer of 0"),
        "{events:?}"
    );
}

/// Cancelled before its driver first polled it, an exchange asks for no
/// connection: it is finished, with its one `Failure(Cancelled)`.
#[test]
fn cancelled_before_the_first_poll_asks_for_no_connection() {
    let mut ex = Exchange::new(get("http://a.test/"), Instant::now());
    ex.cancel();
    assert_eq!(ex.poll_action(), None);
    assert!(ex.is_finished());
    let events: Vec<Event> = std::iter::from_fn(|| ex.poll_event()).collect();
    assert!(matches!(failure(&events), Error::Cancelled), "{events:?}");
}

/// For an https URL the core asks for TLS itself, right after connecting,
/// and offers no byte to write until the driver reports the handshake
/// done: a driver that skips TLS (here: ignores `StartTls`) cannot send the
/// request in clear; the request fails at its timeout having written
/// nothing.
#[test]
fn https_asks_for_tls_and_writes_nothing_before_the_handshake() {
    let t0 = Instant::now();
    let req = Request::builder("https://a.test/secret")
        .header("Authorization", "Bearer not-for-the-wire")
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, t0);
    assert!(matches!(ex.poll_action(), Some(Action::Connect(_))));
    ex.handle_connected(t0, false);
    assert_eq!(
        ex.poll_action(),
        Some(Action::StartTls {
            server_name: "a.test".into()
        })
    );
    // The skipping driver goes on as if TLS were up.
    let mut written = 0;
    let mut now = t0;
    while !ex.is_finished() {
        written += ex.transmit().len();
        match ex.poll_action() {
            Some(Action::Write) => {
                let n = ex.transmit().len();
                written += n;
                ex.handle_written(now, n);
            }
            Some(_) => {}
            None => {
                now = ex.poll_timeout().expect("a deadline while handshaking");
                ex.handle_timeout(now);
            }
        }
    }
    assert_eq!(written, 0, "no request byte before the handshake");
    let events: Vec<Event> = std::iter::from_fn(|| ex.poll_event()).collect();
    assert_eq!(
        failure(&events).to_string(),
        "timed out after 2s while performing the TLS handshake"
    );
}

/// A driver that cannot do TLS answers `StartTls` with a TLS error: the
/// request fails with it, nothing written.
#[test]
fn a_driver_without_tls_fails_an_https_request_cleanly() {
    let t0 = Instant::now();
    let mut ex = Exchange::new(get("https://a.test/"), t0);
    ex.poll_action();
    ex.handle_connected(t0, false);
    assert!(matches!(ex.poll_action(), Some(Action::StartTls { .. })));
    assert!(ex.transmit().is_empty());
    ex.handle_transport_error(
        t0,
        urlrequest_core::TransportError::Tls("this driver speaks plain http only".into()),
    );
    let events: Vec<Event> = std::iter::from_fn(|| ex.poll_event()).collect();
    assert_eq!(
        failure(&events).to_string(),
        "TLS failed: this driver speaks plain http only"
    );
}

/// A pooled https connection already runs TLS: the request goes out at once.
#[test]
fn a_reused_https_connection_is_written_at_once() {
    let t0 = Instant::now();
    let mut ex = Exchange::new(get("https://a.test/"), t0);
    assert!(matches!(ex.poll_action(), Some(Action::Connect(t)) if t.reuse));
    ex.handle_connected(t0, true);
    assert_eq!(ex.poll_action(), Some(Action::Write));
    assert!(ex.transmit().starts_with(b"GET / HTTP/1.1\r\n"));
}

fn done(events: &[Event]) -> &urlrequest_core::Response {
    match terminal(events) {
        Event::Done(r) => r,
        other => panic!("expected Done, got {other:?}"),
    }
}

/// The response to a GET answered with `content_type` (if any) and `body`.
fn answered(content_type: Option<&str>, body: &[u8], collect: bool) -> urlrequest_core::Response {
    let mut wire = b"HTTP/1.1 200 OK\r\n".to_vec();
    if let Some(t) = content_type {
        wire.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
    }
    wire.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    wire.extend_from_slice(body);
    let req = Request::builder("http://a.test/")
        .collect_body(collect)
        .build()
        .unwrap();
    done(&run(req, &[Conn::closing(&wire)], 64).events).clone()
}

#[test]
fn text_decodes_by_the_declared_charset() {
    use urlrequest_core::BodyError;
    let utf8 = "naïve ☕".as_bytes();
    assert_eq!(answered(None, utf8, true).text().unwrap(), "naïve ☕");
    assert_eq!(
        answered(Some("text/plain; charset=UTF-8"), utf8, true)
            .text()
            .unwrap(),
        "naïve ☕"
    );
    // A byte order mark is dropped.
    assert_eq!(
        answered(None, b"\xef\xbb\xbfhi", true).text().unwrap(),
        "hi"
    );
    // Latin-1, quoted and in any case; US-ASCII read the same way.
    for t in [
        "text/html; charset=iso-8859-1",
        "text/html;charset=\"ISO-8859-1\"",
        "text/plain; format=flowed; charset=latin1",
        "text/plain; charset=us-ascii",
    ] {
        assert_eq!(
            answered(Some(t), b"na\xefve", true).text().unwrap(),
            "naïve",
            "{t}"
        );
    }
    // Strict UTF-8: the offset of the first bad byte.
    let e = answered(Some("text/plain"), b"abc\xffdef", true)
        .text()
        .unwrap_err();
    assert_eq!(e, BodyError::InvalidUtf8 { offset: 3, len: 7 });
    assert!(e.to_string().contains("offset 3 of 7"), "{e}");
    let e = answered(Some("text/plain; charset=Shift_JIS"), b"x", true)
        .text()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "body's charset \"Shift_JIS\" is not supported: text() decodes UTF-8, \
         ISO-8859-1 and US-ASCII; decode bytes() yourself"
    );
    // Not collected: says so, whatever the body was.
    let e = answered(None, b"hello", false).text().unwrap_err();
    assert_eq!(e, BodyError::NotCollected);
    assert!(e.to_string().contains("collect_body(true)"), "{e}");
}

#[test]
fn json_deserialises_into_any_type() {
    use std::collections::BTreeMap;
    use urlrequest_core::BodyError;
    let body = br#"{"a": 1, "b": 2}"#;
    let r = answered(Some("application/json"), body, true);
    let map: BTreeMap<String, u32> = r.json().unwrap();
    assert_eq!(map, BTreeMap::from([("a".into(), 1), ("b".into(), 2)]));
    // The decoded value is still there, and a typed read agrees with it.
    assert_eq!(r.json_value().unwrap()["b"], 2);
    let value: serde_json::Value = r.json().unwrap();
    assert_eq!(Some(&value), r.json_value());
    // Whatever the Content-Type says (no decoding happened here).
    let r = answered(Some("text/plain"), b"[1,2,3]", true);
    assert_eq!(r.json_value(), None);
    assert_eq!(r.json::<Vec<u8>>().unwrap(), [1, 2, 3]);
    // The wrong shape: names the type and what was found.
    let e = r.json::<BTreeMap<String, u32>>().unwrap_err();
    match &e {
        BodyError::Json { type_name, message } => {
            assert!(type_name.contains("BTreeMap"), "{type_name}");
            assert!(message.contains("invalid type: sequence"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string().starts_with("body is not valid JSON for "),
        "{e}"
    );
    // Not JSON at all; not collected.
    let e = answered(None, b"<html>", true).json::<u8>().unwrap_err();
    assert!(e.to_string().contains("expected value"), "{e}");
    let e = answered(Some("application/json"), body, false)
        .json::<serde_json::Value>()
        .unwrap_err();
    assert_eq!(e, BodyError::NotCollected);
}

#[test]
fn a_json_request_body_goes_out_with_its_type() {
    let req = Request::builder("http://a.test/api")
        .user_agent("test")
        .json(&serde_json::json!({"q": "x"}))
        .build()
        .unwrap();
    let r = run(
        req,
        &[Conn::closing(b"HTTP/1.1 204 No Content\r\n\r\n")],
        64,
    );
    let written = String::from_utf8(r.written[0].clone()).unwrap();
    assert!(written.starts_with("POST /api HTTP/1.1\r\n"), "{written}");
    assert!(
        written.contains("content-type: application/json\r\n"),
        "{written}"
    );
    assert!(written.ends_with("\r\n\r\n{\"q\":\"x\"}"), "{written}");
}
