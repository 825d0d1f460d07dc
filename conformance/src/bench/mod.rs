//! The pieces of the `bench` binary: loopback servers, the clients of each
//! case, repeated measurement and the Markdown report.

pub mod download;
pub mod frame;
pub mod https;
pub mod in_flight;
pub mod keepalive;
pub mod memory;
pub mod nginx;
pub mod report;
pub mod server;
pub mod stats;
pub mod upload;

use report::{Table, Target};
use stats::load_average;

/// Sizes and repetitions of one run of the benchmark.
#[derive(Debug, Clone)]
pub struct Config {
    /// Whether this is the short version.
    pub quick: bool,
    /// Runs per figure (the median, min and max are reported).
    pub runs: usize,
    /// Case A and F body size.
    pub download: u64,
    /// Case B request count.
    pub sequential: u64,
    /// Case C request count (shared by the concurrent clients).
    pub concurrent: u64,
    /// Case D file sizes.
    pub files: Vec<u64>,
    /// The cases to run (letters `a` to `g`); all by default.
    pub only: String,
    /// The clients to run (`raw`, `ureq`, `std`, `smol`, `tokio`, `reqwest`); all
    /// when `None`.
    /// For profiling one client; ratios to a client left out show as `-`.
    pub clients: Option<Vec<String>>,
}

const MIB: u64 = 1 << 20;
/// Every case letter.
pub const ALL_CASES: &str = "abcdefgh";

impl Config {
    /// The full run (about three minutes) or the quick one (about 30 s).
    pub fn new(quick: bool) -> Config {
        if quick {
            Config {
                quick,
                runs: 3,
                download: 256 * MIB,
                sequential: 5_000,
                concurrent: 10_000,
                files: vec![16 * MIB, 256 * MIB],
                only: ALL_CASES.into(),
                clients: None,
            }
        } else {
            Config {
                quick,
                runs: 5,
                download: 1024 * MIB,
                sequential: 20_000,
                concurrent: 20_000,
                files: vec![64 * MIB, 1024 * MIB],
                only: ALL_CASES.into(),
                clients: None,
            }
        }
    }

    /// Whether the client with this short name is to run.
    pub fn runs_client(&self, key: &str) -> bool {
        match &self.clients {
            None => true,
            Some(list) => list.iter().any(|c| c == key),
        }
    }

    /// Whether case `letter` is to run.
    pub fn runs_case(&self, letter: char) -> bool {
        self.only.contains(letter)
    }
}

/// Case E: the core alone, fed from memory, beside memcpy (the measurement
/// the core's own `throughput` bench makes), with the core's targets:
/// content-length at 0.9x memcpy or better, chunked at 0.5x, and resident
/// memory flat while streaming.
pub fn core_section(targets: &mut Vec<Target>) -> Table {
    let load = load_average();
    let mut t = Table::new(
        format!(
            "#### E. The core alone, {} MiB bodies from memory in {} KiB reads",
            crate::core_alone::BODY >> 20,
            crate::core_alone::READ_SIZE >> 10
        ),
        &["case", "memcpy GB/s", "core GB/s", "core to memcpy", "load"],
    );
    // The same size and number of runs as the core's own bench, quick or
    // not: a few seconds, and with fewer runs the median moves too much from
    // one run to the next to judge the targets (see BENCHMARKS.md).
    let cases = crate::core_alone::run_cases(crate::core_alone::BODY, crate::core_alone::RUNS);
    const FLAT_KIB: u64 = crate::core_alone::FLAT_RSS_KIB;
    for case in &cases {
        if let Some(at_least) = case.target_ratio {
            targets.push(Target::ratio(
                format!("E: {} ≥ {at_least:.2}x memcpy", case.name),
                case.ratio.0,
                at_least,
            ));
        }
        if case.streaming {
            targets.push(Target {
                what: format!("E: {}, RSS growth ≤ {FLAT_KIB} KiB", case.name),
                measured: format!("{} KiB", case.rss_growth_kib),
                holds: case.rss_growth_kib <= FLAT_KIB,
            });
        }
    }
    for case in cases {
        let cell = |(m, lo, hi): (f64, f64, f64)| format!("{m:.2} ({lo:.2}..{hi:.2})");
        t.row(vec![
            format!("{} (RSS growth {} KiB)", case.name, case.rss_growth_kib),
            cell(case.memcpy),
            cell(case.core),
            report::ratio_cell(case.ratio.0, 1.0),
            format!("{load:.1}"),
        ]);
    }
    let (m, min, max) = crate::core_alone::overhead_per_read(crate::core_alone::RUNS);
    t.note(format!(
        "The core's own cost per {} KiB read of a content-length body, with no copy at all: {m:.0} ns ({min:.0}..{max:.0}).",
        crate::core_alone::READ_SIZE >> 10
    ));
    t
}

