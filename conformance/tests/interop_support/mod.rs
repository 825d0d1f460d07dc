//! Shared by the interop tests: one request description run through
//! urlrequest-std, urlrequest-smol and ureq, and the outcomes in one shape
//! so that tests assert the three agree.

#![allow(dead_code)] // each test binary uses a different part

use std::fmt;
use std::io::Read;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use smol::stream::StreamExt;
use urlrequest_core::{Event, Exchange, Limits, Proxy, Request};
use urlrequest_std::{Agent, DriveOptions};

/// Sent by all three clients, so echoed requests differ in nothing else.
pub const USER_AGENT: &str = "urlrequest-interop";

/// One request, described once for every client.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub timeout: Option<Duration>,
    pub max_redirects: Option<u32>,
    pub proxy: Option<SocketAddr>,
}

impl Call {
    pub fn get(url: impl Into<String>) -> Call {
        Call::new("GET", url)
    }

    pub fn new(method: &str, url: impl Into<String>) -> Call {
        Call {
            method: method.to_string(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout: None,
            max_redirects: None,
            proxy: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Call {
        self.body = Some(body.into());
        self
    }

    pub fn timeout(mut self, t: Duration) -> Call {
        self.timeout = Some(t);
        self
    }

    pub fn max_redirects(mut self, n: u32) -> Call {
        self.max_redirects = Some(n);
        self
    }

    pub fn proxy(mut self, addr: SocketAddr) -> Call {
        self.proxy = Some(addr);
        self
    }

    /// The core request (raw bodies: JSON decoding is checked separately;
    /// no body limit, the files reach 64 MiB and are kept in memory).
    pub fn request(&self) -> Request {
        let unlimited = Limits {
            max_body_bytes: Some(u64::MAX),
            ..Limits::default()
        };
        let mut b = Request::builder(&self.url)
            .method(&self.method)
            .user_agent(USER_AGENT)
            .limits(unlimited)
            .decode(false);
        for (n, v) in &self.headers {
            b = b.header(n, v);
        }
        if let Some(body) = &self.body {
            b = b.body(body.clone());
        }
        if let Some(t) = self.timeout {
            b = b.timeout(t);
        }
        if let Some(n) = self.max_redirects {
            b = b.max_redirects(n);
        }
        if let Some(p) = self.proxy {
            b = b.proxy(Proxy::new(p.ip().to_string(), p.port()).expect("proxy"));
        }
        b.build().expect("valid request")
    }
}

/// A completed exchange, whichever client ran it.
#[derive(Debug, Clone, PartialEq)]
pub struct Got {
    pub status: u16,
    pub body: Vec<u8>,
    /// The final URL, after redirects.
    pub url: String,
    /// Names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    /// Redirects followed (ureq does not say: `None`).
    pub redirects: Option<usize>,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// An exchange that did not complete.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    /// A client-independent name: `timeout`, `too-many-redirects`, ...
    pub kind: String,
    pub message: String,
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// What one client did with a call, and how long it took.
#[derive(Debug)]
pub struct Outcome {
    pub client: &'static str,
    pub result: Result<Got, Failed>,
    pub elapsed: Duration,
}

impl Outcome {
    /// The response; panics naming the client when there is none.
    pub fn got(&self) -> &Got {
        match &self.result {
            Ok(g) => g,
            Err(e) => panic!("{} failed: {e}", self.client),
        }
    }

    /// The failure; panics naming the client when it completed.
    pub fn failed(&self) -> &Failed {
        match &self.result {
            Err(e) => e,
            Ok(g) => panic!(
                "{} completed ({} {:?}) where a failure was expected",
                self.client,
                g.status,
                g.text()
            ),
        }
    }
}

/// The clients [`Clients::each`] runs, in order: urlrequest's runtimes,
/// then ureq.
pub const NAMES: [&str; 4] = ["std", "smol", "tokio", "ureq"];
/// How many of [`NAMES`] are urlrequest's (they come first).
pub const OURS: usize = 3;

/// A long-lived client of each kind, so that keep-alive pools persist
/// across calls as in real use.
pub struct Clients {
    pub std: Agent,
    pub smol: urlrequest_smol::Client,
    pub tokio: TokioClient,
    pub ureq: ureq::Agent,
}

/// A urlrequest-tokio client with the runtime its connections belong to.
pub struct TokioClient {
    pub client: urlrequest_tokio::Client,
    pub runtime: tokio::runtime::Runtime,
}

impl TokioClient {
    pub fn new(client: urlrequest_tokio::Client) -> TokioClient {
        TokioClient {
            client,
            runtime: urlrequest_conformance::TokioDriver::CURRENT_THREAD
                .runtime()
                .expect("a tokio runtime"),
        }
    }
}

impl Default for Clients {
    fn default() -> Self {
        Clients::new()
    }
}

impl Clients {
    pub fn new() -> Clients {
        Clients {
            std: Agent::new(),
            smol: urlrequest_smol::Client::new(),
            tokio: TokioClient::new(urlrequest_tokio::Client::new()),
            ureq: ureq_agent(&Call::get("http://unused/")),
        }
    }

    /// Runs `call` through every client of [`NAMES`], one after the other.
    pub fn each(&self, call: &Call) -> Vec<Outcome> {
        let timed = |client, f: &dyn Fn() -> Result<Got, Failed>| {
            let start = Instant::now();
            let result = f();
            Outcome {
                client,
                result,
                elapsed: start.elapsed(),
            }
        };
        vec![
            timed("std", &|| with_std(&self.std, call)),
            timed("smol", &|| with_smol(&self.smol, call)),
            timed("tokio", &|| with_tokio(&self.tokio, call)),
            timed("ureq", &|| with_ureq(&self.ureq, call)),
        ]
    }
}

/// urlrequest-std through [`Agent::drive`], counting redirect events.
pub fn with_std(agent: &Agent, call: &Call) -> Result<Got, Failed> {
    let mut ex = Exchange::new(call.request(), Instant::now());
    let mut redirects = 0;
    let mut end = None;
    agent.drive(&mut ex, &DriveOptions::new(), |event, _| {
        tally(event, &mut redirects, &mut end);
        ControlFlow::Continue(())
    });
    finish(
        end.expect("std: the exchange ended without a terminal event"),
        redirects,
    )
}

/// urlrequest-smol through its event stream, counting redirect events.
pub fn with_smol(client: &urlrequest_smol::Client, call: &Call) -> Result<Got, Failed> {
    smol::block_on(async {
        let mut events = client.events_collecting(call.request());
        let mut redirects = 0;
        let mut end = None;
        while let Some(event) = events.next().await {
            tally(event, &mut redirects, &mut end);
        }
        finish(
            end.expect("smol: the stream ended without a terminal event"),
            redirects,
        )
    })
}

/// urlrequest-tokio through its event stream, counting redirect events.
pub fn with_tokio(tokio: &TokioClient, call: &Call) -> Result<Got, Failed> {
    tokio.runtime.block_on(async {
        let mut events = tokio.client.events_collecting(call.request());
        let mut redirects = 0;
        let mut end = None;
        while let Some(event) = events.next().await {
            tally(event, &mut redirects, &mut end);
        }
        finish(
            end.expect("tokio: the stream ended without a terminal event"),
            redirects,
        )
    })
}

fn tally(event: Event, redirects: &mut usize, end: &mut Option<Event>) {
    match event {
        Event::Redirect { .. } => *redirects += 1,
        e @ (Event::Done(_) | Event::Failure(_)) => *end = Some(e),
        _ => {}
    }
}

fn finish(end: Event, redirects: usize) -> Result<Got, Failed> {
    match end {
        Event::Done(r) => Ok(Got {
            status: r.status().as_u16(),
            body: r.bytes().map(|b| b.to_vec()).unwrap_or_default(),
            url: r.url().to_string(),
            headers: r
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            redirects: Some(redirects),
        }),
        Event::Failure(e) => Err(Failed {
            kind: e.kind_name().to_string(),
            message: e.to_string(),
        }),
        _ => unreachable!("only terminal events are kept"),
    }
}

/// A ureq agent configured as `call` asks. ureq keeps proxy, timeout and
/// redirect limit on the agent, not the request. Its `max_redirects(n)`
/// follows `n` redirects, as ours does.
fn ureq_agent(call: &Call) -> ureq::Agent {
    let mut b = ureq::Agent::config_builder()
        .user_agent(USER_AGENT)
        .http_status_as_error(false)
        .max_redirects(call.max_redirects.unwrap_or(10));
    if let Some(t) = call.timeout {
        b = b.timeout_per_read(Some(t)).timeout_per_write(Some(t));
    }
    if let Some(p) = call.proxy {
        b = b.proxy(Some(
            ureq::Proxy::new(&format!("http://{p}")).expect("proxy URL"),
        ));
    }
    b.build().into()
}

/// ureq, with its own agent when the call needs settings the shared one
/// lacks.
pub fn with_ureq(shared: &ureq::Agent, call: &Call) -> Result<Got, Failed> {
    use ureq::ResponseExt;
    let own;
    let agent = if call.timeout.is_some() || call.proxy.is_some() || call.max_redirects.is_some() {
        own = ureq_agent(call);
        &own
    } else {
        shared
    };
    let mut req = ureq::http::Request::builder()
        .method(call.method.as_str())
        .uri(&call.url);
    for (n, v) in &call.headers {
        req = req.header(n.as_str(), v.as_str());
    }
    let sent = match &call.body {
        Some(b) => agent.run(req.body(b.clone()).expect("request")),
        None => agent.run(req.body(()).expect("request")),
    };
    let resp = sent.map_err(|e| ureq_failure(&e))?;
    let status = resp.status().as_u16();
    let url = resp.get_uri().to_string();
    // Every field line in order, repeated names included.
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    resp.into_body()
        .into_reader()
        .read_to_end(&mut body)
        .map_err(|e| Failed {
            kind: io_kind(&e).to_string(),
            message: e.to_string(),
        })?;
    Ok(Got {
        status,
        body,
        url,
        headers,
        redirects: None,
    })
}

fn ureq_failure(e: &ureq::Error) -> Failed {
    let kind = match e {
        ureq::Error::TooManyRedirects => "too-many-redirects",
        ureq::Error::HostNotFound => "dns",
        ureq::Error::ConnectionFailed => "connect",
        ureq::Error::ConnectProxyFailed(_) => "proxy-refused",
        ureq::Error::RedirectFailed => "redirect-failed",
        ureq::Error::Timeout(_) => "timeout",
        ureq::Error::Io(e) => io_kind(e),
        _ => "other",
    };
    Failed {
        kind: kind.to_string(),
        message: e.to_string(),
    }
}

fn io_kind(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => "timeout",
        _ => "io",
    }
}

/// Asserts that `f` gives the same value for every outcome and returns it.
pub fn same<T: PartialEq + fmt::Debug>(outcomes: &[Outcome], f: impl Fn(&Got) -> T) -> T {
    let mut values = outcomes.iter().map(|o| (o.client, f(o.got())));
    let (first_client, first) = values.next().expect("at least one client");
    for (client, v) in values {
        assert_eq!(
            v, first,
            "{client} and {first_client} disagree (left: {client}, right: {first_client})"
        );
    }
    first
}

/// Deterministic pseudo-random content (`fastrand` seeded with `seed`), so
/// large files can be checked byte for byte without storing them in the
/// repository.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0; len];
    fastrand::Rng::with_seed(seed).fill(&mut out);
    out
}

/// Where two byte strings first differ, for readable failures on big
/// bodies (`assert_eq!` would print megabytes).
pub fn assert_same_bytes(client: &str, got: &[u8], want: &[u8]) {
    if got == want {
        return;
    }
    let at = got.iter().zip(want).position(|(a, b)| a != b);
    panic!(
        "{client}: body differs: {} bytes received, {} expected, first difference at {:?}",
        got.len(),
        want.len(),
        at
    );
}
