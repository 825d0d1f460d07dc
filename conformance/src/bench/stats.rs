//! Repeated measurements: median, min and max of each figure, with the
//! machine's load average at the time of each run.

use std::time::{Duration, Instant};

/// The runs of one figure.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    values: Vec<f64>,
    loads: Vec<f64>,
}

impl Sample {
    /// Records one run's value with the 1-minute load average just before it.
    pub fn push(&mut self, value: f64, load: f64) {
        self.values.push(value);
        self.loads.push(load);
    }

    /// Whether no run was recorded.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Median, min and max of the values (zeros when there is none).
    pub fn spread(&self) -> (f64, f64, f64) {
        spread(&self.values)
    }

    /// The median value.
    pub fn median(&self) -> f64 {
        self.spread().0
    }

    /// Lowest and highest load average seen over the runs.
    pub fn load_range(&self) -> (f64, f64) {
        let (_, min, max) = spread(&self.loads);
        (min, max)
    }
}

fn spread(v: &[f64]) -> (f64, f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// The 1-minute load average from `/proc/loadavg` (0 when unreadable).
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// One timed run: what it handled, the wall time, and the CPU time of the
/// calling thread (what a single-threaded client cost, whatever the load).
pub struct Timed {
    /// Units handled (bytes, requests).
    pub units: u64,
    /// Wall-clock time.
    pub wall: Duration,
    /// CPU time of this thread, user and system.
    pub cpu: Duration,
}

/// Runs `f` once, timing it; `f` returns how many units it handled.
pub fn timed<E>(f: impl FnOnce() -> Result<u64, E>) -> Result<Timed, E> {
    let (t, cpu) = (Instant::now(), thread_cpu());
    let units = f()?;
    Ok(Timed {
        units,
        wall: t.elapsed(),
        cpu: thread_cpu().saturating_sub(cpu),
    })
}

/// CPU time of the whole process (every thread, the servers' included),
/// from `/proc/self/stat` in clock ticks of 10 ms (Linux's fixed USER_HZ).
pub fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which may itself hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// CPU time this thread has run, from `/proc/thread-self/schedstat`
/// (nanoseconds; zero when unreadable).
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// Megabytes (10^6 bytes) per second.
pub fn mb_per_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
}

/// Units per second.
pub fn per_s(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// This process's peak resident memory (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Number of online CPUs and the CPU model, for the report.
pub fn machine() -> (usize, String) {
    let n = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    (n, model)
}
