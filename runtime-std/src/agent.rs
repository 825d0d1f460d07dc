//! [`Agent`]: the keep-alive pool and TLS configurations shared by requests,
//! and the plain blocking API (`send`, `get`).

use std::collections::HashMap;
use std::fmt;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use urlrequest_core::{CookieJar, EnvProxies, Event, Exchange, Pool, PoolKey, Request, Response};

use crate::cancel::CancelHandle;
use crate::driver::Driver;
use crate::error::Error;
use crate::transport::Connection;
use urlrequest::Recording;
use urlrequest_tls::TlsSettings;

/// Default time an idle connection is kept for reuse.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of idle connections kept per origin.
pub const DEFAULT_MAX_IDLE_PER_HOST: usize = 4;

/// Runs requests and keeps their connections alive for reuse.
///
/// Cloning is cheap and gives a handle to the same pool, so one agent can
/// serve many threads. Idle connections are reused by later requests to the
/// same scheme, host, port and proxy, with the same TLS settings; that
/// includes the next hop of a same-origin redirect.
///
/// ```no_run
/// let agent = urlrequest_std::Agent::new();
/// let request = urlrequest_core::Request::get("http://127.0.0.1:8000/status")?;
/// let response = agent.send(request)?;
/// println!("{} {:?}", response.status(), response.bytes());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Agent {
    inner: Arc<AgentInner>,
}

/// Per-call settings for [`Agent::drive`] and [`Agent::send_with`].
#[derive(Debug, Clone, Default)]
pub struct DriveOptions {
    tls: Option<TlsSettings>,
    cancel: CancelHandle,
    debug: bool,
}

impl DriveOptions {
    /// Default options: the agent's TLS settings, no logging.
    pub fn new() -> DriveOptions {
        DriveOptions::default()
    }

    /// TLS settings for this call instead of the agent's.
    pub fn tls(mut self, tls: TlsSettings) -> Self {
        self.tls = Some(tls);
        self
    }

    /// A handle through which the call can be cancelled from another thread.
    pub fn cancel_handle(mut self, cancel: CancelHandle) -> Self {
        self.cancel = cancel;
        self
    }

    /// Log every action and event at `debug` level through the `log` crate.
    pub fn debug(mut self, on: bool) -> Self {
        self.debug = on;
        self
    }
}

/// Configures an [`Agent`].
#[derive(Debug, Clone)]
pub struct AgentBuilder {
    idle_timeout: Duration,
    max_idle_per_host: usize,
    tls: TlsSettings,
    recording: Option<Recording>,
    env_proxies: Option<EnvProxies>,
    cookie_jar: Option<CookieJar>,
}

impl AgentBuilder {
    /// Keeps cookies for this client's requests in `jar` (off by default):
    /// RFC 6265 rules, applied by the core on every hop, redirects
    /// included, so a `Set-Cookie` on a 302 goes out on the next hop when
    /// it matches that URL. A request with a jar of its own keeps it. The
    /// jar is a shared handle: keep a clone to look at it or share it.
    pub fn cookie_jar(mut self, jar: CookieJar) -> Self {
        self.cookie_jar = Some(jar);
        self
    }

    /// Sends each request that sets no proxy of its own through the proxy
    /// `proxies` names for its URL (off by default). Usually
    /// `EnvProxies::from_env()?`: `http_proxy`, `https_proxy`, `ALL_PROXY`
    /// and `NO_PROXY` as curl reads them, user-info in a proxy URL sent as
    /// `Proxy-Authorization`. The proxy is chosen for the URL of each hop:
    /// a redirect to a `NO_PROXY` host goes direct.
    ///
    /// ```
    /// use urlrequest_std::{Agent, EnvProxies};
    /// let agent = Agent::builder()
    ///     .env_proxies(EnvProxies::from_vars([("http_proxy", "127.0.0.1:3128")])?)
    ///     .build();
    /// # let _ = agent;
    /// # Ok::<(), urlrequest_std::core::BuildError>(())
    /// ```
    pub fn env_proxies(mut self, proxies: EnvProxies) -> Self {
        self.env_proxies = Some(proxies);
        self
    }

