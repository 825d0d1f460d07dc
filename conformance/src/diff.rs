//! A line diff of expected and actual traces, for failure reports.

/// Lines of `expected` and `actual` as a unified listing: `  ` common, `- `
/// expected only, `+ ` actual only.
pub fn diff_lines(expected: &[String], actual: &[String]) -> String {
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let actual: Vec<&str> = actual.iter().map(String::as_str).collect();
    let diff = similar::TextDiff::from_slices(&expected, &actual);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let mark = match change.tag() {
            similar::ChangeTag::Equal => "  ",
            similar::ChangeTag::Delete => "- ",
            similar::ChangeTag::Insert => "+ ",
        };
        out.push_str(mark);
        out.push_str(change.value());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn marks_missing_and_extra_lines() {
        let d = diff_lines(&lines("a b c d"), &lines("a x c d e"));
        assert_eq!(d, "  a\n- b\n+ x\n  c\n  d\n+ e\n");
        assert_eq!(diff_lines(&lines("a"), &lines("a")), "  a\n");
    }
}
