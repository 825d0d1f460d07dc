//! Transcripts: a record of one request and every input its exchange
//! received, with time offsets, as JSON lines; and replay of such a record
//! through the core with no network and no clock. The format is documented
//! on [`Transcript`].

use std::fmt;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::error::TransportError;
use crate::event::Event;
use crate::exchange::{Action, Exchange};
use crate::request::{Limits, Proxy, ProxySource, Request};

/// Format version written in the first line. Version 1 (bodies and data in
/// hex) is still read.
pub const TRANSCRIPT_VERSION: u64 = 2;

/// One input the core received.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// [`Exchange::handle_connected`].
    Connected {
        /// Whether the connection came from the pool.
        reused: bool,
    },
    /// [`Exchange::handle_tls_ready`].
    TlsReady,
    /// [`Exchange::handle_transport_error`].
    TransportError(TransportError),
    /// [`Exchange::handle_written`].
    Written(usize),
    /// [`Exchange::handle_read`] / [`Exchange::handle_data`].
    Data(Bytes),
    /// [`Exchange::handle_eof`].
    Eof,
    /// [`Exchange::handle_timeout`].
    Timeout,
    /// [`Exchange::cancel`].
    Cancel,
    /// [`Exchange::handle_body_read`] / [`Exchange::handle_body_data`]:
    /// bytes of a streamed request body.
    BodyData(Bytes),
    /// [`Exchange::handle_body_end`].
    BodyEnd,
    /// [`Exchange::handle_body_error`].
    BodyError(String),
}

/// A recorded exchange: the request and its inputs with time offsets.
///
/// Record one with [`Exchange::recording`] (the runtimes do it for every
/// request of a client set to record), write it with
/// [`to_json_lines`](Self::to_json_lines), read it back with
/// [`parse`](Self::parse) (or [`parse_all`](Self::parse_all) for a file of
/// many, one after the other), and [`replay`](Self::replay) it: the same
/// events as the recorded run, with no network, no clock and no thread.
///
/// # Format (version 2)
///
/// JSON lines. The first line of a transcript describes the request:
///
/// ```text
/// {"request":{"method":"GET","url":"http://127.0.0.1:8080/",
///   "headers":[["user-agent","urlrequest/0.1.0"]],"chunk_size":8192,"timeout_us":null,
///   "max_redirects":10,"decode":true,"collect_body":true,"proxy":null,
///   "limits":{"max_head_bytes":65536,"max_headers":100,"max_body_bytes":null},
///   "allow_https_to_http":false},"urlrequest_transcript":2}
/// ```
///
/// (one line in the file). A body, when present, is `"body":{"text":"..."}`
/// when it is UTF-8, else `"body":{"b64":"..."}` (standard base64, so a
/// 50 MB binary body takes about 67 MB); a header value that is not UTF-8
/// is written as `[name, null, hex]`. A request with a cookie jar adds
/// `"wall_time"` (seconds since 1970) and `"cookies"` (the jar's cookies
/// when the exchange started: `name`, `value`, `domain`, `host_only`,
/// `path`, `secure`, `http_only`, `expires`, `created`), and one following
/// proxies from the environment adds `"env_proxies"` (the variables read,
/// `{"vars":[[name,value],...],"no_proxy":null}`), so that a replay sends
/// the same `Cookie` headers and picks the same proxy on every hop; older
/// readers ignore them. A proxy is `{"host":...,"port":...,"headers":[...],
/// "source":...}`, the source (said in a failure's message) being
/// `"setting"`, `"kivy_params"` or `{"env":"<variable>"}`; a proxy without
/// `"source"` (an older transcript) is read as `"setting"`. Every following
/// line is one input,
/// `at_us` being microseconds since the exchange started:
///
/// ```text
/// {"at_us":0,"input":"connected","reused":false}
/// {"at_us":8,"input":"tls_ready"}
/// {"at_us":120,"input":"written","n":78}
/// {"at_us":950,"input":"data","text":"HTTP/1.1 200 OK\r\n..."}
/// {"at_us":951,"b64":"AP8=","input":"data"}
/// {"at_us":990,"input":"eof"}
/// {"at_us":5000000,"input":"timeout"}
/// {"at_us":990,"input":"cancel"}
/// {"at_us":10,"input":"transport_error","kind":"connect","message":"refused"}
/// ```
///
/// Data lines keep the split points the network produced. TLS sits below
/// the core, so a transcript holds plaintext only. A run the caller stopped
/// (a sink that broke, a cancel) ends with its `cancel` line and replays to
/// the same trace. Several transcripts in one file follow each other, each
/// starting with its request line. Version 1 files (`"hex"` instead of
/// `"b64"`) are read as well.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// The request as described.
    pub request: Request,
    /// Inputs in order, each with its offset from the start.
    pub inputs: Vec<(Duration, Input)>,
}

