//! The request description: a plain, validated value that every runtime drives
//! the same way. Owns URL and header validation and the defaults.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, Method};
use serde::Serialize;
use url::Url;

use crate::cookies::CookieJar;
use crate::error::BuildError;

/// Default size of `Body` events, in bytes (Kivy's default read size).
pub const DEFAULT_CHUNK_SIZE: usize = 8192;
/// Default number of redirects followed before `TooManyRedirects`.
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;
/// `User-Agent` sent when the user sets none.
pub const DEFAULT_USER_AGENT: &str = concat!("urlrequest/", env!("CARGO_PKG_VERSION"));

/// Largest body kept in memory when the request collects it and sets no
/// [`Limits::max_body_bytes`] of its own: 10 MiB (ureq 3 caps `read_to_vec`
/// at the same size). A server sending more fails the request with
/// `body-too-large` instead of growing memory without bound.
pub const DEFAULT_MAX_COLLECTED_BODY: u64 = 10 * 1024 * 1024;

/// Limits on what a server may send. All have defaults; all can be changed.
///
/// The body's limit depends on where the body goes. Left at `None`, a body
/// the request collects into the final response (the default,
/// `collect_body(true)`) may be at most [`DEFAULT_MAX_COLLECTED_BODY`]
/// (10 MiB), while a body only streamed as `Body` events
/// (`collect_body(false)`, and so every `file_path` download) has no limit.
/// `Some(n)` applies to both; `Some(u64::MAX)` says "no limit" for a
/// collected body too.
///
/// ```
/// use urlrequest_core::{Limits, Request, DEFAULT_MAX_COLLECTED_BODY};
/// // A 100 MiB body kept in memory:
/// let big = Limits { max_body_bytes: Some(100 << 20), ..Limits::default() };
/// let req = Request::builder("http://example.com/big").limits(big).build()?;
/// assert_eq!(req.limits().max_body_bytes, Some(100 << 20));
/// // The default: 10 MiB when collected, unlimited when streamed.
/// assert_eq!(Limits::default().max_body_bytes, None);
/// assert_eq!(DEFAULT_MAX_COLLECTED_BODY, 10 * 1024 * 1024);
/// # Ok::<(), urlrequest_core::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest response head (status line and headers), in bytes. Default 64 KiB.
    pub max_head_bytes: usize,
    /// Most header lines in a response head. Default 100.
    pub max_headers: usize,
    /// Largest body accepted, in bytes. Default `None`:
    /// [`DEFAULT_MAX_COLLECTED_BODY`] (10 MiB) for a body collected into the
    /// response, no limit for a streamed one. `Some(u64::MAX)`: no limit at all.
    pub max_body_bytes: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 64 * 1024,
            max_headers: 100,
            max_body_bytes: None,
        }
    }
}

/// Where a [`Proxy`] came from: said in the message of a failure with the
/// proxy, so that a dead proxy from the environment is not mistaken for a
/// dead server (or for a proxy set in code).
///
/// ```
/// use urlrequest_core::{EnvProxies, Proxy, ProxySource, Url};
/// assert_eq!(Proxy::new("p", 3128)?.source(), &ProxySource::Setting);
/// let env = EnvProxies::from_vars([("HTTPS_PROXY", "p:3128")])?;
/// let proxy = env.proxy_for(&Url::parse("https://example.com/")?).unwrap();
/// assert_eq!(proxy.source(), &ProxySource::Env("HTTPS_PROXY".into()));
/// assert_eq!(proxy.source().to_string(), "environment variable HTTPS_PROXY");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ProxySource {
    /// Set in code: [`RequestBuilder::proxy`], [`Request::set_proxy`], a
    /// client builder's proxy option. What [`Proxy::new`] gives.
    #[default]
    Setting,
    /// Read from this environment variable (`http_proxy`, `HTTPS_PROXY`,
    /// `ALL_PROXY`, ...), named as the environment spells it; see
    /// [`EnvProxies`](crate::EnvProxies).
    Env(String),
    /// The Kivy-style `proxy_host`/`proxy_port` request parameters.
    KivyParams,
}

