//! Case G: urlrequest-frame. A large download driven by `tick` in a loop
//! that does nothing else (`wait`, then `tick`), beside the raw read loop
//! and urlrequest-std of case A; then the time spent inside each `tick`
//! while a download runs at full speed with a 256 KiB budget, over plain
//! http and over TLS, as a distribution.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use urlrequest_conformance::TestCa;
use urlrequest_frame::{Client, ClientBuilder, Event, Request};

use super::download::Client as CaseA;
use super::report::{load_cell, ratio_cell, spread_cell, Table, Target};
use super::server::RustServer;
use super::stats::{load_average, mb_per_s, timed, Sample};
use super::Config;

/// The budget of the tick-time measurement.
pub const BUDGET: usize = 256 * 1024;
/// The longest tick allowed by the target, on the plain http server.
const LONGEST_TARGET: Duration = Duration::from_millis(1);

/// How long this thread has waited for a CPU while runnable, from
/// `/proc/thread-self/schedstat` (its second field, in nanoseconds).
fn run_queue_wait() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// One tick's duration, and (when attributed) how much of it the thread
/// spent waiting for a CPU.
type TickTime = (Duration, Duration);

/// Downloads `url` through `client` in a loop of `wait` and `tick`, the
/// body discarded; returns the body bytes and every tick's duration. With
/// `attribute`, the thread's run-queue wait is read before and after each
/// tick (outside the timed region: two small file reads per tick).
fn through_ticks(
    client: &Client,
    url: &str,
    attribute: bool,
) -> Result<(u64, Vec<TickTime>), String> {
    let request = Request::builder(url)
        .collect_body(false)
        .build()
        .map_err(|e| e.to_string())?;
    let transfer = client.start(request);
    let mut got = 0u64;
    let mut ticks = Vec::new();
    loop {
        client.wait(None);
        let waited = if attribute {
            run_queue_wait()
        } else {
            Duration::ZERO
        };
        let start = Instant::now();
        client.tick(start);
        let spent = start.elapsed();
        let waited = if attribute {
            run_queue_wait().saturating_sub(waited)
        } else {
            Duration::ZERO
        };
        ticks.push((spent, waited));
        while let Some(event) = transfer.poll_event() {
            match event {
                Event::Body(b) => got += b.len() as u64,
                Event::Failure(e) => return Err(format!("urlrequest-frame: {e}")),
                _ => {}
            }
        }
        if transfer.is_finished() {
            return Ok((got, ticks));
        }
    }
}

fn frame_client(tls: bool, budget: Option<usize>) -> Client {
    let mut b: ClientBuilder = Client::builder();
    if tls {
        b = b.ca_file(TestCa::trusted().pem_file());
    }
    if let Some(budget) = budget {
        b = b.tick_budget(budget);
    }
    b.build().expect("client settings")
}

/// The table of the first half: MB/s of the raw loop, urlrequest-std and
/// urlrequest-frame (default budget), interleaved runs.
pub fn throughput(
    server: &str,
    addr: SocketAddr,
    path: &str,
    size: u64,
    cfg: &Config,
    targets: &mut Vec<Target>,
) -> Result<Table, String> {
    let url = format!("http://{addr}{path}");
    let names = [
        "raw TcpStream read loop",
        "urlrequest-std",
        "urlrequest-frame, wait + tick, default budget (1 MiB)",
    ];
    let mut samples = vec![Sample::default(); names.len()];
    let mut cpu = vec![Sample::default(); names.len()];
    for _ in 0..cfg.runs {
        for i in 0..names.len() {
            let load = load_average();
            let run = timed(|| match i {
                0 => CaseA::Raw.fetch(addr, path),
                1 => CaseA::Std.fetch(addr, path),
                _ => through_ticks(&frame_client(false, None), &url, false).map(|(n, _)| n),
            })?;
            if run.units != size {
                return Err(format!(
                    "{}: {} body bytes, expected {size}",
                    names[i], run.units
                ));
            }
            samples[i].push(mb_per_s(size, run.wall), load);
            cpu[i].push(run.cpu.as_secs_f64() * 1e3 / (size as f64 / 1e9), load);
        }
    }
    let raw = samples[0].median();
    let mut t = Table::new(
        format!(
            "#### G. {} MiB download through `tick` in a loop that does nothing else, body discarded, from {server}",
            size >> 20
        ),
        &["client", "MB/s median (min..max)", "to raw", "client CPU ms/GB", "load"],
    );
    for ((name, s), cpu) in names.iter().zip(&samples).zip(&cpu) {
        t.row(vec![
            (*name).into(),
            spread_cell(s, 0),
            ratio_cell(s.median(), raw),
            format!("{:.0}", cpu.median()),
            load_cell(s),
        ]);
    }
    t.note(
        "The frame client runs `client.wait(None); client.tick(now)` until the \
         transfer is finished, taking the events after each tick: one thread, \
         no other.",
    );
    targets.push(Target::ratio(
        format!("G: frame ≥ 0.90x raw ({server})"),
        samples[2].median() / raw,
        0.90,
    ));
    Ok(t)
}

