//! The [`Client`]: the shared pool, per-host limit and TLS configuration, and
//! the three ways to run a request on it (a future of the response, a
//! `Stream` of events, a download to a file).

use std::fmt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_lite::Stream;
use urlrequest::client::{BuildClient, ClientCore, ClientSettings};
use urlrequest::{CancelHandle, Error};
use urlrequest_core::{Event, Request, Response};
use urlrequest_tls::TlsSettings;

use crate::download;
use crate::driver::{Driver, Pooled};
use crate::net::Net;

/// Configures a [`Client`]: the builder every runtime shares, with the
/// same settings under the same names (see [`urlrequest::ClientBuilder`]).
pub type ClientBuilder<N> = urlrequest::ClientBuilder<Client<N>>;

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
    core: Arc<ClientCore<Pooled<N::Conn>>>,
}

impl<N: Net> Clone for Client<N> {
    fn clone(&self) -> Self {
        Client {
            core: self.core.clone(),
        }
    }
}

impl<N: Net> BuildClient for Client<N> {
    fn from_config(settings: ClientSettings) -> Result<Client<N>, Error> {
        Ok(Client {
            core: ClientCore::new(settings)?,
        })
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
    /// A client with the defaults (see [`urlrequest::ClientBuilder::new`]).
    pub fn new() -> Client<N> {
        Client::builder()
            .build()
            .expect("the default settings read no file and cannot fail")
    }

    /// Starts configuring a client (the builder every runtime shares).
    pub fn builder() -> ClientBuilder<N> {
        ClientBuilder::new()
    }

    /// The process-wide client of this runtime (default settings), used by
    /// `UrlRequest`s that name no client. It is only a pool and a
    /// configuration: no thread, task or executor behind it.
    pub fn shared() -> Client<N> {
        N::shared_client()
    }

    /// GETs `url`, like [`send`](Self::send).
    pub async fn get(&self, url: &str) -> Result<Response, Error> {
        self.send(Request::get(url)?).await
    }

    /// Runs `request` to its end: `Ok` with the final response whatever its
    /// status, `Err` when the exchange did not complete. `Body` events are
    /// not kept here; the response carries the body when the request
    /// collects it (the default).
    pub async fn send(&self, request: Request) -> Result<Response, Error> {
        let mut driver = self.driver(request);
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
        let mut driver = self.driver(request).with_upload(upload);
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
        EventStream::new(self.driver(request).with_upload(upload))
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
        EventStream::new(self.driver(request))
    }

    /// Like [`events`](Self::events) (the body is streamed, not collected),
    /// cancellable through `cancel`: the stream then ends with
    /// `Failure(Cancelled)`.
    pub fn events_with_cancel(&self, mut request: Request, cancel: CancelHandle) -> EventStream {
        request.set_collect_body(false);
        EventStream::new(self.driver(request).with_cancel(cancel))
    }

    /// The events of `request` run exactly as built: when it collects its
    /// body (the default), `Done` carries the body and the decoded JSON as
    /// from [`send`](Self::send), on top of the `Body` events, so the body
    /// is held twice over its lifetime and the limit for bodies kept in
    /// memory applies. The same events every other driver gives for the
    /// same request; prefer [`events`](Self::events) for streaming.
    pub fn events_collecting(&self, request: Request) -> EventStream {
        EventStream::new(self.driver(request))
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
        let driver = self.driver(request);
        download::to_file(driver, path.as_ref()).await
    }

    /// Idle keep-alive connections in the pool now.
    pub fn idle_connections(&self) -> usize {
        self.core.pool().idle_count()
    }

    /// Closes every idle keep-alive connection.
    pub fn close_idle(&self) {
        self.core.pool().clear_idle();
    }

    pub(crate) fn driver(&self, request: Request) -> Driver<N> {
        Driver::new(&self.core, request)
    }

    /// Builds the rustls configuration for `settings` on the blocking pool
    /// (it may read a CA file) unless the client has it already.
    pub(crate) async fn prepare_tls(&self, settings: &TlsSettings) -> Result<(), Error> {
        if self.core.pool().has_tls_config(settings) {
            return Ok(());
        }
        let (core, settings) = (self.core.clone(), settings.clone());
        N::unblock(move || core.pool().tls_config(&settings).map(drop))
            .await
            .map_err(Error::TlsConfig)
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
