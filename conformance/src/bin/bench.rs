//! Benchmarks of urlrequest beside ureq and a raw socket, on loopback.
//!
//! ```text
//! cargo run --release -p urlrequest-conformance --bin bench [-- --quick]
//! ```
//!
//! Starts its own servers (an in-process Rust server serving from memory,
//! and nginx when it is installed), runs cases A to E and prints a Markdown
//! report with ratios and the stated targets. `--quick` runs smaller sizes
//! and fewer repetitions (about 30 seconds).

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
    let mut quick = false;
    for a in &args {
        match a.as_str() {
            "--quick" => quick = true,
            "-h" | "--help" => {
                println!("usage: bench [--quick]");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}; usage: bench [--quick]");
                return ExitCode::from(2);
            }
        }
    }
    finish(bench::run(&bench::Config::new(quick)))
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
