//! Which recorded request answers a replayed one: method, URL, body and
//! named headers; rebasing a recording to another address; the message of
//! a request nothing answers; and bare `Request`s answered by
//! `Recording::send`. Transcripts are made here by feeding a recording
//! exchange the server's bytes, with no network.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use urlrequest::{Dispatch, Recording, Replay, UrlRequest};
use urlrequest_core::{Exchange, Request, Transcript};

/// The transcript of `request` answered by `wire` on one connection.
fn recorded(request: Request, wire: &[u8]) -> Transcript {
    let now = Instant::now();
    let mut ex = Exchange::recording(request, now);
    while ex.poll_action().is_some() {}
    ex.handle_connected(now, false);
    write_all(&mut ex, now);
    ex.handle_data(now, wire);
    ex.handle_eof(now);
    let done = std::iter::from_fn(|| ex.poll_event()).any(|e| e.is_terminal());
    assert!(done, "the recorded exchange ended");
    ex.transcript().expect("a recording exchange")
}

/// Takes everything the exchange has to send (head, then body).
fn write_all(ex: &mut Exchange, now: Instant) {
    loop {
        let n = ex.transmit().len();
        if n == 0 {
            break;
        }
        ex.handle_written(now, n);
    }
}

fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn post(url: &str, body: &str) -> Request {
    Request::builder(url)
        .method("POST")
        .body(body.to_string())
        .build()
        .unwrap()
}

fn text(recording: &Recording, request: Request) -> Result<String, String> {
    recording
        .send(request)
        .map(|r| r.text().unwrap())
        .map_err(|e| e.to_string())
}