/// A transcript that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for TranscriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transcript line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for TranscriptError {}

/// Collects inputs while an exchange runs.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    request: Request,
    start: Instant,
    last: Duration,
    inputs: Vec<(Duration, Input)>,
}

impl Recorder {
    pub(crate) fn new(request: &Request, start: Instant) -> Recorder {
        Recorder {
            request: snapshot_jar(request),
            start,
            last: Duration::ZERO,
            inputs: Vec::new(),
        }
    }

    pub(crate) fn record(&mut self, now: Instant, input: Input) {
        self.last = now.saturating_duration_since(self.start).max(self.last);
        self.inputs.push((self.last, input));
    }

    /// For inputs that carry no time (cancel): stamped with the latest time seen.
    pub(crate) fn record_last(&mut self, input: Input) {
        self.inputs.push((self.last, input));
    }

    pub(crate) fn transcript(&self) -> Transcript {
        Transcript {
            request: self.request.clone(),
            inputs: self.inputs.clone(),
        }
    }
}

impl Transcript {
    /// The transcript as JSON lines (see the format above).
    pub fn to_json_lines(&self) -> String {
        let mut out = json!({
            "urlrequest_transcript": TRANSCRIPT_VERSION,
            "request": request_to_json(&self.request),
        })
        .to_string();
        out.push('\n');
        for (at, input) in &self.inputs {
            out.push_str(&input_to_json(*at, input).to_string());
            out.push('\n');
        }
        out
    }

    /// Reads a transcript written by [`to_json_lines`](Self::to_json_lines).
    pub fn parse(text: &str) -> Result<Transcript, TranscriptError> {
        let mut all = Transcript::parse_all(text)?;
        match all.len() {
            1 => Ok(all.remove(0)),
            0 => Err(TranscriptError {
                line: 1,
                message: "empty transcript".into(),
            }),
            n => Err(TranscriptError {
                line: 1,
                message: format!("{n} transcripts where one was expected (use parse_all)"),
            }),
        }
    }

    /// Reads every transcript of a file that holds several, one after the
    /// other (an application's whole session), in order.
    pub fn parse_all(text: &str) -> Result<Vec<Transcript>, TranscriptError> {
        let err = |line: usize, message: String| TranscriptError {
            line: line + 1,
            message,
        };
        let mut all: Vec<Transcript> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line).map_err(|e| err(i, e.to_string()))?;
            if let Some(version) = v.get("urlrequest_transcript") {
                match version.as_u64() {
                    Some(1 | TRANSCRIPT_VERSION) => {}
                    _ => return Err(err(i, format!("unsupported transcript version {version}"))),
                }
                let request = request_from_json(v.get("request").unwrap_or(&Value::Null))
                    .map_err(|m| err(i, m))?;
                all.push(Transcript {
                    request,
                    inputs: Vec::new(),
                });
                continue;
            }
            let Some(current) = all.last_mut() else {
                return Err(err(
                    i,
                    "missing \"urlrequest_transcript\" version: a transcript starts with its request line".into(),
                ));
            };
            current
                .inputs
                .push(input_from_json(&v).map_err(|m| err(i, m))?);
        }
        Ok(all)
    }

    /// Feeds the recorded inputs to a new exchange started at `base` and
    /// returns the events it produces: the trace of the recorded run.
    pub fn replay(&self, base: Instant) -> Vec<Event> {
        let mut events = Vec::new();
        self.replay_with(base, &mut |event, _| {
            events.push(event);
            ControlFlow::Continue(())
        });
        events
    }

    /// Like [`replay`](Self::replay), handing each event as it comes (with
    /// the exchange, for its response head) to `sink`, as a live driver
    /// does. A sink that breaks cancels the exchange; the events after are
    /// not handed over.
    pub fn replay_with(
        &self,
        base: Instant,
        sink: &mut dyn FnMut(Event, &Exchange) -> ControlFlow<()>,
    ) {
        let mut ex = Exchange::new(snapshot_jar(&self.request), base);
        let mut stopped = false;
        let mut deliver = |ex: &mut Exchange, stopped: &mut bool| {
            while let Some(event) = ex.poll_event() {
                if !*stopped && sink(event, ex).is_break() {
                    *stopped = true;
                    ex.cancel();
                }
            }
        };
        for (at, input) in &self.inputs {
            skip_edge_actions(&mut ex);
            deliver(&mut ex, &mut stopped);
            let now = base + *at;
            match input {
                Input::Connected { reused } => ex.handle_connected(now, *reused),
                Input::TlsReady => ex.handle_tls_ready(now),
                Input::TransportError(e) => ex.handle_transport_error(now, e.clone()),
                Input::Written(n) => ex.handle_written(now, *n),
                Input::Data(b) => ex.handle_data(now, b),
                Input::Eof => ex.handle_eof(now),
                Input::Timeout => ex.handle_timeout(now),
                Input::Cancel => ex.cancel(),
                Input::BodyData(b) => ex.handle_body_data(now, b),
                Input::BodyEnd => ex.handle_body_end(now),
                Input::BodyError(m) => ex.handle_body_error(now, m.clone()),
            }
        }
        skip_edge_actions(&mut ex);
        deliver(&mut ex, &mut stopped);
    }
}

