//! The third kind of runtime: requests advanced by the caller's own loop
//! (a game's frame, a GUI main loop's tick), with no thread and no task.
//!
//! Such a runtime implements [`FrameRuntime`]: building a request hands its
//! [`Job`] and a [`Feed`] to the client, and the client's loop moves the
//! exchange's bytes whenever it is called, giving every event to the feed.
//! The feed is the same step every runtime goes through (properties, the
//! `file_path` sink, which callback is due), so the callback trace of a
//! request is the same as under threads or tasks. Callbacks run inside the
//! feed, that is inside the loop's call, on the loop's thread, in order.

use std::ops::ControlFlow;

use urlrequest_core::http::{HeaderMap, StatusCode};
use urlrequest_core::Event;

use crate::error::Error;
use crate::run;
use crate::runtime::{Job, Runtime};
use crate::session::{Call, Session};
use crate::url_request::UrlRequest;

/// A runtime whose requests are advanced by its client's loop, called by
/// the application (once a frame, say) on its own thread.
pub trait FrameRuntime: Runtime {
    /// Hands a request to its client (`job.client`). The client's loop
    /// drives the job's exchange a little at each call, gives each event to
    /// [`Feed::event`], and calls [`Feed::finish`] once the exchange is
    /// over and its connection is back in the pool or closed. A client that
    /// cannot take the request ends it with [`Feed::fail`].
    fn submit(job: Job<Self>, feed: Feed<Self>);
}

/// The receiving end of one request run by a [`FrameRuntime`]: events go
/// in, callbacks come out (run here, as they become due; callbacks kept to
/// the building thread by [`local`](crate::UrlRequestBuilder::local) run
/// here when this is that thread, and otherwise wait for it).
///
/// Dropping a feed that was not finished ends its request as if
/// cancelled (`on_cancel`, then `on_finish`, where it is dropped).
pub struct Feed<R: Runtime> {
    req: UrlRequest<R>,
    session: Session,
    /// The outcome, held until the exchange is over.
    outcome: Option<Call>,
    delivered: bool,
}

impl<R: Runtime> Feed<R> {
    /// Gives the feed one event of the exchange, with the exchange's
    /// response head when known (`Exchange::response_head`). Progress
    /// callbacks run now; the outcome waits for [`finish`](Self::finish).
    /// `Break` means the request is over on this side (its outcome is
    /// known, or its file failed): stop the exchange, drop later events.
    pub fn event(
        &mut self,
        event: Event,
        head: Option<(StatusCode, &HeaderMap)>,
    ) -> ControlFlow<()> {
        if self.outcome.is_some() {
            return ControlFlow::Break(());
        }
        match self.session.handle(event, head, self.req.properties()) {
            Some(call @ Call::Finish { .. }) => {
                self.outcome = Some(call);
                ControlFlow::Break(())
            }
            Some(call) => {
                self.req.deliver(call);
                // Callbacks kept to the building thread (`local()`) run
                // here when this is that thread (else they wait for it).
                self.req.dispatch_pending();
                ControlFlow::Continue(())
            }
            None => ControlFlow::Continue(()),
        }
    }

    /// The exchange is over: runs the outcome's callbacks (a request whose
    /// events ran out with no outcome ends cancelled).
    pub fn finish(mut self) {
        self.deliver_outcome();
    }

    /// Ends the request with `error` before any event (a client that cannot
    /// take it).
    pub fn fail(mut self, error: Error) {
        self.outcome = Some(Call::finish(Err(error)));
        self.deliver_outcome();
    }

    /// The request this feed belongs to.
    pub fn request(&self) -> &UrlRequest<R> {
        &self.req
    }

    fn deliver_outcome(&mut self) {
        if self.delivered {
            return;
        }
        self.delivered = true;
        let call = self
            .outcome
            .take()
            .unwrap_or_else(|| self.session.ended_without_outcome());
        self.req.deliver(call);
        self.req.dispatch_pending();
    }
}

impl<R: Runtime> Drop for Feed<R> {
    fn drop(&mut self) {
        self.deliver_outcome();
    }
}

/// The entry point with a frame runtime: the request is handed to its
/// client when built, and advanced by the client's loop.
impl<R: FrameRuntime> UrlRequest<R> {
    /// Hands the request to its client, whose next call of its loop starts
    /// it (the builder does this). Does nothing if the request was already
    /// handed over or cancelled.
    pub fn schedule(&self) {
        let Some(launch) = self.take_launch() else {
            return;
        };
        let (job, session) = run::job(self, launch);
        let feed = Feed {
            req: self.clone(),
            session,
            outcome: None,
            delivered: false,
        };
        R::submit(job, feed);
    }
}