    /// How long an idle connection is kept (default 30 s).
    pub fn idle_timeout(mut self, t: Duration) -> Self {
        self.idle_timeout = t;
        self
    }

    /// Idle connections kept per origin (default 4; 0 disables reuse).
    pub fn max_idle_per_host(mut self, n: usize) -> Self {
        self.max_idle_per_host = n;
        self
    }

    /// Default TLS settings for this agent's requests.
    pub fn tls(mut self, tls: TlsSettings) -> Self {
        self.tls = tls;
        self
    }

    /// Records the transcript of every request this agent runs (`send`,
    /// `get`, a `UrlRequest` on it) into `recording`, for replay in tests
    /// (see [`urlrequest::Replay`]).
    pub fn record(mut self, recording: &Recording) -> Self {
        self.recording = Some(recording.clone());
        self
    }

    /// The agent.
    pub fn build(self) -> Agent {
        Agent {
            inner: Arc::new(AgentInner {
                pools: Mutex::new(HashMap::new()),
                configs: Mutex::new(HashMap::new()),
                tls: self.tls,
                idle_timeout: self.idle_timeout,
                max_idle_per_host: self.max_idle_per_host,
                recording: self.recording,
                env_proxies: self.env_proxies,
                cookie_jar: self.cookie_jar,
            }),
        }
    }
}

impl Default for Agent {
    fn default() -> Self {
        Agent::new()
    }
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("tls", &self.inner.tls)
            .field("idle_connections", &self.idle_connections())
            .finish()
    }
}

impl Agent {
    /// An agent with default settings and its own, empty pool.
    pub fn new() -> Agent {
        Agent::builder().build()
    }

    /// Configures an agent.
    pub fn builder() -> AgentBuilder {
        AgentBuilder {
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_idle_per_host: DEFAULT_MAX_IDLE_PER_HOST,
            tls: TlsSettings::default(),
            recording: None,
            env_proxies: None,
            cookie_jar: None,
        }
    }

    /// The process-wide agent used by [`get`](crate::get) and by
    /// [`UrlRequest`](crate::UrlRequest)s that name no agent.
    pub fn shared() -> Agent {
        static SHARED: OnceLock<Agent> = OnceLock::new();
        SHARED.get_or_init(Agent::new).clone()
    }

    /// Sends a request and returns the final response, whatever its status
    /// (check [`Response::status`]). Fails on DNS, connect, TLS, timeout,
    /// malformed response and the other `Failure`s of the core.
    pub fn send(&self, request: Request) -> Result<Response, Error> {
        self.send_with(request, &DriveOptions::default())
    }

    /// [`send`](Self::send) with per-call options.
    pub fn send_with(&self, request: Request, options: &DriveOptions) -> Result<Response, Error> {
        let mut ex = self.exchange(request);
        let mut outcome = None;
        self.drive(&mut ex, options, |event, _| {
            match event {
                Event::Done(r) => outcome = Some(Ok(r)),
                Event::Failure(e) => outcome = Some(Err(Error::Request(e))),
                _ => {}
            }
            ControlFlow::Continue(())
        });
        outcome.unwrap_or(Err(Error::Request(urlrequest_core::Error::Cancelled)))
    }

    /// GETs `url`.
    pub fn get(&self, url: &str) -> Result<Response, Error> {
        self.send(Request::get(url)?)
    }

