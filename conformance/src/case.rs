//! A conformance case as a value: the request, the server script and the
//! expected trace. Text fields keep their placeholders (see [`Origins`]) and
//! escapes until a run resolves them against real addresses.

use std::time::Duration;

use urlrequest_core::{Limits, Proxy, Request};

use crate::escape::unescape;
use crate::origins::{Origins, Role};
use crate::pki::CertKind;

/// One conformance case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The family: the case file's name without `.case`.
    pub family: String,
    /// The name, unique within its family.
    pub name: String,
    /// What the case checks, in words (from `note` lines).
    pub note: String,
    /// Where the case starts, as `file:line`.
    pub location: String,
    /// The case needs TLS even without an HTTPS origin (`requires tls`), e.g.
    /// inside a proxy tunnel.
    pub requires_tls: bool,
    /// The request to send.
    pub request: RequestSpec,
    /// What the servers do, request by request, in order.
    pub script: Vec<Step>,
    /// The expected event trace: one `urlrequest_core::trace_line` per event,
    /// with placeholders for origins.
    pub expected: Vec<String>,
    /// The certificate the `{tls-origin}` server presents (`tls-cert`).
    pub tls_cert: CertKind,
    /// The `Proxy-Authorization` value the in-process proxy `{proxy}`
    /// demands (`proxy-auth`); without it the proxy lets everyone through.
    pub proxy_auth: Option<String>,
}

/// The request of a case. Unset fields keep the core's defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestSpec {
    /// The method, when set.
    pub method: Option<String>,
    /// The URL, with placeholders.
    pub url: String,
    /// Headers in order, values with placeholders.
    pub headers: Vec<(String, String)>,
    /// The body, escaped text with placeholders.
    pub body: Option<String>,
    /// `chunk_size`.
    pub chunk_size: Option<usize>,
    /// `timeout`.
    pub timeout: Option<Duration>,
    /// `max_redirects`.
    pub max_redirects: Option<u32>,
    /// `decode`.
    pub decode: Option<bool>,
    /// `collect_body`.
    pub collect_body: Option<bool>,
    /// The proxy as `host:port` (placeholders allowed) and its headers.
    pub proxy: Option<(String, Vec<(String, String)>)>,
    /// `Limits::max_head_bytes`.
    pub max_head_bytes: Option<usize>,
    /// `Limits::max_headers`.
    pub max_headers: Option<usize>,
    /// `Limits::max_body_bytes`.
    pub max_body_bytes: Option<u64>,
    /// `allow_https_to_http`.
    pub allow_https_to_http: Option<bool>,
    /// `form name=value` lines: a URL-encoded form body, in order.
    pub form: Vec<(String, String)>,
    /// `multipart-boundary`: the multipart body's boundary, when given.
    pub multipart_boundary: Option<String>,
    /// `multipart-text` and `multipart-file` lines: a multipart body's parts.
    pub multipart: Vec<MultipartSpec>,
    /// `cookies on`: a fresh cookie jar for the request.
    pub cookies: Option<bool>,
    /// `wall_time <unix seconds>`; with cookies on and none given,
    /// [`DEFAULT_CASE_WALL_TIME`].
    pub wall_time: Option<i64>,
    /// `cookie-seed <url> <Set-Cookie value>` lines: stored in the jar
    /// before the request, one hour before its wall time.
    pub cookie_seeds: Vec<(String, String)>,
    /// `env NAME=value` lines: an environment whose proxy variables the
    /// request follows on every hop (`EnvProxies`).
    pub env: Vec<(String, String)>,
    /// `decompress`: undo content codings.
    pub decompress: Option<bool>,
    /// `connect_timeout`.
    pub connect_timeout: Option<Duration>,
    /// `body-stream`: a body the driver streams from a source.
    pub body_stream: Option<crate::upload::CaseUpload>,
    /// `expect_continue`: how long the body waits for `100 Continue`.
    pub expect_continue: Option<Duration>,
}

/// The wall time of a case with `cookies on` and no `wall_time`:
/// 2026-01-01T00:00:00Z.
pub const DEFAULT_CASE_WALL_TIME: i64 = 1_767_225_600;

/// One part of a case's multipart body (escaped text with placeholders).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MultipartSpec {
    /// The field name.
    pub name: String,
    /// For a file part: its file name and content type.
    pub file: Option<(String, String)>,
    /// The part's bytes.
    pub data: String,
}

/// One step of a server script.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The server this step happens on.
    pub role: Role,
    /// Line of the step in its case file, for messages.
    pub line: usize,
    /// What happens.
    pub kind: StepKind,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// The next connection the client opens is closed at once, before any
    /// request is read.
    AcceptAndClose,
    /// The next request the client sends (on whichever connection) is checked
    /// against `expects`, answered with `send`, and the connection then
    /// treated as `end` says.
    Respond {
        /// Checks on the request.
        expects: Vec<Expect>,
        /// The bytes to send: escaped text with placeholders.
        send: String,
        /// What happens to the connection after sending.
        end: End,
    },
}

/// What the server does with a connection after answering a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Keep it open and wait for the next request on it.
    Keep,
    /// Close it (gracefully: the client reads everything sent first).
    Close,
    /// Send nothing more and keep it open: the client must time out.
    Stall,
}

/// A check on a request the client sent. Texts keep their placeholders.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// The request line, exactly (e.g. `GET /x HTTP/1.1`).
    RequestLine(String),
    /// A header with this name (any case) has exactly this value.
    Header(String, String),
    /// No header with this name.
    NoHeader(String),
    /// The body, exactly (escaped text).
    Body(String),
    /// Whether the request arrived on a connection that carried an earlier
    /// request (`true`: reused) or on a fresh one.
    Reused(bool),
}

