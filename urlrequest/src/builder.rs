//! [`UrlRequestBuilder`]: every Kivy `UrlRequest` parameter as a builder
//! method, plus the choices Kivy did not offer; the same builder on every
//! runtime.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use urlrequest_core::Request;
use urlrequest_tls::{CaMode, TlsSettings};

use crate::callbacks::Callbacks;
use crate::error::Error;
use crate::outcome::ResultValue;
use crate::params::RequestParams;
use crate::runtime::{BlockingRuntime, Runtime};
use crate::url_request::{Dispatch, Launch, UrlRequest};

/// Describes a [`UrlRequest`]. Parameters are Kivy's, in Rust form; every
/// one is optional except the URL. The same methods on every runtime, so an
/// application moves between runtimes by changing its dependency and the
/// line that runs the request (`wait` with threads, `send().await` in
/// async code).
#[must_use = "a builder does nothing until build() is called"]
pub struct UrlRequestBuilder<R: Runtime> {
    params: RequestParams,
    callbacks: Callbacks<UrlRequest<R>>,
    debug: bool,
    file_path: Option<PathBuf>,
    tls: Option<TlsSettings>,
    dispatch: Dispatch,
    client: Option<R::Client>,
    autostart: bool,
    repeat_final_progress: bool,
    upload: Option<crate::Upload>,
    on_upload_progress: Option<UploadProgressFn>,
    /// The request itself, made elsewhere (a `Call`'s): then the
    /// parameters are not used, and the final response is kept.
    request: Option<Request>,
}

/// The builder's `on_upload_progress` callback.
type UploadProgressFn = Box<dyn FnMut(u64, Option<u64>) + Send>;

impl<R: Runtime> UrlRequestBuilder<R> {
    pub(crate) fn new(url: String) -> UrlRequestBuilder<R> {
        UrlRequestBuilder {
            params: RequestParams::new(url),
            callbacks: Callbacks::default(),
            debug: false,
            file_path: None,
            tls: None,
            dispatch: R::DEFAULT_DISPATCH,
            client: None,
            upload: None,
            on_upload_progress: None,
            autostart: true,
            repeat_final_progress: true,
            request: None,
        }
    }

    /// A builder that runs `request` as it is, keeping its final response
    /// for [`UrlRequest::take_response`] (a `Call`'s request: see
    /// `call_request`).
    pub(crate) fn for_request(request: Request) -> UrlRequestBuilder<R> {
        let mut builder = UrlRequestBuilder::new(request.url().to_string());
        builder.params.chunk_size = request.chunk_size();
        builder.request = Some(request);
        builder
    }

    /// Called with the result for a 1xx/2xx response.
    pub fn on_success(
        mut self,
        f: impl FnMut(&UrlRequest<R>, &ResultValue) + Send + 'static,
    ) -> Self {
        self.callbacks.on_success = Some(Box::new(f));
        self
    }

    /// Called with the result for a 3xx response that was not followed
    /// (with `max_redirects(0)`, or a 3xx without `Location`).
    pub fn on_redirect(
        mut self,
        f: impl FnMut(&UrlRequest<R>, &ResultValue) + Send + 'static,
    ) -> Self {
        self.callbacks.on_redirect = Some(Box::new(f));
        self
    }

    /// Called with the result for a 4xx/5xx response.
    pub fn on_failure(
        mut self,
        f: impl FnMut(&UrlRequest<R>, &ResultValue) + Send + 'static,
    ) -> Self {
        self.callbacks.on_failure = Some(Box::new(f));
        self
    }

    /// Called when the request did not complete (DNS, connect, TLS,
    /// timeout, bad response, file error...), except for a cancel.
    pub fn on_error(mut self, f: impl FnMut(&UrlRequest<R>, &Error) + Send + 'static) -> Self {
        self.callbacks.on_error = Some(Box::new(f));
        self
    }

    /// Called with body bytes received so far and the total when the
    /// server declared it (Kivy's `-1` is `None`), as Kivy calls it: once
    /// with 0 when the final response's head arrives (to set up a progress
    /// bar), then after each chunk of [`chunk_size`](Self::chunk_size)
    /// bytes, and, when the response was read to its end, once more with
    /// the last values right before the outcome callback (turn that repeat
    /// off with [`repeat_final_progress(false)`](Self::repeat_final_progress)).
    /// Every update is delivered, in order, on every runtime and with
    /// either [`Dispatch`]; see [`UrlRequest`] for the one bound on
    /// updates waiting for a thread that does not dispatch.
    pub fn on_progress(
        mut self,
        f: impl FnMut(&UrlRequest<R>, u64, Option<u64>) + Send + 'static,
    ) -> Self {
        self.callbacks.on_progress = Some(Box::new(f));
        self
    }

