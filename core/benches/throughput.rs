//! The core alone, from memory: a 256 MiB content-length body and a 256 MiB
//! chunked body fed in 64 KiB reads into the buffer the core lends, beside a
//! plain memcpy of the same bytes in the same reads. Run with
//! `cargo bench -p urlrequest-core --bench throughput` (release build).
//!
//! The measurement itself lives in `throughput/core_alone.rs`, which the
//! workspace benchmark binary (`urlrequest-conformance`, `bench`) also runs.

#[path = "throughput/core_alone.rs"]
mod core_alone;

use core_alone::{BODY, FLAT_RSS_KIB, RUNS};

fn main() {
    println!(
        "core throughput, {} MiB bodies, {} KiB reads, median of {RUNS} runs (min..max)\n",
        BODY >> 20,
        core_alone::READ_SIZE >> 10
    );
    println!("| case | GB/s | ratio to memcpy of the same wire bytes, run by run | target |");
    println!("|---|---|---|---|");
    for case in core_alone::run_cases(BODY, RUNS) {
        let (cm, cmin, cmax) = case.memcpy;
        let (m, min, max) = case.core;
        let name = case.name;
        println!("| memcpy ({name}) | {cm:.2} ({cmin:.2}..{cmax:.2}) | 1.00 | |");
        let (r, rmin, rmax) = case.ratio;
        let target = match case.target_ratio {
            Some(t) if r >= t => format!("≥ {t:.2}: holds"),
            Some(t) => format!("≥ {t:.2}: **missed**"),
            None => String::new(),
        };
        let memory = match (case.streaming, case.rss_growth_kib <= FLAT_RSS_KIB) {
            (false, _) => String::new(),
            (true, flat) => {
                let verdict = if flat { "holds" } else { "**missed**" };
                format!("; RSS growth ≤ {FLAT_RSS_KIB} KiB: {verdict}")
            }
        };
        println!(
            "| core ({name}) | {m:.2} ({min:.2}..{max:.2}) | {r:.2} ({rmin:.2}..{rmax:.2}) (RSS growth {} KiB) | {target}{memory} |",
            case.rss_growth_kib
        );
    }
    let (m, min, max) = core_alone::overhead_per_read(RUNS);
    println!(
        "\nThe core's own cost per {} KiB read with no copy at all: {m:.0} ns ({min:.0}..{max:.0})",
        core_alone::READ_SIZE >> 10
    );
}
