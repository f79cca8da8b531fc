//! GitHub Actions workflow commands on stdout: one `::error`/`::warning`/
//! `::notice` annotation per finding (with `file=`, `line=`, `col=` when the
//! finding is located, so GitHub shows it on the line), then the summary line.
//! Escaping follows the runner's rules: `%`, CR and LF in messages, plus `:`
//! and `,` in properties.

use crate::report::{BaselineMark, CheckResult, Finding, Report, Status};

/// Renders the annotations.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for c in report.problems() {
        let level = match (c.status, c.baseline) {
            (Status::Fail, Some(BaselineMark::Known)) => "warning",
            (Status::Fail | Status::Error, _) => "error",
            (Status::Warn, _) => "warning",
            (Status::Waived, _) => "notice",
            (Status::Skip | Status::Cancelled | Status::Pass, _) => continue,
        };
        let title = title(c);
        if c.findings.is_empty() {
            out.push_str(&annotation(level, None, &title, &c.message));
        } else {
            for f in &c.findings {
                out.push_str(&annotation(level, Some(f), &title, &finding_text(f)));
            }
        }
    }
    out.push_str(&crate::report::render::table::summary_line(report));
    out.push('\n');
    out
}

fn title(c: &CheckResult) -> String {
    let mut t = format!("{} ({}, {})", c.id, c.status.as_str(), c.severity.as_str());
    match (&c.waiver, c.baseline) {
        (Some(w), _) if c.status == Status::Waived => {
            t.push_str(&format!(" waived until {} by {}", w.expires, w.by))
        }
        (_, Some(BaselineMark::Known)) => t.push_str(" known failure"),
        _ => {}
    }
    t
}

fn finding_text(f: &Finding) -> String {
    let mut s = f.message.clone();
    if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
        s.push_str(&format!(" (expected {e}, found {a})"));
    }
    if let Some(h) = &f.hint {
        s.push_str(&format!("\nhint: {h}"));
    }
    s
}

fn annotation(level: &str, f: Option<&Finding>, title: &str, message: &str) -> String {
    let mut props = Vec::new();
    if let Some(f) = f
        && let Some(file) = &f.file
    {
        props.push(format!("file={}", prop(file)));
        if let Some(l) = f.line {
            props.push(format!("line={l}"));
        }
        if let Some(c) = f.column {
            props.push(format!("col={c}"));
        }
    }
    props.push(format!("title={}", prop(title)));
    format!("::{level} {}::{}\n", props.join(","), data(message))
}

fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn prop(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&crate::report::render::canonical()));
    }

    #[test]
    fn located_finding_has_file_line_col() {
        let out = render(&crate::report::render::canonical());
        assert!(
            out.contains("::error file=.env.production,line=3,col=1,title=env.values"),
            "{out}"
        );
        assert!(out.contains("file=dir with space/.env%2C x,"), "{out}");
    }
}