/// Pops the one-shot actions a live driver would have carried out.
fn skip_edge_actions(ex: &mut Exchange) {
    while peek_edge(ex).is_some() {}
}

fn peek_edge(ex: &mut Exchange) -> Option<Action> {
    match ex.poll_action() {
        Some(
            a @ (Action::Connect(_)
            | Action::StartTls { .. }
            | Action::Close
            | Action::Release(_)
            | Action::RewindBody),
        ) => Some(a),
        _ => None,
    }
}

fn bytes_json(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) => json!({ "text": s }),
        Err(_) => json!({ "b64": STANDARD.encode(b) }),
    }
}

fn bytes_from_json(v: &Value) -> Result<Bytes, String> {
    if let Some(s) = v.get("text").and_then(Value::as_str) {
        return Ok(Bytes::copy_from_slice(s.as_bytes()));
    }
    if let Some(b) = v.get("b64").and_then(Value::as_str) {
        return STANDARD
            .decode(b)
            .map(Bytes::from)
            .map_err(|e| format!("invalid base64: {e}"));
    }
    if let Some(h) = v.get("hex").and_then(Value::as_str) {
        return from_hex(h).map(Bytes::from);
    }
    Err("expected {\"text\": ...}, {\"b64\": ...} or {\"hex\": ...}".into())
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn from_hex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err("hex string of odd length".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| format!("invalid hex at offset {i}"))
        })
        .collect()
}

fn headers_json(headers: &http::HeaderMap) -> Value {
    Value::Array(
        headers
            .iter()
            .map(|(n, v)| match v.to_str() {
                Ok(s) => json!([n.as_str(), s]),
                Err(_) => json!([n.as_str(), null, to_hex(v.as_bytes())]),
            })
            .collect(),
    )
}

fn headers_from_json(v: &Value) -> Result<Vec<(String, Vec<u8>)>, String> {
    let list = v.as_array().ok_or("headers must be a list")?;
    list.iter()
        .map(|h| {
            let name = h
                .get(0)
                .and_then(Value::as_str)
                .ok_or("header without a name")?;
            let value = match (
                h.get(1).and_then(Value::as_str),
                h.get(2).and_then(Value::as_str),
            ) {
                (Some(s), _) => s.as_bytes().to_vec(),
                (None, Some(hex)) => from_hex(hex)?,
                _ => return Err(format!("header {name:?} has no value")),
            };
            Ok((name.to_string(), value))
        })
        .collect()
}

/// The request with a copy of its cookie jar as it is now, so that what the
/// exchange stores later changes neither a transcript nor another replay.
fn snapshot_jar(request: &Request) -> Request {
    let mut r = request.clone();
    if let Some(jar) = &request.cookie_jar {
        r.cookie_jar = Some(crate::cookies::CookieJar::from_cookies(jar.cookies()));
    }
    r
}

fn request_to_json(r: &Request) -> Value {
    let mut v = request_fields_to_json(r);
    // The cookie jar's state and the wall time, so a replay sends the same
    // Cookie headers (absent when the request has neither).
    if let Some(t) = r.wall_time {
        v["wall_time"] = json!(crate::cookies::wall_to_unix(t));
    }
    if let Some(jar) = &r.cookie_jar {
        v["cookies"] = crate::cookies::jar_to_json(jar);
    }
    if let Some(env) = &r.env_proxies {
        v["env_proxies"] = env.to_json();
    }
    v
}