/// The `q` quantile of sorted durations.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e6)
}

/// The second half: every tick's duration during downloads at full speed
/// with a 256 KiB budget, from the plain and the TLS server.
pub fn tick_times(
    plain: &RustServer,
    tls: &RustServer,
    size: u64,
    cfg: &Config,
    targets: &mut Vec<Target>,
) -> Result<Table, String> {
    let mut t = Table::new(
        format!(
            "#### G. Time inside `tick` while a {} MiB download runs at full speed, {} KiB budget",
            size >> 20,
            BUDGET >> 10
        ),
        &[
            "server",
            "MB/s median",
            "ticks",
            "median µs",
            "p90 µs",
            "p99 µs",
            "p99.9 µs",
            "longest µs",
            "ticks over 1 ms",
            "load",
        ],
    );
    let mut notes = Vec::new();
    for (name, server, is_tls) in [
        ("the Rust server, http", plain, false),
        ("the Rust server, https (rustls both sides)", tls, true),
    ] {
        let url = format!("{}/bytes/{size}", server.base());
        let mut all = Vec::new();
        let mut speed = Sample::default();
        for _ in 0..cfg.runs {
            let load = load_average();
            let started = Instant::now();
            let (got, ticks) = through_ticks(&frame_client(is_tls, Some(BUDGET)), &url, false)?;
            if got != size {
                return Err(format!(
                    "urlrequest-frame: {got} body bytes, expected {size}"
                ));
            }
            speed.push(mb_per_s(size, started.elapsed()), load);
            all.extend(ticks.into_iter().map(|(spent, _)| spent));
        }
        // One more download, each tick's run-queue wait read around it:
        // were the long ticks work, or the thread waiting for a CPU?
        let (_, attributed) = through_ticks(&frame_client(is_tls, Some(BUDGET)), &url, true)?;
        let long: Vec<&TickTime> = attributed
            .iter()
            .filter(|(spent, _)| *spent > LONGEST_TARGET)
            .collect();
        let mostly_waiting = long.iter().filter(|(spent, w)| *w * 2 >= *spent).count();
        let worst = attributed.iter().max().copied().unwrap_or_default();
        notes.push(format!(
            "{name}, one more download with the thread's run-queue wait read around each tick \
             (`/proc/thread-self/schedstat`, outside the timed region): {} ticks, {} over 1 ms, \
             {mostly_waiting} of them waiting for a CPU for half their time or more; the longest \
             took {} µs, {} µs of it waiting for a CPU.",
            attributed.len(),
            long.len(),
            micros(worst.0),
            micros(worst.1),
        ));
        all.sort();
        let longest = *all.last().unwrap_or(&Duration::ZERO);
        let over = all.iter().filter(|d| **d > LONGEST_TARGET).count();
        t.row(vec![
            name.into(),
            format!("{:.0}", speed.median()),
            all.len().to_string(),
            micros(quantile(&all, 0.5)),
            micros(quantile(&all, 0.9)),
            micros(quantile(&all, 0.99)),
            micros(quantile(&all, 0.999)),
            micros(longest),
            format!(
                "{over} ({:.3}%)",
                over as f64 * 100.0 / all.len().max(1) as f64
            ),
            load_cell(&speed),
        ]);
        if !is_tls {
            targets.push(Target {
                what: format!(
                    "G: longest tick ≤ 1 ms at full speed, {} KiB budget (http)",
                    BUDGET >> 10
                ),
                measured: format!("{} µs", micros(longest)),
                holds: longest <= LONGEST_TARGET,
            });
        }
    }
    t.note(format!(
        "Every tick of {} downloads per server, each in a loop of `wait(None)` and `tick`, \
         timed around `tick` alone (the events are taken after it). The server writes from \
         its own thread on the same two CPUs.",
        cfg.runs
    ));
    for note in notes {
        t.note(note);
    }
    Ok(t)
}

/// Case G: the download from the Rust server and from nginx (when there
/// is one: `(name, address, path)`), then the tick times.
pub fn section(
    rust: &RustServer,
    nginx: Option<(&str, SocketAddr, &str)>,
    cfg: &Config,
    targets: &mut Vec<Target>,
) -> Result<(), String> {
    let size = cfg.download;
    let path = format!("/bytes/{size}");
    let rust_name = "the Rust server (memory buffer)";
    let servers = std::iter::once((rust_name, rust.addr(), path.as_str())).chain(nginx);
    for (name, addr, path) in servers {
        println!(
            "{}",
            throughput(name, addr, path, size, cfg, targets)?.render()
        );
    }
    let tls = super::https::server()?;
    println!(
        "{}",
        tick_times(rust, &tls, cfg.download, cfg, targets)?.render()
    );
    Ok(())
}
