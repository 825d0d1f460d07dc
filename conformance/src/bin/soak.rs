//! The long chaos soak: `--requests N` (default 100,000) requests through
//! each runtime, each through a fault-injecting proxy in front of nginx,
//! and the table of outcomes in Markdown. Exits non-zero when any request
//! ended other than its fault implies or something leaked.
//!
//! ```sh
//! cargo run --release -p urlrequest-conformance --bin soak -- --requests 100000 --seed 7
//! ```

use std::process::ExitCode;
use std::time::Duration;

use urlrequest_conformance::chaos::ProxyProcess;
use urlrequest_conformance::servers::{Nginx, TempDir};
use urlrequest_conformance::soak::{run_soak, SoakFiles, SoakPlan, SoakReport, SoakRuntime};

fn main() -> ExitCode {
    let mut plan = SoakPlan {
        requests: 100_000,
        seed: 7,
        concurrency: 32,
        timeout: Duration::from_millis(700),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), value) {
            ("--requests", Some(v)) => plan.requests = v as usize,
            ("--seed", Some(v)) => plan.seed = v,
            ("--concurrency", Some(v)) => plan.concurrency = v as usize,
            _ => {
                eprintln!("usage: soak [--requests N] [--seed S] [--concurrency C]");
                return ExitCode::from(2);
            }
        }
    }
    let nginx = match Nginx::start() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let files = SoakFiles::put(&nginx, plan.seed).expect("soak files");
    let exe = std::env::current_exe()
        .expect("own path")
        .with_file_name("chaos_proxy");
    let proxy = ProxyProcess::spawn(&exe, nginx.addr(), plan.seed).expect("chaos proxy");
    let dir = TempDir::new("soak").expect("download directory");
    println!(
        "{} requests per runtime, seed {}, {} in flight, timeout {:?}\n",
        plan.requests, plan.seed, plan.concurrency, plan.timeout
    );
    println!("{}", SoakReport::table_header());
    let mut clean = true;
    for runtime in [SoakRuntime::Std, SoakRuntime::Smol, SoakRuntime::Frame] {
        let report = run_soak(runtime, &proxy, &files, &plan, dir.path());
        println!("{report}");
        for e in &report.examples {
            eprintln!("  {e}");
        }
        clean &= report.is_clean();
    }
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