impl fmt::Display for ProxySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySource::Setting => f.write_str("the proxy setting"),
            ProxySource::Env(var) => write!(f, "environment variable {var}"),
            ProxySource::KivyParams => f.write_str("the proxy_host/proxy_port parameters"),
        }
    }
}

/// An HTTP proxy: plain-http requests go to it in absolute-form, https requests
/// are tunnelled with `CONNECT`. Its headers (such as `Proxy-Authorization`)
/// are sent to the proxy in both cases. It knows where it came from
/// ([`ProxySource`]), for the messages of failures with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Proxy {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) source: ProxySource,
}

impl Proxy {
    /// A proxy at `host:port`.
    ///
    /// ```
    /// let proxy = urlrequest_core::Proxy::new("127.0.0.1", 8888)?
    ///     .header("Proxy-Authorization", "Basic dXNlcjpwYXNz")?;
    /// assert_eq!(proxy.port(), 8888);
    /// # Ok::<(), urlrequest_core::BuildError>(())
    /// ```
    pub fn new(host: impl Into<String>, port: u16) -> Result<Proxy, BuildError> {
        let host = host.into();
        if host.is_empty() || host.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(BuildError::InvalidProxy {
                reason: format!("bad host {host:?}"),
            });
        }
        if port == 0 {
            return Err(BuildError::InvalidProxy {
                reason: "port 0".into(),
            });
        }
        Ok(Proxy {
            host,
            port,
            headers: HeaderMap::new(),
            source: ProxySource::Setting,
        })
    }

    /// Says where this proxy came from (by default
    /// [`ProxySource::Setting`]); failures with the proxy name it.
    pub fn with_source(mut self, source: ProxySource) -> Proxy {
        self.source = source;
        self
    }

    /// Adds a header sent to the proxy (not to the origin server).
    pub fn header(mut self, name: &str, value: &str) -> Result<Proxy, BuildError> {
        let (n, v) = validate_header(name.as_bytes(), value.as_bytes())?;
        self.headers.append(n, v);
        Ok(self)
    }

    /// The proxy's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Headers sent to the proxy.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Where this proxy came from.
    pub fn source(&self) -> &ProxySource {
        &self.source
    }
}

/// One HTTP request and how to run it. Build it with [`Request::builder`].
///
/// ```
/// use urlrequest_core::Request;
/// let req = Request::builder("http://example.com/search?q=rust#top")
///     .header("Accept", "application/json")
///     .chunk_size(4096)
///     .build()?;
/// assert_eq!(req.method(), "GET");
/// assert_eq!(req.url().as_str(), "http://example.com/search?q=rust"); // no fragment
/// # Ok::<(), urlrequest_core::BuildError>(())
/// ```
#[derive(Debug, Clone)]
#[repr(C)]
pub struct Request {
    // The settings read for every body read first, on one cache line (see
    // the note on `Exchange`).
    pub(crate) timeout: Option<Duration>,
    pub(crate) limits: Limits,
    pub(crate) chunk_size: usize,
    pub(crate) collect_body: bool,
    pub(crate) decode: bool,
    pub(crate) allow_https_to_http: bool,
    pub(crate) max_redirects: u32,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    pub(crate) proxy: Option<Proxy>,
    /// The cookie jar applied on every hop (see `cookies.rs`).
    pub(crate) cookie_jar: Option<CookieJar>,
    /// The wall time cookie expiry is judged at.
    pub(crate) wall_time: Option<SystemTime>,
    /// Proxy rules from the environment, applied again on each redirect.
    pub(crate) env_proxies: Option<Box<crate::EnvProxies>>,
    /// Undo content codings (see [`RequestBuilder::decompress`]).
    pub(crate) decompress: bool,
    /// Longest time to get a connection ready (see
    /// [`RequestBuilder::connect_timeout`]).
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) upload: Option<crate::upload::BodyStream>,
    pub(crate) expect_continue: Option<Duration>,
}

impl Request {
    /// Starts describing a request to `url`.
    pub fn builder(url: impl AsRef<str>) -> RequestBuilder {
        RequestBuilder::new(url.as_ref())
    }

