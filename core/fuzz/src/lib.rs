//! The checks behind the fuzz targets, shared with the core's test suite,
//! which replays the committed corpus and a seeded sample on every CI run.
//! Each check panics when an invariant breaks; anything else is a pass.

use std::time::{Duration, Instant};

use urlrequest_core::{Action, Event, Exchange, Request, Transcript};

/// Drives `request` with `reply` as the server's bytes, split by `splits`
/// (cycled), and returns every event.
fn drive(request: Request, reply: &[u8], splits: &[u8]) -> Vec<Event> {
    let t0 = Instant::now();
    let mut now = t0;
    let mut ex = Exchange::new(request, now);
    let mut events = Vec::new();
    let mut sent = 0;
    let mut reads = 0usize;
    let mut connects = 0;
    for _ in 0..100_000 {
        events.extend(std::iter::from_fn(|| ex.poll_event()));
        if ex.is_finished() {
            return events;
        }
        match ex.poll_action() {
            Some(Action::Connect(_)) => {
                connects += 1;
                if connects > 1 {
                    // Every hop after the first meets a closed door.
                    ex.handle_transport_error(
                        now,
                        urlrequest_core::TransportError::Connect("refused".into()),
                    );
                } else {
                    ex.handle_connected(now, false);
                }
            }
            Some(Action::Write) => {
                let n = ex.transmit().len();
                ex.handle_written(now, n);
            }
            Some(Action::Read) => {
                if sent < reply.len() {
                    let want = splits
                        .get(reads % splits.len().max(1))
                        .copied()
                        .unwrap_or(64);
                    reads += 1;
                    let buf = ex.read_buf();
                    let n = (want as usize)
                        .max(1)
                        .min(reply.len() - sent)
                        .min(buf.len());
                    buf[..n].copy_from_slice(&reply[sent..sent + n]);
                    sent += n;
                    ex.handle_read(now, n);
                } else {
                    ex.handle_eof(now);
                }
            }
            Some(Action::StartTls { .. }) => ex.handle_tls_ready(now),
            Some(Action::Close | Action::Release(_)) => {}
            // Fuzzed requests carry no streamed body.
            Some(Action::SendBody) => ex.handle_body_end(now),
            Some(Action::RewindBody) => {}
            None => {
                let deadline = ex.poll_timeout().expect("waiting with no deadline");
                now = deadline.max(now + Duration::from_millis(1));
                ex.handle_timeout(now);
            }
        }
    }
    panic!("exchange did not finish: {ex:?}");
}

/// Response bytes, split at random points: exactly one terminal event, last;
/// the same trace as the unsplit bytes; `Done` never carries a short body.
pub fn check_response(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let chunk_size = usize::from(data[0]).max(1);
    let split_len = usize::from(data[1] % 8) + 1;
    let (splits, reply) = data[2..].split_at(split_len.min(data.len() - 2));
    let request = Request::builder("http://fuzz.test/")
        .chunk_size(chunk_size)
        .timeout(Duration::from_secs(1))
        .build()
        .expect("a valid request");
    let events = drive(request.clone(), reply, splits);
    assert_eq!(events.iter().filter(|e| e.is_terminal()).count(), 1);
    assert!(events.last().is_some_and(Event::is_terminal));
    let whole = drive(request, reply, &[255]);
    let a: Vec<String> = events.iter().map(urlrequest_core::trace_line).collect();
    let b: Vec<String> = whole.iter().map(urlrequest_core::trace_line).collect();
    assert_eq!(a, b, "the split changed the trace");
    for e in &events {
        if let Event::Body(b) = e {
            assert!(!b.is_empty() && b.len() <= chunk_size);
        }
    }
}

/// Arbitrary text as a transcript: parsing never panics; what parses replays
/// without panicking and writes back to text that parses to the same lines.
pub fn check_transcript(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(t) = Transcript::parse(text) else {
        return;
    };
    let events = t.replay(Instant::now());
    assert!(events.iter().filter(|e| e.is_terminal()).count() <= 1);
    let again = Transcript::parse(&t.to_json_lines()).expect("written transcripts parse");
    assert_eq!(again.to_json_lines(), t.to_json_lines());
}

/// Arbitrary user input as a request: building never panics, and a request
/// that builds serialises to a head that parses as one HTTP/1.1 request with
/// exactly the headers it should have (no CR/LF smuggled in).
pub fn check_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\u{1}');
    let url = parts.next().unwrap_or("");
    let method = parts.next().unwrap_or("GET");
    let mut builder = Request::builder(url).method(method);
    let mut user_headers = 0;
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        builder = builder.header(name, value);
        user_headers += 1;
    }
    let Ok(request) = builder.build() else { return };
    let now = Instant::now();
    let mut ex = Exchange::new(request.clone(), now);
    let _ = ex.poll_action();
    ex.handle_connected(now, false);
    if let Some(urlrequest_core::Action::StartTls { .. }) = ex.poll_action() {
        // https: the head is offered once the handshake is reported done.
        assert!(ex.transmit().is_empty(), "nothing written before TLS");
        ex.handle_tls_ready(now);
    }
    let head = ex.transmit().to_vec();
    // Room for every header the request may carry (the builder sets no
    // limit on how many a user adds).
    let mut slots = vec![httparse::EMPTY_HEADER; user_headers + 8];
    let mut parsed = httparse::Request::new(&mut slots);
    match parsed.parse(&head) {
        Ok(httparse::Status::Complete(n)) => {
            assert_eq!(n, head.len(), "one request head, nothing after")
        }
        other => panic!(
            "serialised head does not parse: {other:?} {:?}",
            String::from_utf8_lossy(&head)
        ),
    }
    assert!(parsed.headers.len() <= user_headers + 4); // + Host, User-Agent, Content-Length, Authorization
    assert_eq!(parsed.method, Some(request.method().as_str()));
}
