//! The [`Client`]: the shared pool, per-host limit and TLS configuration, and
//! the three ways to run a request on it (a future of the response, a
//! `Stream` of events, a download to a file).

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::Stream;
use urlrequest::{CancelHandle, Error, Recording};
use urlrequest_core::{CookieJar, EnvProxies, Event, Request, Response};
use urlrequest_tls::{CaMode, TlsConfigError, TlsSettings};

use crate::download;
use crate::driver::Driver;
use crate::net::Net;
use crate::shared::Shared;

/// Connections open at once to one host (scheme, host, port, proxy) unless
/// [`ClientBuilder::per_host_limit`] says otherwise.
pub const DEFAULT_PER_HOST_LIMIT: usize = 64;
/// How long an idle keep-alive connection is kept unless
/// [`ClientBuilder::idle_timeout`] says otherwise.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTP client for async code, on the I/O of runtime `N`. Cheap to
/// clone: clones share one keep-alive pool, one per-host limit and one TLS
/// configuration.
///
/// It starts no executor and no background task: every request does its I/O
/// in the task that polls it. Applications name it through their runtime
/// crate (`urlrequest_smol::Client`, `urlrequest_tokio::Client`), whose
/// documentation shows it in use; code written for any runtime takes a
/// `Client<N>`:
///
/// ```
/// use urlrequest_async::{Client, Net};
/// use urlrequest_core::Request;
///
/// /// The status of `url`, whatever the runtime.
/// async fn status_of<N: Net>(client: &Client<N>, url: &str) -> Option<u16> {
///     let response = client.send(Request::get(url).ok()?).await.ok()?;
///     Some(response.status().as_u16())
/// }
/// ```
pub struct Client<N: Net> {
    shared: Arc<Shared<N>>,
}

impl<N: Net> Clone for Client<N> {
    fn clone(&self) -> Self {
        Client {
            shared: self.shared.clone(),
        }
    }
}

impl<N: Net> fmt::Debug for Client<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("idle_connections", &self.idle_connections())
            .finish()
    }
}

impl<N: Net> Default for Client<N> {
    fn default() -> Self {
        Client::new()
    }
}

impl<N: Net> Client<N> {
    /// A client with the defaults: webpki roots, certificates verified,
    /// [`DEFAULT_PER_HOST_LIMIT`] and [`DEFAULT_IDLE_TIMEOUT`].
    pub fn new() -> Client<N> {
        Client::builder()
            .build()
            .expect("the default TLS settings read no file and cannot fail")
    }

    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder<N> {
        ClientBuilder::default()
    }

    /// The process-wide client of this runtime (default settings), used by
    /// `UrlRequest`s that name no client. It is only a pool and a
    /// configuration: no thread, task or executor behind it.
    pub fn shared() -> Client<N> {
        N::shared_client()
    }

    #[cfg(test)]
    pub(crate) fn shared_state(&self) -> Arc<Shared<N>> {
        self.shared.clone()
    }

    /// Runs `request` to its end: `Ok` with the final response whatever its
    /// status, `Err` when the exchange did not complete. `Body` events are
    /// not kept here; the response carries the body when the request
    /// collects it (the default).
    pub async fn send(&self, request: Request) -> Result<Response, Error> {
        let mut driver = Driver::new(self.shared.clone(), request);
        loop {
            match driver.next_or_cancelled().await {
                Event::Done(response) => return Ok(response),
                Event::Failure(error) => return Err(Error::Request(error)),
                _ => {}
            }
        }
    }

    /// Runs the request of `builder` with a body streamed from `upload`
    /// (the builder's body, if any, is replaced), like [`send`](Self::send).
    /// See [`AsyncUpload`](crate::AsyncUpload) for lengths and redirects.
    pub async fn upload(
        &self,
        builder: urlrequest_core::RequestBuilder,
        upload: crate::AsyncUpload,
    ) -> Result<Response, Error> {
        let request = builder
            .body_stream(upload.body_stream())
            .build()
            .map_err(Error::Build)?;
        let mut driver = Driver::new(self.shared.clone(), request).with_upload(upload);
        loop {
            match driver.next_or_cancelled().await {
                Event::Done(response) => return Ok(response),
                Event::Failure(error) => return Err(Error::Request(error)),
                _ => {}
            }
        }
    }

    /// The core's events for `request`, whose streamed body
    /// ([`RequestBuilder::body_stream`](urlrequest_core::RequestBuilder::body_stream))
    /// is read from `upload`; the body is collected or not as the request
    /// says (like [`events_collecting`](Self::events_collecting)).
    pub fn events_with_upload(&self, request: Request, upload: crate::AsyncUpload) -> EventStream {
        EventStream::new(Driver::new(self.shared.clone(), request).with_upload(upload))
    }

