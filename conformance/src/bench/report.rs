//! The report: Markdown tables and the list of targets with their verdicts.

use std::fmt::Write as _;

use super::stats::Sample;

/// A Markdown table built row by row.
pub struct Table {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    notes: Vec<String>,
}

impl Table {
    /// A table with a title line and column names.
    pub fn new(title: impl Into<String>, header: &[&str]) -> Table {
        Table {
            title: title.into(),
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Appends a row (as many cells as the header).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// A line printed under the table.
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// The table as Markdown.
    pub fn render(&self) -> String {
        let mut out = format!("{}\n\n", self.title);
        let _ = writeln!(out, "| {} |", self.header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(self.header.len()));
        for r in &self.rows {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        for n in &self.notes {
            let _ = write!(out, "\n{n}\n");
        }
        out
    }
}

/// One of the stated targets and whether this run met it.
pub struct Target {
    /// What was asked, e.g. "A: std ≥ 1.00x ureq".
    pub what: String,
    /// The measured figure, e.g. "1.04x".
    pub measured: String,
    /// Whether the figure meets the target.
    pub holds: bool,
}

impl Target {
    /// A ratio target: `ratio` must be at least `at_least`.
    pub fn ratio(what: impl Into<String>, ratio: f64, at_least: f64) -> Target {
        Target {
            what: what.into(),
            measured: format!("{ratio:.3}x"),
            holds: ratio >= at_least,
        }
    }
}

/// Renders the target list as a table.
pub fn targets_table(targets: &[Target]) -> String {
    let mut t = Table::new("### Targets", &["target", "measured", "holds"]);
    for x in targets {
        let verdict = if x.holds { "yes" } else { "**no**" };
        t.row(vec![x.what.clone(), x.measured.clone(), verdict.into()]);
    }
    t.render()
}

/// "median (min..max)" with `digits` decimals.
pub fn spread_cell(s: &Sample, digits: usize) -> String {
    let (m, lo, hi) = s.spread();
    format!("{m:.digits$} ({lo:.digits$}..{hi:.digits$})")
}

/// The load range over a figure's runs: "1.2" or "0.8-1.9".
pub fn load_cell(s: &Sample) -> String {
    let (lo, hi) = s.load_range();
    if (hi - lo).abs() < 0.05 {
        format!("{lo:.1}")
    } else {
        format!("{lo:.1}-{hi:.1}")
    }
}

/// `a / b` as "1.23x", or "-" when `b` is zero.
pub fn ratio_cell(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "-".into()
    }
}