    /// A plain GET with every default.
    pub fn get(url: impl AsRef<str>) -> Result<Request, BuildError> {
        Request::builder(url).build()
    }

    /// Converts an `http::Request` whose body converts into `Bytes`. An empty
    /// body counts as no body.
    ///
    /// ```
    /// let http_req = http::Request::post("http://example.com/api").body("x=1").unwrap();
    /// let req = urlrequest_core::Request::from_http(http_req)?;
    /// assert_eq!(req.method(), "POST");
    /// assert_eq!(req.body().map(|b| b.len()), Some(3));
    /// # Ok::<(), urlrequest_core::BuildError>(())
    /// ```
    pub fn from_http<B: Into<Bytes>>(req: http::Request<B>) -> Result<Request, BuildError> {
        let (parts, body) = req.into_parts();
        let body: Bytes = body.into();
        let mut b = Request::builder(parts.uri.to_string()).method(parts.method.as_str());
        for (name, value) in parts.headers.iter() {
            b = b.header_bytes(name.as_str().as_bytes(), value.as_bytes());
        }
        if !body.is_empty() {
            b = b.body(body);
        }
        b.build()
    }

    /// Turns body collection on or off on a built request (a runtime that
    /// streams a download to a file turns it off to keep memory flat).
    pub fn set_collect_body(&mut self, on: bool) {
        self.collect_body = on;
    }

    /// Sets or clears the proxy of a built request (a client applying
    /// proxies from the environment, see
    /// [`EnvProxies`](crate::EnvProxies)).
    pub fn set_proxy(&mut self, proxy: Option<Proxy>) {
        self.proxy = proxy;
        self.env_proxies = None;
    }

    /// Sets or clears the cookie jar of a built request (a client with a
    /// jar gives it to each request that has none).
    pub fn set_cookie_jar(&mut self, jar: Option<CookieJar>) {
        self.cookie_jar = jar;
    }

    /// Sets the wall time of a built request (see
    /// [`RequestBuilder::wall_time`]).
    pub fn set_wall_time(&mut self, time: SystemTime) {
        self.wall_time = Some(time);
    }

    /// The cookie jar, if any.
    pub fn cookie_jar(&self) -> Option<&CookieJar> {
        self.cookie_jar.as_ref()
    }

    /// The wall time cookie expiry is judged at, if given.
    pub fn wall_time(&self) -> Option<SystemTime> {
        self.wall_time
    }

    /// The proxy rules from the environment this request follows on each
    /// hop, when a client gave it some ([`EnvProxies::apply`](crate::EnvProxies::apply)).
    pub fn env_proxies(&self) -> Option<&crate::EnvProxies> {
        self.env_proxies.as_deref()
    }

    /// Turns JSON decoding on or off on a built request.
    pub fn set_decode(&mut self, on: bool) {
        self.decode = on;
    }

    /// The method that will be sent first.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL, without fragment and without user-info.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Headers as they will be sent (including `Authorization` from user-info).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body, if any.
    pub fn body(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }

    /// How long the body waits for `100 Continue`, when the request sends
    /// `Expect: 100-continue` (see [`RequestBuilder::expect_continue`]).
    pub fn expect_continue(&self) -> Option<Duration> {
        self.expect_continue
    }

    /// The streamed body's description, when the body is streamed by the
    /// driver (see [`RequestBuilder::body_stream`]).
    pub fn body_stream(&self) -> Option<crate::upload::BodyStream> {
        self.upload
    }

    /// Size of `Body` events.
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Longest time without progress.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Longest time for the whole exchange, redirects included.
    pub fn total_timeout(&self) -> Option<Duration> {
        self.total_timeout
    }

    /// Redirects followed at most; 0 means redirects are returned, not followed.
    pub fn max_redirects(&self) -> u32 {
        self.max_redirects
    }

    /// Whether JSON bodies are decoded.
    pub fn decode(&self) -> bool {
        self.decode
    }

    /// Whether the body is collected into the final response.
    pub fn collect_body(&self) -> bool {
        self.collect_body
    }

    /// The proxy, if any.
    pub fn proxy(&self) -> Option<&Proxy> {
        self.proxy.as_ref()
    }

