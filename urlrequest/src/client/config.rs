//! [`ClientSettings`]: every setting of a client, the same in every runtime,
//! and [`ClientBuilder`], the one builder that sets them; plus the one
//! place a request is prepared for a client (proxies, cookies, the
//! client's timeouts, recording) before its exchange starts.

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use urlrequest_core::{CookieJar, EnvProxies, Exchange, Request};
use urlrequest_tls::{CaMode, TlsSettings};

use crate::error::Error;
use crate::replay::Recording;

/// Default time an idle keep-alive connection is kept for reuse.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of idle connections kept per origin: as many as may be
/// open at once ([`DEFAULT_PER_HOST_LIMIT`]), so a burst of parallel
/// requests finds its connections again on the next burst.
pub const DEFAULT_MAX_IDLE_PER_HOST: usize = 64;
/// Default number of connections open at once to one origin (scheme,
/// host, port, proxy); requests beyond it wait for one to come free.
pub const DEFAULT_PER_HOST_LIMIT: usize = 64;
/// Default bytes read per tick over all requests, in runtimes driven by the
/// application's loop: 1 MiB, about 60 MiB/s at 60 frames a second.
pub const DEFAULT_TICK_BUDGET: usize = 1 << 20;

/// Where a client's proxies come from.
#[derive(Debug, Clone)]
enum ProxyRules {
    /// The process environment, read when the client is built (the
    /// default, as curl, reqwest and ureq do).
    Environment,
    /// Rules given to the builder.
    Given(Box<EnvProxies>),
    /// No proxy unless a request names one.
    Off,
}

/// Every setting of a client. Built by [`ClientBuilder`]; a runtime's
/// client keeps it and hands it to the shared pieces ([`ClientCore`](crate::client::ClientCore)).
#[derive(Debug, Clone)]
pub struct ClientSettings {
    tls: TlsSettings,
    idle_timeout: Duration,
    max_idle_per_host: usize,
    per_host_limit: usize,
    tick_budget: usize,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    recording: Option<Recording>,
    proxies: ProxyRules,
    /// The rules in force once built (the environment read, or given).
    env_proxies: Option<EnvProxies>,
    cookie_jar: Option<CookieJar>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            tls: TlsSettings::default(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_idle_per_host: DEFAULT_MAX_IDLE_PER_HOST,
            per_host_limit: DEFAULT_PER_HOST_LIMIT,
            tick_budget: DEFAULT_TICK_BUDGET,
            timeout: None,
            connect_timeout: None,
            read_timeout: None,
            recording: None,
            proxies: ProxyRules::Environment,
            env_proxies: None,
            cookie_jar: None,
        }
    }
}

impl ClientSettings {
    /// The client's TLS settings (roots, CA file, verification).
    pub fn tls(&self) -> &TlsSettings {
        &self.tls
    }

    /// How long an idle connection is kept.
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// Idle connections kept per origin.
    pub fn max_idle_per_host(&self) -> usize {
        self.max_idle_per_host
    }

    /// Connections open at once to one origin (at least 1).
    pub fn per_host_limit(&self) -> usize {
        self.per_host_limit
    }

    /// Bytes read per tick, in runtimes driven by the application's loop.
    pub fn tick_budget(&self) -> usize {
        self.tick_budget
    }

    /// Where transcripts go, when the client records.
    pub fn recording(&self) -> Option<&Recording> {
        self.recording.as_ref()
    }

    /// The proxy rules in force (read from the environment at build, or
    /// given), `None` when requests go direct unless they name a proxy.
    pub fn env_proxies(&self) -> Option<&EnvProxies> {
        self.env_proxies.as_ref()
    }

    /// Finishes the settings once, when the client is built: reads the
    /// environment's proxies unless told otherwise.
    fn resolve(mut self) -> ClientSettings {
        self.env_proxies = match &self.proxies {
            ProxyRules::Off => None,
            ProxyRules::Given(rules) => Some((**rules).clone()),
            // A malformed variable the user never pointed us at should not
            // stop every request: it is skipped with a warning, as reqwest
            // does (an explicit `EnvProxies::from_env()?` reports it).
            ProxyRules::Environment => Some(EnvProxies::from_env_lenient()),
        }
        .filter(|rules| !rules.is_empty());
        self
    }

    /// The exchange for `request` run by a client with these settings: the
    /// client's proxy rules (unless the request names a proxy), its cookie
    /// jar, its timeouts where the request sets none, and a transcript
    /// when the client records. `now` starts the exchange's clock; `wall`
    /// is read only when cookies need the wall time.
    pub fn exchange(
        &self,
        mut request: Request,
        now: Instant,
        wall: impl FnOnce() -> SystemTime,
    ) -> Exchange {
        if let Some(rules) = &self.env_proxies {
            rules.apply(&mut request);
        }
        if let Some(jar) = &self.cookie_jar {
            jar.apply(&mut request, wall);
        } else if request.cookie_jar().is_some() && request.wall_time().is_none() {
            request.set_wall_time(wall());
        }
        if request.total_timeout().is_none() && self.timeout.is_some() {
            request.set_total_timeout(self.timeout);
        }
        if request.connect_timeout().is_none() && self.connect_timeout.is_some() {
            request.set_connect_timeout(self.connect_timeout);
        }
        if request.timeout().is_none() && self.read_timeout.is_some() {
            request.set_timeout(self.read_timeout);
        }
        match self.recording {
            Some(_) => Exchange::recording(request, now),
            None => Exchange::new(request, now),
        }
    }
}

