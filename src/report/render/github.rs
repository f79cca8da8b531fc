//! GitHub Actions workflow commands on stdout: one `::error`/`::warning`/
//! `::notice` annotation per finding (with `file=`, `line=`, `col=` so GitHub
//! shows it on the line), then the summary line.
//!
//! - Files are named from the repository's top (`deploy/.env` under `--root
//!   deploy`), as GitHub names a pull request's files; findings without a
//!   file point at the catalogue line that defines their check.
//! - Most severe first: errors, then warnings, then notices, by severity.
//! - GitHub shows at most 10 error and 10 warning annotations per step (and
//!   50 per job) and drops the rest silently; readyctl writes at most
//!   [`MAX_PER_LEVEL`] of each level, and when it drops any, one closing
//!   notice says how many and where the full report is.
//!
//! Escaping follows the runner's rules: `%`, CR and LF in messages, plus `:`
//! and `,` in properties.

use super::{Base, RepoPath, repo_path};
use crate::report::{BaselineMark, CheckResult, Finding, Report, Severity, Status};

/// Annotations of one level GitHub shows per step.
pub(crate) const MAX_PER_LEVEL: usize = 10;

/// Renders the annotations. `full_reports` names the report files this run
/// also wrote (for the closing note when annotations were dropped).
pub(crate) fn render(report: &Report, full_reports: &[String]) -> String {
    struct Item<'a> {
        level: Level,
        severity: Severity,
        check: &'a CheckResult,
        finding: Option<&'a Finding>,
    }
    let mut items = Vec::new();
    for c in &report.checks {
        let level = match (c.status, c.baseline) {
            (Status::Fail, Some(BaselineMark::Known)) => Level::Warning,
            (Status::Fail | Status::Error, _) => Level::Error,
            (Status::Warn, _) => Level::Warning,
            (Status::Waived, _) => Level::Notice,
            (Status::Skip | Status::Cancelled | Status::Pass, _) => continue,
        };
        if c.findings.is_empty() {
            items.push(Item {
                level,
                severity: c.severity,
                check: c,
                finding: None,
            });
        }
        for f in &c.findings {
            items.push(Item {
                level,
                severity: c.severity,
                check: c,
                finding: Some(f),
            });
        }
    }
    // Stable: catalogue order within a level and severity.
    items.sort_by_key(|i| (i.level, std::cmp::Reverse(i.severity)));
    let mut out = String::new();
    let mut shown = [0usize; 3];
    let mut dropped = [0usize; 3];
    for i in &items {
        let slot = i.level as usize;
        // One notice slot is kept for the closing note.
        let cap = if i.level == Level::Notice {
            MAX_PER_LEVEL - 1
        } else {
            MAX_PER_LEVEL
        };
        if shown[slot] >= cap {
            dropped[slot] += 1;
            continue;
        }
        shown[slot] += 1;
        let title = title(i.check);
        let text = match i.finding {
            Some(f) => finding_text(f),
            None => i.check.message.clone(),
        };
        let text = match &i.check.truncated {
            Some(t) => format!(
                "{text}\n(truncated: {} of {} findings reported)",
                t.shown, t.total
            ),
            None => text,
        };
        out.push_str(&annotation(
            report, i.level, i.check, i.finding, &title, &text,
        ));
    }
    let total: usize = dropped.iter().sum();
    if total > 0 {
        let where_ = if full_reports.is_empty() {
            "rerun with --report json=PATH (or sarif=PATH) for the full report".to_string()
        } else {
            format!("the full report: {}", full_reports.join(", "))
        };
        let msg = format!(
            "{total} more annotations not shown ({} errors, {} warnings, {} notices): GitHub shows {MAX_PER_LEVEL} errors and {MAX_PER_LEVEL} warnings per step; {where_}",
            dropped[0], dropped[1], dropped[2]
        );
        out.push_str(&format!(
            "::notice title={}::{}\n",
            prop(&format!(
                "readyctl: truncated: {} of {} annotations shown",
                items.len() - total,
                items.len()
            )),
            data(&msg)
        ));
    }
    out.push_str(&crate::report::render::table::summary_line(report));
    out.push('\n');
    out
}