fn request_fields_to_json(r: &Request) -> Value {
    json!({
        "method": r.method.as_str(),
        "url": r.url.as_str(),
        "headers": headers_json(&r.headers),
        "body": r.body.as_ref().map(|b| bytes_json(b)),
        "chunk_size": r.chunk_size,
        "timeout_us": r.timeout.map(|t| t.as_micros() as u64),
        "total_timeout_us": r.total_timeout.map(|t| t.as_micros() as u64),
        "max_redirects": r.max_redirects,
        "decode": r.decode,
        "collect_body": r.collect_body,
        "proxy": r.proxy.as_ref().map(|p| json!({
            "host": p.host, "port": p.port, "headers": headers_json(&p.headers),
            "source": proxy_source_to_json(&p.source),
        })),
        "limits": {
            "max_head_bytes": r.limits.max_head_bytes,
            "max_headers": r.limits.max_headers,
            "max_body_bytes": r.limits.max_body_bytes,
        },
        "allow_https_to_http": r.allow_https_to_http,
        "decompress": r.decompress,
        "connect_timeout_us": r.connect_timeout.map(|t| t.as_micros() as u64),
        "expect_continue_us": r.expect_continue.map(|t| t.as_micros() as u64),
        "body_stream": r.upload.map(|u| json!({"length": u.length, "replayable": u.replayable})),
    })
}

/// `"setting"`, `"kivy_params"`, or `{"env": "<variable>"}`.
fn proxy_source_to_json(source: &ProxySource) -> Value {
    match source {
        ProxySource::Setting => json!("setting"),
        ProxySource::KivyParams => json!("kivy_params"),
        ProxySource::Env(var) => json!({ "env": var }),
    }
}

fn proxy_source_from_json(v: &Value) -> Result<ProxySource, String> {
    match v {
        Value::String(s) if s == "setting" => Ok(ProxySource::Setting),
        Value::String(s) if s == "kivy_params" => Ok(ProxySource::KivyParams),
        Value::Object(o) => match o.get("env") {
            Some(Value::String(var)) => Ok(ProxySource::Env(var.clone())),
            _ => Err(format!(
                "request.proxy.source: {v} has no \"env\" variable name"
            )),
        },
        _ => Err(format!(
            "request.proxy.source: {v} is not \"setting\", \"kivy_params\" or {{\"env\": name}}"
        )),
    }
}

fn request_from_json(v: &Value) -> Result<Request, String> {
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .ok_or(format!("request.{k} missing"))
    };
    let u = |k: &str| {
        v.get(k)
            .and_then(Value::as_u64)
            .ok_or(format!("request.{k} missing"))
    };
    let b = |k: &str| {
        v.get(k)
            .and_then(Value::as_bool)
            .ok_or(format!("request.{k} missing"))
    };
    let mut builder = Request::builder(s("url")?)
        .method(s("method")?)
        .chunk_size(u("chunk_size")? as usize)
        .max_redirects(u("max_redirects")? as u32)
        .decode(b("decode")?)
        .collect_body(b("collect_body")?)
        .allow_https_to_http(b("allow_https_to_http")?)
        // Absent in transcripts written before content decoding: on.
        .decompress(v.get("decompress").and_then(Value::as_bool).unwrap_or(true));
    for (name, value) in headers_from_json(v.get("headers").unwrap_or(&Value::Null))? {
        builder = builder.header_bytes(name.as_bytes(), &value);
    }
    if let Some(body) = v.get("body").filter(|b| !b.is_null()) {
        builder = builder.body(bytes_from_json(body)?);
    }
    if let Some(t) = v.get("timeout_us").and_then(Value::as_u64) {
        builder = builder.timeout(Duration::from_micros(t));
    }
    if let Some(t) = v.get("total_timeout_us").and_then(Value::as_u64) {
        builder = builder.total_timeout(Duration::from_micros(t));
    }
    if let Some(t) = v.get("connect_timeout_us").and_then(Value::as_u64) {
        builder = builder.connect_timeout(Duration::from_micros(t));
    }
    if let Some(p) = v.get("proxy").filter(|p| !p.is_null()) {
        let host = p
            .get("host")
            .and_then(Value::as_str)
            .ok_or("proxy.host missing")?;
        let port = p
            .get("port")
            .and_then(Value::as_u64)
            .ok_or("proxy.port missing")?;
        let mut proxy = Proxy::new(host, port as u16).map_err(|e| e.to_string())?;
        for (name, value) in headers_from_json(p.get("headers").unwrap_or(&Value::Null))? {
            let value = String::from_utf8(value).map_err(|_| "proxy header is not UTF-8")?;
            proxy = proxy.header(&name, &value).map_err(|e| e.to_string())?;
        }
        // Absent in transcripts written before proxies knew their source.
        if let Some(source) = p.get("source") {
            proxy = proxy.with_source(proxy_source_from_json(source)?);
        }
        builder = builder.proxy(proxy);
    }
    if let Some(l) = v.get("limits") {
        let defaults = Limits::default();
        builder = builder.limits(Limits {
            max_head_bytes: l
                .get("max_head_bytes")
                .and_then(Value::as_u64)
                .map_or(defaults.max_head_bytes, |x| x as usize),
            max_headers: l
                .get("max_headers")
                .and_then(Value::as_u64)
                .map_or(defaults.max_headers, |x| x as usize),
            max_body_bytes: l.get("max_body_bytes").and_then(Value::as_u64),
        });
    }
    if let Some(t) = v.get("expect_continue_us").and_then(Value::as_u64) {
        builder = builder.expect_continue(Duration::from_micros(t));
    }
    if let Some(u) = v.get("body_stream").filter(|u| !u.is_null()) {
        builder = builder.body_stream(crate::upload::BodyStream {
            length: u.get("length").and_then(Value::as_u64),
            replayable: u
                .get("replayable")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        });
    }
    if let Some(t) = v.get("wall_time").and_then(Value::as_i64) {
        builder = builder.wall_time(crate::cookies::wall_from_unix(t));
    }
    if let Some(c) = v.get("cookies").filter(|c| !c.is_null()) {
        builder = builder.cookie_jar(crate::cookies::jar_from_json(c)?);
    }
    let mut request = builder.build().map_err(|e| e.to_string())?;
    if let Some(e) = v.get("env_proxies").filter(|e| !e.is_null()) {
        // The first hop's proxy as recorded; the rules for the next hops.
        request.env_proxies = Some(Box::new(crate::EnvProxies::from_json(e)?));
    }
    Ok(request)
}

