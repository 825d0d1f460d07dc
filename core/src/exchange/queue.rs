//! The event queue's entries: small for the hot path (a body chunk with its
//! progress), boxed for the rare large events.

use bytes::Bytes;

use crate::event::Event;

/// An event waiting to be polled. Body and progress events, the hot path,
/// stay small in the queue; the rare large ones are boxed.
#[derive(Debug)]
pub(super) enum Queued {
    /// A `Body` event and the `Progress` event that follows it.
    Body {
        chunk: Bytes,
        received: u64,
        total: Option<u64>,
    },
    Progress {
        received: u64,
        total: Option<u64>,
    },
    Other(Box<Event>),
}

impl Queued {
    pub(super) fn boxed(event: Event) -> Queued {
        Queued::Other(Box::new(event))
    }

    pub(super) fn into_event(self) -> Event {
        match self {
            Queued::Body { chunk, .. } => Event::Body(chunk),
            Queued::Progress { received, total } => Event::Progress { received, total },
            Queued::Other(e) => *e,
        }
    }
}
