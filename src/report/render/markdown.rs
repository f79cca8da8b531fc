//! A Markdown summary for `$GITHUB_STEP_SUMMARY` or a pull-request comment:
//! one headline, a table of the checks that need attention (most severe
//! first) with their findings, then the passing checks folded away.

use crate::report::{BaselineMark, CheckResult, Report, Status};

/// Renders the summary.
pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let icon = if s.fail > 0 || s.error > 0 {
        "❌"
    } else {
        "✅"
    };
    out.push_str(&format!(
        "## {icon} readyctl: {}\n\n",
        crate::report::render::table::summary_line(report)
    ));
    let problems = report.problems();
    if !problems.is_empty() {
        out.push_str("| Status | Check | Severity | Result |\n|---|---|---|---|\n");
        for c in &problems {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                status_cell(c),
                cell(&c.id).replace('`', "'"),
                c.severity.as_str(),
                result_cell(c)
            ));
        }
        out.push('\n');
    }
    let passed: Vec<&CheckResult> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Pass)
        .collect();
    if !passed.is_empty() {
        out.push_str(&format!(
            "<details><summary>{} passed</summary>\n\n| Check | Title |\n|---|---|\n",
            passed.len()
        ));
        for c in passed {
            out.push_str(&format!(
                "| `{}` | {} |\n",
                cell(&c.id).replace('`', "'"),
                cell(&c.title)
            ));
        }
        out.push_str("\n</details>\n");
    }
    out
}

fn status_cell(c: &CheckResult) -> String {
    let icon = match c.status {
        Status::Pass => "✅",
        Status::Fail => "❌",
        Status::Error => "💥",
        Status::Warn => "⚠️",
        Status::Skip => "⏭️",
        Status::Cancelled => "⏹️",
        Status::Waived => "🙈",
    };
    let mut s = format!("{icon} {}", c.status.as_str());
    match c.baseline {
        Some(BaselineMark::Known) => s.push_str(" (known)"),
        Some(BaselineMark::New) => s.push_str(" (new)"),
        None => {}
    }
    s
}

fn result_cell(c: &CheckResult) -> String {
    let mut parts = vec![format!("**{}**", cell(&c.title)), cell(&c.message)];
    for f in c.findings.iter().take(10) {
        let mut l = String::from("• ");
        if let Some(loc) = f.location() {
            l.push_str(&format!("`{}` ", loc.replace('`', "'")));
        }
        l.push_str(&cell(&f.message));
        if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
            l.push_str(&format!(" (expected {}, found {})", cell(e), cell(a)));
        }
        parts.push(l);
    }
    if c.findings.len() > 10 {
        parts.push(format!("… and {} more", c.findings.len() - 10));
    }
    if let Some(w) = &c.waiver {
        let verb = if w.expired {
            "waiver expired"
        } else {
            "waived until"
        };
        parts.push(format!(
            "_{verb} {} by {}: {}_",
            cell(&w.expires),
            cell(&w.by),
            cell(&w.reason)
        ));
    }
    if let Some(r) = &c.remediation {
        parts.push(format!("fix: {}", cell(r)));
    }
    parts.join("<br>")
}

/// Makes text safe inside a table cell: no pipes, no line breaks, no HTML.
fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&crate::report::render::canonical()));
    }

    #[test]
    fn every_table_row_has_four_cells() {
        let md = render(&crate::report::render::canonical());
        for line in md.lines().filter(|l| {
            l.starts_with("| ") && l.matches(" | ").count() > 1 && !l.contains("Check | Title")
        }) {
            let unescaped = line.replace("\\|", "");
            assert_eq!(unescaped.matches('|').count(), 5, "{line}");
        }
    }
}