    /// Drives an exchange to completion on this thread, handing each event
    /// (with the exchange, to look at its state or response head) to
    /// `sink`. Returning `ControlFlow::Break` from the sink cancels the
    /// exchange; no further events are handed over.
    ///
    /// This is the building block of everything else in the crate; use it
    /// for streaming bodies, recording transcripts
    /// ([`Exchange::recording`]) or printing event traces.
    ///
    /// **To stream a body, build the request with `collect_body(false)`.**
    /// The exchange was built by the caller, so its request decides: with
    /// the default `collect_body(true)` every byte handed over in
    /// `Event::Body` is also kept for the final `Done` response, the body
    /// sits in memory twice over its life, and a body over
    /// [`DEFAULT_MAX_COLLECTED_BODY`](urlrequest_core::DEFAULT_MAX_COLLECTED_BODY)
    /// (10 MiB) fails unless `Limits::max_body_bytes` allows it. With
    /// `collect_body(false)` memory stays flat, no default limit applies,
    /// and `Done` has no body (`bytes()` is `None`).
    ///
    /// ```no_run
    /// use std::io::Write;
    /// use std::ops::ControlFlow;
    /// use std::time::Instant;
    /// use urlrequest_std::core::{Event, Exchange};
    /// use urlrequest_std::{Agent, DriveOptions, Request};
    ///
    /// let request = Request::builder("http://127.0.0.1:8000/big.iso")
    ///     .collect_body(false) // stream: keep nothing in the response
    ///     .build()?;
    /// let mut out = std::fs::File::create("big.iso")?;
    /// let mut ex = Exchange::new(request, Instant::now());
    /// Agent::shared().drive(&mut ex, &DriveOptions::default(), |event, _| {
    ///     match event {
    ///         Event::Body(chunk) if out.write_all(&chunk).is_err() => return ControlFlow::Break(()),
    ///         Event::Done(response) => assert!(response.bytes().is_none()),
    ///         Event::Failure(e) => eprintln!("failed: {e}"),
    ///         _ => {}
    ///     }
    ///     ControlFlow::Continue(())
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn drive<F>(&self, ex: &mut Exchange, options: &DriveOptions, sink: F)
    where
        F: FnMut(Event, &Exchange) -> ControlFlow<()>,
    {
        self.drive_inner(ex, options, None, sink);
    }

    fn drive_inner<F>(
        &self,
        ex: &mut Exchange,
        options: &DriveOptions,
        upload: Option<&mut urlrequest::Upload>,
        sink: F,
    ) where
        F: FnMut(Event, &Exchange) -> ControlFlow<()>,
    {
        let tls = options.tls.as_ref().unwrap_or(&self.inner.tls);
        let mut sink = sink;
        let mut recorded = false;
        let recording = self.inner.recording.as_ref();
        // The transcript is kept before the terminal event is handed over:
        // whoever waits for the outcome finds it recorded.
        let mut keep = |event: Event, ex: &Exchange| {
            if let (true, false, Some(rec)) = (event.is_terminal(), recorded, recording) {
                if let Some(t) = ex.transcript() {
                    rec.push(t);
                    recorded = true;
                }
            }
            sink(event, ex)
        };
        Driver::new(&self.inner, tls, &options.cancel, options.debug)
            .with_upload(upload)
            .run(ex, &mut keep);
        // A run the sink stopped: its terminal event was not handed over.
        if let (false, Some(rec), Some(t)) = (recorded, recording, ex.transcript()) {
            rec.push(t);
        }
    }

    /// Sends the request of `builder` with a body streamed from `upload`
    /// (the builder's body, if any, is replaced) and returns the final
    /// response. See [`Upload`](crate::Upload) for lengths and redirects.
    pub fn upload(
        &self,
        builder: urlrequest_core::RequestBuilder,
        upload: urlrequest::Upload,
    ) -> Result<Response, Error> {
        self.upload_with(builder, upload, &DriveOptions::default())
    }

    /// [`upload`](Self::upload) with per-call options.
    pub fn upload_with(
        &self,
        builder: urlrequest_core::RequestBuilder,
        mut upload: urlrequest::Upload,
        options: &DriveOptions,
    ) -> Result<Response, Error> {
        let request = builder.body_stream(upload.body_stream()).build()?;
        let mut ex = self.exchange(request);
        let mut outcome = None;
        self.drive_upload(&mut ex, options, Some(&mut upload), |event, _| {
            match event {
                Event::Done(r) => outcome = Some(Ok(r)),
                Event::Failure(e) => outcome = Some(Err(Error::Request(e))),
                _ => {}
            }
            ControlFlow::Continue(())
        });
        outcome.unwrap_or(Err(Error::Request(urlrequest_core::Error::Cancelled)))
    }

    /// [`drive`](Self::drive) for an exchange whose request has a streamed
    /// body ([`RequestBuilder::body_stream`](urlrequest_core::RequestBuilder::body_stream)):
    /// its bytes are read from `upload` as the core asks for them. Without
    /// a source such a request fails with a `request-body` error.
    pub fn drive_upload<F>(
        &self,
        ex: &mut Exchange,
        options: &DriveOptions,
        upload: Option<&mut urlrequest::Upload>,
        sink: F,
    ) where
        F: FnMut(Event, &Exchange) -> ControlFlow<()>,
    {
        self.drive_inner(ex, options, upload, sink);
    }