    /// Limits on the response.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether an https URL may redirect to plain http.
    pub fn allow_https_to_http(&self) -> bool {
        self.allow_https_to_http
    }

    /// Whether content codings are undone (see [`RequestBuilder::decompress`]).
    pub fn decompress(&self) -> bool {
        self.decompress
    }

    /// Turns content decoding on or off on a built request.
    pub fn set_decompress(&mut self, on: bool) {
        self.decompress = on;
    }

    /// Longest time for a new connection to be ready: TCP connect, proxy
    /// `CONNECT` and TLS handshake.
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    /// Sets or clears the longest time without progress on a built
    /// request (a client's `read_timeout` fills it in when unset).
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Sets or clears the longest time for the whole exchange on a built
    /// request (a client's `timeout` fills it in when unset).
    pub fn set_total_timeout(&mut self, timeout: Option<Duration>) {
        self.total_timeout = timeout;
    }

    /// Sets or clears the longest time for a new connection to be ready on
    /// a built request (a client's `connect_timeout` fills it in when unset).
    pub fn set_connect_timeout(&mut self, timeout: Option<Duration>) {
        self.connect_timeout = timeout;
    }
}

/// Builder for [`Request`]. Errors are kept and returned by [`build`](Self::build),
/// so calls chain without `?` at every step.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    url: String,
    method: Option<String>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Option<Bytes>,
    chunk_size: usize,
    timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    max_redirects: u32,
    decode: bool,
    collect_body: bool,
    proxy: Option<Proxy>,
    limits: Limits,
    allow_https_to_http: bool,
    decompress: bool,
    connect_timeout: Option<Duration>,
    /// The body came from `json()`: send `Content-Type: application/json`
    /// unless the user set a type.
    json_body: bool,
    /// The first error of a builder call that can fail (`json`), returned
    /// by `build`.
    error: Option<BuildError>,
    /// The `Content-Type` a form body goes with, sent unless the user set
    /// a type (see `form.rs`).
    body_type: Option<HeaderValue>,
    cookie_jar: Option<CookieJar>,
    wall_time: Option<SystemTime>,
    /// A body the driver streams (`body_stream`).
    upload: Option<crate::upload::BodyStream>,
    /// `expect_continue`.
    expect_continue: Option<Duration>,
}

impl RequestBuilder {
    fn new(url: &str) -> RequestBuilder {
        RequestBuilder {
            url: url.to_string(),
            method: None,
            headers: Vec::new(),
            body: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            timeout: None,
            total_timeout: None,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            decode: true,
            collect_body: true,
            proxy: None,
            limits: Limits::default(),
            allow_https_to_http: false,
            decompress: true,
            connect_timeout: None,
            json_body: false,
            error: None,
            body_type: None,
            cookie_jar: None,
            wall_time: None,
            upload: None,
            expect_continue: None,
        }
    }

    /// The method. Without one: GET, or POST when a body is given.
    pub fn method(mut self, method: impl AsRef<str>) -> Self {
        self.method = Some(method.as_ref().to_string());
        self
    }

