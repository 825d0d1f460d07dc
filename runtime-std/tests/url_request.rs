//! The Kivy-style `UrlRequest` against in-process servers: routing,
//! dispatch threads, wait, cancel, properties and the request parameters.

mod support;

use std::net::TcpListener;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use support::{respond, serve, Server};
use urlrequest_std::{Agent, Dispatch, ResultValue, UrlRequest};

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// A builder whose every callback appends to `log`.
fn logged(url: String, log: &Log) -> urlrequest_std::UrlRequestBuilder {
    let (a, b, c, d, e, f) = (
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
    );
    UrlRequest::builder(url)
        .on_success(move |_, r| a.lock().unwrap().push(format!("success {}", describe(r))))
        .on_redirect(move |_, r| b.lock().unwrap().push(format!("redirect {}", describe(r))))
        .on_failure(move |_, r| c.lock().unwrap().push(format!("failure {}", describe(r))))
        .on_error(move |_, e| d.lock().unwrap().push(format!("error {}", e.kind_name())))
        .on_cancel(move |_| e.lock().unwrap().push("cancel".into()))
        .on_finish(move |_| f.lock().unwrap().push("finish".into()))
}

fn describe(r: &ResultValue) -> String {
    match r {
        ResultValue::Bytes(b) => format!("bytes {:?}", String::from_utf8_lossy(b)),
        ResultValue::Json(v) => format!("json {v}"),
        ResultValue::File(p) => format!("file {}", p.display()),
    }
}

fn routes() -> Server {
    serve(|req, w| {
        match req.target.split('?').next().unwrap_or_default() {
            "/ok" => respond(w, "200 OK", &[], b"fine")?,
            "/json" => respond(
                w,
                "200 OK",
                &[("Content-Type", "application/json")],
                br#"{"a":1}"#,
            )?,
            "/missing" => respond(
                w,
                "404 Not Found",
                &[("Content-Type", "application/problem+json")],
                br#"{"e":"no"}"#,
            )?,
            "/boom" => respond(w, "500 Internal Server Error", &[], b"oops")?,
            "/moved" => respond(
                w,
                "301 Moved Permanently",
                &[("Location", "/ok")],
                b"see /ok",
            )?,
            "/echo" => {
                let mut text = format!("{} {}\n", req.method, req.target);
                for (n, v) in &req.headers {
                    text.push_str(&format!("{n}: {v}\n"));
                }
                text.push_str(&String::from_utf8_lossy(&req.body));
                respond(w, "200 OK", &[], text.as_bytes())?
            }
            _ => respond(w, "404 Not Found", &[], b"")?,
        }
        Ok(true)
    })
}

#[test]
fn callbacks_run_on_the_waiting_thread_in_order() {
    let server = routes();
    let log = log();
    let threads = Arc::new(Mutex::new(Vec::new()));
    let (t1, t2, l) = (threads.clone(), threads.clone(), log.clone());
    let req = logged(server.url("/ok"), &log)
        .on_progress(move |_, cur, total| {
            t1.lock().unwrap().push(thread::current().id());
            l.lock().unwrap().push(format!("progress {cur}/{total:?}"));
        })
        .on_finish(move |_| t2.lock().unwrap().push(thread::current().id()))
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    // Every update, in order, whatever the thread's pace: the head's 0,
    // the one chunk, and the last one again before the outcome.
    assert_eq!(
        entries(&log),
        [
            "progress 0/Some(4)",
            "progress 4/Some(4)",
            "progress 4/Some(4)",
            "success bytes \"fine\"",
        ]
    );
    let me = thread::current().id();
    let ran_on = threads.lock().unwrap().clone();
    assert!(!ran_on.is_empty());
    assert!(
        ran_on.iter().all(|t| *t == me),
        "callbacks ran on another thread"
    );
    assert!(req.is_finished());
    assert_eq!(req.resp_status().unwrap(), 200);
    assert_eq!(req.result(), Some(ResultValue::Bytes("fine".into())));
}

#[test]
fn routing_by_status_and_on_finish_once() {
    let server = routes();
    for (path, expected) in [
        ("/ok", "success bytes \"fine\""),
        ("/json", "success json {\"a\":1}"),
        ("/missing", "failure json {\"e\":\"no\"}"),
        ("/boom", "failure bytes \"oops\""),
    ] {
        let log = log();
        let req = logged(server.url(path), &log).build().unwrap();
        assert!(req.wait(Duration::from_secs(10)));
        assert_eq!(
            entries(&log),
            vec![expected.to_string(), "finish".to_string()],
            "{path}"
        );
    }
}

