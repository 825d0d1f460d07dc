//! `Expect: 100-continue`: the body waits for `100 Continue` or for the
//! wait to end; a final status before it means it is never sent.

use std::time::{Duration, Instant};

use urlrequest_core::{trace_line, Action, BodyStream, Exchange, Request};

/// Connects and writes everything the exchange offers; returns what was
/// written.
fn write_all(ex: &mut Exchange, now: Instant) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        match ex.poll_action() {
            Some(Action::Connect(_)) => ex.handle_connected(now, false),
            Some(Action::Write) => {
                let t = ex.transmit().to_vec();
                out.extend_from_slice(&t);
                ex.handle_written(now, t.len());
            }
            Some(Action::SendBody) => {
                let buf = ex.body_buf();
                let n = buf.len().min(4);
                buf[..n].copy_from_slice(&b"data"[..n]);
                ex.handle_body_read(now, n);
                // One read of "data" then the end.
                if ex.poll_action() == Some(Action::Write) {
                    let t = ex.transmit().to_vec();
                    out.extend_from_slice(&t);
                    ex.handle_written(now, t.len());
                }
                ex.handle_body_end(now);
            }
            _ => return out,
        }
    }
}

fn events(ex: &mut Exchange) -> Vec<String> {
    std::iter::from_fn(|| ex.poll_event())
        .map(|e| trace_line(&e))
        .collect()
}

fn request() -> Request {
    Request::builder("http://h/up")
        .method("PUT")
        .body("payload")
        .expect_continue(Duration::from_secs(1))
        .build()
        .unwrap()
}

#[test]
fn the_body_waits_for_100_continue() {
    let now = Instant::now();
    let mut ex = Exchange::new(request(), now);
    let head = String::from_utf8(write_all(&mut ex, now)).unwrap();
    assert!(head.contains("expect: 100-continue\r\n"), "{head}");
    assert!(head.ends_with("\r\n\r\n"), "only the head: {head:?}");
    assert_eq!(ex.poll_action(), Some(Action::Read));
    assert_eq!(ex.poll_timeout(), Some(now + Duration::from_secs(1)));
    ex.handle_data(now, b"HTTP/1.1 100 Continue\r\n\r\n");
    let body = write_all(&mut ex, now);
    assert_eq!(body, b"payload");
    ex.handle_data(now, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let trace = events(&mut ex);
    assert!(trace.last().unwrap().starts_with("done 200"), "{trace:?}");
    assert!(matches!(ex.poll_action(), Some(Action::Release(_))));
}

#[test]
fn the_body_goes_when_the_wait_ends() {
    let now = Instant::now();
    let mut ex = Exchange::new(request(), now);
    write_all(&mut ex, now);
    let later = ex.poll_timeout().unwrap();
    ex.handle_timeout(later);
    assert_eq!(ex.poll_action(), Some(Action::Write));
    assert_eq!(write_all(&mut ex, later), b"payload");
    ex.handle_data(later, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    assert!(events(&mut ex).last().unwrap().starts_with("done 201"));
}

#[test]
fn a_final_status_first_ends_without_the_body_and_closes() {
    let now = Instant::now();
    let mut ex = Exchange::new(request(), now);
    write_all(&mut ex, now);
    ex.handle_data(
        now,
        b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope",
    );
    let trace = events(&mut ex);
    assert!(trace.last().unwrap().starts_with("done 401"), "{trace:?}");
    assert_eq!(ex.poll_action(), Some(Action::Close));
    assert!(ex.is_finished());
}

#[test]
fn the_overall_timeout_still_wins_over_the_wait() {
    let now = Instant::now();
    let req = Request::builder("http://h/up")
        .body("x")
        .expect_continue(Duration::from_secs(5))
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, now);
    write_all(&mut ex, now);
    let t = ex.poll_timeout().unwrap();
    assert_eq!(t, now + Duration::from_secs(1));
    ex.handle_timeout(t);
    assert!(events(&mut ex)
        .last()
        .unwrap()
        .starts_with("failure timeout"));
}

#[test]
fn a_307_before_a_one_shot_body_is_followed_as_nothing_was_read() {
    let now = Instant::now();
    let req = Request::builder("http://h/up")
        .body_stream(BodyStream::sized(4))
        .expect_continue(Duration::from_secs(1))
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, now);
    write_all(&mut ex, now);
    ex.handle_data(
        now,
        b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(ex.poll_action(), Some(Action::Close));
    let head = String::from_utf8(write_all(&mut ex, now)).unwrap();
    assert!(head.starts_with("POST /b HTTP/1.1\r\n"), "{head}");
    assert!(head.contains("expect: 100-continue"), "{head}");
    ex.handle_data(now, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert_eq!(write_all(&mut ex, now), b"data");
    ex.handle_data(now, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let trace = events(&mut ex);
    assert!(trace[0].starts_with("redirect 307"), "{trace:?}");
    assert!(trace.last().unwrap().starts_with("done 200"), "{trace:?}");
}

#[test]
fn without_a_body_no_expect_is_sent() {
    let now = Instant::now();
    let req = Request::builder("http://h/")
        .expect_continue(Duration::from_secs(1))
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, now);
    let head = String::from_utf8(write_all(&mut ex, now)).unwrap();
    assert!(!head.to_ascii_lowercase().contains("expect"), "{head}");
}