    /// Adds a header (repeat the call to send a name more than once).
    pub fn header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.header_bytes(name.as_ref().as_bytes(), value.as_ref().as_bytes())
    }

    /// Adds a header given as raw bytes.
    pub fn header_bytes(mut self, name: &[u8], value: &[u8]) -> Self {
        self.headers.push((name.to_vec(), value.to_vec()));
        self
    }

    /// Sends HTTP Basic credentials (`Authorization: Basic ...`), replacing
    /// credentials taken from the URL's user-info.
    pub fn basic_auth(mut self, user: impl AsRef<str>, password: impl AsRef<str>) -> Self {
        let value = basic_auth_value(user.as_ref().as_bytes(), password.as_ref().as_bytes());
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(b"authorization"));
        self.headers
            .push((b"authorization".to_vec(), value.as_bytes().to_vec()));
        self
    }

    /// Sets the `User-Agent` header (replacing the default).
    pub fn user_agent(self, agent: impl AsRef<str>) -> Self {
        self.header("User-Agent", agent)
    }

    /// The request body. With no method set, the method becomes POST.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self.json_body = false;
        self.body_type = None;
        self
    }

    /// A body the driver streams from a source of its own (a reader, a
    /// file), described by `stream`: `Content-Length` when its length is
    /// known, chunked otherwise. Replaces a body given before; a later
    /// [`body`](Self::body) or `json` replaces it. With no method set, the
    /// method becomes POST. The driver supplies the bytes when the exchange
    /// asks with [`Action::SendBody`](crate::Action::SendBody).
    pub fn body_stream(mut self, stream: crate::upload::BodyStream) -> Self {
        self.upload = Some(stream);
        self.body = None;
        self.json_body = false;
        self
    }

    /// Sends `Expect: 100-continue` with a request that has a body, and
    /// holds the body back until the server answers `100 Continue` or
    /// `wait` has passed, whichever comes first. A final status that comes
    /// before the body ends the exchange without sending it; its connection
    /// is then closed (the server may still expect the body's bytes),
    /// unless the body is empty. Without a body nothing changes.
    pub fn expect_continue(mut self, wait: Duration) -> Self {
        self.expect_continue = Some(wait);
        self
    }

    /// The request body as JSON: `value` (any `Serialize` type) serialised
    /// with serde_json, and `Content-Type: application/json` unless a
    /// `Content-Type` header is set (before or after this call). With no
    /// method set, the method becomes POST. A value that cannot be
    /// serialised (a map with non-string keys, a failing `Serialize`
    /// impl) makes [`build`](Self::build) return [`BuildError::Json`]. A
    /// later [`body`](Self::body) replaces the body and the JSON type.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct NewUser<'a> {
    ///     name: &'a str,
    ///     admin: bool,
    /// }
    ///
    /// let req = urlrequest_core::Request::builder("http://example.com/users")
    ///     .json(&NewUser { name: "ada", admin: false })
    ///     .build()?;
    /// assert_eq!(req.method(), "POST");
    /// assert_eq!(req.headers()["content-type"], "application/json");
    /// assert_eq!(req.body().unwrap().as_ref(), br#"{"name":"ada","admin":false}"#);
    /// # Ok::<(), urlrequest_core::BuildError>(())
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                self.body = Some(Bytes::from(bytes));
                self.json_body = true;
            }
            Err(e) => {
                self.error.get_or_insert(BuildError::Json {
                    reason: e.to_string(),
                });
            }
        }
        self
    }

    /// A body with the `Content-Type` it goes with unless the user sets
    /// one, or the error that encoding it met (the form builders).
    pub(crate) fn typed_body(mut self, body: Result<(Bytes, HeaderValue), BuildError>) -> Self {
        match body {
            Ok((bytes, content_type)) => {
                self.body = Some(bytes);
                self.json_body = false;
                self.body_type = Some(content_type);
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Keeps cookies in `jar` (RFC 6265): on every hop, redirects included,
    /// the jar's cookies for that URL are added to the `Cookie` header
    /// (after one the user set), and every response's `Set-Cookie` is
    /// stored. Expiry is judged at [`wall_time`](Self::wall_time); a
    /// request with a jar and no wall time judges it at the Unix epoch, so
    /// give one (the clients with a jar give `SystemTime::now()`).
    pub fn cookie_jar(mut self, jar: CookieJar) -> Self {
        self.cookie_jar = Some(jar);
        self
    }

    /// The wall time (the current date) at the start of the request: the
    /// only use of the date in the core, for cookie expiry. An input like
    /// the `now: Instant` of the exchange, kept in transcripts.
    pub fn wall_time(mut self, time: SystemTime) -> Self {
        self.wall_time = Some(time);
        self
    }

    /// Size of `Body` events, in bytes (default 8192; 0 is rejected).
    pub fn chunk_size(mut self, size: usize) -> Self {
        self.chunk_size = size;
        self
    }

    /// Fail when no progress is made for this long (default: never). The
    /// response head must also arrive within this long of the request being
    /// sent, however slowly its bytes trickle in.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Fail when the whole exchange, redirects included, takes longer than
    /// this (default: no limit). Stops a server that sends a body too slowly
    /// for the progress timeout to fire.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// Most redirects to follow (default 10); 0 returns the 3xx response as is.
    pub fn max_redirects(mut self, n: u32) -> Self {
        self.max_redirects = n;
        self
    }

    /// Decode `application/json` and `+json` bodies (default on).
    pub fn decode(mut self, on: bool) -> Self {
        self.decode = on;
        self
    }

    /// Keep the body in the final response (default on). Off, the body only
    /// arrives as `Body` events and memory stays flat. A collected body is
    /// limited to [`DEFAULT_MAX_COLLECTED_BODY`] (10 MiB) unless
    /// [`Limits::max_body_bytes`] says otherwise.
    pub fn collect_body(mut self, on: bool) -> Self {
        self.collect_body = on;
        self
    }

    /// Send through an HTTP proxy.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Limits on the response.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Allow redirects from https to plain http (default: refused).
    pub fn allow_https_to_http(mut self, allow: bool) -> Self {
        self.allow_https_to_http = allow;
        self
    }

    /// Undo content codings (default on): send `Accept-Encoding` naming
    /// the codings this build can undo (gzip by default; deflate, br and
    /// zstd with the crate's features) unless the request sets one, and
    /// deliver decoded bytes in `Body` events and the response. A body
    /// whose codings are not all known is delivered as sent. While a body
    /// is decoded, `Progress` counts decoded bytes and its `total` is
    /// `None` (the `Content-Length` counts the compressed bytes), and
    /// [`Limits::max_body_bytes`] counts decoded bytes. Off: no
    /// `Accept-Encoding` is added and bodies are delivered as sent.
    ///
    /// ```
    /// let req = urlrequest_core::Request::builder("http://example.com/")
    ///     .decompress(false)
    ///     .build()?;
    /// assert!(!req.decompress());
    /// # Ok::<(), urlrequest_core::BuildError>(())
    /// ```
    pub fn decompress(mut self, on: bool) -> Self {
        self.decompress = on;
        self
    }

    /// Fails the exchange when a new connection is not ready to take the
    /// request within this long: TCP connect, a proxy's `CONNECT` tunnel
    /// and the TLS handshake together, counted afresh for each connection
    /// a redirect or retry opens (a pooled connection is ready at once).
    /// The failure is `Timeout` naming the phase it was in ("connecting",
    /// "setting up the proxy tunnel", "performing the TLS handshake").
    /// Default: none (the `timeout` and `total_timeout`, when set, still
    /// apply while connecting).
    ///
    /// ```
    /// use std::time::Duration;
    /// let req = urlrequest_core::Request::builder("https://example.com/")
    ///     .connect_timeout(Duration::from_secs(5))
    ///     .build()?;
    /// assert_eq!(req.connect_timeout(), Some(Duration::from_secs(5)));
    /// # Ok::<(), urlrequest_core::BuildError>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Validates everything and returns the request.
    pub fn build(self) -> Result<Request, BuildError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        // The URL parser quietly drops tabs and newlines; a URL carrying them
        // is more likely an injection attempt than a typo, so refuse it.
        if let Some(c) = self.url.trim().chars().find(|c| c.is_ascii_control()) {
            return Err(BuildError::InvalidUrl {
                url: self.url.escape_debug().to_string(),
                reason: format!("contains the control character {c:?}"),
            });
        }
        let mut url = Url::parse(self.url.trim()).map_err(|e| BuildError::InvalidUrl {
            url: self.url.clone(),
            reason: e.to_string(),
        })?;
        check_url(&url, &self.url)?;
        if self.chunk_size == 0 {
            return Err(BuildError::ZeroChunkSize);
        }
        let method = match &self.method {
            Some(m) => Method::from_bytes(m.as_bytes())
                .map_err(|_| BuildError::InvalidMethod { method: m.clone() })?,
            None if self.body.is_some() || self.upload.is_some() => Method::POST,
            None => Method::GET,
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let (n, v) = validate_header(name, value)?;
            headers.append(n, v);
        }
        if !url.username().is_empty() || url.password().is_some() {
            if !headers.contains_key(AUTHORIZATION) {
                headers.insert(AUTHORIZATION, basic_auth(&url));
            }
            // Credentials live in the header from here on; the URL shown in
            // events and traces must not carry them.
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
        if self.json_body && !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(t) = self
            .body_type
            .filter(|_| !headers.contains_key(CONTENT_TYPE))
        {
            headers.insert(CONTENT_TYPE, t);
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, HeaderValue::from_static(DEFAULT_USER_AGENT));
        }
        url.set_fragment(None);
        let upload = if self.body.is_some() {
            None
        } else {
            self.upload
        };
        Ok(Request {
            method,
            url,
            headers,
            body: self.body,
            chunk_size: self.chunk_size,
            timeout: self.timeout,
            total_timeout: self.total_timeout,
            max_redirects: self.max_redirects,
            decode: self.decode,
            collect_body: self.collect_body,
            proxy: self.proxy,
            limits: self.limits,
            allow_https_to_http: self.allow_https_to_http,
            cookie_jar: self.cookie_jar,
            wall_time: self.wall_time,
            env_proxies: None,
            decompress: self.decompress,
            connect_timeout: self.connect_timeout,
            upload,
            expect_continue: self.expect_continue,
        })
    }
}

fn check_url(url: &Url, original: &str) -> Result<(), BuildError> {
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(BuildError::UnsupportedScheme {
                scheme: other.to_string(),
            })
        }
    }
    match url.host_str() {
        Some(h) if !h.is_empty() => Ok(()),
        _ => Err(BuildError::MissingHost {
            url: original.to_string(),
        }),
    }
}

