//! One client API in every runtime: the same builder chain, every setting
//! of it, builds the std, smol, tokio and frame clients (one generic
//! function, no line per runtime), and each client's `get`, `send`,
//! `upload`, `events` and `download` give the same answers from the same
//! server, blocking, awaited or polled after ticks as the runtime goes.

use std::path::Path;
use std::time::{Duration, Instant};

use smol::stream::StreamExt;
use urlrequest::client::BuildClient;
use urlrequest::{CaMode, ClientBuilder, Recording, TlsSettings};
use urlrequest_conformance::test_server::{respond, serve, Server};
use urlrequest_conformance::TestCa;
use urlrequest_core::{CookieJar, EnvProxies, Event, Request, Response};

/// A body that crosses every buffer of the path (64 KiB reads, 8 KiB
/// chunks, 1 MiB tick budget) and does not compress.
fn big_body() -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..3 * 1024 * 1024 + 17)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn server() -> Server {
    let big = big_body();
    serve(move |req, w| {
        match (req.method.as_str(), req.target.as_str()) {
            ("GET", "/hello") => respond(w, "200 OK", &[("Set-Cookie", "seen=1")], b"hello")?,
            ("POST", "/echo") => respond(w, "200 OK", &[], &req.body)?,
            ("GET", "/big") => respond(w, "200 OK", &[], &big)?,
            _ => respond(w, "404 Not Found", &[], b"no such page")?,
        }
        Ok(true)
    })
}

/// Every setting of the one builder, for any runtime's client.
fn configured<C: BuildClient>(recording: &Recording, jar: &CookieJar) -> C {
    ClientBuilder::<C>::new()
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(30))
        .tls(TlsSettings::default())
        .ca_file(TestCa::trusted().pem_file())
        .ca_mode(CaMode::Extend)
        .verify(true)
        .idle_timeout(Duration::from_secs(20))
        .max_idle_per_host(2)
        .per_host_limit(2)
        .tick_budget(1 << 20)
        .record(recording)
        .cookie_jar(jar.clone())
        .env_proxies(EnvProxies::from_vars([("http_proxy", "127.0.0.1:9")]).unwrap())
        .no_env_proxies()
        .build()
        .expect("every setting builds")
}

/// What one runtime's client answered, in a form to compare.
#[derive(Debug, PartialEq)]
struct Answers {
    get: (u16, String),
    missing: (u16, String),
    upload: String,
    streamed: (usize, bool, u64),
    downloaded: bool,
}

fn text(r: &Response) -> (u16, String) {
    (r.status().as_u16(), r.text().unwrap())
}

fn upload_of(bytes: &'static [u8]) -> urlrequest::Upload {
    urlrequest::Upload::from_reader(bytes, Some(bytes.len() as u64))
}

/// Body bytes, whether `Done` had no body, and the last progress count.
fn stream_summary(events: impl IntoIterator<Item = Event>) -> (usize, bool, u64) {
    let (mut bytes, mut no_body, mut progress) = (0, false, 0);
    for event in events {
        match event {
            Event::Body(chunk) => bytes += chunk.len(),
            Event::Progress { received, .. } => progress = received,
            Event::Done(response) => no_body = response.bytes().is_none(),
            Event::Failure(e) => panic!("{e}"),
            Event::Redirect { .. } => {}
        }
    }
    (bytes, no_body, progress)
}

fn same_file(path: &Path) -> bool {
    std::fs::read(path).unwrap() == big_body()
}

fn check(name: &str, answers: Answers, recording: &Recording, jar: &CookieJar) {
    let expected = Answers {
        get: (200, "hello".into()),
        missing: (404, "no such page".into()),
        upload: "uploaded body".into(),
        streamed: (big_body().len(), true, big_body().len() as u64),
        downloaded: true,
    };
    assert_eq!(answers, expected, "{name}");
    // The recording and the cookie jar of the builder were used.
    assert_eq!(recording.len(), 5, "{name}: every request recorded");
    assert!(!jar.is_empty(), "{name}: the server's cookie was kept");
}

