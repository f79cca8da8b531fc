//! JUnit XML: one `<testcase>` per check, grouped into `<testsuite>`s by kind
//! (default) or by first tag. Failures carry their findings as the failure
//! text, so CI test views show what was expected and found. Tests validate the
//! output with `xmllint` against `junit-10.xsd` (the schema pytest's JUnit
//! XML follows, from its sdist) and the Jenkins JUnit XSD
//! (`tests/schemas/junit.xsd`).
//!
//! Mapping: `fail` → `<failure>`, `error` → `<error>`, `skip`/`cancelled` →
//! `<skipped>`, `waived` → `<skipped>` with the waiver, `pass` → a plain
//! testcase. JUnit has no warning state, so a `warn` stays a passing testcase
//! but is made visible twice: `WARN: <message>` in its `<system-out>`, and a
//! `<property name="readyctl.warn" value="ID: message"/>` on its testsuite
//! (junit-10.xsd allows properties on suites only).
//!
//! `message=` attributes are one line (the first line of the check's
//! message, at most [`MAX_MESSAGE_ATTR`] characters); the full text is the
//! element's body. `time` has the millisecond resolution the XSDs allow; a
//! check that ran in less than a millisecond reads `0.001`, never `0.000`,
//! so "ran fast" and "did not run" differ.

use std::time::Duration;

use indexmap::IndexMap;
use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};

use crate::report::{BaselineMark, CheckResult, Report, Status};

/// Longest `message=` attribute, in characters; the body has the rest.
pub(crate) const MAX_MESSAGE_ATTR: usize = 200;

/// How testcases are grouped into testsuites.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Group {
    /// One testsuite per check kind.
    #[default]
    Kind,
    /// One testsuite per check's first tag (`untagged` when it has none).
    Tag,
}

/// Renders the report as JUnit XML.
pub(crate) fn render(report: &Report, group: Group) -> String {
    let mut suites: IndexMap<String, Vec<&CheckResult>> = IndexMap::new();
    for c in &report.checks {
        let key = match group {
            Group::Kind => c.kind.to_string(),
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
            if c.status == Status::Warn {
                suite.add_property(quick_junit::Property::new(
                    "readyctl.warn",
                    format!("{}: {}", c.id, one_line(&c.message)),
                ));
            }
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
            s.set_message(one_line(&format!("{prefix}{}", c.message)));
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
    tc.set_time(case_time(c));
    if c.status == Status::Warn {
        let mut out = format!("WARN: {}\n", c.message);
        for f in &c.findings {
            out.push_str(&format!("- {}\n", finding_line(f)));
        }
        if let Some(r) = &c.remediation {
            out.push_str(&format!("fix: {r}\n"));
        }
        tc.set_system_out(out);
    }
    tc
}

/// The failure text: the title, each finding with location, expected/found,
/// hint, then the remediation.
fn details(c: &CheckResult) -> String {
    let mut lines = vec![c.title.to_string(), c.message.clone()];
    for f in &c.findings {
        lines.push(format!("- {}", finding_line(f)));
        if let Some(h) = &f.hint {
            lines.push(format!("  hint: {h}"));
        }
    }
    if let Some(t) = &c.truncated {
        lines.push(format!(
            "truncated: {} of {} findings listed",
            t.shown, t.total
        ));
    }
    if let Some(r) = &c.remediation {
        lines.push(format!("fix: {r}"));
    }
    lines.join("\n")
}

fn finding_line(f: &crate::report::Finding) -> String {
    let mut l = String::new();
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
    l
}

/// The first line of `s`, clipped to [`MAX_MESSAGE_ATTR`] characters.
fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or("").trim_end();
    let more = s.trim_end().contains('\n');
    let mut out: String = first.chars().take(MAX_MESSAGE_ATTR).collect();
    if more || first.chars().count() > MAX_MESSAGE_ATTR {
        out.push_str(" …");
    }
    out
}

/// A testcase's time: the check's, at least 1 ms once it ran (the XSDs'
/// time has three decimals; a sub-millisecond run must not read as none).
fn case_time(c: &CheckResult) -> Duration {
    if c.duration_ms > 0.0 && c.duration_ms < 1.0 {
        Duration::from_millis(1)
    } else {
        secs(c.duration_ms)
    }
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
    fn message_attributes_are_one_line_with_the_full_text_in_the_body() {
        let xml = render(&crate::report::render::canonical(), Group::Kind);
        assert!(
            xml.contains(
                r#"message="known failure (in the baseline): connect to 127.0.0.1:1 refused …""#
            ),
            "{xml}"
        );
        assert!(xml.contains("refused\nsecond line"), "{xml}");
        for line in xml.lines().filter(|l| l.contains("message=\"")) {
            let attr = line.split("message=\"").nth(1).unwrap();
            assert!(!attr.split('"').next().unwrap().contains("&#10;"), "{line}");
        }
    }

    #[test]
    fn warnings_are_a_suite_property_and_system_out() {
        let xml = render(&crate::report::render::canonical(), Group::Kind);
        assert!(
            xml.contains(
                r#"<property name="readyctl.warn" value="tls.insecure: TLS verification is off"/>"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<system-out>WARN: TLS verification is off"),
            "{xml}"
        );
    }

    #[test]
    fn sub_millisecond_checks_do_not_read_zero() {
        let mut r = crate::report::render::canonical();
        r.checks[0].duration_ms = 0.04;
        let xml = render(&r, Group::Kind);
        assert!(
            xml.contains(r#"<testcase name="env.file" classname="readyctl.file" time="0.001""#),
            "{xml}"
        );
    }

    #[test]
    fn groups_by_first_tag() {
        let xml = render(&crate::report::render::canonical(), Group::Tag);
        assert!(xml.contains(r#"<testsuite name="security""#), "{xml}");
        assert!(xml.contains(r#"<testsuite name="untagged""#), "{xml}");
    }
}
