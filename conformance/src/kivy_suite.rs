//! Kivy's own `UrlRequest` tests as a conformance source: the local
//! servers they need, a request described once as data ([`KivySpec`]), and
//! one runner ([`run_kivy`]) that builds it on every runtime's `UrlRequest`
//! and runs it the way an application on that runtime would
//! ([`KivyLoop`]): std with `wait()`, std with Kivy's own loop
//! (`while !req.is_finished() { tick() }`, the tick being
//! [`dispatch_all`](urlrequest::dispatch_all)), smol and tokio awaiting
//! `send()`, and frame ticking its client. The tests themselves are in
//! `tests/kivy_suite.rs`; the places where urlrequest differs from Kivy
//! on purpose are listed in the crate's README.
//!
//! Every callback is recorded with the thread it ran on and the properties
//! it saw, so a test can check what Kivy's tests check (the callbacks, in
//! order, on the loop's thread) and what Kivy sets when (`is_finished`,
//! `resp_status`, `result`, `error`).

use std::io::{self, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use base64::Engine;
use urlrequest::{Error, ResultValue, Runtime, UrlRequest, UrlRequestBuilder};

use crate::pki::{CertKind, TestCa};
use crate::test_server::{respond, serve_on, Req, Server};

/// How long a run may take before it counts as hung.
pub const KIVY_RUN_LIMIT: Duration = Duration::from_secs(10);

/// The body of `/get`: sized so that a `chunk_size` of 512 gives several
/// progress updates.
pub const GET_BODY: [u8; 4096] = [b'a'; 4096];

/// The body of `/blob`, a binary download.
pub fn blob_body() -> Vec<u8> {
    let mut piece = vec![0u8, 1, 2];
    piece.extend_from_slice(b"binary payload");
    piece.push(0xff);
    piece.repeat(64)
}

/// The form body `/submit` expects with a POST.
pub const POST_BODY: &[u8] = b"name=value&other=thing";

/// The credentials of `/basic-auth/user/passwd`.
pub const BASIC_USER: (&str, &str) = ("user", "passwd");

/// The credentials `/auth-400` expects.
pub const EXAMPLE_USER: (&str, &str) = ("exampleuser", "examplepassword");

/// `Basic ...` for `user` and `password`.
pub fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// The routes Kivy's tests use, served alike over http and https.
fn route(req: &Req, w: &mut dyn Write) -> io::Result<bool> {
    let json = ("Content-Type", "application/json");
    let path = req.target.as_str();
    match path {
        "/get" => respond(
            w,
            "200 OK",
            &[("Content-Type", "application/octet-stream")],
            &GET_BODY,
        )?,
        "/basic-auth/user/passwd" => {
            if req.header("authorization") == Some(&basic(BASIC_USER.0, BASIC_USER.1)) {
                respond(
                    w,
                    "200 OK",
                    &[json],
                    br#"{"authenticated": true, "user": "user"}"#,
                )?
            } else {
                respond(w, "401 Unauthorized", &[], b"Unauthorized")?
            }
        }
        "/ok" => respond(w, "200 OK", &[], b"ok")?,
        "/redirect" => respond(w, "302 Found", &[("Location", "/elsewhere")], b"")?,
        "/elsewhere" => respond(w, "200 OK", &[], b"moved here")?,
        "/missing" => respond(
            w,
            "404 Not Found",
            &[("Content-Type", "text/plain")],
            b"not found",
        )?,
        "/submit" if req.method == "POST" && req.body == POST_BODY => {
            respond(w, "200 OK", &[], b"ok")?
        }
        "/data" => respond(w, "200 OK", &[json], br#"{"a": 1, "b": [2, 3]}"#)?,
        "/blob" => respond(
            w,
            "200 OK",
            &[("Content-Type", "application/octet-stream")],
            &blob_body(),
        )?,
        "/json-200" => respond(w, "200 OK", &[json], b"{}")?,
        // A 3xx with no Location cannot be followed: it is the response.
        "/json-301" => respond(w, "301 Moved Permanently", &[json], b"{}")?,
        "/json-400" => respond(w, "400 Bad Request", &[json], b"{}")?,
        "/auth-400" => {
            if req.header("authorization") == Some(&basic(EXAMPLE_USER.0, EXAMPLE_USER.1)) {
                respond(w, "400 Bad Request", &[json], b"{}")?
            } else {
                respond(w, "500 Internal Server Error", &[], b"no credentials")?
            }
        }
        "/x100" => respond(w, "200 OK", &[("Content-Type", "text/plain")], &[b'x'; 100])?,
        // The connection is closed with no answer at all.
        "/raise" => return Ok(false),
        // The head and a first chunk of `/get`, then silence: a request
        // still running when its callbacks see the first bytes.
        "/stall" => {
            w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n")?;
            w.write_all(&GET_BODY[..512])?;
            w.flush()?;
            // Longer than any run: the client ends the exchange first.
            thread::sleep(KIVY_RUN_LIMIT + Duration::from_secs(1));
            return Ok(false);
        }
        _ => respond(w, "500 Internal Server Error", &[], b"no handler")?,
    }
    Ok(true)
}

/// The servers of Kivy's tests: the same routes over http and https (a
/// certificate for 127.0.0.1 from the conformance CA, `TestCa::trusted`).
pub struct KivyServers {
    /// Plain http.
    pub http: Server,
    /// https.
    pub https: Server,
}

impl KivyServers {
    /// Starts both on free loopback ports.
    ///
    /// Panics if no loopback port can be bound.
    pub fn start() -> KivyServers {
        let tls = TestCa::trusted().server_config(&["127.0.0.1"], CertKind::Valid);
        KivyServers {
            http: serve_on(
                TcpListener::bind("127.0.0.1:0").expect("bind"),
                None,
                Arc::new(route),
            ),
            https: serve_on(
                TcpListener::bind("127.0.0.1:0").expect("bind"),
                Some(tls),
                Arc::new(route),
            ),
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        self.http.url(path)
    }

    /// `https://127.0.0.1:PORT{path}`.
    pub fn https_url(&self, path: &str) -> String {
        self.https.https_url("127.0.0.1", path)
    }

    /// The CA file that makes the https server trusted.
    pub fn ca_file() -> PathBuf {
        TestCa::trusted().pem_file().to_path_buf()
    }
}

/// A callback a test registers (Kivy's tests register different sets, and
/// which are set changes what is reported: no `on_progress`, no updates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cb {
    /// `on_success`.
    Success,
    /// `on_redirect`.
    Redirect,
    /// `on_failure`.
    Failure,
    /// `on_error`.
    Error,
    /// `on_progress`.
    Progress,
    /// `on_cancel`.
    Cancel,
    /// `on_finish`.
    Finish,
}

impl Cb {
    /// Every callback.
    pub const ALL: &'static [Cb] = &[
        Cb::Success,
        Cb::Redirect,
        Cb::Failure,
        Cb::Error,
        Cb::Progress,
        Cb::Cancel,
        Cb::Finish,
    ];
}

/// One request of a test, described once for every runtime.
#[derive(Debug, Clone)]
pub struct KivySpec {
    /// The URL.
    pub url: String,
    /// The callbacks registered.
    pub callbacks: Vec<Cb>,
    /// `chunk_size`, when set.
    pub chunk_size: Option<usize>,
    /// `req_headers`.
    pub headers: Vec<(String, String)>,
    /// `req_body`.
    pub body: Option<Vec<u8>>,
    /// `decode`.
    pub decode: bool,
    /// `file_path`.
    pub file_path: Option<PathBuf>,
    /// `ca_file`.
    pub ca_file: Option<PathBuf>,
    /// `max_redirects`, when set.
    pub max_redirects: Option<u32>,
    /// `auth`.
    pub auth: Option<(String, String)>,
    /// `repeat_final_progress`, when set.
    pub repeat_final_progress: Option<bool>,
    /// Cancel from `on_progress` once this many bytes arrived.
    pub cancel_at: Option<u64>,
}

impl KivySpec {
    /// A GET of `url` with `callbacks` and every other parameter at its
    /// default.
    pub fn new(url: impl Into<String>, callbacks: &[Cb]) -> KivySpec {
        KivySpec {
            url: url.into(),
            callbacks: callbacks.to_vec(),
            chunk_size: None,
            headers: Vec::new(),
            body: None,
            decode: true,
            file_path: None,
            ca_file: None,
            max_redirects: None,
            auth: None,
            repeat_final_progress: None,
            cancel_at: None,
        }
    }

    /// Sets `chunk_size`.
    pub fn chunk_size(mut self, size: usize) -> Self {
        self.chunk_size = Some(size);
        self
    }

    /// Adds a request header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets `req_body`.
    pub fn body(mut self, body: &[u8]) -> Self {
        self.body = Some(body.to_vec());
        self
    }

    /// Sets `decode`.
    pub fn decode(mut self, on: bool) -> Self {
        self.decode = on;
        self
    }

    /// Sets `file_path`.
    pub fn file_path(mut self, path: PathBuf) -> Self {
        self.file_path = Some(path);
        self
    }

    /// Sets `ca_file` to the test CA.
    pub fn ca_file(mut self) -> Self {
        self.ca_file = Some(KivyServers::ca_file());
        self
    }

    /// Sets `max_redirects`.
    pub fn max_redirects(mut self, n: u32) -> Self {
        self.max_redirects = Some(n);
        self
    }

    /// Sets `auth`.
    pub fn auth(mut self, user: &str, password: &str) -> Self {
        self.auth = Some((user.into(), password.into()));
        self
    }

    /// Sets `repeat_final_progress`.
    pub fn repeat_final_progress(mut self, on: bool) -> Self {
        self.repeat_final_progress = Some(on);
        self
    }

    /// Cancels from `on_progress` once `bytes` arrived.
    pub fn cancel_at(mut self, bytes: u64) -> Self {
        self.cancel_at = Some(bytes);
        self
    }
}

/// How a runtime's application runs a request until it is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KivyLoop {
    /// urlrequest-std, queued dispatch, `req.wait(..)`.
    StdWait,
    /// urlrequest-std, queued dispatch, Kivy's loop:
    /// `while !req.is_finished() { dispatch_all() }`, a frame apart.
    StdTick,
    /// urlrequest-smol, `send()` awaited with `smol::block_on`.
    Smol,
    /// urlrequest-tokio, `send()` awaited on a current-thread runtime.
    Tokio,
    /// urlrequest-frame: `while !req.is_finished() { client.tick(now) }`.
    Frame,
}