#[test]
fn std_client() {
    let s = server();
    let (recording, jar) = (Recording::new(), CookieJar::new());
    let client: urlrequest_std::Client = configured(&recording, &jar);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    let builder = Request::builder(s.url("/echo")).method("POST");
    let answers = Answers {
        get: text(&client.get(&s.url("/hello")).unwrap()),
        missing: text(&client.send(Request::get(s.url("/nope")).unwrap()).unwrap()),
        upload: client
            .upload(builder, upload_of(b"uploaded body"))
            .unwrap()
            .text()
            .unwrap(),
        streamed: stream_summary(client.events(Request::get(s.url("/big")).unwrap())),
        downloaded: client
            .download(Request::get(s.url("/big")).unwrap(), &path)
            .is_ok()
            && same_file(&path),
    };
    check("std", answers, &recording, &jar);
}

/// The five calls on an async client, whichever runtime's.
async fn async_answers<N: urlrequest_async::Net>(
    client: &urlrequest_async::Client<N>,
    s: &Server,
    path: &Path,
) -> Answers {
    let builder = Request::builder(s.url("/echo")).method("POST");
    let upload = urlrequest_async::AsyncUpload::from_blocking(upload_of(b"uploaded body"));
    let events = client.events(Request::get(s.url("/big")).unwrap());
    Answers {
        get: text(&client.get(&s.url("/hello")).await.unwrap()),
        missing: text(
            &client
                .send(Request::get(s.url("/nope")).unwrap())
                .await
                .unwrap(),
        ),
        upload: client
            .upload(builder, upload)
            .await
            .unwrap()
            .text()
            .unwrap(),
        streamed: stream_summary(events.collect::<Vec<_>>().await),
        downloaded: client
            .download(Request::get(s.url("/big")).unwrap(), path)
            .await
            .is_ok()
            && same_file(path),
    }
}

#[test]
fn smol_client() {
    let s = server();
    let (recording, jar) = (Recording::new(), CookieJar::new());
    let client: urlrequest_smol::Client = configured(&recording, &jar);
    let dir = tempfile::tempdir().unwrap();
    let answers = smol::block_on(async_answers(&client, &s, &dir.path().join("big")));
    check("smol", answers, &recording, &jar);
}

#[test]
fn tokio_client() {
    let s = server();
    let (recording, jar) = (Recording::new(), CookieJar::new());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let answers = rt.block_on(async {
        let client: urlrequest_tokio::Client = configured(&recording, &jar);
        async_answers(&client, &s, &dir.path().join("big")).await
    });
    check("tokio", answers, &recording, &jar);
}

/// Ticks `client` until `done` says the handles have what they wait for.
fn tick_until(client: &urlrequest_frame::Client, mut done: impl FnMut() -> bool) {
    let limit = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < limit, "the frame client made no progress");
        client.tick(Instant::now());
        if !done() {
            client.wait(Some(Duration::from_millis(50)));
        }
    }
}

#[test]
fn frame_client() {
    let s = server();
    let (recording, jar) = (Recording::new(), CookieJar::new());
    let client: urlrequest_frame::Client = configured(&recording, &jar);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    // All five at once: the loop moves them together.
    let mut get = client.get(&s.url("/hello")).unwrap();
    let mut missing = client.send(Request::get(s.url("/nope")).unwrap());
    let builder = Request::builder(s.url("/echo")).method("POST");
    let mut upload = client.upload(builder, upload_of(b"uploaded body")).unwrap();
    let events = client.events(Request::get(s.url("/big")).unwrap());
    let mut download = client.download(Request::get(s.url("/big")).unwrap(), &path);
    let (mut got, mut miss, mut up, mut down) = (None, None, None, None);
    let mut streamed = Vec::new();
    tick_until(&client, || {
        got = got.take().or_else(|| get.poll());
        miss = miss.take().or_else(|| missing.poll());
        up = up.take().or_else(|| upload.poll());
        down = down.take().or_else(|| download.poll());
        while let Some(event) = events.poll_event() {
            streamed.push(event);
        }
        got.is_some() && miss.is_some() && up.is_some() && down.is_some() && events.is_finished()
    });
    let answers = Answers {
        get: text(&got.unwrap().unwrap()),
        missing: text(&miss.unwrap().unwrap()),
        upload: up.unwrap().unwrap().text().unwrap(),
        streamed: stream_summary(streamed),
        downloaded: down.unwrap().is_ok() && same_file(&path),
    };
    check("frame", answers, &recording, &jar);
}

