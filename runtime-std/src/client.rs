//! [`Client`]: the shared client layer run on the calling thread with
//! blocking sockets: `get`, `send`, `upload`, `events`, `download`, and
//! [`Client::drive`] for an exchange built by the caller.

use std::fmt;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use urlrequest::client::{BuildClient, ClientCore, ClientSettings, Conductor, FileTarget, Next};
use urlrequest::{CancelHandle, Upload};
use urlrequest_core::{Event, Exchange, Request, RequestBuilder, Response};
use urlrequest_tls::TlsSettings;

use crate::driver;
use crate::error::Error;
use crate::transport::Connection;

/// Runs requests on the calling thread and keeps their connections alive
/// for reuse.
///
/// Cloning is cheap and gives a handle to the same pool, so one client can
/// serve many threads. Idle connections are reused by later requests to
/// the same scheme, host, port and proxy, with the same TLS settings; that
/// includes the next hop of a same-origin redirect. Its settings are the
/// same as every runtime's ([`ClientBuilder`](crate::ClientBuilder)).
///
/// ```no_run
/// let client = urlrequest_std::Client::new();
/// let response = client.get("http://127.0.0.1:8000/status")?;
/// println!("{} {:?}", response.status(), response.text());
/// # Ok::<(), urlrequest_std::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    core: Arc<ClientCore<Connection>>,
}

/// Per-call settings for [`Client::drive`] and [`Client::send_with`].
#[derive(Debug, Clone, Default)]
pub struct DriveOptions {
    tls: Option<TlsSettings>,
    cancel: CancelHandle,
    debug: bool,
}

impl DriveOptions {
    /// Default options: the client's TLS settings, no logging.
    pub fn new() -> DriveOptions {
        DriveOptions::default()
    }

    /// TLS settings for this call instead of the client's.
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

impl BuildClient for Client {
    fn from_config(settings: ClientSettings) -> Result<Client, Error> {
        Ok(Client {
            core: ClientCore::new(settings)?,
        })
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("tls", self.core.settings().tls())
            .field("idle_connections", &self.idle_connections())
            .finish()
    }
}

impl Client {
    /// A client with default settings and its own, empty pool.
    pub fn new() -> Client {
        Client::builder()
            .build()
            .expect("the default settings read no file and cannot fail")
    }

    /// Configures a client (the builder every runtime shares).
    pub fn builder() -> crate::ClientBuilder {
        crate::ClientBuilder::new()
    }

    /// The process-wide client used by [`get`](crate::get),
    /// [`send`](crate::send) and by [`UrlRequest`](crate::UrlRequest)s that
    /// name no client.
    pub fn shared() -> Client {
        static SHARED: OnceLock<Client> = OnceLock::new();
        SHARED.get_or_init(Client::new).clone()
    }

    /// GETs `url`.
    pub fn get(&self, url: &str) -> Result<Response, Error> {
        self.send(Request::get(url)?)
    }

    /// Sends a request and returns the final response, whatever its status
    /// (check [`Response::status`], or turn 4xx and 5xx into errors with
    /// `error_for_status`). Fails on DNS, connect, TLS, timeout, malformed
    /// response and the other `Failure`s of the core.
    pub fn send(&self, request: Request) -> Result<Response, Error> {
        self.send_with(request, &DriveOptions::default())
    }

    /// [`send`](Self::send) with per-call options.
    pub fn send_with(&self, request: Request, options: &DriveOptions) -> Result<Response, Error> {
        self.outcome(request, options, None)
    }

    /// Sends the request of `builder` with a body streamed from `upload`
    /// (the builder's body, if any, is replaced) and returns the final
    /// response. See [`Upload`] for lengths and redirects.
    pub fn upload(&self, builder: RequestBuilder, upload: Upload) -> Result<Response, Error> {
        self.upload_with(builder, upload, &DriveOptions::default())
    }

    /// [`upload`](Self::upload) with per-call options.
    pub fn upload_with(
        &self,
        builder: RequestBuilder,
        mut upload: Upload,
        options: &DriveOptions,
    ) -> Result<Response, Error> {
        let request = builder.body_stream(upload.body_stream()).build()?;
        self.outcome(request, options, Some(&mut upload))
    }

