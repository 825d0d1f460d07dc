//! [`SoakReport`]: the tally of one runtime's soak, and its Markdown row.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// How much resident memory may grow over a run (allocator caches), KiB.
const RSS_SLACK_KIB: u64 = 8 * 1024;

/// The soak's tally for one runtime.
#[derive(Debug, Clone, Default)]
pub struct SoakReport {
    /// The runtime's name.
    pub runtime: &'static str,
    /// Requests sent.
    pub requests: usize,
    /// Requests that ended in `Done` with the right body.
    pub done: usize,
    /// Failures of an implied kind, by kind.
    pub failures: BTreeMap<&'static str, usize>,
    /// Requests with no outcome (must be 0).
    pub lost: usize,
    /// `Done` with a body that is not the file asked for (must be 0).
    pub wrong_bodies: usize,
    /// Outcomes other than the fault implies, later than the timeout plus
    /// one second, or callbacks not run exactly once (must be 0).
    pub wrong_outcomes: usize,
    /// The first few wrong outcomes, described.
    pub examples: Vec<String>,
    /// Descriptors before the run, the most seen during it, after it.
    pub fds: (usize, usize, usize),
    /// Threads before and after.
    pub threads: (usize, usize),
    /// Resident memory before and after, KiB.
    pub rss_kib: (u64, u64),
    /// Files left in the download directory (must be 0).
    pub partial_files: usize,
    /// How long the run took.
    pub elapsed: Duration,
}

impl SoakReport {
    /// Whether every request ended as its fault implies and nothing leaked:
    /// descriptors and threads back at their start values, resident memory
    /// within 8 MiB of it, no file left.
    pub fn is_clean(&self) -> bool {
        self.lost == 0
            && self.wrong_bodies == 0
            && self.wrong_outcomes == 0
            && self.partial_files == 0
            && self.fds.2 <= self.fds.0
            && self.threads.1 <= self.threads.0
            && self.rss_kib.1 <= self.rss_kib.0 + RSS_SLACK_KIB
    }

    /// The Markdown header matching [`SoakReport`]'s `Display` rows.
    pub fn table_header() -> &'static str {
        "| runtime | requests | done | failures by kind | lost | wrong bodies | wrong outcomes | descriptors before / peak / after | threads before / after | RSS before / after | partial files | time |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    }
}

impl fmt::Display for SoakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds: Vec<String> = self
            .failures
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        write!(
            f,
            "| {} | {} | {} | {} | {} | {} | {} | {} / {} / {} | {} / {} | {:.1} / {:.1} MiB | {} | {:.0} s |",
            self.runtime,
            self.requests,
            self.done,
            kinds.join(", "),
            self.lost,
            self.wrong_bodies,
            self.wrong_outcomes,
            self.fds.0,
            self.fds.1,
            self.fds.2,
            self.threads.0,
            self.threads.1,
            self.rss_kib.0 as f64 / 1024.0,
            self.rss_kib.1 as f64 / 1024.0,
            self.partial_files,
            self.elapsed.as_secs_f64()
        )
    }
}
