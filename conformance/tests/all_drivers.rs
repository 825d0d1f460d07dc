//! The promise of the project as one test: every case gives the identical
//! trace through all seven drivers (the in-memory poll loop, runtime-std,
//! runtime-smol, runtime-tokio on both schedulers and runtime-frame over
//! loopback, and the replay of each recorded runtime-std run), and that
//! trace is the one the case expects.

use std::thread;

use urlrequest_conformance::{
    builtin_cases, run_cases, Driver, FrameDriver, MemoryDriver, Outcome, ReplayDriver, SmolDriver,
    StdDriver, SuiteReport, TokioDriver,
};

#[test]
fn every_case_is_identical_through_all_seven_drivers() {
    let cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    let drivers: Vec<Box<dyn Driver + Send + Sync>> = vec![
        Box::new(MemoryDriver::new()),
        Box::new(StdDriver),
        Box::new(SmolDriver),
        Box::new(TokioDriver::CURRENT_THREAD),
        Box::new(TokioDriver::MULTI_THREAD),
        Box::new(FrameDriver),
        Box::new(ReplayDriver),
    ];
    // The drivers are independent (every case run has its own servers on
    // random ports), so they run side by side: the timeout cases wait in
    // real time.
    let reports: Vec<SuiteReport> = thread::scope(|s| {
        let handles: Vec<_> = drivers
            .iter()
            .map(|d| s.spawn(|| run_cases(d.as_ref(), &cases)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut failures = String::new();
    for r in &reports {
        eprintln!(
            "{}: {} passed, {} failed, {} skipped",
            r.driver,
            r.passed(),
            r.failed(),
            r.skipped()
        );
        if !(r.is_success() && r.skipped() == 0 && r.passed() == cases.len()) {
            failures.push_str(&r.to_string());
        }
    }
    assert!(failures.is_empty(), "{failures}");
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    // Passing means equal to the expected trace, so all seven are equal;
    // check it directly too, case by case.
    for (i, case) in cases.iter().enumerate() {
        for r in &reports {
            assert_eq!(r.cases[i].outcome, Outcome::Passed, "{}", case.full_name());
        }
    }
}
