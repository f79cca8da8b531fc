//! A Markdown summary for `$GITHUB_STEP_SUMMARY` or a pull-request comment:
//! one headline, a table of the checks that need attention (most severe
//! first) with their findings, then the passing checks folded away.
//!
//! Always under [`MAX_BYTES`]: GitHub drops a step summary over 1 MiB
//! entirely. Rows are added in order (problems first, most severe first,
//! then the passing checks) while they fit; what does not fit is counted in
//! a closing note (`truncated: N of M checks listed`).

use crate::report::{BaselineMark, CheckResult, Report, Status};

/// GitHub's step-summary limit (1 MiB), less room for the closing note.
pub(crate) const MAX_BYTES: usize = 1024 * 1024 - 4096;

/// Renders the summary.
pub(crate) fn render(report: &Report) -> String {
    render_within(report, MAX_BYTES)
}

/// Renders the summary in at most `limit` bytes (plus the closing note).
pub(crate) fn render_within(report: &Report, limit: usize) -> String {
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
    let mut left_out = (0usize, 0usize);
    if !problems.is_empty() {
        out.push_str("| Status | Check | Severity | Result |\n|---|---|---|---|\n");
        for c in &problems {
            let row = format!(
                "| {} | `{}` | {} | {} |\n",
                status_cell(c),
                cell(&c.id).replace('`', "'"),
                c.severity.as_str(),
                result_cell(c)
            );
            if out.len() + row.len() + 2 > limit || left_out.0 > 0 {
                left_out.0 += 1;
                continue;
            }
            out.push_str(&row);
        }
        out.push('\n');
    }
    let passed: Vec<&CheckResult> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Pass)
        .collect();
    if !passed.is_empty() {
        let head = format!(
            "<details><summary>{} passed</summary>\n\n| Check | Title |\n|---|---|\n",
            passed.len()
        );
        let tail = "\n</details>\n";
        if out.len() + head.len() + tail.len() > limit || left_out.0 > 0 {
            left_out.1 = passed.len();
        } else {
            out.push_str(&head);
            for c in &passed {
                let row = format!(
                    "| `{}` | {} |\n",
                    cell(&c.id).replace('`', "'"),
                    cell(&c.title)
                );
                if out.len() + row.len() + tail.len() > limit || left_out.1 > 0 {
                    left_out.1 += 1;
                    continue;
                }
                out.push_str(&row);
            }
            out.push_str(tail);
        }
    }
    let dropped = left_out.0 + left_out.1;
    if dropped > 0 {
        let total = problems.len() + passed.len();
        out.push_str(&format!(
            "\n> **truncated: {} of {total} checks listed** to stay under GitHub's 1 MiB step-summary limit ({} problems and {} passing checks left out). The full results are in the JSON or SARIF report (`--report json=PATH`).\n",
            total - dropped,
            left_out.0,
            left_out.1
        ));
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
            // A file name is outside text: controls escaped, a line break
            // shown as `\n` (a code span cannot hold `<br>`), pipes escaped.
            let loc = crate::support::display::for_display(&loc)
                .replace('`', "'")
                .replace('\n', "\\n")
                .replace('|', "\\|");
            l.push_str(&format!("`{loc}` "));
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
    if let Some(t) = &c.truncated {
        parts.push(format!(
            "_truncated: {} of {} findings reported_",
            t.shown, t.total
        ));
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
    // Controls escaped and huge values clipped (see `support::display`); line
    // breaks become `<br>` below, so no value can forge a row.
    crate::support::display::for_display(s)
        .replace('&', "&amp;")
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
    fn a_small_limit_keeps_the_worst_first_and_says_what_it_left_out() {
        let r = crate::report::render::canonical();
        let full = render(&r);
        let cut = render_within(&r, 900);
        assert!(cut.len() < full.len());
        assert!(
            cut.contains("`env.values`"),
            "the critical failure stays: {cut}"
        );
        assert!(!cut.contains("`redis.persistence`"), "{cut}");
        assert!(cut.contains("checks listed"), "{cut}");
        assert!(cut.contains("**truncated: "), "{cut}");
        assert!(!full.contains("truncated: ") || full.contains("findings reported"));
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