impl KivyLoop {
    /// Every loop.
    pub const ALL: [KivyLoop; 5] = [
        KivyLoop::StdWait,
        KivyLoop::StdTick,
        KivyLoop::Smol,
        KivyLoop::Tokio,
        KivyLoop::Frame,
    ];

    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            KivyLoop::StdWait => "std, wait",
            KivyLoop::StdTick => "std, is_finished loop",
            KivyLoop::Smol => "smol",
            KivyLoop::Tokio => "tokio",
            KivyLoop::Frame => "frame",
        }
    }
}

/// What a callback was given.
#[derive(Debug, Clone)]
pub enum Args {
    /// `on_cancel`, `on_finish`.
    None,
    /// `on_progress`: received, total.
    Progress(u64, Option<u64>),
    /// `on_success`, `on_redirect`, `on_failure`.
    Result(ResultValue),
    /// `on_error`.
    Error(Error),
}

/// The properties as a callback saw them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Props {
    /// `is_finished()`.
    pub finished: bool,
    /// `resp_status()`.
    pub status: Option<u16>,
    /// `result().is_some()`.
    pub has_result: bool,
    /// `error().is_some()`.
    pub has_error: bool,
}

/// One callback as it ran.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The thread it ran on.
    pub thread: ThreadId,
    /// Its name without `on_`: `progress`, `success`, ...
    pub name: &'static str,
    /// Its arguments.
    pub args: Args,
    /// The properties it saw.
    pub props: Props,
}