#[test]
fn redirects_are_followed_or_reported_with_zero_limit() {
    let server = routes();
    let log = log();
    let req = logged(server.url("/moved"), &log).build().unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(entries(&log)[0], "success bytes \"fine\"");
    assert_eq!(req.url().path(), "/ok", "url is the final URL");

    let log2 = self::log();
    let req = logged(server.url("/moved"), &log2)
        .max_redirects(0)
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(entries(&log2), vec!["redirect bytes \"see /ok\"", "finish"]);
    assert_eq!(req.resp_status().unwrap(), 301);
    assert_eq!(req.resp_headers().unwrap()["location"], "/ok");
}

#[test]
fn wait_returns_after_a_refused_connection() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = log();
    let req = logged(format!("http://127.0.0.1:{port}/"), &log)
        .build()
        .unwrap();
    assert!(req.wait(None), "wait must return on errors");
    assert_eq!(entries(&log), vec!["error connect", "finish"]);
    assert!(req.is_finished());
    assert!(req.resp_status().is_none());
    assert_eq!(req.error().unwrap().kind_name(), "connect");
}

#[test]
fn callbacks_are_kept_when_the_request_finishes_before_anyone_waits() {
    let server = routes();
    let log = log();
    let req = logged(server.url("/ok"), &log).build().unwrap();
    while !req.has_outcome() {
        thread::yield_now();
    }
    assert!(
        entries(&log).is_empty(),
        "nothing runs until someone dispatches"
    );
    assert!(req.has_pending());
    assert!(
        !req.is_finished() && req.result().is_none() && req.resp_status().is_none(),
        "the properties change when their callbacks are dispatched"
    );
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(entries(&log), vec!["success bytes \"fine\"", "finish"]);
    assert!(!req.has_pending());
}

#[test]
fn worker_dispatch_runs_callbacks_on_the_worker() {
    let server = routes();
    let ran_on = Arc::new(Mutex::new(None));
    let r = ran_on.clone();
    let req = UrlRequest::builder(server.url("/ok"))
        .dispatch(Dispatch::Worker)
        .on_finish(move |_| *r.lock().unwrap() = Some(thread::current().id()))
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    let t = ran_on
        .lock()
        .unwrap()
        .expect("on_finish ran before wait returned");
    assert_ne!(t, thread::current().id());
}

#[test]
fn gui_loop_dispatch_pending_never_blocks() {
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let server = serve(move |_, w| {
        // The response waits for the test's go-ahead: the loop below must
        // keep turning meanwhile.
        rx.lock().unwrap().recv().unwrap();
        respond(w, "200 OK", &[], b"late")?;
        Ok(true)
    });
    let log = log();
    let req = logged(server.url("/"), &log).build().unwrap();
    let mut frames = 0u64;
    loop {
        req.dispatch_pending();
        frames += 1;
        if frames == 1000 {
            assert!(entries(&log).is_empty());
            tx.send(()).unwrap();
        }
        if req.is_finished() && !req.has_pending() {
            break;
        }
        thread::yield_now();
    }
    assert!(frames >= 1000);
    assert_eq!(entries(&log), vec!["success bytes \"late\"", "finish"]);
}

#[test]
fn headers_are_set_as_soon_as_the_head_arrives() {
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let server = serve(move |_, w| {
        w.write_all(b"HTTP/1.1 200 OK\r\nX-Early: yes\r\nContent-Length: 4\r\n\r\nab")?;
        w.flush()?;
        rx.lock().unwrap().recv().unwrap();
        w.write_all(b"cd")?;
        Ok(true)
    });
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    let req = UrlRequest::builder(server.url("/"))
        .chunk_size(2)
        .on_progress(move |req, cur, _| {
            if cur < 4 {
                *s.lock().unwrap() = Some((
                    req.is_finished(),
                    req.resp_status(),
                    req.resp_headers().map(|h| h["x-early"].clone()),
                ));
            }
        })
        .build()
        .unwrap();
    while !req.has_pending() {
        thread::yield_now();
    }
    req.dispatch_pending();
    let (finished, status, early) = seen.lock().unwrap().clone().expect("progress 0 dispatched");
    assert!(!finished);
    assert_eq!(status.unwrap(), 200);
    assert_eq!(early.unwrap(), "yes");
    tx.send(()).unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(req.result().unwrap().as_bytes().unwrap().as_ref(), b"abcd");
}

#[test]
fn parameters_reach_the_server() {
    let server = routes();
    let req = UrlRequest::builder(format!("http://u:p@{}/echo?q=1#frag", server.addr))
        .method("PROPFIND")
        .req_body("payload")
        .req_headers([("X-One", "1"), ("Cookie", "from=headers")])
        .cookies("ignored=because-headers-have-one")
        .user_agent("tester/1")
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    let text = String::from_utf8(req.result().unwrap().as_bytes().unwrap().to_vec()).unwrap();
    assert!(text.starts_with("PROPFIND /echo?q=1\n"), "{text}");
    assert!(text.contains("authorization: Basic dTpw\n"), "{text}");
    assert!(text.contains("x-one: 1\n"));
    assert!(text.contains("cookie: from=headers\n"));
    assert!(!text.contains("ignored"));
    assert!(text.contains("user-agent: tester/1\n"));
    assert!(text.contains("content-length: 7\n"));
    assert!(text.ends_with("payload"));
}