fn input_to_json(at: Duration, input: &Input) -> Value {
    let at = at.as_micros() as u64;
    match input {
        Input::Connected { reused } => json!({"at_us": at, "input": "connected", "reused": reused}),
        Input::TlsReady => json!({"at_us": at, "input": "tls_ready"}),
        Input::TransportError(e) => {
            let (kind, message) = match e {
                TransportError::Dns(m) => ("dns", m),
                TransportError::Connect(m) => ("connect", m),
                TransportError::Tls(m) => ("tls", m),
                TransportError::Io(m) => ("io", m),
            };
            json!({"at_us": at, "input": "transport_error", "kind": kind, "message": message})
        }
        Input::Written(n) => json!({"at_us": at, "input": "written", "n": n}),
        Input::Data(b) => {
            let mut v = bytes_json(b);
            v["at_us"] = json!(at);
            v["input"] = json!("data");
            v
        }
        Input::Eof => json!({"at_us": at, "input": "eof"}),
        Input::Timeout => json!({"at_us": at, "input": "timeout"}),
        Input::Cancel => json!({"at_us": at, "input": "cancel"}),
        Input::BodyData(b) => {
            let mut v = bytes_json(b);
            v["at_us"] = json!(at);
            v["input"] = json!("body_data");
            v
        }
        Input::BodyEnd => json!({"at_us": at, "input": "body_end"}),
        Input::BodyError(m) => json!({"at_us": at, "input": "body_error", "message": m}),
    }
}

fn input_from_json(v: &Value) -> Result<(Duration, Input), String> {
    let at = v
        .get("at_us")
        .and_then(Value::as_u64)
        .ok_or("at_us missing")?;
    let kind = v
        .get("input")
        .and_then(Value::as_str)
        .ok_or("input missing")?;
    let input = match kind {
        "connected" => Input::Connected {
            reused: v.get("reused").and_then(Value::as_bool).unwrap_or(false),
        },
        "tls_ready" => Input::TlsReady,
        "transport_error" => {
            let m = v
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            match v.get("kind").and_then(Value::as_str) {
                Some("dns") => Input::TransportError(TransportError::Dns(m)),
                Some("connect") => Input::TransportError(TransportError::Connect(m)),
                Some("tls") => Input::TransportError(TransportError::Tls(m)),
                Some("io") => Input::TransportError(TransportError::Io(m)),
                other => return Err(format!("unknown transport error kind {other:?}")),
            }
        }
        "written" => Input::Written(
            v.get("n")
                .and_then(Value::as_u64)
                .ok_or("written without n")? as usize,
        ),
        "data" => Input::Data(bytes_from_json(v)?),
        "eof" => Input::Eof,
        "timeout" => Input::Timeout,
        "cancel" => Input::Cancel,
        "body_data" => Input::BodyData(bytes_from_json(v)?),
        "body_end" => Input::BodyEnd,
        "body_error" => Input::BodyError(
            v.get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        ),
        other => return Err(format!("unknown input {other:?}")),
    };
    Ok((Duration::from_micros(at), input))
}
