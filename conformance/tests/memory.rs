//! Every case through the in-memory driver: once with the script's bytes as
//! written, then under 50 seeded random splits of every read and write.

use urlrequest_conformance::{builtin_cases, run_in_memory, run_suite, MemoryDriver, Outcome};

#[test]
fn suite_has_at_least_forty_cases_and_every_family_parses() {
    let cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut families: Vec<&str> = cases.iter().map(|c| c.family.as_str()).collect();
    families.dedup();
    assert!(families.len() >= 8, "families: {families:?}");
}

#[test]
fn every_case_passes_in_memory() {
    let report = run_suite(&MemoryDriver::new());
    assert_eq!(report.skipped(), 0, "{report}");
    assert!(report.is_success(), "{report}");
}

#[test]
fn every_case_gives_the_same_trace_under_50_random_splits() {
    let cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    for case in &cases {
        for seed in 1..=50u64 {
            match run_in_memory(case, Some(seed)) {
                Ok(trace) if trace == case.expected => {}
                Ok(trace) => failures.push(format!(
                    "case {} ({}) with split seed {seed}:\n{}",
                    case.full_name(),
                    case.location,
                    urlrequest_conformance::diff_lines(&case.expected, &trace)
                )),
                Err(e) => failures.push(format!(
                    "case {} ({}) with split seed {seed}: {e}",
                    case.full_name(),
                    case.location
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing runs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_wrong_expectation_is_reported_with_a_diff() {
    let mut cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    let case = cases
        .iter_mut()
        .find(|c| c.full_name() == "chunk-size/recut-3")
        .expect("case exists");
    case.expected[1] = "body 3 \"abd\"".into();
    let report =
        urlrequest_conformance::run_cases(&MemoryDriver::new(), std::slice::from_ref(case));
    assert_eq!(report.failed(), 1);
    assert!(matches!(report.cases[0].outcome, Outcome::Failed { .. }));
    let text = report.to_string();
    assert!(text.contains("FAILED chunk-size/recut-3"), "{text}");
    assert!(
        text.contains("- body 3 \"abd\"\n+ body 3 \"abc\""),
        "{text}"
    );
}

#[test]
fn a_request_that_breaks_an_expectation_is_an_error() {
    let mut cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    let case = cases
        .iter_mut()
        .find(|c| c.full_name() == "redirect/302-post-becomes-get")
        .expect("case exists");
    // Pretend the client kept the body across the 302: the server must object.
    case.request.method = Some("PUT".into());
    let err = run_in_memory(case, None).unwrap_err();
    assert!(
        err.contains("expected request line `POST /form HTTP/1.1`, got `PUT /form HTTP/1.1`"),
        "{err}"
    );
}

#[test]
fn the_readme_example_case_parses_and_passes() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```text\ncase ")
        .expect("an example case in README")
        + 8;
    let len = readme[start..].find("```").unwrap();
    let cases = urlrequest_conformance::parse_cases("README.md", &readme[start..start + len])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cases.len(), 1);
    for seed in [None, Some(1), Some(2)] {
        assert_eq!(run_in_memory(&cases[0], seed).unwrap(), cases[0].expected);
    }
}
