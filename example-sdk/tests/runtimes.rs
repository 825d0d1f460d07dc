//! The same API client, with no line per runtime, run on every client:
//! std threads, smol, tokio, the frame loop (handle and blocking), and a
//! recording of a live run replayed with no server.

mod support;

use std::time::Instant;

use urlrequest::{AsyncSendRequest, Error, Recording, SendRequest};
use urlrequest_example_sdk::{echo_each, Echo, Httpbin, Ip};

use support::items;

fn ip() -> Ip {
    Ip {
        origin: "127.0.0.1".into(),
    }
}

/// The error of `status(404)` names the status and the URL, with what the
/// server said.
fn assert_is_404(result: Result<(), Error>, api: &Httpbin) {
    let url = api.status(404).unwrap().request().url().to_string();
    let err = result.expect_err("a 404 is an error");
    assert_eq!(
        err.to_string(),
        format!("HTTP 404 As Asked from {url}: status 404 as asked")
    );
}

/// Every operation on a blocking client, through the shared trait.
fn check_blocking(client: &impl SendRequest, api: &Httpbin) {
    assert_eq!(client.call(api.ip().unwrap()).unwrap(), ip());
    assert_eq!(
        client.call(api.user_agent().unwrap()).unwrap(),
        "urlrequest-example-sdk"
    );
    let echoed = echo_each(client, api, &items()).unwrap();
    let expected: Vec<Echo> = items()
        .into_iter()
        .map(|json| Echo {
            method: "POST".into(),
            json,
        })
        .collect();
    assert_eq!(echoed, expected);
    client.call(api.status(200).unwrap()).unwrap();
    assert_is_404(client.call(api.status(404).unwrap()), api);
}

/// Every operation on an async client, through the shared trait.
async fn check_async(client: &impl AsyncSendRequest, api: &Httpbin) {
    assert_eq!(client.call(api.ip().unwrap()).await.unwrap(), ip());
    assert_eq!(
        client.call(api.user_agent().unwrap()).await.unwrap(),
        "urlrequest-example-sdk"
    );
    for item in items() {
        let echo = client.call(api.echo(&item).unwrap()).await.unwrap();
        assert_eq!(echo.method, "POST");
        assert_eq!(echo.json, item);
    }
    client.call(api.status(200).unwrap()).await.unwrap();
    assert_is_404(client.call(api.status(404).unwrap()).await, api);
}

#[test]
fn std_agent() {
    let s = support::start();
    let agent = urlrequest_std::Agent::new();
    // The agent's own method, then every operation through the trait.
    assert_eq!(agent.call(s.api.ip().unwrap()).unwrap(), ip());
    check_blocking(&agent, &s.api);
    assert_eq!(s.server.requests.lock().unwrap().len(), 1 + 6);
}

#[test]
fn smol_client() {
    let s = support::start();
    smol::block_on(async {
        let client = urlrequest_smol::Client::new();
        assert_eq!(client.call(s.api.ip().unwrap()).await.unwrap(), ip());
        check_async(&client, &s.api).await;
    });
    assert_eq!(s.server.requests.lock().unwrap().len(), 1 + 6);
}

#[test]
fn tokio_client_on_a_current_thread_runtime() {
    let s = support::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = urlrequest_tokio::Client::new();
        assert_eq!(client.call(s.api.ip().unwrap()).await.unwrap(), ip());
        check_async(&client, &s.api).await;
    });
    assert_eq!(s.server.requests.lock().unwrap().len(), 1 + 6);
}

#[test]
fn frame_client_handles_yield_values_after_ticks() {
    let s = support::start();
    let client = urlrequest_frame::Client::new();
    // Three calls in flight at once on one thread, none blocking the loop.
    let mut ip_call = client.start_call(s.api.ip().unwrap());
    let mut echo = client.start_call(s.api.echo(&items()[0]).unwrap());
    let mut missing = client.start_call(s.api.status(404).unwrap());
    assert!(ip_call.poll().is_none(), "no value before a tick");
    let (mut got_ip, mut got_echo, mut got_missing) = (None, None, None);
    let mut ticks = 0;
    while got_ip.is_none() || got_echo.is_none() || got_missing.is_none() {
        client.tick(Instant::now());
        ticks += 1;
        got_ip = got_ip.or_else(|| ip_call.poll());
        got_echo = got_echo.or_else(|| echo.poll());
        got_missing = got_missing.or_else(|| missing.poll());
        client.wait(None);
    }
    assert!(ticks > 1, "the values came over several ticks");
    assert_eq!(got_ip.unwrap().unwrap(), ip());
    assert_eq!(got_echo.unwrap().unwrap().json, items()[0]);
    assert_is_404(got_missing.unwrap(), &s.api);
    // Given once.
    assert!(ip_call.is_taken() && ip_call.poll().is_none());
}

#[test]
fn frame_client_blocking() {
    let s = support::start();
    check_blocking(&urlrequest_frame::Client::new(), &s.api);
}

#[test]
fn a_recorded_run_replays_with_no_server() {
    let recording = Recording::new();
    {
        let s = support::start();
        let agent = urlrequest_std::Agent::builder()
            .record(&recording)
            .build()
            .unwrap();
        check_blocking(&agent, &s.api);
        // The same base URL for the replay: the server's address.
        let saved = recording.to_json_lines();
        let api = s.api.clone();
        drop(s);

        // What was saved reads back, and answers every call (blocking).
        let replayed = Recording::parse(&saved).unwrap();
        assert_eq!(replayed.len(), 6);
        check_blocking(&replayed, &api);
        assert!(replayed.is_empty(), "every transcript was used");

        // And in async code, from another copy.
        let replayed = Recording::parse(&saved).unwrap();
        smol::block_on(check_async(&replayed, &api));
        assert!(replayed.is_empty());

        // A call the recording does not hold says so.
        let err = replayed.call(api.ip().unwrap()).unwrap_err();
        assert!(
            err.to_string()
                .contains("the recording holds no more requests"),
            "{err}"
        );
    }
}
