//! The figures of this process a soak compares before and after a run:
//! open descriptors, threads, resident memory.

use std::fs;
use std::thread;
use std::time::Duration;

use crate::servers::poll_until;

/// Resource figures of this process.
#[derive(Debug, Clone, Copy)]
pub(super) struct Resources {
    pub(super) fds: usize,
    pub(super) threads: usize,
    pub(super) rss_kib: u64,
}

pub(super) fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

fn status_field(name: &str) -> u64 {
    fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

pub(super) fn thread_names() -> Vec<String> {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| fs::read_to_string(t.path().join("comm")).ok())
        .map(|n| n.trim().to_string())
        .collect()
}

pub(super) fn resources() -> Resources {
    Resources {
        fds: open_fds(),
        threads: status_field("Threads:") as usize,
        rss_kib: status_field("VmRSS:"),
    }
}

/// Resources once the clients are gone: waits (up to ten seconds) for
/// threads that end on their own, such as a runtime's idle helper threads,
/// to have ended and for the counts to be back at `before`.
pub(super) fn settled(before: Resources) -> Resources {
    poll_until(Duration::from_secs(10), || {
        let now = resources();
        (now.fds <= before.fds && now.threads <= before.threads).then_some(now)
    })
    .unwrap_or_else(resources)
}

/// Resources once nothing changes any more: two readings 600 ms apart (a
/// helper thread idle for 500 ms ends) that agree, or the last one after
/// five seconds.
pub(super) fn quiet() -> Resources {
    let mut last = resources();
    poll_until(Duration::from_secs(5), || {
        thread::sleep(Duration::from_millis(600));
        let now = resources();
        let same = now.fds == last.fds && now.threads == last.threads;
        last = now;
        same.then_some(now)
    })
    .unwrap_or(last)
}
