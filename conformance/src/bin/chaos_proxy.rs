//! The chaos proxy as a process of its own: `chaos_proxy UPSTREAM SEED`
//! prints `listening on ADDR` and relays (see `urlrequest_conformance::chaos`)
//! until its standard input closes.

use std::io::Read;
use std::process::ExitCode;

use urlrequest_conformance::chaos::ChaosProxy;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(upstream), Some(seed)) = (
        args.first().and_then(|a| a.parse().ok()),
        args.get(1).and_then(|s| s.parse().ok()),
    ) else {
        eprintln!("usage: chaos_proxy UPSTREAM_ADDR SEED");
        return ExitCode::from(2);
    };
    let proxy = match ChaosProxy::start(upstream, seed) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("chaos_proxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", proxy.addr());
    // Runs until the parent goes away.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    ExitCode::SUCCESS
}
