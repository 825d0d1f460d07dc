//! Replay for application tests: requests recorded live through an agent
//! that records, saved to one file, then run again by the `Replay` runtime
//! with no network and no thread, giving the same callbacks, arguments and
//! properties.

mod support;

use std::sync::{Arc, Mutex};

use support::{respond, serve};
use urlrequest::{BlockingRuntime, Dispatch, Recording, Replay, UrlRequest, UrlRequestBuilder};
use urlrequest_std::{Agent, Std};

type Log = Arc<Mutex<Vec<String>>>;

/// The application code under test: builds a request with its callbacks,
/// for whatever runtime runs it.
fn logged<R: BlockingRuntime>(b: UrlRequestBuilder<R>, log: &Log) -> UrlRequestBuilder<R> {
    let l = |log: &Log| log.clone();
    let (p, s, f, e, c, fin) = (l(log), l(log), l(log), l(log), l(log), l(log));
    b.dispatch(Dispatch::Worker)
        .on_progress(move |req, got, total| {
            p.lock().unwrap().push(format!(
                "progress {got}/{total:?} status={:?}",
                req.resp_status()
            ))
        })
        .on_success(move |req, r| {
            s.lock().unwrap().push(format!(
                "success {:?} {:?} url={}",
                req.resp_status(),
                r.as_bytes().map(|b| b.len()),
                req.url().path()
            ))
        })
        .on_failure(move |req, r| {
            f.lock()
                .unwrap()
                .push(format!("failure {:?} {r:?}", req.resp_status()))
        })
        .on_error(move |_, err| e.lock().unwrap().push(format!("error {err}")))
        .on_cancel(move |req| {
            c.lock()
                .unwrap()
                .push(format!("cancel finished={}", req.is_finished()))
        })
        .on_finish(move |_| fin.lock().unwrap().push("finish".into()))
}