    fn outcome(
        &self,
        request: Request,
        options: &DriveOptions,
        upload: Option<&mut Upload>,
    ) -> Result<Response, Error> {
        // The exchange stays in this frame and the conductor borrows it:
        // nothing of its size is moved on the way.
        let mut ex = self.exchange(request);
        let mut c = self.borrowing(&mut ex, options, upload.is_some());
        let mut outcome = None;
        driver::run(&mut c, upload, |event, _| {
            match event {
                Event::Done(r) => outcome = Some(Ok(r)),
                Event::Failure(e) => outcome = Some(Err(Error::Request(e))),
                _ => {}
            }
            ControlFlow::Continue(())
        });
        outcome.unwrap_or(Err(Error::Request(urlrequest_core::Error::Cancelled)))
    }

    /// The core's events for `request`, in order (redirects, progress, body
    /// chunks, exactly one terminal event), each read from the network when
    /// asked for: the request runs on the thread that iterates. Dropping
    /// the iterator cancels the request and closes its connection.
    ///
    /// **The body is streamed, not collected**: it arrives only in the
    /// `Body` events, and `Done` has no body, so memory stays flat however
    /// large the body.
    ///
    /// ```no_run
    /// use urlrequest_std::{Client, Event, Request};
    /// let mut received = 0;
    /// for event in Client::shared().events(Request::get("http://127.0.0.1:8000/big")?) {
    ///     match event {
    ///         Event::Body(chunk) => received += chunk.len(), // write it somewhere
    ///         Event::Done(response) => println!("{}: {received} bytes", response.status()),
    ///         Event::Failure(e) => eprintln!("failed: {e}"),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn events(&self, mut request: Request) -> Events {
        request.set_collect_body(false);
        Events {
            conductor: self.conductor(request, &DriveOptions::default(), false),
            upload: None,
            now: Instant::now(),
        }
    }

    /// Like [`events`](Self::events), the request's streamed body read from
    /// `upload`.
    pub fn events_with_upload(&self, mut request: Request, upload: Upload) -> Events {
        request.set_collect_body(false);
        Events {
            conductor: self.conductor(request, &DriveOptions::default(), true),
            upload: Some(upload),
            now: Instant::now(),
        }
    }

    /// Streams the body into the file at `path`: into a temporary file in
    /// the same directory, renamed to `path` only when the exchange
    /// completes (`Done`, whatever the status), deleted on failure. The
    /// body is never collected in memory; the response has no body, its
    /// content is the file. A file that cannot be written is
    /// [`Error::File`].
    pub fn download(&self, request: Request, path: impl AsRef<Path>) -> Result<Response, Error> {
        let mut file = FileTarget::new(path.as_ref());
        let mut events = self.events(request);
        loop {
            let Some(event) = events.next() else {
                return Err(Error::Request(urlrequest_core::Error::Cancelled));
            };
            // An error (the exchange's or the file's) ends the download;
            // dropping `events` closes the connection.
            if let Some(response) = file.event(event)? {
                return Ok(response);
            }
        }
    }