/// A runtime's client, made from a [`ClientSettings`]. Implemented by every
/// runtime's `Client`, so [`ClientBuilder::build`] is the same call
/// everywhere.
pub trait BuildClient: Sized {
    /// The client for `config`. Fails when a setting cannot be used (a
    /// `ca_file` that cannot be read or holds no certificate).
    fn from_config(config: ClientSettings) -> Result<Self, Error>;
}

/// Configures a client: the one builder of every runtime, with the same
/// settings under the same names and the same return type
/// (`urlrequest_std::Client::builder()`, `urlrequest_tokio::Client::builder()`,
/// `urlrequest_smol::Client::builder()`, `urlrequest_frame::Client::builder()`).
///
/// Timeouts are named as reqwest and ureq name them: [`timeout`](Self::timeout)
/// is the whole exchange, [`connect_timeout`](Self::connect_timeout) the
/// connection (TCP, proxy `CONNECT`, TLS), [`read_timeout`](Self::read_timeout)
/// the longest time without progress. A request's own timeouts win. (A
/// `UrlRequest` keeps Kivy's meaning of `timeout`: time without progress.)
///
/// Proxies from the environment (`http_proxy`, `https_proxy`, `ALL_PROXY`,
/// `NO_PROXY`, as curl reads them) are used by default, as curl, reqwest
/// and ureq do; [`no_env_proxies`](Self::no_env_proxies) turns that off.
pub struct ClientBuilder<C> {
    config: ClientSettings,
    client: PhantomData<fn() -> C>,
}

impl<C> Clone for ClientBuilder<C> {
    fn clone(&self) -> Self {
        ClientBuilder {
            config: self.config.clone(),
            client: PhantomData,
        }
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .finish()
    }
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        ClientBuilder {
            config: ClientSettings::default(),
            client: PhantomData,
        }
    }
}

impl<C: BuildClient> ClientBuilder<C> {
    /// The defaults: webpki roots with verification, proxies from the
    /// environment, no cookie jar, no client timeouts,
    /// [`DEFAULT_IDLE_TIMEOUT`], [`DEFAULT_MAX_IDLE_PER_HOST`],
    /// [`DEFAULT_PER_HOST_LIMIT`], [`DEFAULT_TICK_BUDGET`].
    pub fn new() -> Self {
        ClientBuilder::default()
    }

    /// The client. Reads the environment's proxies (unless
    /// [`no_env_proxies`](Self::no_env_proxies)) and the `ca_file`, so a
    /// missing or unreadable CA file is reported here, before any request.
    pub fn build(self) -> Result<C, Error> {
        C::from_config(self.config.resolve())
    }

