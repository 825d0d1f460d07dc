//! The event queue's entries: small for the hot path (a run of body chunks
//! with their progress), boxed for the rare large events.

use bytes::Bytes;

use crate::event::Event;

/// An event waiting to be polled. Body and progress events, the hot path,
/// stay small in the queue; the rare large ones are boxed.
#[derive(Debug)]
pub(super) enum Queued {
    /// Body chunks not yet cut: each poll hands out the next `size` bytes of
    /// `run` as a `Body` event, then the `Progress` event that follows it.
    /// One entry for a whole read's worth of chunks keeps the body path to
    /// one queue push per read.
    Body {
        run: Bytes,
        size: usize,
        /// Body bytes handed out, including this run's chunks so far.
        received: u64,
        /// `received` as of the last `Progress`: a chunk left and its
        /// `Progress` has not while they differ. (A counter rather than a
        /// flag: the profile showed copies of the entry stalling on a
        /// one-byte field read back as part of a whole word.)
        reported: u64,
        total: Option<u64>,
    },
    Progress {
        received: u64,
        total: Option<u64>,
    },
    Other(Box<Event>),
}

/// A `Body` or `Progress` event on its way out of the queue.
pub(super) enum SmallEvent {
    Body(Bytes),
    Progress { received: u64, total: Option<u64> },
}

impl Queued {
    /// A run of chunks of `size` bytes (the last may be shorter), following
    /// `received` body bytes already queued.
    pub(super) fn body(run: Bytes, size: usize, received: u64, total: Option<u64>) -> Queued {
        Queued::Body {
            run,
            size,
            received,
            reported: received,
            total,
        }
    }

    pub(super) fn boxed(event: Event) -> Queued {
        Queued::Other(Box::new(event))
    }

    /// The next event of a body or progress entry, and whether the entry
    /// is used up; `None` for a boxed event (see [`Queued::into_event`]).
    /// Returns a small value, not an `Event`: an `Event` is hundreds of
    /// bytes, and moving one out of a helper costs a copy of all of them per
    /// body chunk; the caller builds the `Event` in place.
    #[inline]
    pub(super) fn next_small_event(&mut self) -> Option<(SmallEvent, bool)> {
        match self {
            Queued::Body {
                run,
                size,
                received,
                reported,
                total,
            } => {
                if *reported != *received {
                    *reported = *received;
                    let event = SmallEvent::Progress {
                        received: *received,
                        total: *total,
                    };
                    return Some((event, run.is_empty()));
                }
                let chunk = if run.len() <= *size {
                    std::mem::take(run)
                } else {
                    run.split_to(*size)
                };
                *received += chunk.len() as u64;
                Some((SmallEvent::Body(chunk), false))
            }
            Queued::Progress { received, total } => Some((
                SmallEvent::Progress {
                    received: *received,
                    total: *total,
                },
                true,
            )),
            Queued::Other(_) => None,
        }
    }

    /// The event of a boxed entry taken off the queue.
    pub(super) fn into_event(self) -> Event {
        match self {
            Queued::Other(e) => *e,
            _ => unreachable!("body and progress entries leave by next_small_event"),
        }
    }
}