impl Case {
    /// `family/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.family, self.name)
    }

    /// Whether the request goes through the in-process proxy (`{proxy}`).
    pub fn uses_proxy_server(&self) -> bool {
        self.request
            .proxy
            .as_ref()
            .is_some_and(|(addr, _)| addr.contains("{proxy}"))
    }

    /// Whether the expected trace ends in `Done`.
    pub fn ends_in_done(&self) -> bool {
        self.expected.last().is_some_and(|l| l.starts_with("done "))
    }

    /// Whether the case needs TLS: it says `requires tls`, or mentions
    /// `{tls-origin}` or `{tls-host}`. A driver without TLS cannot run it.
    pub fn needs_tls(&self) -> bool {
        let uses = |s: &str| s.contains("{tls-origin}") || s.contains("{tls-host}");
        self.requires_tls
            || self.tls_cert != CertKind::Valid
            || uses(&self.request.url)
            || self.script.iter().any(|s| {
                s.role == Role::TlsOrigin
                    || matches!(&s.kind, StepKind::Respond { send, .. } if uses(send))
            })
    }

    /// Builds the request, with placeholders replaced by `origins`.
    pub fn request(&self, origins: &Origins) -> Result<Request, String> {
        let spec = &self.request;
        let sub = |s: &str| origins.substitute(s);
        let mut b = Request::builder(sub(&spec.url));
        if let Some(m) = &spec.method {
            b = b.method(m);
        }
        for (name, value) in &spec.headers {
            b = b.header(name, sub(value));
        }
        if let Some(body) = &spec.body {
            b = b.body(unescape(&sub(body))?);
        }
        if !spec.form.is_empty() {
            let mut pairs = Vec::new();
            for (name, value) in &spec.form {
                let text = |s: &str| -> Result<String, String> {
                    String::from_utf8(unescape(&sub(s))?)
                        .map_err(|_| format!("form field {s:?} is not UTF-8"))
                };
                pairs.push((text(name)?, text(value)?));
            }
            b = b.form(pairs);
        }
        if !spec.multipart.is_empty() || spec.multipart_boundary.is_some() {
            let mut form = urlrequest_core::Multipart::new();
            if let Some(boundary) = &spec.multipart_boundary {
                form = form.boundary(boundary.clone());
            }
            for part in &spec.multipart {
                let text = |s: &str| -> Result<String, String> {
                    String::from_utf8(unescape(&sub(s))?)
                        .map_err(|_| format!("multipart text {s:?} is not UTF-8"))
                };
                let data = unescape(&sub(&part.data))?;
                form = match &part.file {
                    None => form.text(
                        text(&part.name)?,
                        String::from_utf8(data).map_err(|_| "a multipart-text is not UTF-8")?,
                    ),
                    Some((filename, ctype)) => {
                        form.file(text(&part.name)?, text(filename)?, ctype.clone(), data)
                    }
                };
            }
            b = b.multipart(form);
        }
        if let Some(u) = &spec.body_stream {
            b = b.body_stream(u.stream);
        }
        if let Some(wait) = spec.expect_continue {
            b = b.expect_continue(wait);
        }
        if let Some(n) = spec.chunk_size {
            b = b.chunk_size(n);
        }
        if let Some(t) = spec.timeout {
            b = b.timeout(t);
        }
        if let Some(n) = spec.max_redirects {
            b = b.max_redirects(n);
        }
        if let Some(on) = spec.decode {
            b = b.decode(on);
        }
        if let Some(on) = spec.collect_body {
            b = b.collect_body(on);
        }
        if let Some(on) = spec.allow_https_to_http {
            b = b.allow_https_to_http(on);
        }
        if let Some(on) = spec.decompress {
            b = b.decompress(on);
        }
        if let Some(t) = spec.connect_timeout {
            b = b.connect_timeout(t);
        }
        let mut limits = Limits::default();
        if let Some(n) = spec.max_head_bytes {
            limits.max_head_bytes = n;
        }
        if let Some(n) = spec.max_headers {
            limits.max_headers = n;
        }
        limits.max_body_bytes = spec.max_body_bytes;
        b = b.limits(limits);
        if let Some((addr, headers)) = &spec.proxy {
            let addr = sub(addr);
            let (host, port) = addr
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
                .ok_or_else(|| format!("proxy {addr:?} is not host:port"))?;
            let mut proxy = Proxy::new(host, port).map_err(|e| e.to_string())?;
            for (name, value) in headers {
                proxy = proxy.header(name, &sub(value)).map_err(|e| e.to_string())?;
            }
            b = b.proxy(proxy);
        }
        if spec.cookies == Some(true) {
            let secs = spec.wall_time.unwrap_or(DEFAULT_CASE_WALL_TIME);
            let wall = std::time::UNIX_EPOCH
                + Duration::from_secs(u64::try_from(secs).map_err(|_| "negative wall_time")?);
            let jar = urlrequest_core::CookieJar::new();
            for (url, value) in &spec.cookie_seeds {
                let url = urlrequest_core::Url::parse(&sub(url))
                    .map_err(|e| format!("cookie-seed URL {url:?}: {e}"))?;
                if !jar.store_set_cookie(&url, &sub(value), wall - Duration::from_secs(3600)) {
                    return Err(format!("cookie-seed {value:?} for {url} was not stored"));
                }
            }
            b = b.cookie_jar(jar).wall_time(wall);
        }
        let mut request = b
            .build()
            .map_err(|e| format!("the case's request is invalid: {e}"))?;
        if !spec.env.is_empty() {
            let vars = spec.env.iter().map(|(k, v)| (k.clone(), sub(v)));
            urlrequest_core::EnvProxies::from_vars(vars)
                .map_err(|e| format!("the case's env is invalid: {e}"))?
                .apply(&mut request);
        }
        Ok(request)
    }
}