#[test]
fn a_post_with_another_body_does_not_get_the_recorded_answer() {
    let recording = Recording::new();
    recording.push(recorded(post("http://h/items", r#"{"n":1}"#), &ok("one")));
    recording.push(recorded(post("http://h/items", r#"{"n":2}"#), &ok("two")));
    // Out of order, each body gets its own answer.
    assert_eq!(
        text(&recording, post("http://h/items", r#"{"n":2}"#)).unwrap(),
        "two"
    );
    let e = text(&recording, post("http://h/items", r#"{"n":3}"#)).unwrap_err();
    assert!(
        e.contains("replay: POST http://h/items (7 bytes, hash "),
        "{e}"
    );
    assert!(
        e.contains("nearest: [1] POST http://h/items: body differs (recorded 7 bytes, hash "),
        "{e}"
    );
    // The mismatch used nothing up.
    assert_eq!(recording.len(), 1);
    assert_eq!(
        text(&recording, post("http://h/items", r#"{"n":1}"#)).unwrap(),
        "one"
    );
    assert!(recording.is_empty());
}

#[test]
fn a_named_header_must_match_and_others_need_not() {
    let request = |token: &str, trace: &str| {
        Request::builder("http://h/me")
            .header("Authorization", format!("Bearer {token}"))
            .header("X-Trace", trace)
            .build()
            .unwrap()
    };
    let with_token = |token: &str| request(token, "1");
    let make = || {
        let recording = Recording::new();
        recording.push(recorded(with_token("good"), &ok("me")));
        recording
    };
    // Without the rule, headers are not compared.
    assert_eq!(text(&make(), with_token("bad")).unwrap(), "me");

    let recording = make().match_headers(["AUTHORIZATION"]).unwrap();
    let e = text(&recording, with_token("bad")).unwrap_err();
    assert!(
        e.ends_with("nearest: [1] GET http://h/me: header authorization differs"),
        "{e}"
    );
    assert!(!e.contains("Bearer"), "values are not shown: {e}");
    // X-Trace differs, but is not named.
    assert_eq!(text(&recording, request("good", "2")).unwrap(), "me");

    let e = Recording::new().match_headers(["bad name"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid header name \"bad name\": names are tokens without spaces or separators"
    );
}

#[test]
fn a_rebased_recording_answers_the_same_path_and_query_elsewhere() {
    let recorded_at = "http://127.0.0.1:40123/users/7?fields=name";
    let make = || {
        let recording = Recording::new();
        recording.push(recorded(Request::get(recorded_at).unwrap(), &ok("ada")));
        recording
    };
    let live = "https://api.example.com/users/7?fields=name";
    // Not rebased: the host differs, and the message says so.
    let e = text(&make(), Request::get(live).unwrap()).unwrap_err();
    assert!(
        e.contains(&format!(
            "[1] GET {recorded_at}: scheme, host or port differs"
        )),
        "{e}"
    );

    let recording = make()
        .rebase("http://127.0.0.1:40123", "https://api.example.com")
        .unwrap();
    // Another query is another request.
    let e = text(
        &recording,
        Request::get("https://api.example.com/users/7").unwrap(),
    );
    assert!(e.unwrap_err().contains("query differs"));
    let response = recording.send(Request::get(live).unwrap()).unwrap();
    assert_eq!(response.text().unwrap(), "ada");
    // The response names the address asked for.
    assert_eq!(response.url().as_str(), live);
}

#[test]
fn the_nearest_recorded_requests_are_listed_with_what_differs() {
    let recording = Recording::new();
    for (method, url) in [
        ("GET", "http://h/a"),
        ("DELETE", "http://h/items/1"),
        ("GET", "http://h/items/1?v=2"),
        ("GET", "http://h/b"),
        ("GET", "http://h/items/1"),
    ] {
        let request = Request::builder(url).method(method).build().unwrap();
        recording.push(recorded(request, &ok("x")));
    }
    let e = text(&recording, post("http://h/items/1", "hi")).unwrap_err();
    let hash = e
        .split("hash ")
        .nth(1)
        .and_then(|h| h.get(..16))
        .expect("the body's hash");
    assert_eq!(
        e,
        format!(
            "connection failed: replay: POST http://h/items/1 (2 bytes, hash {hash}) \
             matches no unused recorded request; nearest: \
             [1] DELETE http://h/items/1: method differs, body differs (recorded no body); \
             [2] GET http://h/items/1: method differs, body differs (recorded no body); \
             [3] GET http://h/items/1?v=2: method differs, query differs, \
             body differs (recorded no body) (and 2 more unused)"
        )
    );
}

#[test]
fn a_mismatch_reaches_the_callbacks_as_an_error() {
    let recording = Recording::new();
    recording.push(recorded(post("http://h/items", "a"), &ok("x")));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = errors.clone();
    let req = UrlRequest::<Replay>::builder("http://h/items")
        .client(&recording)
        .req_body("b")
        .dispatch(Dispatch::Worker)
        .on_success(|_, _| panic!("a mismatch is not a success"))
        .on_error(move |_, e| seen.lock().unwrap().push(e.to_string()))
        .build()
        .unwrap();
    assert!(req.wait(None));
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("body differs"), "{errors:?}");
    assert_eq!(req.error().unwrap().kind_name(), "io");
}

#[test]
fn send_returns_the_recorded_response_or_failure_as_a_live_send_does() {
    let recording = Recording::new();
    recording.push(recorded(
        Request::get("http://h/gone").unwrap(),
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope",
    ));
    recording.push(recorded(
        Request::get("http://h/cut").unwrap(),
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
    ));
    let response = recording
        .send(Request::get("http://h/gone").unwrap())
        .unwrap();
    let e = urlrequest::Error::from(response.error_for_status().unwrap_err());
    assert_eq!(e.to_string(), "HTTP 404 Not Found from http://h/gone: nope");
    // The recorded run failed (the body was cut short): so does the replay.
    let e = recording
        .send(Request::get("http://h/cut").unwrap())
        .unwrap_err();
    assert_eq!(e.kind_name(), "truncated", "{e}");
    // The async form gives the same, ready at the first poll.
    let e = futures_lite::future::block_on(
        recording.send_async(Request::get("http://h/gone").unwrap()),
    )
    .unwrap_err();
    assert!(e.to_string().contains("holds no more requests"), "{e}");
}

#[test]
fn a_rebased_redirect_ends_at_the_live_address() {
    // Recorded: /v1/old answers 302 to /v1/new on the same connection.
    let now = Instant::now();
    let mut ex = Exchange::recording(Request::get("http://127.0.0.1:40123/v1/old").unwrap(), now);
    for wire in [
        &b"HTTP/1.1 302 Found\r\nLocation: /v1/new\r\nContent-Length: 0\r\n\r\n"[..],
        &ok("moved here"),
    ] {
        while ex.poll_action().is_some() {}
        ex.handle_connected(now, false);
        write_all(&mut ex, now);
        ex.handle_data(now, wire);
    }
    let events: Vec<_> = std::iter::from_fn(|| ex.poll_event()).collect();
    assert!(
        matches!(events.last(), Some(urlrequest_core::Event::Done(_))),
        "{events:?}"
    );
    let recording = Recording::new()
        .rebase("http://127.0.0.1:40123/v1", "https://api.example.com/v2")
        .unwrap();
    recording.push(ex.transcript().unwrap());

    let response = recording
        .send(Request::get("https://api.example.com/v2/old").unwrap())
        .unwrap();
    assert_eq!(response.text().unwrap(), "moved here");
    assert_eq!(response.url().as_str(), "https://api.example.com/v2/new");
}