    /// The core's events for `request`, in order: redirects, progress, body
    /// chunks and exactly one terminal event, after which the stream ends.
    /// Nothing runs until the stream is polled; dropping it cancels the
    /// request and closes its connection.
    ///
    /// **The body is streamed, not collected**: it arrives only in the
    /// `Body` events, and the final `Done` response has no body
    /// (`bytes()` is `None`) and no decoded JSON, whatever the request's
    /// `collect_body` says, so memory stays flat however large the body
    /// (and the default limit for bodies kept in memory,
    /// [`DEFAULT_MAX_COLLECTED_BODY`](urlrequest_core::DEFAULT_MAX_COLLECTED_BODY),
    /// does not apply). To get the body in `Done` as well, use
    /// [`events_collecting`](Self::events_collecting) or
    /// [`send`](Self::send).
    ///
    /// ```
    /// use futures_lite::StreamExt;
    /// use urlrequest_async::{Client, Net};
    /// use urlrequest_core::{Event, Request};
    ///
    /// /// Body bytes of `url`, counted as they arrive and never kept.
    /// async fn count_body<N: Net>(client: &Client<N>, url: &str) -> Option<usize> {
    ///     let mut events = client.events(Request::get(url).ok()?);
    ///     let mut received = 0;
    ///     while let Some(event) = events.next().await {
    ///         match event {
    ///             Event::Body(chunk) => received += chunk.len(), // write it somewhere
    ///             Event::Done(response) => {
    ///                 assert!(response.bytes().is_none());
    ///                 return Some(received);
    ///             }
    ///             Event::Failure(_) => return None,
    ///             _ => {}
    ///         }
    ///     }
    ///     None
    /// }
    /// ```
    pub fn events(&self, mut request: Request) -> EventStream {
        request.set_collect_body(false);
        EventStream::new(Driver::new(self.shared.clone(), request))
    }

    /// Like [`events`](Self::events) (the body is streamed, not collected),
    /// cancellable through `cancel`: the stream then ends with
    /// `Failure(Cancelled)`.
    pub fn events_with_cancel(&self, mut request: Request, cancel: CancelHandle) -> EventStream {
        request.set_collect_body(false);
        EventStream::new(Driver::new(self.shared.clone(), request).with_cancel(cancel))
    }

    /// The events of `request` run exactly as built: when it collects its
    /// body (the default), `Done` carries the body and the decoded JSON as
    /// from [`send`](Self::send), on top of the `Body` events, so the body
    /// is held twice over its lifetime and the limit for bodies kept in
    /// memory applies. The same events every other driver gives for the
    /// same request; prefer [`events`](Self::events) for streaming.
    pub fn events_collecting(&self, request: Request) -> EventStream {
        EventStream::new(Driver::new(self.shared.clone(), request))
    }

    /// Streams the body into the file at `path`: into a temporary file in the
    /// same directory, renamed to `path` only when the exchange completes
    /// (`Done`, whatever the status), deleted on failure or when this future
    /// is dropped. The body is never collected in memory. The response has
    /// no body; its content is the file. A file that cannot be written is
    /// [`Error::File`].
    pub async fn download(
        &self,
        mut request: Request,
        path: impl AsRef<Path>,
    ) -> Result<Response, Error> {
        request.set_collect_body(false);
        let driver = Driver::new(self.shared.clone(), request);
        download::to_file(driver, path.as_ref()).await
    }

    /// Idle keep-alive connections in the pool now.
    pub fn idle_connections(&self) -> usize {
        self.shared.idle_count()
    }

    /// Closes every idle keep-alive connection.
    pub fn close_idle(&self) {
        self.shared.clear_idle();
    }

    pub(crate) fn driver(&self, request: Request) -> Driver<N> {
        Driver::new(self.shared.clone(), request)
    }

    /// This client when `settings` are its own TLS settings, else the
    /// sibling with the same limits for `settings` (made on first use, its
    /// CA file read on the blocking pool, then kept with its own pool).
    pub(crate) async fn for_tls(
        &self,
        settings: &TlsSettings,
    ) -> Result<Client<N>, TlsConfigError> {
        if *settings == self.shared.settings {
            return Ok(self.clone());
        }
        if let Some(shared) = self.shared.sibling(settings) {
            return Ok(Client { shared });
        }
        let wanted = settings.clone();
        let config = N::unblock(move || wanted.client_config()).await?;
        let shared = self.shared.add_sibling(settings, config);
        Ok(Client { shared })
    }
}

/// Configures a [`Client`].
pub struct ClientBuilder<N: Net> {
    per_host: usize,
    idle_timeout: Duration,
    tls: TlsSettings,
    recording: Option<Recording>,
    runtime: PhantomData<fn() -> N>,
    env_proxies: Option<EnvProxies>,
    cookie_jar: Option<CookieJar>,
}

impl<N: Net> fmt::Debug for ClientBuilder<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("per_host", &self.per_host)
            .field("idle_timeout", &self.idle_timeout)
            .field("tls", &self.tls)
            .field("recording", &self.recording.is_some())
            .finish()
    }
}