    /// The whole exchange (redirects included) of each request may take at
    /// most `t`; past it the request fails with a timeout naming the phase.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.config.timeout = Some(t);
        self
    }

    /// A new connection (TCP connect, proxy `CONNECT`, TLS handshake) may
    /// take at most `t`.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.config.connect_timeout = Some(t);
        self
    }

    /// The longest time without progress (no byte read or written) before
    /// a request fails.
    pub fn read_timeout(mut self, t: Duration) -> Self {
        self.config.read_timeout = Some(t);
        self
    }

    /// TLS settings for this client's requests (a `UrlRequest` may name
    /// others for itself).
    pub fn tls(mut self, tls: TlsSettings) -> Self {
        self.config.tls = tls;
        self
    }

    /// Trusts the CA certificates of this PEM file instead of the built-in
    /// roots (Kivy's `ca_file`), or beside them with
    /// [`ca_mode(CaMode::Extend)`](Self::ca_mode).
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Self {
        self.config.tls = self.config.tls.ca_file(path.as_ref());
        self
    }

    /// Whether a `ca_file` replaces (default) or extends the built-in roots.
    pub fn ca_mode(mut self, mode: CaMode) -> Self {
        self.config.tls = self.config.tls.ca_mode(mode);
        self
    }

    /// **Dangerous**: `false` accepts any certificate for any name, so
    /// anyone on the path can read and change the traffic. For tests
    /// against self-signed servers only.
    pub fn verify(mut self, verify: bool) -> Self {
        self.config.tls = self.config.tls.verify(verify);
        self
    }

    /// How long an idle keep-alive connection is kept (default 30 s).
    pub fn idle_timeout(mut self, t: Duration) -> Self {
        self.config.idle_timeout = t;
        self
    }

    /// Idle connections kept per origin (default 64; 0 disables reuse).
    pub fn max_idle_per_host(mut self, n: usize) -> Self {
        self.config.max_idle_per_host = n;
        self
    }

    /// Connections open at once to one origin (scheme, host, port, proxy);
    /// requests beyond it wait for one to come free, within their own
    /// timeouts (default 64; 0 counts as 1).
    pub fn per_host_limit(mut self, n: usize) -> Self {
        self.config.per_host_limit = n.max(1);
        self
    }

    /// Bytes read per tick over all requests, in runtimes driven by the
    /// application's loop (the frame runtime; default 1 MiB; at least 1;
    /// `usize::MAX`: no bound). Runtimes with threads or tasks read as
    /// fast as the network goes and do not use it.
    pub fn tick_budget(mut self, bytes: usize) -> Self {
        self.config.tick_budget = bytes.max(1);
        self
    }

    /// Records the transcript of every request this client runs (`send`,
    /// `get`, `events`, `download`, a `UrlRequest` on it) into
    /// `recording`, for replay in tests (see [`Replay`](crate::Replay)).
    pub fn record(mut self, recording: &Recording) -> Self {
        self.config.recording = Some(recording.clone());
        self
    }

    /// Keeps cookies for this client's requests in `jar` (off by default):
    /// RFC 6265 rules, applied by the core on every hop, redirects
    /// included, so a `Set-Cookie` on a 302 goes out on the next hop when
    /// it matches that URL. A request with a jar of its own keeps it. The
    /// jar is a shared handle: keep a clone to look at it or share it.
    pub fn cookie_jar(mut self, jar: CookieJar) -> Self {
        self.config.cookie_jar = Some(jar);
        self
    }

    /// Sends each request that names no proxy of its own through the proxy
    /// `proxies` names for its URL, instead of the environment's. Each
    /// hop's URL chooses again: a redirect to a `NO_PROXY` host goes direct.
    ///
    /// ```
    /// use urlrequest::{client::ClientBuilder, Recording};
    /// # use urlrequest::client::{BuildClient, ClientSettings};
    /// # struct MyClient(ClientSettings);
    /// # impl BuildClient for MyClient {
    /// #     fn from_config(c: ClientSettings) -> Result<Self, urlrequest::Error> { Ok(MyClient(c)) }
    /// # }
    /// use urlrequest_core::EnvProxies;
    /// let client = ClientBuilder::<MyClient>::new()
    ///     .env_proxies(EnvProxies::from_vars([("http_proxy", "127.0.0.1:3128")])?)
    ///     .build()?;
    /// # assert!(client.0.env_proxies().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn env_proxies(mut self, proxies: EnvProxies) -> Self {
        self.config.proxies = ProxyRules::Given(Box::new(proxies));
        self
    }

    /// Ignores the proxy environment variables: requests go direct unless
    /// they name a proxy.
    pub fn no_env_proxies(mut self) -> Self {
        self.config.proxies = ProxyRules::Off;
        self
    }

    /// The settings so far.
    pub fn config(&self) -> &ClientSettings {
        &self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain(ClientSettings);
    impl BuildClient for Plain {
        fn from_config(config: ClientSettings) -> Result<Self, Error> {
            Ok(Plain(config))
        }
    }

    #[test]
    fn client_timeouts_fill_only_what_the_request_leaves_unset() {
        let client = ClientBuilder::<Plain>::new()
            .no_env_proxies()
            .timeout(Duration::from_secs(9))
            .connect_timeout(Duration::from_secs(2))
            .read_timeout(Duration::from_secs(3))
            .build()
            .unwrap();
        let own = Request::builder("http://127.0.0.1:1/")
            .timeout(Duration::from_secs(7))
            .build()
            .unwrap();
        let now = Instant::now();
        let ex = client.0.exchange(own, now, SystemTime::now);
        let request = ex.request();
        assert_eq!(request.timeout(), Some(Duration::from_secs(7)));
        assert_eq!(request.total_timeout(), Some(Duration::from_secs(9)));
        assert_eq!(request.connect_timeout(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn given_proxies_apply_and_off_leaves_requests_direct() {
        let rules = EnvProxies::from_vars([("http_proxy", "127.0.0.1:3128")]).unwrap();
        let with = ClientBuilder::<Plain>::new()
            .env_proxies(rules)
            .build()
            .unwrap();
        let request = Request::get("http://example.com/").unwrap();
        let ex = with
            .0
            .exchange(request.clone(), Instant::now(), SystemTime::now);
        assert_eq!(ex.request().proxy().map(|p| p.port()), Some(3128));
        let off = ClientBuilder::<Plain>::new()
            .no_env_proxies()
            .build()
            .unwrap();
        let ex = off.0.exchange(request, Instant::now(), SystemTime::now);
        assert!(ex.request().proxy().is_none());
    }

    #[test]
    fn a_zero_per_host_limit_counts_as_one() {
        let b = ClientBuilder::<Plain>::new()
            .per_host_limit(0)
            .tick_budget(0);
        assert_eq!(b.config().per_host_limit(), 1);
        assert_eq!(b.config().tick_budget(), 1);
    }
}
