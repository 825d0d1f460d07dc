//! httpbin under gunicorn: redirects of every kind, status codes, JSON,
//! chunked streams, slow bodies, delays against timeouts, basic auth and
//! request echoes, through urlrequest-std, urlrequest-smol and ureq.
//!
//! One gunicorn serves every test of this file that runs at the same time
//! (it takes a couple of seconds to start); it stops when the last one
//! finishes.

mod interop_support;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use interop_support::{same, Call, Clients, NAMES, OURS};
use urlrequest_conformance::servers::{Httpbin, Shared};
use urlrequest_core::Request;
use urlrequest_std::UrlRequest;

static HTTPBIN: Shared<Httpbin> = Shared::new();

fn httpbin() -> Arc<Httpbin> {
    HTTPBIN
        .get(Httpbin::start)
        .unwrap_or_else(|e| panic!("cannot start httpbin: {e}"))
}

#[test]
fn redirect_chains_of_each_kind_end_at_get() {
    let hb = httpbin();
    let clients = Clients::new();
    for (path, hops) in [
        ("/redirect/3", 3),
        ("/relative-redirect/2", 2),
        ("/absolute-redirect/2", 2),
        ("/redirect-to?url=/get&status_code=301", 1),
        ("/redirect-to?url=/get&status_code=308", 1),
    ] {
        let outcomes = clients.each(&Call::get(hb.url(path)));
        assert_eq!(same(&outcomes, |g| g.status), 200, "{path}");
        assert_eq!(same(&outcomes, |g| g.url.clone()), hb.url("/get"), "{path}");
        assert_eq!(same(&outcomes, |g| g.json()["url"].clone()), hb.url("/get"));
        for o in &outcomes[..OURS] {
            assert_eq!(o.got().redirects, Some(hops), "{path} through {}", o.client);
        }
    }
}

#[test]
fn redirect_limit_fails_and_zero_returns_the_3xx() {
    let hb = httpbin();
    let clients = Clients::new();
    let over = clients.each(&Call::get(hb.url("/redirect/5")).max_redirects(2));
    for o in &over {
        assert_eq!(o.failed().kind, "too-many-redirects", "{}", o.client);
    }
    let enough = clients.each(&Call::get(hb.url("/redirect/2")).max_redirects(2));
    assert_eq!(same(&enough, |g| g.status), 200);

    let none = clients.each(&Call::get(hb.url("/redirect/1")).max_redirects(0));
    assert_eq!(same(&none, |g| g.status), 302);
    assert_eq!(
        same(&none, |g| g.header("location").map(str::to_string)),
        Some("/get".to_string())
    );
}

#[test]
fn post_redirected_by_302_and_303_becomes_get() {
    let hb = httpbin();
    let clients = Clients::new();
    for status in [302, 303] {
        let call = Call::new(
            "POST",
            hb.url(&format!("/redirect-to?url=/get&status_code={status}")),
        )
        .body("payload");
        let outcomes = clients.each(&call);
        assert_eq!(same(&outcomes, |g| g.status), 200, "{status}");
        assert_eq!(same(&outcomes, |g| g.url.clone()), hb.url("/get"));
    }
}

#[test]
fn post_redirected_by_307_is_replayed_with_its_body() {
    let hb = httpbin();
    let clients = Clients::new();
    let call = Call::new("POST", hb.url("/redirect-to?url=/post&status_code=307"))
        .header("Content-Type", "text/plain")
        .body("replay me");
    let outcomes = clients.each(&call);
    for o in &outcomes[..OURS] {
        let got = o.got();
        assert_eq!(got.status, 200, "{}", o.client);
        assert_eq!(got.url, hb.url("/post"));
        assert_eq!(got.json()["data"], "replay me", "{}", o.client);
        assert_eq!(got.redirects, Some(1));
    }
    // ureq 3 does not replay a request body on a redirect and fails the
    // call instead; RFC 9110 15.4.8 asks for the same method and body,
    // which is what the runtimes do.
    assert_eq!(outcomes[OURS].client, "ureq");
    match &outcomes[OURS].result {
        Err(failed) => assert_eq!(failed.kind, "redirect-failed", "{failed}"),
        Ok(got) => panic!("ureq followed or returned the 307: {}", got.status),
    }
}

