//! A line diff of expected and actual traces, for failure reports.

/// Lines of `expected` and `actual` as a unified listing: `  ` common, `- `
/// expected only, `+ ` actual only. Traces are short, so the quadratic
/// longest-common-subsequence table is fine.
pub fn diff_lines(expected: &[String], actual: &[String]) -> String {
    let (n, m) = (expected.len(), actual.len());
    // lcs[i][j]: length of the LCS of expected[i..] and actual[j..].
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            out.push_str(&format!("  {}\n", expected[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("- {}\n", expected[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", actual[j]));
            j += 1;
        }
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
