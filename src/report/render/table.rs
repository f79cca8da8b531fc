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
        Status::Waived => Color::Cyan,
    };
    cell.fg(c).add_attribute(Attribute::Bold)
}

fn detail(c: &CheckResult) -> String {
    let mut lines = vec![c.title.clone()];
    if c.status != Status::Pass && !c.message.is_empty() {
        lines.push(c.message.clone());
    }
    let mut hints: Vec<&str> = Vec::new();
    if c.status != Status::Pass {
        for f in c.findings.iter().take(MAX_FINDINGS_SHOWN) {
            // A lone finding that only repeats the message adds nothing.
            let redundant = f.message == c.message && f.line.is_none() && f.expected.is_none();
            if !redundant {
                let mut line = String::from("• ");
                if let Some(l) = f.location() {
                    line.push_str(&l);
                    line.push_str(": ");
                }
                line.push_str(&f.message);
                if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
                    line.push_str(&format!(" (expected {e}, found {a})"));
                }
                lines.push(line);
            }
            if let Some(h) = &f.hint
                && !hints.contains(&h.as_str())
            {
                hints.push(h);
            }
        }
        if c.findings.len() > MAX_FINDINGS_SHOWN {
            lines.push(format!(
                "… and {} more (see the JSON report)",
                c.findings.len() - MAX_FINDINGS_SHOWN
            ));
        }
    }
    for h in hints {
        lines.push(format!("hint: {h}"));
    }
    if let Some(w) = &c.waiver {
        let verb = if w.expired {
            "waiver expired on"
        } else {
            "waived until"
        };
        lines.push(format!("{verb} {} by {}: {}", w.expires, w.by, w.reason));
    }
    match c.baseline {
        Some(crate::report::BaselineMark::Known) => {
            lines.push("known failure (also failed in the baseline)".into())
        }
        Some(crate::report::BaselineMark::New) => {
            lines.push("new failure (passed in the baseline)".into())
        }
        None => {}
    }
    if let Some(r) = &c.remediation {
        lines.push(format!("fix: {r}"));
    }
    for (k, v) in &c.metrics {
        lines.push(format!("{k} = {v}"));
    }
    lines.join("\n")
}

/// Findings listed per check in the table; the JSON report has all of them.
const MAX_FINDINGS_SHOWN: usize = 20;

/// `41 passed, 3 failed, 1 skipped in 0.84 s`.
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let mut parts = vec![format!("{} passed", s.pass), format!("{} failed", s.fail)];
    for (n, word) in [
        (s.warn, "warned"),
        (s.skip, "skipped"),
        (s.error, "errored"),
        (s.cancelled, "cancelled"),
        (s.waived, "waived"),
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