/// A finished run: the callbacks, and the properties afterwards.
#[derive(Debug, Clone)]
pub struct Ran {
    /// The callbacks, in order.
    pub events: Vec<Seen>,
    /// The thread that ran the loop.
    pub thread: ThreadId,
    /// The properties once the loop ended.
    pub props: Props,
    /// `result()` once the loop ended.
    pub result: Option<ResultValue>,
    /// `error()` once the loop ended.
    pub error: Option<Error>,
}

impl Ran {
    /// The callbacks' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.events.iter().map(|e| e.name).collect()
    }

    /// Whether every callback ran on the loop's thread.
    pub fn all_on_loop_thread(&self) -> bool {
        self.events.iter().all(|e| e.thread == self.thread)
    }

    /// The progress updates, in order.
    pub fn progress(&self) -> Vec<(u64, Option<u64>)> {
        self.events
            .iter()
            .filter_map(|e| match e.args {
                Args::Progress(r, t) => Some((r, t)),
                _ => None,
            })
            .collect()
    }

    /// The last callback's result, if it was given one.
    pub fn last_result(&self) -> Option<&ResultValue> {
        match &self.events.last()?.args {
            Args::Result(r) => Some(r),
            _ => None,
        }
    }
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// Runs `spec` through `how` until the request is over (at most
/// [`KIVY_RUN_LIMIT`]), and returns what the callbacks saw.
pub fn run_kivy(spec: &KivySpec, how: KivyLoop) -> Result<Ran, String> {
    let log: Log = Arc::default();
    let limit = || format!("{}: not over after {KIVY_RUN_LIMIT:?}", how.name());
    let deadline = Instant::now() + KIVY_RUN_LIMIT;
    let (props, result, error) = match how {
        KivyLoop::StdWait | KivyLoop::StdTick => {
            let req = builder::<urlrequest_std::Std>(spec, &log)
                .build()
                .map_err(|e| e.to_string())?;
            if how == KivyLoop::StdWait {
                if !req.wait(KIVY_RUN_LIMIT) {
                    return Err(limit());
                }
            } else {
                while !req.is_finished() {
                    if Instant::now() > deadline {
                        return Err(limit());
                    }
                    urlrequest_std::dispatch_all();
                    // The interval between two frames of a GUI loop.
                    thread::sleep(Duration::from_millis(1));
                }
            }
            after(&req)
        }
        KivyLoop::Smol => {
            let req = builder::<urlrequest_smol::Smol>(spec, &log)
                .build()
                .map_err(|e| e.to_string())?;
            let ran = smol::block_on(smol::future::or(
                async {
                    let _ = req.send().await;
                    true
                },
                async {
                    smol::Timer::after(KIVY_RUN_LIMIT).await;
                    false
                },
            ));
            if !ran {
                return Err(limit());
            }
            after(&req)
        }
        KivyLoop::Tokio => {
            let req = builder::<urlrequest_tokio::Tokio>(spec, &log)
                .build()
                .map_err(|e| e.to_string())?;
            let runtime = crate::TokioDriver::CURRENT_THREAD
                .runtime()
                .map_err(|e| format!("tokio runtime: {e}"))?;
            runtime
                .block_on(async { tokio::time::timeout(KIVY_RUN_LIMIT, req.send()).await })
                .map_err(|_| limit())?
                .ok();
            after(&req)
        }
        KivyLoop::Frame => {
            let client = urlrequest_frame::Client::new();
            let req = builder::<urlrequest_frame::Frame>(spec, &log)
                .client(&client)
                .build()
                .map_err(|e| e.to_string())?;
            while !req.is_finished() {
                if Instant::now() > deadline {
                    return Err(limit());
                }
                client.tick(Instant::now());
                if !req.is_finished() {
                    client.wait(Some(Duration::from_millis(50)));
                }
            }
            after(&req)
        }
    };
    let events = log.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(Ran {
        events,
        thread: thread::current().id(),
        props,
        result,
        error,
    })
}

