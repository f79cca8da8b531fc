//! JUnit XML: one `<testcase>` per check, grouped into `<testsuite>`s by kind
//! (default) or by first tag. Failures carry their findings as the failure
//! text, so CI test views show what was expected and found. The shape is
//! validated in tests against the Jenkins JUnit XSD (`tests/schemas/junit.xsd`).
//!
//! Mapping: `fail` → `<failure>`, `error` → `<error>`, `skip`/`cancelled` →
//! `<skipped>`, `waived` → `<skipped>` with the waiver, `pass`/`warn` → a
//! plain testcase (warnings carry their message in `<system-out>`).

use std::time::Duration;

use indexmap::IndexMap;
use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};

use crate::report::{BaselineMark, CheckResult, Report, Status};

/// How testcases are grouped into testsuites.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Group {
    /// One testsuite per check kind.
    #[default]
    Kind,
    /// One testsuite per check's first tag (`untagged` when it has none).
    Tag,
}

/// Renders the report as JUnit XML.
pub fn render(report: &Report, group: Group) -> String {
    let mut suites: IndexMap<String, Vec<&CheckResult>> = IndexMap::new();
    for c in &report.checks {
        let key = match group {
            Group::Kind => c.kind.clone(),
            Group::Tag => c.tags.first().cloned().unwrap_or_else(|| "untagged".into()),
        };
        suites.entry(key).or_default().push(c);
    }
    let mut out = JReport::new("readyctl");
    out.set_time(secs(report.duration_ms));
    for (name, checks) in suites {
        let mut suite = TestSuite::new(name.clone());
        let mut time = 0.0;
        for c in checks {
            time += c.duration_ms;
            suite.add_test_case(test_case(c, &name));
        }
        suite.set_time(secs(time));
        out.add_test_suite(suite);
    }
    match out.to_string() {
        Ok(s) => {
            let mut s = drop_root_skipped(&s);
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        }
        Err(e) => format!("<!-- readyctl: cannot serialise the JUnit report: {e} -->\n"),
    }
}

fn test_case(c: &CheckResult, suite: &str) -> TestCase {
    let status = match c.status {
        Status::Pass | Status::Warn => TestCaseStatus::success(),
        Status::Fail | Status::Error => {
            let kind = if c.status == Status::Fail {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut s = TestCaseStatus::non_success(kind);
            let prefix = match c.baseline {
                Some(BaselineMark::Known) => "known failure (in the baseline): ",
                _ => "",
            };
            s.set_message(format!("{prefix}{}", c.message));
            s.set_type(format!("{}/{}", c.kind, c.severity.as_str()));
            s.set_description(details(c));
            s
        }
        Status::Skip | Status::Cancelled => {
            // The Jenkins XSD allows text, not attributes, on <skipped>.
            let mut s = TestCaseStatus::skipped();
            s.set_description(c.message.clone());
            s
        }
        Status::Waived => {
            let mut s = TestCaseStatus::skipped();
            let msg = match &c.waiver {
                Some(w) => format!(
                    "waived until {} by {}: {} (failure: {})",
                    w.expires, w.by, w.reason, c.message
                ),
                None => format!("waived: {}", c.message),
            };
            s.set_description(msg);
            s
        }
    };
    let mut tc = TestCase::new(c.id.clone(), status);
    tc.set_classname(format!("readyctl.{suite}"));
    tc.set_time(secs(c.duration_ms));
    if c.status == Status::Warn {
        tc.set_system_out(format!("warning: {}\n", c.message));
    }
    tc
}

/// The failure text: the title, each finding with location, expected/found,
/// hint, then the remediation.
fn details(c: &CheckResult) -> String {
    let mut lines = vec![c.title.clone(), c.message.clone()];
    for f in &c.findings {
        let mut l = String::from("- ");
        if let Some(loc) = f.location() {
            l.push_str(&loc);
            l.push_str(": ");
        }
        l.push_str(&f.message);
        if let Some(code) = &f.code {
            l.push_str(&format!(" [{code}]"));
        }
        if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
            l.push_str(&format!(" (expected {e}, found {a})"));
        }
        lines.push(l);
        if let Some(h) = &f.hint {
            lines.push(format!("  hint: {h}"));
        }
    }
    if let Some(r) = &c.remediation {
        lines.push(format!("fix: {r}"));
    }
    lines.join("\n")
}

/// quick-junit writes `skipped="N"` on `<testsuites>`, which the widely used
/// Jenkins JUnit XSD does not allow there (it does on `<testsuite>`); the
/// count is still on every suite, so drop it from the root element only.
fn drop_root_skipped(xml: &str) -> String {
    let Some(start) = xml.find("<testsuites") else {
        return xml.to_string();
    };
    let Some(len) = xml[start..].find('>') else {
        return xml.to_string();
    };
    let tag = &xml[start..start + len];
    let Some(attr) = tag.find(" skipped=\"") else {
        return xml.to_string();
    };
    let after = attr + " skipped=\"".len();
    let Some(close) = tag[after..].find('"') else {
        return xml.to_string();
    };
    let cut = start + attr..start + after + close + 1;
    format!("{}{}", &xml[..cut.start], &xml[cut.end..])
}

fn secs(ms: f64) -> Duration {
    Duration::from_secs_f64((ms / 1000.0).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_by_kind() {
        insta::assert_snapshot!(render(&crate::report::render::canonical(), Group::Kind));
    }

    #[test]
    fn groups_by_first_tag() {
        let xml = render(&crate::report::render::canonical(), Group::Tag);
        assert!(xml.contains(r#"<testsuite name="security""#), "{xml}");
        assert!(xml.contains(r#"<testsuite name="untagged""#), "{xml}");
    }
}