/// A limit of one connection per host, in every runtime: requests started
/// together take turns on one connection instead of opening more.
#[test]
fn the_per_host_limit_holds_in_every_runtime() {
    fn limited<C: BuildClient>() -> C {
        ClientBuilder::<C>::new()
            .per_host_limit(1)
            .no_env_proxies()
            .build()
            .unwrap()
    }
    let slow = || {
        serve(|_, w| {
            // Slow enough that the four requests overlap.
            std::thread::sleep(Duration::from_millis(20));
            respond(w, "200 OK", &[], b"turn")?;
            Ok(true)
        })
    };

    // std: four threads at once.
    let s = slow();
    let client: urlrequest_std::Client = limited();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (client, url) = (client.clone(), s.url("/"));
            std::thread::spawn(move || client.get(&url).unwrap().text().unwrap())
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), "turn");
    }
    assert_eq!(s.accepted(), 1, "std opened more than one connection");

    // smol: four tasks at once.
    let s = slow();
    let client: urlrequest_smol::Client = limited();
    let url = s.url("/");
    let bodies = smol::block_on(join_texts((0..4).map(|_| client.get(&url))));
    assert!(bodies.iter().all(|b| b == "turn"), "{bodies:?}");
    assert_eq!(s.accepted(), 1, "smol opened more than one connection");

    // frame: four handles in one loop.
    let s = slow();
    let client: urlrequest_frame::Client = limited();
    let mut handles: Vec<_> = (0..4).map(|_| client.get(&s.url("/")).unwrap()).collect();
    let mut done: Vec<Option<Response>> = vec![None, None, None, None];
    tick_until(&client, || {
        for (h, d) in handles.iter_mut().zip(done.iter_mut()) {
            if let Some(r) = h.poll() {
                *d = Some(r.unwrap());
            }
        }
        done.iter().all(Option::is_some)
    });
    assert_eq!(s.accepted(), 1, "frame opened more than one connection");

    // Without the limit, four requests started together open four.
    let s = slow();
    let client: urlrequest_frame::Client = ClientBuilder::new().no_env_proxies().build().unwrap();
    let mut handles: Vec<_> = (0..4).map(|_| client.get(&s.url("/")).unwrap()).collect();
    let mut left = 4;
    tick_until(&client, || {
        left -= handles.iter_mut().filter_map(|h| h.poll()).count();
        left == 0
    });
    assert_eq!(s.accepted(), 4);
}

/// Awaits every future, in order of the list (they run together).
async fn join_texts<F>(futures: impl Iterator<Item = F>) -> Vec<String>
where
    F: std::future::Future<Output = Result<Response, urlrequest::Error>>,
{
    let tasks: Vec<_> = futures.map(Box::pin).collect();
    let mut out = Vec::new();
    let mut pending: Vec<_> = tasks.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        for slot in pending.iter_mut() {
            if let Some(f) = slot {
                if let std::task::Poll::Ready(r) = f.as_mut().poll(cx) {
                    out.push(r.unwrap().text().unwrap());
                    *slot = None;
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out
}

/// A server that accepts connections and never answers.
fn silent_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    url
}

/// The client's `timeout` (the whole exchange) and `read_timeout` (time
/// without progress) end a request to a silent server in every runtime,
/// with the same message.
#[test]
fn client_timeouts_apply_in_every_runtime() {
    fn with<C: BuildClient>(total: bool) -> C {
        let b = ClientBuilder::<C>::new().no_env_proxies();
        let t = Duration::from_millis(300);
        if total {
            b.timeout(t)
        } else {
            b.read_timeout(t)
        }
        .build()
        .unwrap()
    }
    for total in [true, false] {
        let url = silent_server();
        let started = Instant::now();
        let std = with::<urlrequest_std::Client>(total).get(&url).unwrap_err();
        let smol = smol::block_on(with::<urlrequest_smol::Client>(total).get(&url)).unwrap_err();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let tokio = rt
            .block_on(async { with::<urlrequest_tokio::Client>(total).get(&url).await })
            .unwrap_err();
        let client: urlrequest_frame::Client = with(total);
        let mut handle = client.get(&url).unwrap();
        let mut frame = None;
        tick_until(&client, || {
            frame = frame.take().or_else(|| handle.poll());
            frame.is_some()
        });
        let frame = frame.unwrap().unwrap_err();
        // Four requests of 300 ms each, well before any default would act.
        assert!(started.elapsed() < Duration::from_secs(20));
        for e in [&std, &smol, &tokio, &frame] {
            assert_eq!(e.kind_name(), "timeout", "{e}");
            assert_eq!(e.to_string(), std.to_string());
        }
    }
}
