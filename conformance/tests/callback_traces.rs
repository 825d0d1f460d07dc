//! The Kivy-level conformance: every case through every runtime's
//! `UrlRequest` (std with worker dispatch, std with queued dispatch run by
//! `wait` and by Kivy's `is_finished` loop, smol, tokio, frame) gives the
//! identical callback trace, line for line and as it is: every progress
//! update, and the properties each callback sees. Each trace holds exactly
//! one outcome callback and ends with `on_finish`.

use std::thread;

use urlrequest_conformance::{
    builtin_cases, callback_trace, diff_lines, is_well_formed, KivyColumn,
};

#[test]
fn every_case_gives_the_same_callback_trace_through_every_runtime() {
    let cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    // The columns run side by side: cases that wait for a timeout then
    // overlap instead of adding up.
    let columns: Vec<Vec<Result<Vec<String>, String>>> = thread::scope(|s| {
        let handles: Vec<_> = KivyColumn::ALL
            .iter()
            .map(|&column| {
                let cases = &cases;
                s.spawn(move || {
                    cases
                        .iter()
                        .map(|case| callback_trace(case, column))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut problems = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let first = &columns[0][i];
        for (c, column) in KivyColumn::ALL.iter().enumerate() {
            let trace = match &columns[c][i] {
                Ok(t) => t,
                Err(e) => {
                    problems.push(format!(
                        "{} through {}: {e}",
                        case.full_name(),
                        column.name()
                    ));
                    continue;
                }
            };
            if !is_well_formed(trace) {
                problems.push(format!(
                    "{} through {}: not one outcome then on_finish:\n{}",
                    case.full_name(),
                    column.name(),
                    trace.join("\n")
                ));
            }
            if let (Ok(a), Ok(b)) = (first, &columns[c][i]) {
                if a != b {
                    problems.push(format!(
                        "{}: {} differs from {} (- {}, + {}):\n{}",
                        case.full_name(),
                        column.name(),
                        KivyColumn::ALL[0].name(),
                        KivyColumn::ALL[0].name(),
                        column.name(),
                        diff_lines(a, b)
                    ));
                }
            }
        }
    }
    assert!(cases.len() >= 180, "only {} cases", cases.len());
    assert!(
        problems.is_empty(),
        "{} problems:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
