//! The short chaos soak (the long one is `cargo run --release -p
//! urlrequest-conformance --bin soak`): requests through each runtime and a
//! fault-injecting proxy in front of nginx, every outcome checked against
//! the fault it met, and nothing left behind. Needs nginx (the `interop`
//! feature's servers).

use std::time::Duration;

use urlrequest_conformance::chaos::ProxyProcess;
use urlrequest_conformance::servers::{Nginx, TempDir};
use urlrequest_conformance::soak::{run_soak, SoakFiles, SoakPlan, SoakReport, SoakRuntime};

#[test]
fn short_chaos_soak_through_every_runtime() {
    let nginx = Nginx::start().unwrap_or_else(|e| panic!("{e}"));
    let seed = 20_261_130;
    let files = SoakFiles::put(&nginx, seed).unwrap();
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_chaos_proxy"));
    let proxy = ProxyProcess::spawn(exe, nginx.addr(), seed).unwrap();
    let dir = TempDir::new("soak").unwrap();
    let plan = SoakPlan {
        requests: 2_000,
        seed,
        concurrency: 32,
        timeout: Duration::from_millis(700),
    };
    let mut table = vec![SoakReport::table_header().to_string()];
    let mut clean = true;
    for runtime in [SoakRuntime::Std, SoakRuntime::Smol, SoakRuntime::Frame] {
        let report = run_soak(runtime, &proxy, &files, &plan, dir.path());
        table.push(report.to_string());
        for e in &report.examples {
            table.push(format!("  {e}"));
        }
        clean &= report.is_clean();
        // Every fault shape was met at least once.
        assert!(report.failures.len() >= 3, "{report}");
        assert!(report.done > plan.requests / 3, "{report}");
    }
    let table = table.join("\n");
    println!("{table}");
    assert!(clean, "{table}");
}
