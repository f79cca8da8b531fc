//! The terminal table: problems first with their findings and remediation,
//! then what passed, then one summary line such as
//! `41 passed, 3 failed, 1 skipped in 0.84 s`.

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

use crate::report::{CheckResult, Report, Status};

/// How the table is drawn.
#[derive(Debug, Clone, Copy)]
pub struct TableOptions {
    /// Colour the status column (only on a TTY, unless forced).
    pub color: bool,
    /// Total width to wrap to.
    pub width: u16,
    /// List passing checks too (always true unless `--quiet`).
    pub show_passed: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            color: false,
            width: 120,
            show_passed: true,
        }
    }
}

/// Renders the table and the summary line.
pub fn render(report: &Report, opts: TableOptions) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(opts.width);
    if opts.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table.set_header(vec!["STATUS", "CHECK", "SEVERITY", "RESULT"]);
    let mut rows: Vec<&CheckResult> = report.problems();
    if opts.show_passed {
        rows.extend(report.checks.iter().filter(|c| c.status == Status::Pass));
    }
    for c in &rows {
        table.add_row(vec![
            status_cell(c.status, opts.color),
            Cell::new(&c.id),
            Cell::new(c.severity.as_str()),
            Cell::new(detail(c)),
        ]);
    }
    let mut out = String::new();
    if !rows.is_empty() {
        out.push_str(&table.to_string());
        out.push('\n');
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

fn status_cell(status: Status, color: bool) -> Cell {
    let cell = Cell::new(status.as_str().to_uppercase());
    if !color {
        return cell;
    }
    let c = match status {
        Status::Pass => Color::Green,
        Status::Fail | Status::Error => Color::Red,
        Status::Warn | Status::Cancelled => Color::Yellow,
        Status::Skip => Color::DarkGrey,
    };
    cell.fg(c).add_attribute(Attribute::Bold)
}

fn detail(c: &CheckResult) -> String {
    let mut s = if c.status == Status::Pass || c.message.is_empty() {
        c.title.clone()
    } else {
        format!("{}\n{}", c.title, c.message)
    };
    // The message usually repeats a lone finding; show findings only when they add something.
    let show_findings = !(c.findings.len() == 1
        && c.findings[0].message == c.message
        && c.findings[0].location().is_none()
        && c.findings[0].expected.is_none());
    if show_findings && c.status != Status::Pass {
        for f in c.findings.iter().take(20) {
            s.push_str("\n  - ");
            if let Some(l) = f.location() {
                s.push_str(&l);
                s.push_str(": ");
            }
            s.push_str(&f.message);
            if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
                s.push_str(&format!(" (expected {e}, found {a})"));
            }
            if let Some(h) = &f.hint {
                s.push_str(&format!("\n    hint: {h}"));
            }
        }
        if c.findings.len() > 20 {
            s.push_str(&format!(
                "\n  … and {} more (see the JSON report)",
                c.findings.len() - 20
            ));
        }
    }
    if let Some(r) = &c.remediation {
        s.push_str(&format!("\n  fix: {r}"));
    }
    for (k, v) in &c.metrics {
        s.push_str(&format!("\n  {k} = {v}"));
    }
    s
}

/// `41 passed, 3 failed, 1 skipped in 0.84 s`.
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let mut parts = vec![format!("{} passed", s.pass), format!("{} failed", s.fail)];
    for (n, word) in [
        (s.warn, "warned"),
        (s.skip, "skipped"),
        (s.error, "errored"),
        (s.cancelled, "cancelled"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let mut line = format!(
        "{} in {:.2} s",
        parts.join(", "),
        report.duration_ms / 1000.0
    );
    if report.interrupted {
        line.push_str(" (interrupted)");
    }
    line
}
