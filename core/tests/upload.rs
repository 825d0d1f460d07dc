//! Streamed request bodies: framing, length checks, redirects, replay.

use std::time::Instant;

use urlrequest_core::{trace_line, Action, BodyStream, Exchange, Request, Transcript};

/// Runs `ex` against one server reply; the body source is `source`
/// (given in reads of at most `step` bytes). Returns the bytes written and
/// the trace, and how many rewinds were asked for.
fn run(
    mut ex: Exchange,
    replies: &[&[u8]],
    source: &[u8],
    step: usize,
) -> (Vec<u8>, Vec<String>, usize) {
    let now = Instant::now();
    let mut written = Vec::new();
    let mut trace = Vec::new();
    let mut conn = 0usize;
    let mut server: &[u8] = &[];
    let mut pos = 0usize;
    let mut rewinds = 0;
    while !ex.is_finished() {
        while let Some(e) = ex.poll_event() {
            trace.push(trace_line(&e));
        }
        match ex.poll_action() {
            Some(Action::Connect(_)) => {
                server = replies[conn.min(replies.len() - 1)];
                conn += 1;
                ex.handle_connected(now, false);
            }
            Some(Action::Write) => {
                let t = ex.transmit().to_vec();
                written.extend_from_slice(&t);
                ex.handle_written(now, t.len());
            }
            Some(Action::SendBody) => {
                let buf = ex.body_buf();
                let n = buf.len().min(step).min(source.len() - pos);
                buf[..n].copy_from_slice(&source[pos..pos + n]);
                pos += n;
                ex.handle_body_read(now, n);
            }
            Some(Action::RewindBody) => {
                rewinds += 1;
                pos = 0;
            }
            Some(Action::Read) => {
                let buf = ex.read_buf();
                let n = server.len().min(buf.len());
                buf[..n].copy_from_slice(&server[..n]);
                server = &server[n..];
                ex.handle_read(now, n);
            }
            Some(_) => {}
            None => break,
        }
    }
    while let Some(e) = ex.poll_event() {
        trace.push(trace_line(&e));
    }
    (written, trace, rewinds)
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn known_length_sends_content_length_and_the_bytes() {
    let req = Request::builder("http://h/up")
        .method("PUT")
        .body_stream(BodyStream::sized(10))
        .build()
        .unwrap();
    let ex = Exchange::new(req, Instant::now());
    let (w, trace, _) = run(ex, &[OK], b"0123456789", 3);
    let w = text(&w);
    assert!(w.starts_with("PUT /up HTTP/1.1\r\n"), "{w}");
    assert!(w.contains("Content-Length: 10\r\n"), "{w}");
    assert!(!w.contains("Transfer-Encoding"), "{w}");
    assert!(w.ends_with("\r\n\r\n0123456789"), "{w}");
    assert!(trace.last().unwrap().starts_with("done 200"), "{trace:?}");
}

#[test]
fn unknown_length_is_chunked_one_chunk_per_read() {
    let req = Request::builder("http://h/up")
        .body_stream(BodyStream::unknown_length())
        .build()
        .unwrap();
    assert_eq!(req.method(), "POST");
    let ex = Exchange::new(req, Instant::now());
    let (w, trace, _) = run(ex, &[OK], b"hello world", 5);
    let w = text(&w);
    assert!(w.contains("transfer-encoding: chunked\r\n"), "{w}");
    assert!(!w.contains("Content-Length"), "{w}");
    assert!(
        w.ends_with("\r\n\r\n5\r\nhello\r\n5\r\n worl\r\n1\r\nd\r\n0\r\n\r\n"),
        "{w:?}"
    );
    assert!(trace.last().unwrap().starts_with("done 200"), "{trace:?}");
}

#[test]
fn empty_unknown_length_body_is_just_the_last_chunk() {
    let req = Request::builder("http://h/")
        .body_stream(BodyStream::unknown_length())
        .build()
        .unwrap();
    let (w, trace, _) = run(Exchange::new(req, Instant::now()), &[OK], b"", 5);
    assert!(text(&w).ends_with("\r\n\r\n0\r\n\r\n"));
    assert!(trace.last().unwrap().starts_with("done 200"));
}

#[test]
fn short_source_fails_saying_how_many_bytes_came() {
    let req = Request::builder("http://h/")
        .body_stream(BodyStream::sized(1024))
        .build()
        .unwrap();
    let (_, trace, _) = run(Exchange::new(req, Instant::now()), &[OK], &[7u8; 512], 100);
    assert_eq!(
        trace.last().unwrap(),
        "failure request-body: request body: ended after 512 of 1024 bytes"
    );
}

#[test]
fn long_source_fails_without_sending_the_extra_bytes() {
    let req = Request::builder("http://h/")
        .body_stream(BodyStream::sized(4))
        .build()
        .unwrap();
    let (w, trace, _) = run(Exchange::new(req, Instant::now()), &[OK], b"abcdef", 100);
    assert!(text(&w).ends_with("\r\n\r\nabcd"), "{:?}", text(&w));
    assert!(
        trace
            .last()
            .unwrap()
            .contains("more than the declared 4 bytes"),
        "{trace:?}"
    );
}

#[test]
fn source_error_fails_the_exchange() {
    let req = Request::builder("http://h/")
        .body_stream(BodyStream::unknown_length())
        .build()
        .unwrap();
    let now = Instant::now();
    let mut ex = Exchange::new(req, now);
    assert!(matches!(ex.poll_action(), Some(Action::Connect(_))));
    ex.handle_connected(now, false);
    assert_eq!(ex.poll_action(), Some(Action::Write));
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    assert_eq!(ex.poll_action(), Some(Action::SendBody));
    assert_eq!(ex.upload_progress(), Some((0, None)));
    ex.handle_body_error(now, "disk on fire");
    assert_eq!(ex.poll_action(), Some(Action::Close));
    let last = std::iter::from_fn(|| ex.poll_event()).last().unwrap();
    assert_eq!(
        trace_line(&last),
        "failure request-body: request body: reading its source failed: disk on fire"
    );
}

#[test]
fn over_reporting_the_body_buffer_is_a_transport_error() {
    let req = Request::builder("http://h/")
        .body_stream(BodyStream::sized(3))
        .build()
        .unwrap();
    let now = Instant::now();
    let mut ex = Exchange::new(req, now);
    ex.poll_action();
    ex.handle_connected(now, false);
    ex.poll_action();
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    assert_eq!(ex.poll_action(), Some(Action::SendBody));
    assert_eq!(ex.body_buf().len(), 3);
    ex.handle_body_read(now, 9);
    let last = std::iter::from_fn(|| ex.poll_event()).last().unwrap();
    assert!(trace_line(&last).contains("9 bytes read into a buffer of 3"));
}

#[test]
fn upload_progress_counts_the_bytes_taken() {
    let req = Request::builder("http://h/")
        .body_stream(BodyStream::sized(6))
        .build()
        .unwrap();
    let now = Instant::now();
    let mut ex = Exchange::new(req, now);
    ex.poll_action();
    ex.handle_connected(now, false);
    ex.poll_action();
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    assert_eq!(ex.poll_action(), Some(Action::SendBody));
    ex.handle_body_data(now, b"abcd");
    assert_eq!(ex.upload_progress(), Some((4, Some(6))));
    assert_eq!(ex.poll_action(), Some(Action::Write));
    assert_eq!(ex.transmit(), b"abcd");
}

const R307: &[u8] =
    b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n";

#[test]
fn redirect_307_with_a_one_shot_source_is_the_result() {
    let req = Request::builder("http://h/")
        .body_stream(BodyStream::sized(3))
        .build()
        .unwrap();
    let (_, trace, rewinds) = run(Exchange::new(req, Instant::now()), &[R307, OK], b"abc", 10);
    assert_eq!(rewinds, 0);
    assert!(trace.last().unwrap().starts_with("done 307"), "{trace:?}");
}

#[test]
fn redirect_307_with_a_replayable_source_sends_the_body_again() {
    let req = Request::builder("http://h/")
        .body_stream(BodyStream::sized(3).replayable())
        .build()
        .unwrap();
    let (w, trace, rewinds) = run(Exchange::new(req, Instant::now()), &[R307, OK], b"abc", 10);
    assert_eq!(rewinds, 1);
    assert!(trace[0].starts_with("redirect 307"), "{trace:?}");
    assert!(trace.last().unwrap().starts_with("done 200"), "{trace:?}");
    let w = text(&w);
    assert_eq!(w.matches("\r\n\r\nabc").count(), 2, "{w}");
    assert!(w.contains("POST /again HTTP/1.1"), "{w}");
}

#[test]
fn redirect_303_drops_the_streamed_body() {
    let r303: &[u8] = b"HTTP/1.1 303 See Other\r\nLocation: /got\r\nContent-Length: 0\r\n\r\n";
    let req = Request::builder("http://h/")
        .body_stream(BodyStream::sized(3))
        .build()
        .unwrap();
    let (w, trace, rewinds) = run(Exchange::new(req, Instant::now()), &[r303, OK], b"abc", 10);
    assert_eq!(rewinds, 0);
    assert!(trace.last().unwrap().starts_with("done 200"), "{trace:?}");
    let w = text(&w);
    assert!(w.contains("GET /got HTTP/1.1"), "{w}");
    assert_eq!(w.matches("abc").count(), 1, "{w}");
}

#[test]
fn a_later_bytes_body_replaces_the_stream() {
    let req = Request::builder("http://h/")
        .body_stream(BodyStream::sized(3))
        .body("xy")
        .build()
        .unwrap();
    assert_eq!(req.body_stream(), None);
    let req = Request::builder("http://h/")
        .body("xy")
        .body_stream(BodyStream::sized(3))
        .build()
        .unwrap();
    assert!(req.body().is_none());
    assert_eq!(req.body_stream(), Some(BodyStream::sized(3)));
}

#[test]
fn a_recorded_streamed_upload_replays_to_the_same_trace() {
    let req = Request::builder("http://h/")
        .body_stream(BodyStream::unknown_length())
        .build()
        .unwrap();
    let mut ex2 = Exchange::recording(req, Instant::now());
    // Drive it by hand so the transcript can be taken at the end.
    let now = Instant::now();
    let mut trace = Vec::new();
    let mut server = OK;
    let mut src: &[u8] = b"stream me";
    while !ex2.is_finished() {
        while let Some(e) = ex2.poll_event() {
            trace.push(trace_line(&e));
        }
        match ex2.poll_action() {
            Some(Action::Connect(_)) => ex2.handle_connected(now, false),
            Some(Action::Write) => {
                let n = ex2.transmit().len();
                ex2.handle_written(now, n)
            }
            Some(Action::SendBody) => {
                let buf = ex2.body_buf();
                let n = src.len().min(4);
                buf[..n].copy_from_slice(&src[..n]);
                src = &src[n..];
                ex2.handle_body_read(now, n);
            }
            Some(Action::Read) => {
                let buf = ex2.read_buf();
                let n = server.len().min(buf.len());
                buf[..n].copy_from_slice(&server[..n]);
                server = &server[n..];
                ex2.handle_read(now, n);
            }
            _ => {}
        }
    }
    while let Some(e) = ex2.poll_event() {
        trace.push(trace_line(&e));
    }
    let text = ex2.transcript().unwrap().to_json_lines();
    assert!(text.contains("\"body_data\""), "{text}");
    assert!(text.contains("\"body_stream\""), "{text}");
    let back = Transcript::parse(&text).unwrap();
    let replayed: Vec<String> = back.replay(Instant::now()).iter().map(trace_line).collect();
    assert_eq!(replayed, trace);
}

#[test]
fn a_stale_pooled_connection_is_retried_only_while_the_source_is_untouched() {
    // A one-shot source already read: the stale connection's failure is final.
    let req = Request::builder("http://h/")
        .method("PUT")
        .body_stream(BodyStream::sized(2))
        .build()
        .unwrap();
    let now = Instant::now();
    let mut ex = Exchange::new(req, now);
    ex.poll_action();
    ex.handle_connected(now, true);
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    assert_eq!(ex.poll_action(), Some(Action::SendBody));
    ex.handle_body_data(now, b"ab");
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    ex.handle_body_end(now);
    assert_eq!(ex.poll_action(), Some(Action::Read));
    ex.handle_eof(now);
    let last = std::iter::from_fn(|| ex.poll_event()).last().unwrap();
    assert!(
        trace_line(&last).starts_with("failure truncated"),
        "{}",
        trace_line(&last)
    );

    // A replayable one: retried on a fresh connection, the source started over.
    let req = Request::builder("http://h/")
        .method("PUT")
        .body_stream(BodyStream::sized(2).replayable())
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, now);
    ex.poll_action();
    ex.handle_connected(now, true);
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    ex.poll_action();
    ex.handle_body_data(now, b"ab");
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    ex.handle_body_end(now);
    ex.handle_eof(now);
    assert_eq!(ex.poll_action(), Some(Action::Close));
    assert!(matches!(ex.poll_action(), Some(Action::Connect(t)) if !t.reuse));
    ex.handle_connected(now, false);
    assert_eq!(ex.poll_action(), Some(Action::RewindBody));
}