fn props<R: Runtime>(req: &UrlRequest<R>) -> Props {
    Props {
        finished: req.is_finished(),
        status: req.resp_status().map(|s| s.as_u16()),
        has_result: req.result().is_some(),
        has_error: req.error().is_some(),
    }
}

fn after<R: Runtime>(req: &UrlRequest<R>) -> (Props, Option<ResultValue>, Option<Error>) {
    (props(req), req.result(), req.error())
}

/// The spec as a builder of runtime `R`, every registered callback
/// recording what it saw.
fn builder<R: Runtime>(spec: &KivySpec, log: &Log) -> UrlRequestBuilder<R> {
    let mut b = UrlRequest::<R>::builder(spec.url.as_str()).decode(spec.decode);
    if let Some(size) = spec.chunk_size {
        b = b.chunk_size(size);
    }
    for (name, value) in &spec.headers {
        b = b.header(name.as_str(), value.as_str());
    }
    if let Some(body) = &spec.body {
        b = b.req_body(body.clone());
    }
    if let Some(path) = &spec.file_path {
        b = b.file_path(path.clone());
    }
    if let Some(path) = &spec.ca_file {
        b = b.ca_file(path.clone());
    }
    if let Some(n) = spec.max_redirects {
        b = b.max_redirects(n);
    }
    if let Some((user, password)) = &spec.auth {
        b = b.auth(user.as_str(), password.as_str());
    }
    if let Some(on) = spec.repeat_final_progress {
        b = b.repeat_final_progress(on);
    }
    let record = |name: &'static str| {
        let log = log.clone();
        move |req: &UrlRequest<R>, args: Args| {
            let seen = Seen {
                thread: thread::current().id(),
                name,
                args,
                props: props(req),
            };
            log.lock().unwrap_or_else(|p| p.into_inner()).push(seen);
        }
    };
    for cb in &spec.callbacks {
        b = match cb {
            Cb::Success => {
                let r = record("success");
                b.on_success(move |req, result| r(req, Args::Result(result.clone())))
            }
            Cb::Redirect => {
                let r = record("redirect");
                b.on_redirect(move |req, result| r(req, Args::Result(result.clone())))
            }
            Cb::Failure => {
                let r = record("failure");
                b.on_failure(move |req, result| r(req, Args::Result(result.clone())))
            }
            Cb::Error => {
                let r = record("error");
                b.on_error(move |req, error| r(req, Args::Error(error.clone())))
            }
            Cb::Progress => {
                let r = record("progress");
                let cancel_at = spec.cancel_at;
                b.on_progress(move |req, received, total| {
                    r(req, Args::Progress(received, total));
                    if cancel_at.is_some_and(|at| received >= at) {
                        req.cancel();
                    }
                })
            }
            Cb::Cancel => {
                let r = record("cancel");
                b.on_cancel(move |req| r(req, Args::None))
            }
            Cb::Finish => {
                let r = record("finish");
                b.on_finish(move |req| r(req, Args::None))
            }
        };
    }
    b
}
