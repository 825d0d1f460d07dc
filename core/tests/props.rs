//! Property tests: random valid responses under random splits give the trace of
//! the unsplit bytes; arbitrary bytes never panic and always end in exactly one
//! terminal event.

mod support;

use proptest::prelude::*;
use support::{run_with, Conn};
use urlrequest_core::{Event, Request};

#[derive(Debug, Clone)]
enum Framing {
    Length,
    Chunked { sizes: Vec<usize>, trailer: bool },
    UntilClose,
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        Just(Framing::Length),
        (prop::collection::vec(1usize..40, 1..8), any::<bool>())
            .prop_map(|(sizes, trailer)| Framing::Chunked { sizes, trailer }),
        Just(Framing::UntilClose),
    ]
}

/// Encodes `body` as a complete response with the given framing.
fn response(status: u16, body: &[u8], framing: &Framing, json: bool) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Whatever\r\nX-Test: 1\r\n").into_bytes();
    if json {
        out.extend_from_slice(b"Content-Type: application/json\r\n");
    }
    match framing {
        Framing::Length => {
            out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            out.extend_from_slice(body);
        }
        Framing::Chunked { sizes, trailer } => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            let mut rest = body;
            let mut i = 0;
            while !rest.is_empty() {
                let n = sizes[i % sizes.len()].min(rest.len());
                out.extend_from_slice(format!("{n:x};i={i}\r\n").as_bytes());
                out.extend_from_slice(&rest[..n]);
                out.extend_from_slice(b"\r\n");
                rest = &rest[n..];
                i += 1;
            }
            out.extend_from_slice(b"0\r\n");
            if *trailer {
                out.extend_from_slice(b"X-Trailer: t\r\n");
            }
            out.extend_from_slice(b"\r\n");
        }
        Framing::UntilClose => {
            out.extend_from_slice(b"Connection: close\r\n\r\n");
            out.extend_from_slice(body);
        }
    }
    out
}

fn trace_with_splits(req: &Request, reply: &[u8], splits: &[usize]) -> Vec<String> {
    let mut i = 0;
    let mut next = |_| {
        let n = splits[i % splits.len()];
        i += 1;
        n
    };
    run_with(req.clone(), &[Conn::closing(reply)], &mut next, false).trace
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn splits_do_not_change_the_trace(
        status in prop_oneof![Just(200u16), Just(201), Just(404), Just(500)],
        body in prop::collection::vec(any::<u8>(), 0..300),
        framing in framing(),
        chunk_size in 1usize..64,
        splits in prop::collection::vec(1usize..50, 1..20),
    ) {
        let req = Request::builder("http://a.test/").chunk_size(chunk_size).build().unwrap();
        let reply = response(status, &body, &framing, false);
        let whole = trace_with_splits(&req, &reply, &[reply.len()]);
        let split = trace_with_splits(&req, &reply, &splits);
        prop_assert_eq!(&whole, &split);
        let last = whole.last().unwrap();
        let done_prefix = format!("done {status} ");
        prop_assert!(last.starts_with(&done_prefix), "{}", last);
        // Every Body event but the last is exactly chunk_size long.
        let bodies: Vec<usize> = whole.iter()
            .filter_map(|l| l.strip_prefix("body "))
            .map(|l| l.split(' ').next().unwrap().parse().unwrap())
            .collect();
        prop_assert_eq!(bodies.iter().sum::<usize>(), body.len());
        if let Some((_, init)) = bodies.split_last() {
            prop_assert!(init.iter().all(|&n| n == chunk_size));
        }
    }

    #[test]
    fn json_bodies_decode_identically_under_splits(
        values in prop::collection::vec(any::<i32>(), 0..20),
        splits in prop::collection::vec(1usize..30, 1..10),
    ) {
        let body = serde_json::to_vec(&values).unwrap();
        let req = Request::get("http://a.test/").unwrap();
        let reply = response(200, &body, &Framing::Length, true);
        let whole = trace_with_splits(&req, &reply, &[reply.len()]);
        prop_assert_eq!(&whole, &trace_with_splits(&req, &reply, &splits));
        prop_assert!(whole.last().unwrap().contains(" json=["));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_end_once(
        reply in prop::collection::vec(any::<u8>(), 0..400),
        splits in prop::collection::vec(1usize..64, 1..8),
    ) {
        let req = Request::get("http://a.test/").unwrap();
        let mut i = 0;
        let mut next = |_| { let n = splits[i % splits.len()]; i += 1; n };
        let r = run_with(req, &[Conn::closing(&reply)], &mut next, false);
        prop_assert_eq!(r.events.iter().filter(|e| e.is_terminal()).count(), 1);
        prop_assert!(r.events.last().unwrap().is_terminal());
    }

    #[test]
    fn mangled_valid_responses_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..200),
        framing in framing(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut reply = response(200, &body, &framing, false);
        for (at, byte) in flips {
            let i = at.index(reply.len());
            reply[i] = byte;
        }
        reply.truncate(cut.index(reply.len() + 1));
        let r = run_with(Request::get("http://a.test/").unwrap(), &[Conn::closing(&reply)], &mut |_| 7, false);
        prop_assert_eq!(r.events.iter().filter(|e| e.is_terminal()).count(), 1);
        if let Some(Event::Done(resp)) = r.events.last() {
            // A Done never carries fewer bytes than the framing promised.
            if let Some(len) = resp.headers().get("content-length").and_then(|v| v.to_str().ok()?.parse::<usize>().ok()) {
                if !resp.headers().contains_key("transfer-encoding") {
                    prop_assert_eq!(resp.bytes().unwrap().len(), len);
                }
            }
        }
    }
}
