//! Streamed request bodies over loopback: a reader, a file, chunked, a
//! short source and the 307 rule.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

use urlrequest_std::{Agent, Error, Request, Upload};

/// Serves `replies.len()` connections, one request each; each request's
/// head and raw body (as sent, chunk framing included) is returned in
/// order by the join handle.
/// Each request's head and raw body, in order.
type Seen = Vec<(String, Vec<u8>)>;

fn server(replies: Vec<&'static str>) -> (String, thread::JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = thread::spawn(move || {
        let mut seen = Vec::new();
        for reply in replies {
            let (mut s, _) = listener.accept().unwrap();
            let mut data = Vec::new();
            let mut buf = [0u8; 65536];
            let (head, body) = loop {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0, "client closed early");
                data.extend_from_slice(&buf[..n]);
                let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&data[..end + 4]).to_string();
                let body = &data[end + 4..];
                let lower = head.to_ascii_lowercase();
                let complete = if lower.contains("transfer-encoding: chunked") {
                    body.ends_with(b"0\r\n\r\n")
                } else {
                    let len = lower
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                    body.len() >= len
                };
                if complete {
                    break (head, body.to_vec());
                }
            };
            s.write_all(reply.as_bytes()).unwrap();
            seen.push((head, body));
        }
        seen
    });
    (base, handle)
}

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

#[test]
fn a_reader_of_known_length_goes_with_content_length() {
    let (base, h) = server(vec![OK]);
    let progress = Arc::new(Mutex::new(Vec::new()));
    let p = progress.clone();
    let upload = Upload::from_reader(&[b'x'; 200_000][..], Some(200_000))
        .on_progress(move |sent, total| p.lock().unwrap().push((sent, total)));
    let r = Agent::new()
        .upload(Request::builder(format!("{base}/up")).method("PUT"), upload)
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = h.join().unwrap();
    assert!(seen[0].0.starts_with("PUT /up HTTP/1.1\r\n"));
    assert!(
        seen[0].0.contains("Content-Length: 200000\r\n"),
        "{}",
        seen[0].0
    );
    assert_eq!(seen[0].1, vec![b'x'; 200_000]);
    let progress = progress.lock().unwrap();
    assert_eq!(progress.last(), Some(&(200_000, Some(200_000))));
    assert!(
        progress.len() >= 4,
        "one report per piece of at most 64 KiB"
    );
}

#[test]
fn a_reader_of_unknown_length_goes_chunked() {
    let (base, h) = server(vec![OK]);
    let upload = Upload::from_reader(&b"hello streamed world"[..], None);
    let r = Agent::new()
        .upload(Request::builder(format!("{base}/up")), upload)
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = h.join().unwrap();
    assert!(seen[0].0.starts_with("POST /up HTTP/1.1\r\n"));
    assert!(
        seen[0].0.contains("transfer-encoding: chunked\r\n"),
        "{}",
        seen[0].0
    );
    assert_eq!(seen[0].1, b"14\r\nhello streamed world\r\n0\r\n\r\n");
}

#[test]
fn a_short_reader_fails_with_the_counts() {
    let (base, _h) = server(vec![OK]);
    let upload = Upload::from_reader(&[1u8; 512][..], Some(1024));
    let e = Agent::new()
        .upload(Request::builder(format!("{base}/up")), upload)
        .unwrap_err();
    match e {
        Error::Request(e) => {
            assert_eq!(e.kind_name(), "request-body");
            assert_eq!(e.to_string(), "request body: ended after 512 of 1024 bytes");
        }
        other => panic!("unexpected {other:?}"),
    }
}

const R307: &str =
    "HTTP/1.1 307 Temporary Redirect\r\nLocation: /moved\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

#[test]
fn a_file_is_sent_again_after_a_307() {
    let dir = std::env::temp_dir().join(format!("urlrequest-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("body.bin");
    std::fs::write(&path, b"file body").unwrap();
    let (base, h) = server(vec![R307, OK]);
    let r = Agent::new()
        .upload(
            Request::builder(format!("{base}/up")).method("PUT"),
            Upload::from_file(&path).unwrap(),
        )
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(r.status(), 200);
    let seen = h.join().unwrap();
    assert!(
        seen[1].0.starts_with("PUT /moved HTTP/1.1\r\n"),
        "{}",
        seen[1].0
    );
    assert_eq!(seen[0].1, b"file body");
    assert_eq!(seen[1].1, b"file body");
}

#[test]
fn a_reader_after_a_307_returns_the_307() {
    let (base, h) = server(vec![R307]);
    let r = Agent::new()
        .upload(
            Request::builder(format!("{base}/up")),
            Upload::from_reader(&b"once"[..], Some(4)),
        )
        .unwrap();
    assert_eq!(r.status(), 307);
    assert_eq!(h.join().unwrap().len(), 1);
}

#[test]
fn a_streamed_request_without_a_source_fails_cleanly() {
    let (base, _h) = server(vec![OK]);
    let req = Request::builder(format!("{base}/up"))
        .body_stream(urlrequest_std::BodyStream::sized(3))
        .build()
        .unwrap();
    let e = Agent::new().send(req).unwrap_err();
    assert!(e.to_string().contains("no source was given"), "{e}");
}

#[test]
fn a_url_request_streams_its_upload_and_reports_upload_progress() {
    let (base, h) = server(vec![OK]);
    let progress = Arc::new(Mutex::new(Vec::new()));
    let p = progress.clone();
    let req = urlrequest_std::UrlRequest::builder(format!("{base}/kivy"))
        .method("PUT")
        .upload(Upload::from_reader(&[b'k'; 100_000][..], Some(100_000)))
        .on_upload_progress(move |sent, total| p.lock().unwrap().push((sent, total)))
        .build()
        .unwrap();
    assert!(req.wait(std::time::Duration::from_secs(10)));
    assert_eq!(req.resp_status().map(|s| s.as_u16()), Some(200));
    let seen = h.join().unwrap();
    assert!(
        seen[0].0.contains("Content-Length: 100000\r\n"),
        "{}",
        seen[0].0
    );
    assert_eq!(seen[0].1, vec![b'k'; 100_000]);
    let progress = progress.lock().unwrap();
    assert_eq!(progress.last(), Some(&(100_000, Some(100_000))));
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0), "{progress:?}");
}
