//! A frame client that records keeps the transcript of each request it
//! runs, and the `Replay` runtime plays it back to the same callbacks.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::LoopServer;
use urlrequest::{Runtime, UrlRequestBuilder};
use urlrequest_frame::{Client, Frame, Recording, Replay, UrlRequest};

type Lines = Arc<Mutex<Vec<String>>>;

/// The application's request, built the same way for any runtime.
fn request<R: Runtime>(url: &str, lines: &Lines) -> UrlRequestBuilder<R> {
    let (p, s, f) = (lines.clone(), lines.clone(), lines.clone());
    urlrequest::UrlRequest::<R>::builder(url)
        .chunk_size(3000)
        .on_progress(move |_, got, total| {
            p.lock().unwrap().push(format!("progress {got}/{total:?}"))
        })
        .on_success(move |req, result| {
            let status = req.resp_status().map(|s| s.as_u16());
            s.lock()
                .unwrap()
                .push(format!("success {status:?} {result:?}"));
        })
        .on_finish(move |req| f.lock().unwrap().push(format!("finish {}", req.url())))
}

#[test]
fn a_recorded_frame_session_replays_to_the_same_callbacks() {
    let mut server = LoopServer::start();
    let recording = Recording::new();
    let client = Client::builder()
        .record(&recording)
        .build()
        .expect("client settings");
    let live: Lines = Arc::default();
    let url = server.url("/big/10000");
    let req: UrlRequest = request::<Frame>(&url, &live)
        .client(&client)
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !req.is_finished() {
        assert!(Instant::now() < deadline);
        server.serve();
        client.tick(Instant::now());
    }
    assert_eq!(recording.len(), 1, "one transcript per request");

    let replayed: Lines = Arc::default();
    let again = request::<Replay>(&url, &replayed)
        .client(&recording)
        .build()
        .unwrap();
    assert!(again.wait(None));
    let live = live.lock().unwrap().clone();
    // 0, four chunks, the last repeated, success, finish.
    assert_eq!(live.len(), 8, "{} lines", live.len());
    assert_eq!(*replayed.lock().unwrap(), live);
}