pub(crate) fn validate_header(
    name: &[u8],
    value: &[u8],
) -> Result<(HeaderName, HeaderValue), BuildError> {
    let n = HeaderName::from_bytes(name).map_err(|_| BuildError::InvalidHeaderName {
        name: String::from_utf8_lossy(name).into_owned(),
    })?;
    let v = HeaderValue::from_bytes(value).map_err(|_| BuildError::InvalidHeaderValue {
        name: n.as_str().to_string(),
    })?;
    Ok((n, v))
}

fn basic_auth(url: &Url) -> HeaderValue {
    let user = percent_decode(url.username());
    let pass = percent_decode(url.password().unwrap_or(""));
    basic_auth_value(&user, &pass)
}

/// The `Authorization` value for HTTP Basic credentials (RFC 7617:
/// `Basic base64(user:password)`).
///
/// ```
/// let v = urlrequest_core::basic_auth_value(b"user", b"passwd");
/// assert_eq!(v, "Basic dXNlcjpwYXNzd2Q=");
/// ```
pub fn basic_auth_value(user: &[u8], password: &[u8]) -> HeaderValue {
    let mut plain = user.to_vec();
    plain.push(b':');
    plain.extend_from_slice(password);
    let value = format!("Basic {}", STANDARD.encode(&plain));
    HeaderValue::from_str(&value).expect("base64 is always a valid header value")
}