fn body(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

fn server() -> support::Server {
    serve(|req, w| {
        match req.target.as_str() {
            "/big" => respond(w, "200 OK", &[], &body(300_000))?,
            "/missing" => respond(w, "404 Not Found", &[], b"no")?,
            "/moved" => respond(w, "302 Found", &[("Location", "/big")], b"")?,
            _ => respond(w, "200 OK", &[], req.body.as_slice())?,
        }
        Ok(true)
    })
}

/// Runs the session: four requests side by side (a redirect, a POST, a
/// 404, one cancelled from its own progress callback: a run stopped by the
/// caller), and returns each request's callbacks.
fn session<R: BlockingRuntime>(base: &str, client: &R::Client) -> Vec<Vec<String>> {
    let logs: Vec<Log> = (0..4).map(|_| Log::default()).collect();
    let requests: Vec<UrlRequest<R>> = vec![
        logged(UrlRequest::<R>::builder(format!("{base}/moved")), &logs[0])
            .client(client)
            .chunk_size(64 * 1024)
            .build()
            .unwrap(),
        logged(UrlRequest::<R>::builder(format!("{base}/echo")), &logs[1])
            .client(client)
            .req_body("hello")
            .build()
            .unwrap(),
        logged(
            UrlRequest::<R>::builder(format!("{base}/missing")),
            &logs[2],
        )
        .client(client)
        .build()
        .unwrap(),
        logged(UrlRequest::<R>::builder(format!("{base}/big")), &logs[3])
            .client(client)
            .chunk_size(50_000)
            .on_progress(|req, got, _| {
                if got >= 100_000 {
                    req.cancel();
                }
            })
            .build()
            .unwrap(),
    ];
    for r in &requests {
        assert!(r.wait(None));
        assert!(r.is_finished() && !r.has_pending());
    }
    logs.iter().map(|l| l.lock().unwrap().clone()).collect()
}

#[test]
fn a_recorded_session_replays_to_the_same_callbacks_with_no_network() {
    let recording = Recording::new();
    let (base, live) = {
        let server = server();
        let agent = Agent::builder()
            .record(&recording)
            .build()
            .expect("client settings");
        (server.url(""), session::<Std>(&server.url(""), &agent))
    };
    // The server is gone: nothing below touches the network.
    assert_eq!(recording.len(), 4);
    let file = std::env::temp_dir().join(format!("urlrequest-replay-{}.jsonl", std::process::id()));
    recording.save(&file).unwrap();
    let loaded = Recording::load(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    // No thread: the replayed requests run inside build(), here.
    let replayed = session::<Replay>(&base, &loaded);
    assert!(
        live[3].iter().any(|l| l.starts_with("cancel")),
        "{:?}",
        live[3]
    );
    assert!(
        live[2].iter().any(|l| l.starts_with("failure Some(404)")),
        "{:?}",
        live[2]
    );
    assert_eq!(replayed, live);
    assert!(loaded.is_empty(), "every transcript was used");
}

#[test]
fn replaying_another_request_than_recorded_fails_saying_which() {
    let server = server();
    let recording = Recording::new();
    let agent = Agent::builder()
        .record(&recording)
        .build()
        .expect("client settings");
    agent.get(&server.url("/echo")).unwrap();
    let req = UrlRequest::<Replay>::builder(server.url("/other"))
        .client(&recording)
        .build()
        .unwrap();
    assert!(req.wait(None));
    let e = req.error().unwrap().to_string();
    assert!(
        e.contains(&format!(
            "replay: GET {} matches no unused recorded request; nearest: [1] GET {}: path differs",
            server.url("/other"),
            server.url("/echo")
        )),
        "{e}"
    );
}

#[test]
fn a_session_recorded_on_one_port_replays_for_another_host_once_rebased() {
    let recording = Recording::new();
    let recorded_at = {
        let server = server();
        let agent = Agent::builder()
            .record(&recording)
            .build()
            .expect("client settings");
        let live = session::<Std>(&server.url(""), &agent);
        assert_eq!(recording.len(), 4);
        (server.url(""), live)
    };
    let (base, live) = recorded_at;
    let text = recording.to_json_lines();
    // Without rebasing, another address gets nothing.
    let elsewhere = "https://api.example.com";
    let unrebased = Recording::parse(&text).unwrap();
    let req = UrlRequest::<Replay>::builder(format!("{elsewhere}/missing"))
        .client(&unrebased)
        .build()
        .unwrap();
    assert!(req.wait(None));
    let e = req.error().unwrap().to_string();
    assert!(e.contains("scheme, host or port differs"), "{e}");

    let rebased = Recording::parse(&text)
        .unwrap()
        .rebase(&base, elsewhere)
        .unwrap();
    assert_eq!(session::<Replay>(elsewhere, &rebased), live);
    assert!(rebased.is_empty(), "every transcript was used");
}

#[test]
fn a_recording_answers_a_bare_request_as_the_agent_did() {
    let server = server();
    let recording = Recording::new();
    let agent = Agent::builder()
        .record(&recording)
        .build()
        .expect("client settings");
    let post = |body: &str| {
        urlrequest_std::Request::builder(server.url("/echo"))
            .body(body.to_string())
            .build()
            .unwrap()
    };
    let live_a = agent.send(post("a")).unwrap();
    let live_b = agent.send(post("b")).unwrap();
    // Asked in the other order: each body gets its own answer.
    let replayed_b = recording.send(post("b")).unwrap();
    let replayed_a = recording.send(post("a")).unwrap();
    assert_eq!(replayed_a, live_a);
    assert_eq!(replayed_b, live_b);
    assert_eq!(replayed_b.text().unwrap(), "b");
    let e = recording.send(post("c")).unwrap_err().to_string();
    assert!(e.contains("holds no more requests"), "{e}");
}

#[test]
fn binary_bodies_take_about_a_third_more_in_a_transcript() {
    let size = 8 << 20;
    let server = serve(move |_, w| {
        let b: Vec<u8> = (0..size).map(|i| ((i * 7919) >> 3) as u8).collect();
        respond(w, "200 OK", &[], &b)?;
        Ok(true)
    });
    let recording = Recording::new();
    let agent = Agent::builder()
        .record(&recording)
        .build()
        .expect("client settings");
    let r = agent.get(&server.url("/bin")).unwrap();
    assert_eq!(r.bytes().unwrap().len(), size);
    let text = recording.to_json_lines();
    let ratio = text.len() as f64 / size as f64;
    // base64 is 4/3; the rest is one JSON line per read.
    assert!(ratio < 1.4, "transcript is {ratio:.2}x the body");
    let again = Recording::parse(&text).unwrap();
    assert!(
        again.to_json_lines() == text,
        "the transcript reads back as written"
    );
}
