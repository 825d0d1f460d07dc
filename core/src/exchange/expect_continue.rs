//! `Expect: 100-continue`: the request head goes first, the body waits for
//! `100 Continue` or for the wait to end (a deadline of its own); a final
//! status before it means the body is never sent.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, EXPECT};

use super::{Exchange, State};

/// A body held back on this hop.
#[derive(Debug)]
pub(super) struct Waiting {
    wait: Duration,
    /// Set once the head is written.
    deadline: Option<Instant>,
    /// The bytes body's pieces (a streamed body stays with its source).
    held: Vec<Bytes>,
}

impl Exchange {
    /// Whether this hop's request sends `Expect: 100-continue`.
    pub(super) fn wants_continue(&self) -> bool {
        self.request.expect_continue.is_some()
            && (self.body.as_ref().is_some_and(|b| !b.is_empty()) || self.upload.is_some())
    }

    /// Adds the `Expect` header to the headers the head is written from.
    pub(super) fn add_expect_header(&mut self) {
        if self.wants_continue() {
            self.headers
                .insert(EXPECT, HeaderValue::from_static("100-continue"));
        } else if self.request.expect_continue.is_some() {
            // A redirect that dropped the body: nothing to wait for.
            self.headers.remove(EXPECT);
        }
    }

    /// Called once the request (head and body) is queued: takes the body
    /// back out of the write queue until the server says to go on.
    pub(super) fn hold_body(&mut self) {
        let Some(wait) = self.request.expect_continue else {
            return;
        };
        if !self.wants_continue() {
            return;
        }
        let held: Vec<Bytes> = self.writes.drain(1..).collect();
        if let Some(u) = self.upload.as_mut() {
            u.hold(true);
        }
        self.hop.expect = Some(Box::new(Waiting {
            wait,
            deadline: None,
            held,
        }));
    }

    /// The head is written: the wait for `100 Continue` starts.
    pub(super) fn start_continue_wait(&mut self, now: Instant) {
        if let Some(w) = self.hop.expect.as_mut() {
            if w.deadline.is_none() {
                w.deadline = Some(now + w.wait);
            }
        }
    }

    /// When the held body goes out without a `100 Continue`.
    pub(super) fn continue_deadline(&self) -> Option<Instant> {
        self.hop.expect.as_ref().and_then(|w| w.deadline)
    }

    /// Whether the body is still held back for a `100 Continue`.
    pub(super) fn awaiting_continue(&self) -> bool {
        self.hop
            .expect
            .as_ref()
            .is_some_and(|w| w.deadline.is_some())
    }

    /// `100 Continue` came, or the wait ended: the body goes out now.
    pub(super) fn release_body(&mut self) {
        if self.state != State::ReadingHead {
            return;
        }
        let Some(w) = self.hop.expect.take() else {
            return;
        };
        self.writes.extend(w.held);
        if let Some(u) = self.upload.as_mut() {
            u.hold(false);
        }
        self.state = State::WritingRequest;
    }

    /// A final status came while the body was held: it is never sent. The
    /// connection may be reused only when the body was empty (the server
    /// may otherwise read the bytes it was promised as the next request).
    pub(super) fn body_never_sent(&mut self) {
        if self.hop.expect.take().is_none() {
            return;
        }
        if let Some(u) = self.upload.as_mut() {
            u.abandon();
        }
        // A bytes body is held back only when it is not empty.
        let empty = self.upload.as_ref().is_some_and(|u| u.declared_empty());
        if !empty {
            self.hop.reusable = false;
        }
    }
}
