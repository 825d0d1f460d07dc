//! Benchmarks of urlrequest beside ureq and a raw socket, on loopback.
//!
//! ```text
//! cargo run --release -p urlrequest-conformance --bin bench [-- --quick]
//! ```
//!
//! Starts its own servers (an in-process Rust server serving from memory,
//! and nginx when it is installed, which also serves cases A to C), runs
//! cases A to E and prints a Markdown
//! report with ratios and the stated targets. Case F is case A over TLS;
//! case G is urlrequest-frame (a download through `tick`, and the time
//! spent inside each tick).
//! `--quick` runs smaller sizes and fewer repetitions in cases A to D and F
//! (case E is the same in both); `--only ab` runs only the cases named
//! (letters `a` to `h`; case H is a streamed upload's peak RSS), `--clients std,smol` only those clients (for
//! profiling one of them; the targets are then not judged), `--size MIB`
//! sets the body size of cases A and F.

#[path = "../bench/mod.rs"]
mod bench;
// The core's own measurement, shared with `core/benches/throughput.rs`.
#[path = "../../../core/benches/throughput/core_alone.rs"]
mod core_alone;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(bench::memory::SUBCOMMAND) {
        return finish(bench::memory::child(&args[1..]));
    }
    if args.first().map(String::as_str) == Some(bench::upload::SUBCOMMAND) {
        return finish(bench::upload::child(&args[1..]));
    }
    if args.first().map(String::as_str) == Some(bench::in_flight::SUBCOMMAND) {
        return finish(bench::in_flight::child(&args[1..]));
    }
    let mut quick = false;
    let mut only = None;
    let mut clients = None;
    let mut size_mib = None;
    // Parsed by hand, not with clap: this binary is left out of the published
    // crate, where clap would be a dependency the library never uses.
    let mut args = args.iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--only" => only = args.next().map(|s| s.to_ascii_lowercase()),
            "--clients" => {
                clients = args
                    .next()
                    .map(|s| s.split(',').map(str::to_string).collect::<Vec<_>>())
            }
            "--size" => match args.next().and_then(|s| s.parse::<u64>().ok()) {
                Some(n) if n > 0 => size_mib = Some(n),
                _ => {
                    eprintln!("--size needs a whole number of MiB above 0");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("usage: bench [--quick] [--only CASES] [--clients raw,ureq,std,smol,tokio,reqwest] [--size MIB]");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}; usage: bench [--quick] [--only CASES] [--clients raw,ureq,std,smol,tokio,reqwest] [--size MIB]");
                return ExitCode::from(2);
            }
        }
    }
    let mut cfg = bench::Config::new(quick);
    if let Some(only) = only {
        cfg.only = only;
    }
    cfg.clients = clients;
    if let Some(n) = size_mib {
        cfg.download = n << 20;
    }
    finish(bench::run(&cfg))
}

fn finish(r: Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}