impl<N: Net> Clone for ClientBuilder<N> {
    fn clone(&self) -> Self {
        ClientBuilder {
            per_host: self.per_host,
            idle_timeout: self.idle_timeout,
            tls: self.tls.clone(),
            recording: self.recording.clone(),
            runtime: PhantomData,
            env_proxies: self.env_proxies.clone(),
            cookie_jar: self.cookie_jar.clone(),
        }
    }
}

impl<N: Net> Default for ClientBuilder<N> {
    fn default() -> Self {
        ClientBuilder {
            per_host: DEFAULT_PER_HOST_LIMIT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            tls: TlsSettings::default(),
            recording: None,
            runtime: PhantomData,
            env_proxies: None,
            cookie_jar: None,
        }
    }
}

impl<N: Net> ClientBuilder<N> {
    /// Records the transcript of every request this client runs to its end
    /// (`send`, `events`, `download`, a `UrlRequest` on it) into
    /// `recording`, for replay in tests (see [`urlrequest::Replay`]). A
    /// request whose future is dropped half-way is not recorded.
    pub fn record(mut self, recording: &Recording) -> Self {
        self.recording = Some(recording.clone());
        self
    }

    /// Sends each request that sets no proxy of its own through the proxy
    /// `proxies` names for its URL (off by default). Usually
    /// `EnvProxies::from_env()?`: `http_proxy`, `https_proxy`, `ALL_PROXY`
    /// and `NO_PROXY` as curl reads them, user-info in a proxy URL sent as
    /// `Proxy-Authorization`. The proxy is chosen for the URL of each hop:
    /// a redirect to a `NO_PROXY` host goes direct.
    pub fn env_proxies(mut self, proxies: EnvProxies) -> Self {
        self.env_proxies = Some(proxies);
        self
    }

    /// Keeps cookies for this client's requests in `jar` (off by default):
    /// RFC 6265 rules, applied by the core on every hop, redirects
    /// included, so a `Set-Cookie` on a 302 goes out on the next hop when
    /// it matches that URL. A request with a jar of its own keeps it. The
    /// jar is a shared handle: keep a clone to look at it or share it.
    pub fn cookie_jar(mut self, jar: CookieJar) -> Self {
        self.cookie_jar = Some(jar);
        self
    }

    /// Most connections open at once to one host (pool key); requests beyond
    /// it wait for a connection to come free. 0 counts as 1.
    pub fn per_host_limit(mut self, n: usize) -> Self {
        self.per_host = n;
        self
    }

    /// How long an idle keep-alive connection is kept for reuse.
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.idle_timeout = d;
        self
    }

    /// Trust the CA certificates in this PEM file instead of the built-in
    /// roots (Kivy's `ca_file`), or in addition with
    /// [`ca_mode(CaMode::Extend)`](Self::ca_mode).
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Self {
        self.tls = self.tls.ca_file(path.as_ref());
        self
    }

    /// Whether a `ca_file` replaces (default) or extends the built-in roots.
    pub fn ca_mode(mut self, mode: CaMode) -> Self {
        self.tls = self.tls.ca_mode(mode);
        self
    }

    /// `false` accepts any server certificate (expired, self-signed, for
    /// another host). The traffic is then open to anyone on the path: only
    /// for tests and machines you control.
    pub fn verify(mut self, on: bool) -> Self {
        self.tls = self.tls.verify(on);
        self
    }

    /// All TLS settings at once.
    pub fn tls(mut self, settings: TlsSettings) -> Self {
        self.tls = settings;
        self
    }

    /// Builds the client; fails when the `ca_file` cannot be used.
    pub fn build(self) -> Result<Client<N>, TlsConfigError> {
        let tls = self.tls.client_config()?;
        let mut shared = Shared::new(
            self.per_host,
            self.idle_timeout,
            tls,
            self.tls,
            self.recording,
        );
        shared.env_proxies = self.env_proxies;
        shared.cookie_jar = self.cookie_jar;
        Ok(Client {
            shared: Arc::new(shared),
        })
    }
}

type BoxedEvents = Pin<Box<dyn Stream<Item = Event> + Send>>;

/// The `Stream` of one request's events, from [`Client::events`].
pub struct EventStream {
    inner: BoxedEvents,
}

impl EventStream {
    fn new<N: Net>(driver: Driver<N>) -> EventStream {
        // Boxed: the stream moves its state in and out of each step's
        // future, and a pointer is cheaper to move than the whole driver.
        let inner = futures_lite::stream::unfold(Box::new(driver), |mut driver| async move {
            let event = driver.next_event().await?;
            Some((event, driver))
        });
        EventStream {
            inner: Box::pin(inner),
        }
    }
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventStream")
    }
}

impl Stream for EventStream {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.inner.as_mut().poll_next(cx)
    }
}