/// Every case in order, printed as it completes; the targets last.
pub fn run(cfg: &Config) -> Result<(), String> {
    let (cpus, model) = stats::machine();
    println!("## Benchmark report\n");
    println!(
        "- command: `cargo run --release -p urlrequest-conformance --bin bench{}`",
        if cfg.quick { " -- --quick" } else { "" }
    );
    println!("- machine: {cpus} CPUs, {model}");
    println!("- load average at start: {:.2}", load_average());
    println!(
        "- every figure: median of {} runs (min..max); `load` is the 1-minute load average over its runs\n",
        cfg.runs
    );
    let mut targets: Vec<Target> = Vec::new();
    let rust = server::RustServer::start().map_err(|e| format!("loopback server: {e}"))?;
    // One nginx for cases A to C and G: started only when one of them runs.
    let ngx = if cfg.only.chars().any(|c| "abcg".contains(c)) {
        start_nginx(cfg)
    } else {
        None
    };
    if cfg.runs_case('a') {
        case_a(cfg, &rust, ngx.as_ref(), &mut targets)?;
    }
    if cfg.runs_case('f') {
        let server = https::server()?;
        let f = https::section(&server, cfg.download, cfg, &mut targets)?;
        println!("{}", f.render());
    }
    // Cases B and C run against each server there is: the Rust server, and
    // nginx when installed.
    let nginx_name = ngx.as_ref().map(|n| nginx_title(&n.exe, false));
    let mut small_servers = vec![(
        keepalive::Served {
            name: RUST_SERVER,
            in_process: true,
        },
        format!("{}/small", rust.base()),
    )];
    if let (Some(ngx), Some(name)) = (&ngx, &nginx_name) {
        small_servers.push((
            keepalive::Served {
                name,
                in_process: false,
            },
            ngx.nginx.url("/small"),
        ));
    }
    for (letter, n, concurrent) in [('b', cfg.sequential, false), ('c', cfg.concurrent, true)] {
        if !cfg.runs_case(letter) {
            continue;
        }
        for (served, small) in &small_servers {
            let t = keepalive::section(served, small, n, cfg, concurrent, &mut targets)?;
            println!("{}", t.render());
        }
    }
    if cfg.runs_case('d') {
        let d = memory::section(&rust.base(), &cfg.files, cfg.runs, &mut targets)?;
        println!("{}", d.render());
        println!("{}", in_flight::section(cfg.runs.min(3))?.render());
    }
    if cfg.runs_case('e') {
        println!("{}", core_section(&mut targets).render());
    }
    if cfg.runs_case('h') {
        // Case H: a streamed upload of the case A size (1 GiB in full).
        let h = upload::section(cfg.download, cfg.runs.min(3), &mut targets)?;
        println!("{}", h.render());
    }
    if cfg.runs_case('g') {
        let title = ngx.as_ref().map(|n| nginx_title(&n.exe, true));
        let big = ngx.as_ref().zip(title.as_deref());
        let big = big.map(|(n, title)| (title, n.nginx.addr(), "/big"));
        frame::section(&rust, big, cfg, &mut targets)?;
    }
    println!("{}", report::targets_table(&targets));
    Ok(())
}

/// The in-process server's name in table titles and targets.
const RUST_SERVER: &str = "the Rust server (memory buffer, a thread per connection)";

/// nginx's name in table titles and targets.
fn nginx_title(exe: &std::path::Path, big: bool) -> String {
    if big {
        format!("nginx ({}, sendfile from a sparse file)", exe.display())
    } else {
        format!(
            "nginx ({}, one event-loop worker, static file)",
            exe.display()
        )
    }
}

/// nginx when it is installed and starts; why not printed otherwise.
fn start_nginx(cfg: &Config) -> Option<nginx::Bench> {
    match nginx::start(cfg.download) {
        Ok(Some(ngx)) => Some(ngx),
        Ok(None) => {
            println!("(nginx not found on PATH: the nginx tables are skipped)\n");
            None
        }
        Err(e) => {
            println!("(nginx did not start: {e}; the nginx tables are skipped)\n");
            None
        }
    }
}

/// Case A against the Rust server, then against nginx when there is one.
fn case_a(
    cfg: &Config,
    rust: &server::RustServer,
    ngx: Option<&nginx::Bench>,
    targets: &mut Vec<Target>,
) -> Result<(), String> {
    let big = format!("/bytes/{}", cfg.download);
    let a = download::section(
        "the Rust server (memory buffer)",
        rust.addr(),
        &big,
        cfg.download,
        cfg,
        Some(targets),
    )?;
    println!("{}", a.render());
    if let Some(ngx) = ngx {
        let title = nginx_title(&ngx.exe, true);
        let addr = ngx.nginx.addr();
        let a = download::section(&title, addr, "/big", cfg.download, cfg, None)?;
        println!("{}", a.render());
    }
    Ok(())
}
