//! The event queue: events wait here, in order, until the driver polls them.
//! Body chunks and their progress, the hot path, wait as runs cut only when
//! polled; the run being polled sits outside the ring buffer; the rare large
//! events are boxed.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::event::Event;

/// Body chunks not yet cut: each poll hands out the next `size` bytes of
/// `run` as a `Body` event, then the `Progress` event that follows it. One
/// run for a whole read's worth of chunks keeps the body path to one push
/// per read.
#[derive(Debug, Default)]
struct BodyRun {
    run: Bytes,
    size: usize,
    /// Body bytes handed out, including this run's chunks so far.
    received: u64,
    /// `received` as of the last `Progress`: a chunk left and its
    /// `Progress` has not while they differ. (A counter rather than a
    /// flag: a one-byte field, just written, read back as part of a whole
    /// word when the entry is copied stalls the copy; see BENCHMARKS.md.)
    reported: u64,
    total: Option<u64>,
}

impl BodyRun {
    /// The run's next event, `None` once it has none left.
    #[inline]
    fn next(&mut self) -> Option<SmallEvent> {
        if self.reported != self.received {
            self.reported = self.received;
            return Some(SmallEvent::Progress {
                received: self.received,
                total: self.total,
            });
        }
        if self.run.is_empty() {
            return None;
        }
        let chunk = if self.run.len() <= self.size {
            std::mem::take(&mut self.run)
        } else {
            self.run.split_to(self.size)
        };
        self.received += chunk.len() as u64;
        Some(SmallEvent::Body(chunk))
    }

    fn is_spent(&self) -> bool {
        self.run.is_empty() && self.reported == self.received
    }
}

/// An event behind the front run.
#[derive(Debug)]
enum Queued {
    Body(BodyRun),
    Progress { received: u64, total: Option<u64> },
    Other(Box<Event>),
}

/// A `Body` or `Progress` event on its way out of the queue. A small value,
/// not an `Event`: an `Event` is hundreds of bytes, and moving one out of a
/// helper costs a copy of all of them per body chunk; the caller builds the
/// `Event` in place.
pub(super) enum SmallEvent {
    Body(Bytes),
    Progress { received: u64, total: Option<u64> },
}

/// The events of one exchange, in order.
#[derive(Debug, Default)]
pub(super) struct EventQueue {
    /// The run being polled: ahead of everything in `rest`. Kept out of the
    /// ring buffer because its two events per chunk are most of what is
    /// ever polled.
    front: BodyRun,
    rest: VecDeque<Queued>,
}

impl EventQueue {
    /// Queues chunks of `size` bytes cut from `run` (the last may be
    /// shorter), following `received` body bytes already queued.
    pub(super) fn push_body(&mut self, run: Bytes, size: usize, received: u64, total: Option<u64>) {
        let run = BodyRun {
            run,
            size,
            received,
            reported: received,
            total,
        };
        if self.rest.is_empty() && self.front.is_spent() {
            self.front = run;
        } else {
            self.rest.push_back(Queued::Body(run));
        }
    }

    pub(super) fn push_progress(&mut self, received: u64, total: Option<u64>) {
        self.rest.push_back(Queued::Progress { received, total });
    }

    pub(super) fn push(&mut self, event: Event) {
        self.rest.push_back(Queued::Other(Box::new(event)));
    }

    /// The next body or progress event of the front run; `None` when the
    /// run is spent and the next event, if any, comes from
    /// [`EventQueue::pop_rest`].
    #[inline]
    pub(super) fn next_small(&mut self) -> Option<SmallEvent> {
        self.front.next()
    }

    /// The next event once the front run is spent: a queued run moves to
    /// the front.
    pub(super) fn pop_rest(&mut self) -> Option<Event> {
        loop {
            match self.rest.pop_front()? {
                Queued::Body(run) => {
                    self.front = run;
                    if let Some(small) = self.front.next() {
                        return Some(small.into());
                    }
                }
                Queued::Progress { received, total } => {
                    return Some(Event::Progress { received, total })
                }
                Queued::Other(event) => return Some(*event),
            }
        }
    }
}

impl From<SmallEvent> for Event {
    #[inline]
    fn from(small: SmallEvent) -> Event {
        match small {
            SmallEvent::Body(chunk) => Event::Body(chunk),
            SmallEvent::Progress { received, total } => Event::Progress { received, total },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut EventQueue) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let e = match q.next_small() {
                Some(small) => Event::from(small),
                None => match q.pop_rest() {
                    Some(e) => e,
                    None => return out,
                },
            };
            out.push(match e {
                Event::Body(b) => format!("body {}", b.len()),
                Event::Progress { received, .. } => format!("progress {received}"),
                Event::Done(_) => "done".into(),
                other => format!("{other:?}"),
            });
        }
    }

    #[test]
    fn runs_pushed_behind_other_events_keep_their_place() {
        let mut q = EventQueue::default();
        q.push_progress(0, Some(25));
        q.push_body(Bytes::from(vec![0; 10]), 4, 0, Some(25));
        q.push_body(Bytes::from(vec![0; 15]), 4, 10, Some(25));
        assert_eq!(
            drain(&mut q),
            [
                "progress 0",
                "body 4",
                "progress 4",
                "body 4",
                "progress 8",
                "body 2",
                "progress 10",
                "body 4",
                "progress 14",
                "body 4",
                "progress 18",
                "body 4",
                "progress 22",
                "body 3",
                "progress 25",
            ]
        );
    }

    #[test]
    fn a_run_pushed_while_the_front_one_is_being_polled_waits_behind_it() {
        let mut q = EventQueue::default();
        q.push_body(Bytes::from(vec![0; 8]), 4, 0, None);
        assert!(matches!(q.next_small(), Some(SmallEvent::Body(b)) if b.len() == 4));
        // The front run still holds a chunk and a progress: the next run and
        // the end of the exchange queue behind it.
        q.push_body(Bytes::from(vec![0; 4]), 4, 8, None);
        q.push(Event::Progress {
            received: 99,
            total: None,
        });
        assert_eq!(
            drain(&mut q),
            [
                "progress 4",
                "body 4",
                "progress 8",
                "body 4",
                "progress 12",
                "progress 99"
            ]
        );
    }

    #[test]
    fn an_empty_queue_polls_nothing() {
        let mut q = EventQueue::default();
        assert!(q.next_small().is_none());
        assert!(q.pop_rest().is_none());
        q.push_body(Bytes::from_static(b"ab"), 4, 0, Some(2));
        assert_eq!(drain(&mut q), ["body 2", "progress 2"]);
        assert!(q.next_small().is_none());
        assert!(q.pop_rest().is_none());
    }
}
