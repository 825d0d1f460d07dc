//! Streamed request bodies from tokio readers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use urlrequest_conformance::test_server::{respond, serve, Server};
use urlrequest_tokio::{upload_from_file, upload_from_reader, Client, Request};

/// /first answers 307 to /second; /second echoes method, length and body.
fn server() -> Server {
    serve(|req, w| {
        if req.target == "/first" {
            respond(w, "307 Temporary Redirect", &[("Location", "/second")], b"")?;
        } else {
            let mut body = format!(
                "{} {}|",
                req.method,
                req.header("content-length").unwrap_or("-")
            )
            .into_bytes();
            body.extend_from_slice(&req.body);
            respond(w, "200 OK", &[], &body)?;
        }
        Ok(true)
    })
}

#[tokio::test]
async fn a_seekable_source_is_sent_again_after_a_307() {
    let s = server();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let upload = upload_from_file(std::io::Cursor::new(b"tokio body".to_vec()), 10)
        .on_progress(move |sent, _| counter.store(sent as usize, Ordering::SeqCst));
    let r = Client::new()
        .upload(Request::builder(s.url("/first")).method("PUT"), upload)
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().unwrap().as_ref(), b"PUT 10|tokio body");
    assert_eq!(seen.load(Ordering::SeqCst), 10);
}

#[tokio::test]
async fn a_one_shot_reader_returns_the_307() {
    let s = server();
    let upload = upload_from_reader(&b"once"[..], Some(4));
    let r = Client::new()
        .upload(Request::builder(s.url("/first")), upload)
        .await
        .unwrap();
    assert_eq!(r.status(), 307);
}

#[tokio::test]
async fn a_short_reader_fails_with_the_counts() {
    let s = server();
    let upload = upload_from_reader(&b"abc"[..], Some(10));
    let e = Client::new()
        .upload(Request::builder(s.url("/second")), upload)
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "request body: ended after 3 of 10 bytes");
}
