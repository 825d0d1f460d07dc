//! Every case that ends in `Done` is fetched by ureq from the same scripted
//! server; status, headers and body must match urlrequest's, except for
//! the cases listed (with their RFC reasons) in DIFFERENCES.md, which must
//! really differ.

use std::collections::BTreeSet;
use std::thread;

use urlrequest_conformance::{builtin_cases, compare_with_ureq, ureq_comparable, Comparison};

/// The case names in the table of DIFFERENCES.md.
/// The cases DIFFERENCES.md lists: those where ureq differs, and those
/// where ureq's result depends on timing (its own section).
fn documented() -> (BTreeSet<String>, BTreeSet<String>) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/DIFFERENCES.md"))
        .expect("DIFFERENCES.md");
    urlrequest_conformance::documented_differences(&text)
}

#[test]
fn ureq_agrees_on_every_done_case_except_the_documented_ones() {
    let cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    let comparable: Vec<_> = cases.iter().filter(|c| ureq_comparable(c)).collect();
    assert!(
        comparable.len() > 100,
        "only {} comparable",
        comparable.len()
    );
    // Side by side: the ureq runs that differ wait for their timeout.
    let results: Vec<Comparison> = thread::scope(|s| {
        let handles: Vec<_> = comparable
            .chunks(comparable.len().div_ceil(4))
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|c| compare_with_ureq(c))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let (listed, timing) = documented();
    let names: BTreeSet<String> = comparable.iter().map(|c| c.full_name()).collect();
    let mut problems = Vec::new();
    for name in listed.union(&timing).filter(|n| !names.contains(*n)) {
        problems.push(format!(
            "{name}: listed in DIFFERENCES.md but not a comparable case"
        ));
    }
    for r in &results {
        assert!(
            r.ours.is_ok(),
            "{}: urlrequest itself failed: {:?}",
            r.case,
            r.ours
        );
        if timing.contains(&r.case) {
            // Either result of ureq's is documented; urlrequest's was
            // checked above.
            continue;
        }
        match (listed.contains(&r.case), r.agrees()) {
            (true, true) => problems.push(format!(
                "{}: listed in DIFFERENCES.md but ureq now agrees",
                r.case
            )),
            (false, false) => problems.push(format!(
                "{}: undocumented difference: {}",
                r.case,
                r.difference()
            )),
            _ => {}
        }
    }
    eprintln!(
        "ureq: {} cases compared, {} agree, {} documented differences",
        results.len(),
        results.iter().filter(|r| r.agrees()).count(),
        listed.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_difference_list_is_parsed() {
    let (listed, timing) = documented();
    assert!(
        listed.contains("redirect/307-post-replays-body"),
        "{listed:?}"
    );
    assert!(
        timing.contains("keep-alive/closed-while-idle-retried")
            && !listed.contains("keep-alive/closed-while-idle-retried"),
        "{timing:?}"
    );
    assert!(listed.iter().all(|n| n.contains('/')), "{listed:?}");
}
