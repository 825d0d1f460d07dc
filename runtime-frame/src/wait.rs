//! Sleeping until there is work: `poll(2)` over the sockets the requests
//! wait on, bounded by the nearest deadline.
//!
//! poll rather than an epoll-style registry (such as the `polling` crate's
//! `Poller`): registering a socket there is an `unsafe` promise to
//! deregister it before it closes, and this crate has no unsafe code; a
//! frame loop holds a handful of sockets, for which one `poll` call is as
//! cheap and nothing is registered between calls.

use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};

use crate::net::Interest;
use crate::run::{Run, Status};

/// Waits until a socket some request is blocked on is ready, the nearest
/// deadline of a request is due, or `timeout` passes. Returns at once when
/// no request is in flight, or when a request waits for a connection slot
/// and one came free since (`slots_freed` is the pool's count).
pub(crate) fn for_readiness(runs: &[Run], timeout: Option<Duration>, slots_freed: u64) {
    if runs.is_empty() {
        return;
    }
    let now = Instant::now();
    let mut limit = timeout;
    let mut fds = Vec::with_capacity(runs.len());
    for run in runs {
        if let Some(deadline) = run.deadline() {
            let left = deadline.saturating_duration_since(now);
            limit = Some(limit.map_or(left, |l| l.min(left)));
        }
        let flags = match run.status {
            Status::Blocked(Interest::Read) => PollFlags::IN,
            Status::Blocked(Interest::Write) => PollFlags::OUT,
            // Work without waiting, or only time: no socket to watch.
            Status::OutOfBudget => return,
            Status::WaitingForSlot(seen) if seen != slots_freed => return,
            // A slot comes free only in a tick of this client: nothing to
            // watch until then.
            Status::WaitingForSlot(_) => continue,
            Status::Idle | Status::Finished => continue,
        };
        if let Some(socket) = run.socket() {
            fds.push(PollFd::new(socket, flags));
        }
    }
    if limit == Some(Duration::ZERO) || (fds.is_empty() && limit.is_none()) {
        return;
    }
    // Rounded up to whole milliseconds, so a deadline is never woken for
    // just before it is due.
    let limit = limit.map(|l| {
        let ms = l.as_nanos().div_ceil(1_000_000);
        Timespec {
            tv_sec: (ms / 1000).min(i64::MAX as u128) as i64,
            tv_nsec: ((ms % 1000) * 1_000_000) as i64,
        }
    });
    // An interrupted wait returns early, as a spurious wake-up does: the
    // caller ticks and waits again.
    let _ = poll(&mut fds, limit.as_ref());
}
