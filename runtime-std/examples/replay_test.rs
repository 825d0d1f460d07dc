//! Replay in tests: application code builds its requests for any runtime;
//! a live run through an agent that records saves a session file; the same
//! code then runs from that file with the `Replay` runtime, with no network
//! and no thread, and makes the same callbacks.
//!
//! `cargo run -p urlrequest-std --example replay_test`

mod common;

use std::sync::{Arc, Mutex};

use urlrequest::{BlockingRuntime, UrlRequest};
use urlrequest_std::{Agent, Recording, Replay, Std};

/// The application: fetches a JSON document and shows what it got.
fn show_planet<R: BlockingRuntime>(base: &str, client: &R::Client) -> Vec<String> {
    let shown = Arc::new(Mutex::new(Vec::new()));
    let (s, e) = (shown.clone(), shown.clone());
    let req = UrlRequest::<R>::builder(format!("{base}/json"))
        .client(client)
        .on_success(move |req, result| {
            s.lock()
                .unwrap()
                .push(format!("{:?}: {:?}", req.resp_status(), result.as_json()))
        })
        .on_error(move |_, err| e.lock().unwrap().push(format!("error: {err}")))
        .build()
        .expect("a valid request");
    req.wait(None);
    let shown = shown.lock().unwrap().clone();
    shown
}

fn main() -> std::io::Result<()> {
    let addr = common::start();
    let base = format!("http://{addr}");
    let session = std::env::temp_dir().join(format!("planet-{}.jsonl", std::process::id()));

    // Once, live: record the session to a file (a test fixture).
    let recording = Recording::new();
    let agent = Agent::builder()
        .record(&recording)
        .build()
        .expect("client settings");
    let live = show_planet::<Std>(&base, &agent);
    recording.save(&session)?;

    // In the test: no network, no thread, the same callbacks.
    let replayed = show_planet::<Replay>(&base, &Recording::load(&session)?);
    println!("live:     {live:?}\nreplayed: {replayed:?}");
    assert_eq!(live, replayed);
    std::fs::remove_file(&session)
}
