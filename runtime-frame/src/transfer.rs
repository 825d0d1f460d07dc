//! [`Transfer`]: a request started with [`Client::start`](crate::Client::start),
//! whose events queue up as the client's ticks produce them (the plain API,
//! without the Kivy layer).

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard};

use urlrequest::client::FileTarget;
use urlrequest::{CancelHandle, Error};
use urlrequest_core::{Event, Exchange};

use crate::run::EventSink;

#[derive(Default)]
struct Queue {
    events: VecDeque<Event>,
    /// The exchange is over and its connection settled.
    settled: bool,
    /// A failure of the client's own that ended the request (the file of
    /// a download could not be written).
    error: Option<Error>,
}

/// A request in flight on a [`Client`](crate::Client): take its events
/// with [`poll_event`](Self::poll_event) after each tick. They are the
/// core's events, in order: redirects, progress, body chunks, then one
/// `Done` or `Failure`. A tick reads at most its budget, so what queues up
/// between two ticks is bounded.
///
/// ```no_run
/// use std::time::Instant;
/// use urlrequest_frame::{Client, Event, Request};
///
/// let client = Client::new();
/// let transfer = client.start(Request::get("http://127.0.0.1:8000/")?);
/// while !transfer.is_finished() {
///     client.wait(None);
///     client.tick(Instant::now());
///     while let Some(event) = transfer.poll_event() {
///         if let Event::Done(response) = event {
///             println!("{}", response.status());
///         }
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Transfer {
    queue: Arc<Mutex<Queue>>,
    cancel: CancelHandle,
}

impl std::fmt::Debug for Transfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let q = self.queue();
        f.debug_struct("Transfer")
            .field("queued", &q.events.len())
            .field("settled", &q.settled)
            .finish()
    }
}

impl Transfer {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next event produced by a tick, if any.
    pub fn poll_event(&self) -> Option<Event> {
        self.queue().events.pop_front()
    }

    /// A failure of the client's own that ended the request, once: the
    /// file of a [`download`](crate::Client::download) that could not be
    /// written.
    pub fn take_error(&self) -> Option<Error> {
        self.queue().error.take()
    }

    /// Whether the request is over (its connection back in the pool or
    /// closed) and every event was taken.
    pub fn is_finished(&self) -> bool {
        let q = self.queue();
        q.settled && q.events.is_empty()
    }

    /// Cancels: the socket is shut down now, and the next tick ends the
    /// request with `Failure(Cancelled)` unless it already ended.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A handle that cancels this request.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }
}

/// The client's side of a [`Transfer`]. Events wait in a batch of its own
/// until the end of the advance, so the shared queue is locked once per
/// advance rather than once per event.
pub(crate) struct QueueSink {
    queue: Arc<Mutex<Queue>>,
    batch: Vec<Event>,
}

impl QueueSink {
    pub(crate) fn new() -> (QueueSink, Transfer) {
        let queue = Arc::new(Mutex::new(Queue::default()));
        let transfer = Transfer {
            queue: queue.clone(),
            cancel: CancelHandle::new(),
        };
        let batch = Vec::new();
        (QueueSink { queue, batch }, transfer)
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl EventSink for QueueSink {
    fn event(&mut self, event: Event, _ex: &Exchange) -> ControlFlow<()> {
        self.batch.push(event);
        ControlFlow::Continue(())
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let mut batch = std::mem::take(&mut self.batch);
            self.queue().events.extend(batch.drain(..));
            // The allocation is kept for the next batch.
            self.batch = batch;
        }
    }

    fn finish(mut self: Box<Self>) {
        self.flush();
        self.queue().settled = true;
    }
}

/// The client's side of a download: the body goes to a [`FileTarget`]
/// inside the tick, a budget's worth at a time; every other event goes to
/// the transfer, `Done` only once the file is in place.
pub(crate) struct DownloadSink {
    queue: QueueSink,
    file: FileTarget,
}

impl DownloadSink {
    pub(crate) fn new(target: &std::path::Path) -> (DownloadSink, Transfer) {
        let (queue, transfer) = QueueSink::new();
        let file = FileTarget::new(target);
        (DownloadSink { queue, file }, transfer)
    }
}

impl DownloadSink {
    /// The file could not be written: the request stops here.
    fn file_failed(&mut self, e: Error) -> ControlFlow<()> {
        self.queue.queue().error = Some(e);
        ControlFlow::Break(())
    }
}

impl EventSink for DownloadSink {
    fn event(&mut self, event: Event, ex: &Exchange) -> ControlFlow<()> {
        match event {
            Event::Body(chunk) => match self.file.event(Event::Body(chunk)) {
                Ok(_) => ControlFlow::Continue(()),
                Err(e) => self.file_failed(e),
            },
            Event::Done(response) => match self.file.event(Event::Done(response)) {
                Ok(Some(response)) => self.queue.event(Event::Done(response), ex),
                Ok(None) => ControlFlow::Continue(()),
                Err(e) => self.file_failed(e),
            },
            Event::Failure(error) => {
                // Deletes the partial file; the failure is the transfer's.
                let _ = self.file.event(Event::Failure(error.clone()));
                self.queue.event(Event::Failure(error), ex)
            }
            // Progress opens the file at the response head.
            other => match self.file.event(other.clone()) {
                Ok(_) => self.queue.event(other, ex),
                Err(e) => self.file_failed(e),
            },
        }
    }

    fn flush(&mut self) {
        self.queue.flush();
    }

    fn finish(self: Box<Self>) {
        Box::new(self.queue).finish();
    }
}
