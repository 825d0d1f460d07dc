//! The SDK's calls as Kivy-style `UrlRequest`s: the value callback gets
//! the typed value (or the status error) on std threads, smol, the frame
//! loop and a replay, built by one generic function.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use urlrequest::{Call, CallRequestBuilder, Error, Recording, Replay, Runtime, UrlRequest};
use urlrequest_example_sdk::{Echo, Httpbin};

use support::items;

type Got<T> = Arc<Mutex<Vec<Result<T, Error>>>>;

/// The application's request for any runtime: the value goes to `got`,
/// and `on_finish` notes that it came first.
fn request<R: Runtime, T: Send + 'static>(call: Call<T>, got: &Got<T>) -> CallRequestBuilder<R> {
    let (g, f) = (got.clone(), got.clone());
    UrlRequest::<R>::for_call(call, move |_, value| g.lock().unwrap().push(value))
        .on_finish(move |_| assert_eq!(f.lock().unwrap().len(), 1, "the value came first"))
}

fn taken<T>(got: &Got<T>) -> Result<T, Error> {
    let mut got = got.lock().unwrap();
    assert_eq!(got.len(), 1, "exactly one value");
    got.pop().unwrap()
}

fn assert_echo(value: Result<Echo, Error>) {
    let echo = value.unwrap();
    assert_eq!((echo.method.as_str(), &echo.json), ("POST", &items()[0]));
}

fn assert_404(value: Result<(), Error>, api: &Httpbin) {
    let err = value.unwrap_err().to_string();
    let url = api.status(404).unwrap().request().url().to_string();
    assert!(
        err.starts_with(&format!("HTTP 404 As Asked from {url}")),
        "{err}"
    );
}

#[test]
fn std_url_requests_get_the_value() {
    let s = support::start();
    let (echo, missing): (Got<Echo>, Got<()>) = Default::default();
    let a = request::<urlrequest_std::Std, _>(s.api.echo(&items()[0]).unwrap(), &echo)
        .build()
        .unwrap();
    let b = request::<urlrequest_std::Std, _>(s.api.status(404).unwrap(), &missing)
        .build()
        .unwrap();
    assert!(a.wait(Duration::from_secs(30)) && b.wait(Duration::from_secs(30)));
    assert_eq!(s.server.requests.lock().unwrap().len(), 2);
    assert_echo(taken(&echo));
    assert_404(taken(&missing), &s.api);
}

#[test]
fn smol_url_requests_get_the_value() {
    let s = support::start();
    let (echo, missing): (Got<Echo>, Got<()>) = Default::default();
    smol::block_on(async {
        let a = request::<urlrequest_smol::Smol, _>(s.api.echo(&items()[0]).unwrap(), &echo)
            .build()
            .unwrap();
        a.send().await.unwrap();
        let b = request::<urlrequest_smol::Smol, _>(s.api.status(404).unwrap(), &missing)
            .build()
            .unwrap();
        // The Kivy result of a 404 is a response, not an error.
        b.send().await.unwrap();
    });
    assert_echo(taken(&echo));
    assert_404(taken(&missing), &s.api);
}

#[test]
fn frame_url_requests_get_the_value_in_a_tick() {
    let s = support::start();
    let client = urlrequest_frame::Client::new();
    let echo: Got<Echo> = Default::default();
    let req = request::<urlrequest_frame::Frame, _>(s.api.echo(&items()[0]).unwrap(), &echo)
        .client(&client)
        .build()
        .unwrap();
    while !req.is_finished() {
        assert!(echo.lock().unwrap().is_empty());
        client.tick(Instant::now());
        client.wait(None);
    }
    assert_echo(taken(&echo));
}

#[test]
fn replayed_url_requests_get_the_recorded_value() {
    let recording = Recording::new();
    let s = support::start();
    let agent = urlrequest_std::Agent::builder()
        .record(&recording)
        .build()
        .expect("client settings");
    let ip = agent.call(s.api.ip().unwrap()).unwrap();
    let replayed = Recording::parse(&recording.to_json_lines()).unwrap();
    let api = s.api.clone();
    drop(s);

    let got: Got<urlrequest_example_sdk::Ip> = Default::default();
    let req = request::<Replay, _>(api.ip().unwrap(), &got)
        .client(&replayed)
        .build()
        .unwrap();
    assert!(req.wait(None));
    assert_eq!(taken(&got).unwrap(), ip);
}

#[test]
fn a_cancelled_call_gets_the_cancel() {
    let got: Got<()> = Default::default();
    let api = Httpbin::new("http://127.0.0.1:9");
    let req = request::<urlrequest_std::Std, _>(api.status(200).unwrap(), &got)
        .autostart(false)
        .build()
        .unwrap();
    req.cancel();
    assert!(req.wait(Duration::from_secs(30)));
    assert!(taken(&got).unwrap_err().is_cancelled());
}