    /// Called when the request was cancelled before completing.
    pub fn on_cancel(mut self, f: impl FnMut(&UrlRequest<R>) + Send + 'static) -> Self {
        self.callbacks.on_cancel = Some(Box::new(f));
        self
    }

    /// Called last, exactly once, whatever the outcome.
    pub fn on_finish(mut self, f: impl FnMut(&UrlRequest<R>) + Send + 'static) -> Self {
        self.callbacks.on_finish = Some(Box::new(f));
        self
    }

    /// Whether `on_progress` reports the last update a second time after a
    /// response was read to its end, right before the outcome callback, as
    /// Kivy does (default: true). Off, the updates are the head's `0` and
    /// one per chunk, with no duplicate.
    pub fn repeat_final_progress(mut self, on: bool) -> Self {
        self.repeat_final_progress = on;
        self
    }

    /// The request body, sent as is. Without a `method`, a body means POST.
    pub fn req_body(mut self, body: impl Into<Bytes>) -> Self {
        self.params.req_body = Some(body.into());
        self
    }

    /// A URL-encoded form (`application/x-www-form-urlencoded`) as the
    /// body, made from `pairs` in order; POST unless a `method` is given.
    /// Replaces `req_body`. Kivy sends a dict body as is (and fails, kivy
    /// #5730); this is the encoding its users wanted.
    pub fn req_form<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.params.form = Some(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// A `multipart/form-data` body (fields and files, see
    /// [`Multipart`](urlrequest_core::Multipart) and
    /// [`multipart_file`](crate::multipart_file)); POST unless a `method` is
    /// given. Replaces `req_body` and `req_form`.
    pub fn req_multipart(mut self, form: urlrequest_core::Multipart) -> Self {
        self.params.multipart = Some(form);
        self
    }

    /// Request headers (added to any given before; a name may repeat).
    pub fn req_headers<K: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.params
            .req_headers
            .extend(headers.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Adds one request header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.req_headers.push((name.into(), value.into()));
        self
    }

    /// The method, sent verbatim (any token, such as `PROPFIND`). Default:
    /// GET, or POST with a body.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.params.method = Some(method.into());
        self
    }

    /// Size of the pieces the body is reported in (default 8192).
    pub fn chunk_size(mut self, size: usize) -> Self {
        self.params.chunk_size = size;
        self
    }

