//! Streamed request bodies against httpbin under gunicorn: `/anything`
//! echoes the body it read, through every runtime, with `Content-Length`
//! and chunked.

use std::sync::Arc;

use urlrequest_conformance::servers::{Httpbin, Shared};
use urlrequest_conformance::upload::{PatternReader, PatternSource};
use urlrequest_core::{serde_json::Value, BodyStream, Request, Response};

static HTTPBIN: Shared<Httpbin> = Shared::new();

fn httpbin() -> Arc<Httpbin> {
    HTTPBIN
        .get(Httpbin::start)
        .unwrap_or_else(|e| panic!("cannot start httpbin: {e}"))
}

fn pattern(n: u64) -> String {
    let mut s = Vec::new();
    std::io::Read::read_to_end(&mut PatternReader::new(n), &mut s).unwrap();
    String::from_utf8(s).unwrap()
}

fn echoed(r: &Response) -> Value {
    assert_eq!(r.status(), 200);
    urlrequest_core::serde_json::from_slice(r.bytes().expect("collected")).unwrap()
}

const SIZE: u64 = 300_000;

#[test]
fn std_streams_to_anything_with_length_and_chunked() {
    let hb = httpbin();
    for length in [Some(SIZE), None] {
        let r = urlrequest_std::Agent::new()
            .upload(
                Request::builder(hb.url("/anything")).method("PUT"),
                urlrequest_std::Upload::from_reader(PatternReader::new(SIZE), length),
            )
            .unwrap();
        let v = echoed(&r);
        assert_eq!(v["method"], "PUT");
        assert_eq!(v["data"].as_str().unwrap(), pattern(SIZE), "{length:?}");
        match length {
            Some(n) => assert_eq!(v["headers"]["Content-Length"], n.to_string()),
            None => assert_eq!(v["headers"]["Transfer-Encoding"], "chunked"),
        }
    }
}

#[test]
fn smol_and_tokio_stream_to_anything() {
    let hb = httpbin();
    let upload = || {
        urlrequest_smol::AsyncUpload::new(
            PatternSource(PatternReader::new(SIZE)),
            BodyStream::sized(SIZE),
        )
    };
    let builder = || Request::builder(hb.url("/anything"));
    let r = smol::block_on(urlrequest_smol::Client::new().upload(builder(), upload())).unwrap();
    assert_eq!(echoed(&r)["data"].as_str().unwrap(), pattern(SIZE));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let r = rt
        .block_on(urlrequest_tokio::Client::new().upload(builder(), upload()))
        .unwrap();
    let v = echoed(&r);
    assert_eq!(v["method"], "POST");
    assert_eq!(v["data"].as_str().unwrap(), pattern(SIZE));
}

#[test]
fn frame_streams_to_anything_chunked() {
    let hb = httpbin();
    let client = urlrequest_frame::Client::new();
    let transfer = client
        .start_upload(
            Request::builder(hb.url("/anything")),
            urlrequest_std::Upload::from_reader(PatternReader::new(SIZE), None),
        )
        .unwrap();
    let mut done = None;
    while done.is_none() {
        client.wait(None);
        client.tick(std::time::Instant::now());
        while let Some(e) = transfer.poll_event() {
            match e {
                urlrequest_core::Event::Done(r) => done = Some(r),
                urlrequest_core::Event::Failure(e) => panic!("{e}"),
                _ => {}
            }
        }
    }
    let v = echoed(&done.unwrap());
    assert_eq!(v["data"].as_str().unwrap(), pattern(SIZE));
}