    /// Drives an exchange to completion on this thread, handing each event
    /// (with the exchange, to look at its state or response head) to
    /// `sink`. Returning `ControlFlow::Break` from the sink cancels the
    /// exchange; no further events are handed over.
    ///
    /// For exchanges built by the caller (to print traces or keep a
    /// transcript with [`Exchange::recording`]); [`events`](Self::events)
    /// is the simpler way to stream. The caller's exchange is used as
    /// built: the client's proxies, cookies and timeouts are applied by
    /// [`exchange`](Self::exchange), not here.
    ///
    /// **To stream a body, build the request with `collect_body(false)`.**
    /// With the default `collect_body(true)` every byte handed over in
    /// `Event::Body` is also kept for the final `Done` response, and a body
    /// over [`DEFAULT_MAX_COLLECTED_BODY`](urlrequest_core::DEFAULT_MAX_COLLECTED_BODY)
    /// (10 MiB) fails unless `Limits::max_body_bytes` allows it.
    ///
    /// ```no_run
    /// use std::io::Write;
    /// use std::ops::ControlFlow;
    /// use std::time::Instant;
    /// use urlrequest_std::core::{Event, Exchange};
    /// use urlrequest_std::{Client, DriveOptions, Request};
    ///
    /// let request = Request::builder("http://127.0.0.1:8000/big.iso")
    ///     .collect_body(false) // stream: keep nothing in the response
    ///     .build()?;
    /// let mut out = std::fs::File::create("big.iso")?;
    /// let mut ex = Exchange::new(request, Instant::now());
    /// Client::shared().drive(&mut ex, &DriveOptions::default(), |event, _| {
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
        self.drive_upload(ex, options, None, sink);
    }

    /// [`drive`](Self::drive) for an exchange whose request has a streamed
    /// body ([`RequestBuilder::body_stream`]): its bytes are read from
    /// `upload` as the core asks for them. Without a source such a request
    /// fails with a `request-body` error.
    pub fn drive_upload<F>(
        &self,
        ex: &mut Exchange,
        options: &DriveOptions,
        upload: Option<&mut Upload>,
        sink: F,
    ) where
        F: FnMut(Event, &Exchange) -> ControlFlow<()>,
    {
        let mut c = self.borrowing(ex, options, upload.is_some());
        driver::run(&mut c, upload, sink);
    }

    /// A new exchange for `request`, prepared as this client prepares every
    /// request: its proxies (the environment's by default), cookie jar,
    /// timeouts, and a transcript when it records.
    pub fn exchange(&self, request: Request) -> Exchange {
        self.core
            .settings()
            .exchange(request, Instant::now(), std::time::SystemTime::now)
    }

    /// Idle connections currently kept for reuse.
    pub fn idle_connections(&self) -> usize {
        self.core.pool().idle_count()
    }

    /// Closes every idle connection.
    pub fn close_idle(&self) {
        self.core.pool().clear_idle();
    }

    fn conductor(
        &self,
        request: Request,
        options: &DriveOptions,
        has_body_source: bool,
    ) -> Conductor<Connection> {
        self.core
            .conductor(request, Instant::now())
            .with_tls(options.tls.clone())
            .with_cancel(options.cancel.clone())
            .with_debug(options.debug)
            .with_body_source(has_body_source)
    }

    /// A conductor over an exchange the caller keeps.
    fn borrowing<'a>(
        &self,
        ex: &'a mut Exchange,
        options: &DriveOptions,
        has_body_source: bool,
    ) -> Conductor<Connection, &'a mut Exchange> {
        Conductor::new(self.core.clone(), ex)
            .with_tls(options.tls.clone())
            .with_cancel(options.cancel.clone())
            .with_debug(options.debug)
            .with_body_source(has_body_source)
    }

    /// Runs one `UrlRequest`'s job (see [`Std`](crate::Std)).
    pub(crate) fn run_job(
        &self,
        request: Request,
        options: &DriveOptions,
        mut upload: Option<Upload>,
        sink: &mut dyn FnMut(Event, &Exchange) -> ControlFlow<()>,
    ) {
        let mut ex = self.exchange(request);
        let mut c = self.borrowing(&mut ex, options, upload.is_some());
        driver::run(&mut c, upload.as_mut(), sink);
    }
}

/// The events of one request, read as they are asked for (see
/// [`Client::events`]). Dropping it cancels the request.
pub struct Events {
    conductor: Conductor<Connection>,
    upload: Option<Upload>,
    /// The time of the last I/O step (see `driver::perform`).
    now: Instant,
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.conductor.fmt(f)
    }
}

impl Events {
    /// The exchange, for its state and response head.
    pub fn exchange(&self) -> &Exchange {
        self.conductor.exchange()
    }
}

impl Iterator for Events {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            match self.conductor.poll(self.now) {
                Next::Event(event) => return Some(event),
                Next::Finished => return None,
                next => self.now = driver::perform(&mut self.conductor, next, self.upload.as_mut()),
            }
        }
    }
}

/// GETs `url` with the [shared client](Client::shared).
///
/// ```no_run
/// let response = urlrequest_std::get("http://127.0.0.1:8000/")?;
/// assert!(response.status().is_success());
/// # Ok::<(), urlrequest_std::Error>(())
/// ```
pub fn get(url: &str) -> Result<Response, Error> {
    Client::shared().get(url)
}

/// Sends `request` with the [shared client](Client::shared).
pub fn send(request: Request) -> Result<Response, Error> {
    Client::shared().send(request)
}