    /// Fails the request after this long without progress (connect, write
    /// or read). Default: no limit.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.params.timeout = Some(timeout);
        self
    }

    /// Fails the request when the whole exchange, redirects included,
    /// takes longer than this (default: no limit): the guard against a
    /// server that trickles its body.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.params.total_timeout = Some(timeout);
        self
    }

    /// Fails the request (`on_error`, a timeout naming the phase) when a
    /// new connection is not ready within this long: TCP connect, a
    /// proxy's `CONNECT` tunnel and the TLS handshake together, for each
    /// connection a redirect opens. Default: no limit of its own.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.params.connect_timeout = Some(timeout);
        self
    }

    /// Limits on the response: head size, header count, body size (see
    /// [`Limits`](urlrequest_core::Limits)).
    pub fn limits(mut self, limits: urlrequest_core::Limits) -> Self {
        self.params.limits = limits;
        self
    }

    /// Fails the request when the body grows past `bytes` (after what
    /// arrived up to the limit was delivered).
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.params.limits.max_body_bytes = Some(bytes);
        self
    }

    /// Follow a redirect from https to plain http (refused by default).
    pub fn allow_https_to_http(mut self, on: bool) -> Self {
        self.params.allow_https_to_http = on;
        self
    }

    /// Parse `application/json` and `+json` bodies (default on).
    pub fn decode(mut self, on: bool) -> Self {
        self.params.decode = on;
        self
    }

    /// Undo content codings (default on): `Accept-Encoding` names the
    /// codings compiled in (gzip by default; deflate, br and zstd with the
    /// features of the same names) unless a header sets it, and
    /// `on_progress`, `on_success`'s result and `file_path` get decoded
    /// bytes. While a body is decoded its total size is unknown (-1 in
    /// `on_progress`): the `Content-Length` counts the compressed bytes.
    /// Off: bodies arrive as sent.
    pub fn decompress(mut self, on: bool) -> Self {
        self.params.decompress = on;
        self
    }

    /// Log the exchange at `debug` level through the `log` crate.
    pub fn debug(mut self, on: bool) -> Self {
        self.debug = on;
        self
    }

    /// The request body, streamed from `upload` (a reader or a file) while
    /// the request is written, instead of `req_body`: `Content-Length` when
    /// its length is known, chunked otherwise, memory flat at any size. A
    /// 307/308 redirect is followed only for a file; with a reader it is the
    /// result (`on_redirect`). With no method set, the method is POST.
    pub fn upload(mut self, upload: crate::Upload) -> Self {
        self.params.body_stream = Some(upload.body_stream());
        self.params.req_body = None;
        self.upload = Some(upload);
        self
    }

    /// Called with `(sent, total)` each time a piece of the
    /// [`upload`](Self::upload) body is taken from its source (`total` is
    /// `None` for a body of unknown length; `sent` restarts at 0 when the
    /// body is sent again after a redirect). It runs where the request runs
    /// (its worker thread, the awaiting task, the tick), not through the
    /// dispatch of the other callbacks.
    pub fn on_upload_progress(mut self, f: impl FnMut(u64, Option<u64>) + Send + 'static) -> Self {
        self.on_upload_progress = Some(Box::new(f));
        self
    }

    /// Send `Expect: 100-continue` with the body and hold the body back
    /// until the server's `100 Continue` or `wait`, whichever comes first;
    /// a final status first ends the request without sending the body.
    pub fn expect_continue(mut self, wait: std::time::Duration) -> Self {
        self.params.expect_continue = Some(wait);
        self
    }

    /// Stream the body to this file instead of memory. It is written to a
    /// temporary file in the same directory and renamed into place when the
    /// response is complete (whatever its status, as in Kivy); after an
    /// error or a cancel the temporary file is removed and an existing
    /// target is left untouched. The result is the path.
    pub fn file_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.file_path = Some(path.into());
        self
    }

    /// Trust the certificates of this PEM file instead of the built-in
    /// roots (Kivy's meaning); see [`ca_mode`](Self::ca_mode) to add them
    /// to the roots instead.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls = Some(self.tls.unwrap_or_default().ca_file(path));
        self
    }

    /// Whether `ca_file` replaces (default) or extends the built-in roots.
    pub fn ca_mode(mut self, mode: CaMode) -> Self {
        self.tls = Some(self.tls.unwrap_or_default().ca_mode(mode));
        self
    }

    /// **Dangerous**: `false` accepts any certificate for any host name,
    /// so anyone on the path can read and alter the traffic. See
    /// [`TlsSettings::verify`](urlrequest_tls::TlsSettings::verify).
    pub fn verify(mut self, verify: bool) -> Self {
        self.tls = Some(self.tls.unwrap_or_default().verify(verify));
        self
    }

    /// Full TLS settings at once.
    pub fn tls(mut self, tls: TlsSettings) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Send through the HTTP proxy on this host: http requests in
    /// absolute-form, https requests through a `CONNECT` tunnel.
    pub fn proxy_host(mut self, host: impl Into<String>) -> Self {
        self.params.proxy_host = Some(host.into());
        self
    }

    /// The proxy's port (default 8080).
    pub fn proxy_port(mut self, port: u16) -> Self {
        self.params.proxy_port = Some(port);
        self
    }

    /// Headers for the proxy (such as `Proxy-Authorization`), sent to it
    /// for http and https targets alike, never to the origin.
    pub fn proxy_headers<K: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.params
            .proxy_headers
            .extend(headers.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The `User-Agent` (replaces one given in `req_headers`).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.params.user_agent = Some(agent.into());
        self
    }

    /// A `Cookie` header value, unless `req_headers` already has one.
    pub fn cookies(mut self, cookies: impl Into<String>) -> Self {
        self.params.cookies = Some(cookies.into());
        self
    }

    /// Keeps cookies in `jar` for this request, across its redirects (RFC
    /// 6265; see [`CookieJar`](urlrequest_core::CookieJar)); a client's jar
    /// does the same for all its requests. Kivy's `cookies` string keeps its
    /// meaning: it is sent first, the jar's cookies after it.
    pub fn cookie_jar(mut self, jar: urlrequest_core::CookieJar) -> Self {
        self.params.cookie_jar = Some(jar);
        self
    }

    /// Proxies from the environment for this request (usually
    /// `EnvProxies::from_env()?`), chosen for the URL of each hop; a
    /// `proxy_host` wins. A client's `env_proxies` does the same for all its
    /// requests.
    pub fn env_proxies(mut self, proxies: urlrequest_core::EnvProxies) -> Self {
        self.params.env_proxies = Some(proxies);
        self
    }

    /// The wall time cookie expiry is judged at (default: the runtime's
    /// clock when the request starts). For tests and replays.
    pub fn wall_time(mut self, time: std::time::SystemTime) -> Self {
        self.params.wall_time = Some(time);
        self
    }

    /// Basic authentication (replaces an `Authorization` in `req_headers`
    /// and credentials in the URL). `user:pass@` in the URL works too.
    pub fn auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.params.auth = Some((user.into(), password.into()));
        self
    }

    /// Redirects followed at most (default 10). 0 follows none: a 3xx goes
    /// to `on_redirect`, as in Kivy.
    pub fn max_redirects(mut self, n: u32) -> Self {
        self.params.max_redirects = n;
        self
    }

    /// Run on this client (its pool and TLS settings) instead of the
    /// process-wide one.
    pub fn client(mut self, client: &R::Client) -> Self {
        self.client = Some(client.clone());
        self
    }

    /// Validates the description and returns the request. Invalid input
    /// (URL, header, method, proxy, chunk size 0) is an error here, before
    /// any I/O. With threads the request is already running unless
    /// `autostart(false)` was given; in async code it runs when `send()`
    /// is awaited.
    pub fn build(self) -> Result<UrlRequest<R>, Error> {
        let wants_progress = self.callbacks.on_progress.is_some();
        self.finish(wants_progress, None)
    }

    /// Builds a request whose callbacks live on this thread:
    /// `keep_callbacks` is given the request's id to file them under.
    pub(crate) fn build_local(
        self,
        wants_progress: bool,
        keep_callbacks: impl FnOnce(usize),
    ) -> Result<UrlRequest<R>, Error> {
        self.finish(wants_progress, Some(Box::new(keep_callbacks)))
    }

    /// Callbacks queued for the building thread (for a local builder).
    pub(crate) fn queued(mut self) -> Self {
        self.dispatch = Dispatch::Queued;
        self
    }

    /// The callbacks set so far, taken out (for a local builder).
    pub(crate) fn take_callbacks(mut self) -> (Self, Callbacks<UrlRequest<R>>) {
        let callbacks = std::mem::take(&mut self.callbacks);
        (self, callbacks)
    }

    #[allow(clippy::type_complexity)]
    fn finish(
        mut self,
        wants_progress: bool,
        local: Option<Box<dyn FnOnce(usize) + '_>>,
    ) -> Result<UrlRequest<R>, Error> {
        let mut params = self.params.clone();
        // A download streams to disk; keeping it in memory too would
        // defeat the point.
        params.collect_body = self.file_path.is_none();
        let keep_response = self.request.is_some();
        let request: Request = match self.request.take() {
            Some(request) => request,
            None => params.to_request()?,
        };
        let upload = match (self.upload.take(), self.on_upload_progress.take()) {
            (Some(u), Some(f)) => Some(u.on_progress(f)),
            (u, _) => u,
        };
        let launch = Launch {
            upload,
            request,
            client: self.client,
            tls: self.tls,
            file_path: self.file_path,
            debug: self.debug,
            keep_response,
            repeat_final_progress: self.repeat_final_progress,
        };
        let owner = local.is_some().then(|| std::thread::current().id());
        let req = UrlRequest::new(
            launch,
            self.callbacks,
            self.dispatch,
            self.params.chunk_size,
            wants_progress,
            owner,
        );
        if let Some(keep) = local {
            keep(req.id());
        }
        if self.dispatch == Dispatch::Queued && R::DISPATCHING_THREAD {
            crate::local::register(&req);
        }
        R::on_build(&req, self.autostart);
        Ok(req)
    }
}

/// The choices of runtimes with threads.
impl<R: BlockingRuntime> UrlRequestBuilder<R> {
    /// Where callbacks run (default: queued for `wait`/`dispatch_pending`).
    pub fn dispatch(mut self, dispatch: Dispatch) -> Self {
        self.dispatch = dispatch;
        self
    }

    /// Start when built (default, as in Kivy) or only on
    /// [`UrlRequest::start`].
    pub fn autostart(mut self, on: bool) -> Self {
        self.autostart = on;
        self
    }
}