#[test]
fn status_codes_arrive_as_sent() {
    let hb = httpbin();
    let clients = Clients::new();
    for code in [
        200u16, 201, 202, 204, 400, 401, 403, 404, 418, 429, 500, 502, 503,
    ] {
        let outcomes = clients.each(&Call::get(hb.url(&format!("/status/{code}"))));
        assert_eq!(same(&outcomes, |g| g.status), code);
        let body = same(&outcomes, |g| g.body.clone());
        if code == 204 {
            assert!(body.is_empty());
        }
        if code == 418 {
            assert!(String::from_utf8_lossy(&body).contains("teapot"));
        }
    }
}

#[test]
fn json_is_the_same_value_raw_and_decoded() {
    let hb = httpbin();
    let clients = Clients::new();
    let outcomes = clients.each(&Call::get(hb.url("/json")));
    let raw = same(&outcomes, |g| g.body.clone());
    let want: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert!(want["slideshow"].is_object(), "{want}");
    assert_eq!(
        same(&outcomes, |g| g.header("content-type").map(str::to_string)).as_deref(),
        Some("application/json")
    );

    // Decoding on (the default): the response carries the parsed value.
    let std = clients
        .std
        .send(Request::get(hb.url("/json")).unwrap())
        .unwrap();
    assert_eq!(std.json_value(), Some(&want));
    let smol = smol::block_on(clients.smol.send(Request::get(hb.url("/json")).unwrap())).unwrap();
    assert_eq!(smol.json_value(), Some(&want));
    let tokio = clients
        .tokio
        .runtime
        .block_on(
            clients
                .tokio
                .client
                .send(Request::get(hb.url("/json")).unwrap()),
        )
        .unwrap();
    assert_eq!(tokio.json_value(), Some(&want));
    let req = UrlRequest::builder(hb.url("/json")).build().unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(req.result().unwrap().as_json(), Some(&want));
}