/// `%XX` escapes decoded; a `%` not followed by two hex digits stays as is.
fn percent_decode(s: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_http_schemes() {
        let e = Request::get("ftp://example.com/").unwrap_err();
        assert_eq!(
            e,
            BuildError::UnsupportedScheme {
                scheme: "ftp".into()
            }
        );
        assert!(e.to_string().contains("only http and https"));
    }

    #[test]
    fn rejects_garbage_url() {
        assert!(matches!(
            Request::get("not a url"),
            Err(BuildError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn rejects_control_characters_in_url() {
        for bad in [
            "http://a/\r\nX-Injected: 1",
            "http://a/\0",
            "http://a/p\tq",
            "http://a\n.test/",
        ] {
            let e = Request::get(bad).unwrap_err();
            assert!(e.to_string().contains("control character"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn rejects_crlf_in_header_value() {
        let e = Request::builder("http://a/")
            .header("X-A", "1\r\nX-B: 2")
            .build()
            .unwrap_err();
        assert_eq!(e, BuildError::InvalidHeaderValue { name: "x-a".into() });
        let e = Request::builder("http://a/")
            .header("X-A", "a\0b")
            .build()
            .unwrap_err();
        assert!(matches!(e, BuildError::InvalidHeaderValue { .. }));
    }

    #[test]
    fn rejects_bad_header_name() {
        let e = Request::builder("http://a/")
            .header("Bad Name", "1")
            .build()
            .unwrap_err();
        assert!(matches!(e, BuildError::InvalidHeaderName { .. }));
    }

    #[test]
    fn zero_chunk_size_rejected() {
        assert_eq!(
            Request::builder("http://a/")
                .chunk_size(0)
                .build()
                .unwrap_err(),
            BuildError::ZeroChunkSize
        );
    }

    #[test]
    fn body_without_method_is_post() {
        let r = Request::builder("http://a/").body("x").build().unwrap();
        assert_eq!(r.method(), Method::POST);
        let r = Request::builder("http://a/")
            .method("PUT")
            .body("x")
            .build()
            .unwrap();
        assert_eq!(r.method(), Method::PUT);
    }

    #[test]
    fn user_info_becomes_basic_auth_and_leaves_url() {
        let r = Request::get("http://us%40er:p%3Ass@example.com/x").unwrap();
        assert_eq!(r.url().as_str(), "http://example.com/x");
        // "us@er:p:ss"
        assert_eq!(r.headers()[AUTHORIZATION], "Basic dXNAZXI6cDpzcw==");
    }

    #[test]
    fn explicit_authorization_wins_over_user_info() {
        let r = Request::builder("http://u:p@example.com/")
            .header("Authorization", "Bearer t")
            .build()
            .unwrap();
        assert_eq!(r.headers()[AUTHORIZATION], "Bearer t");
    }

    #[test]
    fn from_http_keeps_method_headers_body() {
        let hr = http::Request::builder()
            .method("PATCH")
            .uri("https://example.com/a")
            .header("X-One", "1")
            .body(Bytes::from_static(b"{}"))
            .unwrap();
        let r = Request::from_http(hr).unwrap();
        assert_eq!(r.method(), Method::PATCH);
        assert_eq!(r.headers()["x-one"], "1");
        assert_eq!(r.body().unwrap().as_ref(), b"{}");
    }

    #[test]
    fn json_body_sets_content_type_unless_one_is_set() {
        let r = Request::builder("http://a/")
            .json(&serde_json::json!({"a": [1, 2]}))
            .build()
            .unwrap();
        assert_eq!(r.method(), Method::POST);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(r.body().unwrap().as_ref(), br#"{"a":[1,2]}"#);
        // The user's type wins, set before or after; the method too.
        for r in [
            Request::builder("http://a/")
                .header("Content-Type", "application/vnd.api+json")
                .method("PUT")
                .json(&[1u8, 2])
                .build()
                .unwrap(),
            Request::builder("http://a/")
                .method("PUT")
                .json(&[1u8, 2])
                .header("content-type", "application/vnd.api+json")
                .build()
                .unwrap(),
        ] {
            assert_eq!(r.method(), Method::PUT);
            let types: Vec<_> = r.headers().get_all(CONTENT_TYPE).iter().collect();
            assert_eq!(types, ["application/vnd.api+json"]);
            assert_eq!(r.body().unwrap().as_ref(), b"[1,2]");
        }
        // A later body() replaces the JSON body and its type.
        let r = Request::builder("http://a/")
            .json(&1)
            .body("x=1")
            .build()
            .unwrap();
        assert!(r.headers().get(CONTENT_TYPE).is_none());
        assert_eq!(r.body().unwrap().as_ref(), b"x=1");
    }

    #[test]
    fn unserialisable_json_is_a_build_error() {
        let mut map = std::collections::BTreeMap::new();
        map.insert((1u8, 2u8), "v");
        let e = Request::builder("http://a/")
            .json(&map)
            .build()
            .unwrap_err();
        assert!(matches!(e, BuildError::Json { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "the JSON body could not be serialised: key must be a string"
        );
    }

    #[test]
    fn bad_proxy_rejected() {
        assert!(Proxy::new("", 80).is_err());
        assert!(Proxy::new("p", 0).is_err());
        assert!(Proxy::new("p", 1).unwrap().header("X", "a\nb").is_err());
    }
}
