//! [`Client`]: the requests in flight on one thread's loop, advanced by
//! [`Client::tick`] within a byte budget, with the keep-alive pool and TLS
//! configuration they share; and [`ClientBuilder`].

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use urlrequest::client::{BuildClient, ClientCore, ClientSettings};
use urlrequest::{CancelHandle, Error};
use urlrequest_core::Request;
use urlrequest_tls::TlsSettings;

use crate::net::Conn;
use crate::run::{EventSink, Run, Status};
use crate::transfer::{QueueSink, Transfer};
use crate::wait;

/// Configures a [`Client`]: the builder every runtime shares, with the same
/// settings under the same names (see [`urlrequest::ClientBuilder`]); its
/// [`tick_budget`](urlrequest::ClientBuilder::tick_budget) is the bytes
/// read per [`Client::tick`] over all requests (default 1 MiB, about
/// 60 MiB/s at 60 frames a second: a tick stops reading when it is spent
/// and leaves the rest in the kernel for the next one).
pub type ClientBuilder = urlrequest::ClientBuilder<Client>;

/// Requests driven by the caller's own loop: no thread, no async runtime.
///
/// Every request given to the client (a [`UrlRequest`](crate::UrlRequest)
/// built with `.client(&client)`, or [`Client::start`]) moves only when
/// [`tick`](Self::tick) is called: each call does every read, write,
/// connect and TLS step that can be done without waiting, reads at most
/// the [tick budget](ClientBuilder::tick_budget), runs the callbacks that
/// became due, and returns. [`wait`](Self::wait) sleeps until a socket is
/// ready or a deadline is due, for a loop with nothing else to do.
///
/// Cloning gives another handle to the same client. It is meant for one
/// thread (the one that ticks it); handles may be kept anywhere.
///
/// ```no_run
/// use std::time::{Duration, Instant};
/// use urlrequest_frame::{Client, UrlRequest};
///
/// let client = Client::new();
/// let req = UrlRequest::builder("https://example.com/data.json")
///     .client(&client)
///     .on_success(|_, result| println!("got {result:?}"))
///     .build()?;
/// while !req.is_finished() {
///     client.tick(Instant::now()); // callbacks run in here
///     // ... the rest of the frame ...
///     client.wait(Some(Duration::from_millis(16)));
/// }
/// # Ok::<(), urlrequest_frame::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    core: Arc<ClientCore<Conn>>,
    runs: Mutex<Runs>,
}

/// The requests in flight, and what the last tick left.
#[derive(Default)]
pub(crate) struct Runs {
    pub(crate) list: Vec<Run>,
    /// A tick is running (its requests are taken out of `list`).
    ticking: bool,
    /// Where the next tick starts, so that no request always goes first.
    next_first: usize,
    /// The last tick stopped at its budget, or requests were added since:
    /// there is work without waiting.
    pub(crate) ready: bool,
}

/// What one [`Client::tick`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tick {
    /// Requests still in flight after the tick.
    pub active: usize,
    /// Requests that ended in the tick (their outcome callbacks ran).
    pub finished: usize,
    /// Response bytes read (after TLS), counted against the budget.
    pub bytes_read: usize,
    /// The budget ran out: bytes may be waiting for the next tick.
    pub budget_spent: bool,
}

