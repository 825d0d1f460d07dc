//! The conformance matrix in the top-level README is the report's output:
//! its totals row must count the cases that exist now.

use urlrequest_conformance::builtin_cases;

#[test]
fn readme_matrix_counts_every_case() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("top-level README");
    let section = readme
        .split("\n## Conformance\n")
        .nth(1)
        .expect("a Conformance section");
    let total = section
        .lines()
        .find_map(|l| l.strip_prefix("| **all** | **"))
        .and_then(|l| l.split("**").next())
        .and_then(|n| n.parse::<usize>().ok())
        .expect("a totals row in the matrix");
    let cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        total,
        cases.len(),
        "rerun `cargo run -p urlrequest-conformance --bin report` and update README.md"
    );
    let per_driver = format!("**{total}/{total}**");
    let row = section
        .lines()
        .find(|l| l.starts_with("| **all**"))
        .unwrap();
    // Every driver column of the header (memory, its random splits, each
    // loopback driver and replay: all but family, cases and ureq) shows
    // every case passing.
    let header = section
        .lines()
        .find(|l| l.starts_with("| family | cases |"))
        .expect("the matrix header");
    let drivers = header
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty() && *c != "family" && *c != "cases" && !c.starts_with("ureq"))
        .count();
    assert!(drivers >= 8, "{header}");
    assert_eq!(row.matches(&per_driver).count(), drivers, "{row}");
}