#[test]
fn auth_and_cookies_parameters() {
    let server = routes();
    let req = UrlRequest::builder(server.url("/echo"))
        .auth("Aladdin", "open sesame")
        .header("Authorization", "Bearer replaced")
        .cookies("a=1; b=2")
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    let text = String::from_utf8(req.result().unwrap().as_bytes().unwrap().to_vec()).unwrap();
    assert!(text.starts_with("GET /echo\n"), "{text}");
    assert!(
        text.contains("authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\n"),
        "{text}"
    );
    assert!(!text.contains("Bearer"));
    assert!(text.contains("cookie: a=1; b=2\n"));
}

#[test]
fn result_type_does_not_depend_on_progress_or_text() {
    let server = routes();
    for with_progress in [false, true] {
        let mut b = UrlRequest::builder(server.url("/ok"));
        if with_progress {
            b = b.on_progress(|_, _, _| {});
        }
        let req = b.build().unwrap();
        assert!(req.wait(Duration::from_secs(10)));
        assert!(
            matches!(req.result(), Some(ResultValue::Bytes(_))),
            "ASCII stays bytes"
        );
        let req = UrlRequest::builder(server.url("/json"))
            .decode(false)
            .build()
            .unwrap();
        assert!(req.wait(Duration::from_secs(10)));
        assert_eq!(
            req.result().unwrap().as_bytes().unwrap().as_ref(),
            br#"{"a":1}"#
        );
    }
}

#[test]
fn timeout_goes_to_on_error() {
    let server = serve(|_, _| {
        thread::park_timeout(Duration::from_secs(30));
        Ok(false)
    });
    let log = log();
    let req = logged(server.url("/"), &log)
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(entries(&log), vec!["error timeout", "finish"]);
}

#[test]
fn autostart_off_waits_for_start_and_cancel_before_start_finishes() {
    let server = routes();
    let log = log();
    let req = logged(server.url("/ok"), &log)
        .autostart(false)
        .build()
        .unwrap();
    assert!(
        !req.wait(Duration::from_millis(10)),
        "not started: wait says so at once"
    );
    assert_eq!(server.accepted(), 0);
    req.start();
    req.start(); // no second worker
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(entries(&log), vec!["success bytes \"fine\"", "finish"]);
    assert_eq!(server.requests.lock().unwrap().len(), 1);

    let log2 = self::log();
    let req = logged(server.url("/ok"), &log2)
        .autostart(false)
        .build()
        .unwrap();
    req.cancel();
    req.start(); // too late: it was cancelled
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(entries(&log2), vec!["cancel", "finish"]);
    assert!(req.error().unwrap().is_cancelled());
}

#[test]
fn requests_share_the_agent_pool() {
    let server = routes();
    let agent = Agent::new();
    for _ in 0..3 {
        let req = UrlRequest::builder(server.url("/ok"))
            .client(&agent)
            .build()
            .unwrap();
        assert!(req.wait(Duration::from_secs(10)));
    }
    assert_eq!(server.accepted(), 1);
}

#[test]
fn invalid_input_is_an_error_not_a_panic() {
    assert!(UrlRequest::builder("bugs.python.org").build().is_err());
    assert!(UrlRequest::builder("http://x/")
        .header("Bad Name", "v")
        .build()
        .is_err());
    assert!(UrlRequest::builder("http://x/")
        .chunk_size(0)
        .build()
        .is_err());
    assert!(UrlRequest::builder("http://x/")
        .method("GE T")
        .build()
        .is_err());
    assert!(UrlRequest::builder("http://x/")
        .proxy_host("")
        .build()
        .is_err());
}

/// The builder's `total_timeout` guards a Kivy-style download against a
/// server that trickles its body: the request fails at the limit, with
/// `on_error`, however steadily the bytes come.
#[test]
fn total_timeout_stops_a_trickling_body() {
    let server = serve(|_, w| {
        w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")?;
        for _ in 0..1000 {
            w.write_all(b"z")?;
            w.flush()?;
            thread::sleep(Duration::from_millis(20));
        }
        Ok(false)
    });
    let log = log();
    let req = logged(server.url("/slow"), &log)
        .timeout(Duration::from_secs(5))
        .total_timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(entries(&log), vec!["error timeout", "finish"]);
    let e = req.error().unwrap().to_string();
    assert!(
        e.starts_with("timed out after 400ms while reading the response body"),
        "{e}"
    );
}
