//! Prints the conformance matrix as Markdown: for each case family, how
//! many cases pass through each driver, and how many of its `Done` cases
//! ureq agrees on (documented differences counted apart).
//!
//! ```sh
//! cargo run -p urlrequest-conformance --bin report
//! ```

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::thread;

use urlrequest_conformance::{
    builtin_cases, callback_trace, compare_with_ureq, documented_differences, is_well_formed,
    run_cases, run_in_memory, ureq_comparable, Case, Driver, FrameDriver, KivyColumn, MemoryDriver,
    Outcome, ReplayDriver, SmolDriver, StdDriver, SuiteReport, TokioDriver,
};

/// Random split seeds the in-memory column is also run with.
const SEEDS: u64 = 50;

/// The documented cases: where ureq differs, and where ureq's result
/// depends on timing.
fn documented() -> (BTreeSet<String>, BTreeSet<String>) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/DIFFERENCES.md"))
        .unwrap_or_default();
    documented_differences(&text)
}

/// Names of the cases that give the expected trace under every seed.
fn split_passes(cases: &[Case]) -> BTreeSet<String> {
    cases
        .iter()
        .filter(|c| {
            (1..=SEEDS).all(|seed| run_in_memory(c, Some(seed)).is_ok_and(|t| t == c.expected))
        })
        .map(|c| c.full_name())
        .collect()
}

/// (agree, documented difference, undocumented difference) per case name.
type UreqRow = (String, bool, bool);