#[test]
fn chunked_streams_arrive_whole() {
    let hb = httpbin();
    let clients = Clients::new();
    let outcomes = clients.each(&Call::get(hb.url("/stream/20")));
    assert_eq!(same(&outcomes, |g| g.status), 200);
    let ids = same(&outcomes, |g| {
        g.text()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(
        ids,
        (0..20).map(serde_json::Value::from).collect::<Vec<_>>()
    );
    for o in &outcomes[..OURS] {
        assert_eq!(o.got().header("transfer-encoding"), Some("chunked"));
    }

    // Seeded random bytes in 1000-byte chunks: identical bodies.
    let bytes = clients.each(&Call::get(
        hb.url("/stream-bytes/50000?seed=7&chunk_size=1000"),
    ));
    assert_eq!(same(&bytes, |g| g.body.len()), 50000);
    same(&bytes, |g| g.body.clone());
}

#[test]
fn drip_keeps_a_progress_timeout_alive_and_a_stall_trips_it() {
    let hb = httpbin();
    let clients = Clients::new();
    // Ten bytes over a second: each arrives well within the half-second
    // timeout, although the whole takes longer than it.
    let drip = Call::get(hb.url("/drip?duration=1&numbytes=10&code=200&delay=0"))
        .timeout(Duration::from_millis(500));
    let outcomes = clients.each(&drip);
    assert_eq!(same(&outcomes, |g| g.body.clone()), b"**********");
    for o in &outcomes {
        assert!(
            o.elapsed >= Duration::from_millis(800),
            "{} {:?}",
            o.client,
            o.elapsed
        );
    }
    // Two seconds before the first byte: the timeout fires.
    let stall = Call::get(hb.url("/drip?duration=1&numbytes=10&code=200&delay=2"))
        .timeout(Duration::from_millis(500));
    for o in clients.each(&stall) {
        assert_eq!(o.failed().kind, "timeout", "{}", o.client);
        assert!(
            o.elapsed < Duration::from_millis(1800),
            "{} {:?}",
            o.client,
            o.elapsed
        );
    }
}

#[test]
fn delay_longer_than_the_timeout_fails_in_about_a_second() {
    let hb = httpbin();
    let call = Call::get(hb.url("/delay/3")).timeout(Duration::from_secs(1));
    // The three at once: each waits a second, not three.
    let clients = Clients::new();
    let outcomes = thread::scope(|s| {
        let handles: Vec<_> = NAMES
            .map(|name| {
                let (clients, call) = (&clients, &call);
                s.spawn(move || {
                    let start = std::time::Instant::now();
                    let result = match name {
                        "std" => interop_support::with_std(&clients.std, call),
                        "smol" => interop_support::with_smol(&clients.smol, call),
                        "tokio" => interop_support::with_tokio(&clients.tokio, call),
                        _ => interop_support::with_ureq(&clients.ureq, call),
                    };
                    (name, result, start.elapsed())
                })
            })
            .into_iter()
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    for (client, result, elapsed) in outcomes {
        match result {
            Err(f) => assert_eq!(f.kind, "timeout", "{client}: {f}"),
            Ok(g) => panic!("{client}: completed with {} after {elapsed:?}", g.status),
        }
        assert!(
            elapsed >= Duration::from_millis(900) && elapsed < Duration::from_millis(2500),
            "{client} gave up after {elapsed:?}"
        );
    }
}

#[test]
fn basic_auth_from_the_url() {
    let hb = httpbin();
    let clients = Clients::new();
    let url = |cred: &str| format!("http://{cred}@{}/basic-auth/user/passwd", hb.addr());
    let ok = clients.each(&Call::get(url("user:passwd")));
    assert_eq!(same(&ok, |g| g.status), 200);
    assert_eq!(
        same(&ok, |g| g.json()),
        serde_json::json!({"authenticated": true, "user": "user"})
    );
    // The credentials went into a header, not into the reported URL.
    for o in &ok[..OURS] {
        assert_eq!(o.got().url, hb.url("/basic-auth/user/passwd"));
    }
    let wrong = clients.each(&Call::get(url("user:nope")));
    assert_eq!(same(&wrong, |g| g.status), 401);
}

#[test]
fn basic_auth_kivy_style() {
    let hb = httpbin();
    let routed = Arc::new(Mutex::new(Vec::new()));
    let run = |password: &str| {
        let (ok, fail) = (routed.clone(), routed.clone());
        let req = UrlRequest::builder(hb.url("/basic-auth/user/passwd"))
            .auth("user", password)
            .on_success(move |_, r| ok.lock().unwrap().push(("success", r.as_json().cloned())))
            .on_failure(move |_, r| fail.lock().unwrap().push(("failure", r.as_json().cloned())))
            .build()
            .unwrap();
        assert!(req.wait(Duration::from_secs(10)));
        req.resp_status().map(|s| s.as_u16())
    };
    assert_eq!(run("passwd"), Some(200));
    assert_eq!(run("wrong"), Some(401));
    let routed = routed.lock().unwrap();
    assert_eq!(routed.len(), 2);
    assert_eq!(
        routed[0],
        (
            "success",
            Some(serde_json::json!({"authenticated": true, "user": "user"}))
        )
    );
    assert_eq!(routed[1].0, "failure");
}

#[test]
fn request_bodies_are_echoed() {
    let hb = httpbin();
    let clients = Clients::new();
    let sent = serde_json::json!({"name": "urlrequest", "list": [1, 2, 3], "nested": {"ok": true}});
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let call = Call::new(method, hb.url(&format!("/{}", method.to_lowercase())))
            .header("Content-Type", "application/json")
            .header("X-Custom", "kept")
            .body(sent.to_string());
        let outcomes = clients.each(&call);
        assert_eq!(same(&outcomes, |g| g.status), 200, "{method}");
        assert_eq!(
            same(&outcomes, |g| g.json()["json"].clone()),
            sent,
            "{method}"
        );
        assert_eq!(
            same(&outcomes, |g| g.json()["data"].clone()),
            sent.to_string()
        );
        assert_eq!(
            same(&outcomes, |g| g.json()["headers"]["X-Custom"].clone()),
            "kept"
        );
        assert_eq!(
            same(&outcomes, |g| g.json()["headers"]["Content-Length"].clone()),
            sent.to_string().len().to_string()
        );
    }

    // Kivy-style: req_body and req_headers, result decoded.
    let req = UrlRequest::builder(hb.url("/post"))
        .req_body(sent.to_string())
        .req_headers([("Content-Type", "application/json")])
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    let result = req.result().unwrap();
    assert_eq!(result.as_json().unwrap()["json"], sent);
}

#[test]
fn repeated_response_headers_are_all_kept() {
    let hb = httpbin();
    let outcomes = Clients::new().each(&Call::get(
        hb.url("/response-headers?X-Multi=one&X-Multi=two"),
    ));
    let values = same(&outcomes, |g| {
        g.headers
            .iter()
            .filter(|(n, _)| n == "x-multi")
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(values, ["one", "two"]);
}

#[test]
fn kivy_routing_on_real_statuses_runs_callbacks_on_the_waiting_thread() {
    let hb = httpbin();
    let me = thread::current().id();
    for (path, max_redirects, want) in [
        ("/get", 10, "success"),
        ("/status/418", 10, "failure"),
        ("/status/503", 10, "failure"),
        ("/redirect/1", 0, "redirect"),
    ] {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let log = |name: &'static str| {
            let calls = calls.clone();
            move || {
                assert_eq!(thread::current().id(), me, "{name} ran on another thread");
                calls.lock().unwrap().push(name);
            }
        };
        let (s, f, r, e, fin) = (
            log("success"),
            log("failure"),
            log("redirect"),
            log("error"),
            log("finish"),
        );
        let req = UrlRequest::builder(hb.url(path))
            .max_redirects(max_redirects)
            .on_success(move |_, _| s())
            .on_failure(move |_, _| f())
            .on_redirect(move |_, _| r())
            .on_error(move |_, _| e())
            .on_finish(move |_| fin())
            .build()
            .unwrap();
        assert!(req.wait(Duration::from_secs(10)), "{path}");
        assert_eq!(*calls.lock().unwrap(), [want, "finish"], "{path}");
    }
}

#[test]
fn request_heads_are_identical_from_both_runtimes() {
    let hb = httpbin();
    let clients = Clients::new();
    let calls = [
        Call::get(hb.url("/anything?x=1&y=two")),
        Call::new("POST", hb.url("/anything")).body("abc"),
        Call::new("DELETE", hb.url("/anything")),
        Call::get(format!("http://u:p@{}/anything", hb.addr())).header("X-Extra", "1"),
    ];
    for call in calls {
        let outcomes = clients.each(&call);
        let echo = |i: usize| {
            let mut j = outcomes[i].got().json();
            // Everything but the headers ureq adds on its own.
            let headers = j["headers"].as_object_mut().unwrap();
            let accept = headers.remove("Accept");
            // The runtimes ask for the content codings they can undo;
            // ureq, built without its gzip feature, asks for none.
            let encodings = headers.remove("Accept-Encoding");
            (j, (accept, encodings))
        };
        let (std, std_accept) = echo(0);
        let (smol, smol_accept) = echo(1);
        let (tokio, tokio_accept) = echo(2);
        let (ureq, ureq_accept) = echo(3);
        assert_eq!(std, smol, "{} {}", call.method, call.url);
        assert_eq!(std, tokio, "{} {}", call.method, call.url);
        assert_eq!(std, ureq, "{} {}", call.method, call.url);
        // The runtimes send no Accept (RFC 9110 12.5.1: absent means any);
        // ureq always sends `Accept: */*`.
        let ours = (None, Some(serde_json::json!("gzip, deflate, br, zstd")));
        assert_eq!(std_accept, ours);
        assert_eq!(smol_accept, ours);
        assert_eq!(tokio_accept, ours);
        assert_eq!(ureq_accept, (Some(serde_json::json!("*/*")), None));
    }
}

#[test]
fn gzip_deflate_and_brotli_bodies_are_decoded_by_every_runtime() {
    let hb = httpbin();
    let clients = Clients::new();
    for (path, flag) in [
        ("/gzip", "gzipped"),
        ("/deflate", "deflated"),
        ("/brotli", "brotli"),
    ] {
        let call = Call::get(hb.url(path));
        let outcomes = clients.each(&call);
        for o in &outcomes[..OURS] {
            let got = o.got();
            assert_eq!(got.status, 200, "{} {path}", o.client);
            let coding = got.header("content-encoding").map(str::to_string);
            assert_eq!(
                coding.as_deref(),
                Some(&path[1..]).map(|p| if p == "brotli" { "br" } else { p }),
                "{} {path}",
                o.client
            );
            // The decoded body is httpbin's JSON, which says it was coded.
            let j = got.json();
            assert_eq!(j[flag], serde_json::json!(true), "{} {path}: {j}", o.client);
        }
        // Turned off: the compressed bytes, not JSON.
        let mut raw = call.request();
        raw.set_decompress(false);
        let got = clients.std.send(raw).unwrap();
        let body = got.bytes().unwrap();
        assert!(
            serde_json::from_slice::<serde_json::Value>(body).is_err(),
            "{path}: {body:?}"
        );
    }
    // Through the Kivy-style API, decoded JSON as the result.
    let req = UrlRequest::builder(hb.url("/gzip")).build().unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    let result = req.result().unwrap();
    assert_eq!(
        result.as_json().unwrap()["gzipped"],
        serde_json::json!(true)
    );
}