impl BuildClient for Client {
    fn from_config(settings: ClientSettings) -> Result<Client, Error> {
        Ok(Client {
            inner: Arc::new(ClientInner {
                core: ClientCore::new(settings)?,
                runs: Mutex::new(Runs::default()),
            }),
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
            .field("active", &self.active())
            .field("idle_connections", &self.idle_connections())
            .field("tick_budget", &self.inner.core.settings().tick_budget())
            .finish()
    }
}

thread_local! {
    static CURRENT: Client = Client::new();
}

impl Client {
    /// A client with default settings and its own, empty pool.
    pub fn new() -> Client {
        Client::builder()
            .build()
            .expect("the default settings read no file and cannot fail")
    }

    /// Configures a client (the builder every runtime shares).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// This thread's client: the one a `UrlRequest` built on this thread
    /// without `.client(..)` runs on, and that [`tick`](crate::tick) and
    /// [`wait`](crate::wait) advance.
    pub fn current() -> Client {
        CURRENT.with(Client::clone)
    }

    fn runs(&self) -> MutexGuard<'_, Runs> {
        // A panicking callback cannot leave the list torn: a tick puts it
        // back whole (see TickGuard).
        self.inner.runs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts `request` at the next tick; its events queue up in the
    /// returned [`Transfer`] (the plain API, with no callbacks).
    pub fn start(&self, request: Request) -> Transfer {
        let (sink, transfer) = QueueSink::new();
        self.submit_plain(request, &transfer, Box::new(sink), None);
        transfer
    }

    /// Starts the request of `builder` with a body streamed from `upload`
    /// (read on the ticking thread, within the tick's budget) at the next
    /// tick; the builder's body, if any, is replaced. See
    /// [`Upload`](urlrequest::Upload) for lengths and redirects.
    pub fn start_upload(
        &self,
        builder: urlrequest_core::RequestBuilder,
        upload: urlrequest::Upload,
    ) -> Result<Transfer, urlrequest_core::BuildError> {
        let request = builder.body_stream(upload.body_stream()).build()?;
        Ok(self.start_streamed(request, upload))
    }

    /// Starts `request`, whose streamed body
    /// ([`RequestBuilder::body_stream`](urlrequest_core::RequestBuilder::body_stream))
    /// is read from `upload`, at the next tick.
    pub fn start_streamed(&self, request: Request, upload: urlrequest::Upload) -> Transfer {
        let (sink, transfer) = QueueSink::new();
        self.submit_plain(request, &transfer, Box::new(sink), Some(upload));
        transfer
    }

    /// Adds a request of the plain API (no callbacks): the client's TLS
    /// settings, cancelled through `transfer`.
    pub(crate) fn submit_plain(
        &self,
        request: Request,
        transfer: &Transfer,
        sink: Box<dyn EventSink>,
        upload: Option<urlrequest::Upload>,
    ) {
        let cancel = transfer.cancel_handle();
        self.submit(request, None, cancel, false, sink, upload);
    }

    /// Adds a request; `tls` overrides the client's settings for it.
    pub(crate) fn submit(
        &self,
        request: Request,
        tls: Option<TlsSettings>,
        cancel: CancelHandle,
        debug: bool,
        sink: Box<dyn EventSink>,
        upload: Option<urlrequest::Upload>,
    ) {
        let now = Instant::now();
        let conductor = self
            .inner
            .core
            .conductor(request, now)
            .with_tls(tls)
            .with_cancel(cancel)
            .with_debug(debug)
            .with_body_source(upload.is_some());
        let run = Run::new(conductor, sink, now).with_upload(upload);
        let mut runs = self.runs();
        runs.list.push(run);
        runs.ready = true;
    }

    /// Advances every request as far as it goes without waiting, and
    /// returns promptly: reads stop once the tick's byte budget is spent
    /// (the rest waits in the kernel), and a request that would block is
    /// left for the next tick. Callbacks run in here, on this thread, in
    /// the order their events happened. `now` is the frame's time; the
    /// requests' timeouts are measured against it.
    ///
    /// A tick called from inside a callback of this client does nothing.
    pub fn tick(&self, now: Instant) -> Tick {
        let mut guard = {
            let mut runs = self.runs();
            if runs.ticking {
                return Tick::default();
            }
            runs.ticking = true;
            runs.ready = false;
            TickGuard {
                client: self,
                list: std::mem::take(&mut runs.list),
                first: runs.next_first,
            }
        };
        let core = &self.inner.core;
        let mut budget = core.settings().tick_budget();
        let mut tick = Tick::default();
        let n = guard.list.len();
        let first = if n == 0 { 0 } else { guard.first % n };
        // Round and round from `first`: each request in turn, the lock
        // not held (callbacks may add requests or cancel them).
        for i in 0..n {
            let run = &mut guard.list[(first + i) % n];
            let before = budget;
            let status = run.advance(now, core, &mut budget);
            tick.bytes_read += before - budget;
            match status {
                Status::Finished => tick.finished += 1,
                Status::OutOfBudget => tick.budget_spent = true,
                Status::Blocked(_) | Status::Idle | Status::WaitingForSlot(_) => {}
            }
        }
        guard.list.retain(|r| r.status != Status::Finished);
        guard.first = first + 1;
        drop(guard);
        let mut runs = self.runs();
        tick.active = runs.list.len();
        runs.ready |= tick.budget_spent;
        tick
    }

    /// Sleeps until one of the requests' sockets is ready, a request's
    /// deadline is due, or `timeout` passes (`None`: no limit; with no
    /// request in flight it returns at once). Returns at once when the
    /// last tick left work behind (its budget spent, requests added).
    /// For a loop with nothing else to do between ticks; a game calls
    /// [`tick`](Self::tick) once a frame instead.
    pub fn wait(&self, timeout: Option<Duration>) {
        let runs = self.runs();
        if runs.ready || runs.ticking {
            return;
        }
        wait::for_readiness(&runs.list, timeout, self.inner.core.pool().slots_freed());
    }

    /// Requests in flight.
    pub fn active(&self) -> usize {
        self.runs().list.len()
    }

    /// Idle connections kept for reuse.
    pub fn idle_connections(&self) -> usize {
        self.inner.core.pool().idle_count()
    }
}

/// A tick's requests, put back into the client however the tick ends (a
/// callback may panic).
struct TickGuard<'a> {
    client: &'a Client,
    list: Vec<Run>,
    first: usize,
}

impl Drop for TickGuard<'_> {
    fn drop(&mut self) {
        let mut runs = self.client.runs();
        let added = std::mem::replace(&mut runs.list, std::mem::take(&mut self.list));
        runs.ready |= !added.is_empty();
        runs.list.extend(added);
        runs.next_first = self.first;
        runs.ticking = false;
    }
}