fn ureq_rows(cases: &[Case]) -> Vec<UreqRow> {
    let (listed, timing) = documented();
    let comparable: Vec<&Case> = cases.iter().filter(|c| ureq_comparable(c)).collect();
    thread::scope(|s| {
        let handles: Vec<_> = comparable
            .chunks(comparable.len().div_ceil(4).max(1))
            .map(|part| {
                let (listed, timing) = (&listed, &timing);
                s.spawn(move || {
                    part.iter()
                        .map(|c| {
                            let r = compare_with_ureq(c);
                            let agrees = r.agrees();
                            // A timing-dependent case is documented
                            // whichever way ureq went.
                            let documented = if timing.contains(&r.case) {
                                !agrees
                            } else {
                                listed.contains(&r.case)
                            };
                            (r.case.clone(), agrees, documented)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// For each column, for each case: whether its callback trace has one
/// outcome callback then `on_finish`, and equals the first column's line
/// for line.
fn callback_rows(cases: &[Case]) -> Vec<Vec<bool>> {
    let traces: Vec<Vec<Result<Vec<String>, String>>> = thread::scope(|s| {
        let runs: Vec<_> = KivyColumn::ALL
            .iter()
            .map(|&col| s.spawn(move || cases.iter().map(|c| callback_trace(c, col)).collect()))
            .collect();
        runs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    (0..KivyColumn::ALL.len())
        .map(|c| {
            (0..cases.len())
                .map(|i| match (&traces[0][i], &traces[c][i]) {
                    (Ok(reference), Ok(trace)) => reference == trace && is_well_formed(trace),
                    _ => false,
                })
                .collect()
        })
        .collect()
}

fn main() -> ExitCode {
    let cases = match builtin_cases() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let drivers: Vec<Box<dyn Driver + Send + Sync>> = vec![
        Box::new(MemoryDriver::new()),
        Box::new(StdDriver),
        Box::new(SmolDriver),
        Box::new(TokioDriver::CURRENT_THREAD),
        Box::new(TokioDriver::MULTI_THREAD),
        Box::new(FrameDriver),
        Box::new(ReplayDriver),
    ];
    let (reports, splits, ureq) = thread::scope(|s| {
        let runs: Vec<_> = drivers
            .iter()
            .map(|d| s.spawn(|| run_cases(d.as_ref(), &cases)))
            .collect();
        let splits = s.spawn(|| split_passes(&cases));
        let ureq = s.spawn(|| ureq_rows(&cases));
        let reports: Vec<SuiteReport> = runs.into_iter().map(|h| h.join().unwrap()).collect();
        (reports, splits.join().unwrap(), ureq.join().unwrap())
    });
    let callbacks = callback_rows(&cases);

    let mut families: Vec<&str> = cases.iter().map(|c| c.family.as_str()).collect();
    families.dedup();
    println!(
        "| family | cases | memory | memory, {SEEDS} random splits | {} | ureq agrees (documented differences) |",
        reports
            .iter()
            .skip(1)
            .map(|r| r.driver.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!(
        "|---|---:|---:|---:|{}---|",
        "---:|".repeat(reports.len() - 1)
    );
    let mut all_ok = true;
    let mut total = vec![0usize; reports.len() + 5];
    for family in &families {
        let in_family = |name: &str| name.split('/').next() == Some(family);
        let n = cases.iter().filter(|c| c.family == *family).count();
        let passed: Vec<usize> = reports
            .iter()
            .map(|r| {
                r.cases
                    .iter()
                    .filter(|c| in_family(&c.name) && c.outcome == Outcome::Passed)
                    .count()
            })
            .collect();
        let split = splits.iter().filter(|n| in_family(n)).count();
        let rows: Vec<&UreqRow> = ureq.iter().filter(|r| in_family(&r.0)).collect();
        let agree = rows.iter().filter(|r| r.1).count();
        let documented = rows.iter().filter(|r| !r.1 && r.2).count();
        let undocumented = rows.iter().filter(|r| r.1 == r.2).count();
        all_ok &= passed.iter().all(|p| *p == n) && split == n && undocumented == 0;
        let done = cases
            .iter()
            .filter(|c| c.family == *family && c.ends_in_done())
            .count();
        let ureq_cell = if done == 0 {
            "no case ends in Done".to_string()
        } else if rows.is_empty() {
            "not compared".to_string()
        } else {
            format!("{agree}/{} ({documented})", rows.len())
        };
        let cells: Vec<String> = passed.iter().skip(1).map(|p| format!("{p}/{n}")).collect();
        println!(
            "| {family} | {n} | {}/{n} | {split}/{n} | {} | {ureq_cell} |",
            passed[0],
            cells.join(" | ")
        );
        for (i, v) in [n, split, agree, rows.len(), documented]
            .into_iter()
            .chain(passed.iter().copied())
            .enumerate()
        {
            total[i] += v;
        }
    }
    let n = total[0];
    let per_driver: Vec<String> = total[6..].iter().map(|p| format!("**{p}/{n}**")).collect();
    println!(
        "| **all** | **{n}** | **{}/{n}** | **{}/{n}** | {} | **{}/{} ({})** |",
        total[5],
        total[1],
        per_driver.join(" | "),
        total[2],
        total[3],
        total[4]
    );
    println!();
    println!(
        "Callback traces (every case through each runtime's `UrlRequest`: one outcome callback, then `on_finish`, the same trace line for line as std with worker dispatch, progress updates and properties included):"
    );
    println!();
    println!(
        "| family | cases | {} |",
        KivyColumn::ALL
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|---:|{}", "---:|".repeat(KivyColumn::ALL.len()));
    let mut totals = vec![0usize; KivyColumn::ALL.len()];
    for family in &families {
        let indices: Vec<usize> = (0..cases.len())
            .filter(|&i| cases[i].family == *family)
            .collect();
        let n = indices.len();
        let cells: Vec<String> = callbacks
            .iter()
            .enumerate()
            .map(|(c, column)| {
                let ok = indices.iter().filter(|&&i| column[i]).count();
                totals[c] += ok;
                all_ok &= ok == n;
                format!("{ok}/{n}")
            })
            .collect();
        println!("| {family} | {n} | {} |", cells.join(" | "));
    }
    let cells: Vec<String> = totals
        .iter()
        .map(|t| format!("**{t}/{}**", cases.len()))
        .collect();
    println!(
        "| **all callback traces** | **{}** | {} |",
        cases.len(),
        cells.join(" | ")
    );
    if all_ok {
        ExitCode::SUCCESS
    } else {
        for r in &reports {
            if !r.is_success() {
                eprint!("{r}");
            }
        }
        ExitCode::FAILURE
    }
}
