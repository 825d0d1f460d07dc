//! [`Transfer`]: a request started with [`Client::start`](crate::Client::start),
//! whose events queue up as the client's ticks produce them (the plain API,
//! without the Kivy layer).

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard};

use urlrequest::CancelHandle;
use urlrequest_core::{Event, Exchange};

use crate::run::EventSink;

#[derive(Default)]
struct Queue {
    events: VecDeque<Event>,
    /// The exchange is over and its connection settled.
    settled: bool,
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