    /// A new exchange for `request`, recording when this agent records
    /// (see [`AgentBuilder::record`]).
    pub fn exchange(&self, request: Request) -> Exchange {
        let mut request = request;
        if let Some(env) = &self.inner.env_proxies {
            env.apply(&mut request);
        }
        if let Some(jar) = &self.inner.cookie_jar {
            jar.apply(&mut request, std::time::SystemTime::now);
        } else if request.cookie_jar().is_some() && request.wall_time().is_none() {
            request.set_wall_time(std::time::SystemTime::now());
        }
        match self.inner.recording {
            Some(_) => Exchange::recording(request, Instant::now()),
            None => Exchange::new(request, Instant::now()),
        }
    }

    /// Idle connections currently kept for reuse.
    pub fn idle_connections(&self) -> usize {
        self.inner
            .pools()
            .values()
            .map(|p: &Pool<Connection>| p.idle_count())
            .sum()
    }
}

/// The shared state behind an [`Agent`].
pub(crate) struct AgentInner {
    /// One pool per TLS setting: a connection verified under one set of
    /// roots must not serve a request that asked for another.
    pools: Mutex<HashMap<TlsSettings, Pool<Connection>>>,
    configs: Mutex<HashMap<TlsSettings, Arc<ClientConfig>>>,
    tls: TlsSettings,
    idle_timeout: Duration,
    max_idle_per_host: usize,
    recording: Option<Recording>,
    env_proxies: Option<EnvProxies>,
    cookie_jar: Option<CookieJar>,
}

impl AgentInner {
    fn pools(&self) -> MutexGuard<'_, HashMap<TlsSettings, Pool<Connection>>> {
        self.pools.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Plain http connections do not depend on TLS settings.
    fn slot(key: &PoolKey, tls: &TlsSettings) -> TlsSettings {
        if key.scheme == "https" {
            tls.clone()
        } else {
            TlsSettings::default()
        }
    }

    /// An idle connection for `key` that still looks alive, if any.
    pub(crate) fn check_out(&self, key: &PoolKey, tls: &TlsSettings) -> Option<Connection> {
        let slot = AgentInner::slot(key, tls);
        loop {
            let conn = self
                .pools()
                .get_mut(&slot)?
                .check_out(key, Instant::now())?;
            if conn.looks_alive() {
                return Some(conn);
            }
            // The server closed it while idle: drop it and try the next.
        }
    }

    /// Keeps a clean connection for reuse.
    pub(crate) fn check_in(&self, key: PoolKey, tls: &TlsSettings, conn: Connection) {
        if self.max_idle_per_host == 0 {
            return;
        }
        let slot = AgentInner::slot(&key, tls);
        let now = Instant::now();
        let mut pools = self.pools();
        let pool = pools
            .entry(slot)
            .or_insert_with(|| Pool::new(self.idle_timeout, self.max_idle_per_host));
        // Dropping the evicted and expired connections closes them.
        drop(pool.check_in(key, conn, now));
        drop(pool.expire(now));
    }

    /// The rustls configuration for `tls`, built once per setting.
    pub(crate) fn client_config(&self, tls: &TlsSettings) -> Result<Arc<ClientConfig>, String> {
        let mut configs = self.configs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = configs.get(tls) {
            return Ok(c.clone());
        }
        let config = tls.client_config().map_err(|e| e.to_string())?;
        configs.insert(tls.clone(), config.clone());
        Ok(config)
    }
}

/// GETs `url` with the [shared agent](Agent::shared).
///
/// ```no_run
/// let response = urlrequest_std::get("http://127.0.0.1:8000/")?;
/// assert!(response.status().is_success());
/// # Ok::<(), urlrequest_std::Error>(())
/// ```
pub fn get(url: &str) -> Result<Response, Error> {
    Agent::shared().get(url)
}

/// Sends `request` with the [shared agent](Agent::shared).
pub fn send(request: Request) -> Result<Response, Error> {
    Agent::shared().send(request)
}