/// An annotation level, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Error = 0,
    Warning = 1,
    Notice = 2,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
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

fn annotation(
    report: &Report,
    level: Level,
    c: &CheckResult,
    f: Option<&Finding>,
    title: &str,
    message: &str,
) -> String {
    // A finding's own place, else the catalogue line of its check.
    let place = match f.and_then(|f| f.file.as_deref().map(|file| (f, file))) {
        Some((f, file)) => Some((repo_path(report, file, Base::Root), f.line, f.column)),
        None => c.source.as_ref().map(|s| {
            (
                repo_path(report, &s.file, Base::Cwd),
                Some(s.line),
                Some(s.column),
            )
        }),
    };
    let mut props = Vec::new();
    let mut message = message.to_string();
    match place {
        Some((RepoPath::Inside(file), line, col)) if !file.is_empty() => {
            props.push(format!("file={}", prop(&file)));
            if let Some(l) = line {
                props.push(format!("line={l}"));
            }
            if let Some(c) = col {
                props.push(format!("col={c}"));
            }
        }
        // GitHub can only place files of the repository; name the others.
        Some((RepoPath::Outside(file), line, _)) => {
            let at = match line {
                Some(l) => format!("{file}:{l}"),
                None => file,
            };
            message = format!("{at}: {message}");
        }
        _ => {}
    }
    props.push(format!("title={}", prop(title)));
    format!(
        "::{} {}::{}\n",
        level.as_str(),
        props.join(","),
        data(&message)
    )
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
    use crate::report::render::canonical;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&canonical(), &[]));
    }

    #[test]
    fn located_finding_has_a_repository_path_line_col() {
        let out = render(&canonical(), &[]);
        assert!(
            out.contains(
                "::error file=fixtures/dotmac/broken/.env.production,line=3,col=1,title=env.values"
            ),
            "{out}"
        );
        assert!(
            out.contains("file=fixtures/dotmac/broken/dir with space/.env%2C x,"),
            "{out}"
        );
        // Unlocated: the catalogue line of the check.
        assert!(
            out.contains("file=checks/00-infrastructure.yml,line=7,col=5,title=scan.todo"),
            "{out}"
        );
    }

    #[test]
    fn most_severe_first() {
        let out = render(&canonical(), &[]);
        let levels: Vec<&str> = out
            .lines()
            .filter_map(|l| l.strip_prefix("::"))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        let mut sorted = levels.clone();
        sorted.sort_by_key(|l| ["error", "warning", "notice"].iter().position(|x| x == l));
        assert_eq!(levels, sorted);
        // A critical failure before the high ones.
        assert!(out.find("title=env.values").unwrap() < out.find("title=scan.todo").unwrap());
    }

    #[test]
    fn caps_at_github_limits_with_one_closing_note() {
        let mut r = canonical();
        let f = r.checks[1].findings[0].clone();
        r.checks[1].findings = vec![f; 25];
        let out = render(&r, &["out/readyctl.sarif".into()]);
        let count = |p: &str| out.lines().filter(|l| l.starts_with(p)).count();
        assert_eq!(count("::error "), 10, "{out}");
        assert!(count("::warning ") <= 10);
        assert_eq!(
            count("::notice "),
            2,
            "the waiver and the closing note: {out}"
        );
        let last = out.lines().rfind(|l| l.starts_with("::")).unwrap();
        // 25 + 3 errors (scan.todo, scan.many x2), 10 shown
        assert!(
            last.contains("18 more annotations not shown (18 errors, 0 warnings, 0 notices)"),
            "{last}"
        );
        assert!(last.contains("out/readyctl.sarif"), "{last}");
        assert!(
            last.contains("truncated%3A 13 of 31 annotations shown"),
            "{last}"
        );
    }
}
