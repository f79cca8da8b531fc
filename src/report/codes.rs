//! Finding codes: the one contract between a kind, its docs, waivers and the
//! CI formats.
//!
//! Every kind declares the codes its findings carry as a `const CODES:
//! &[Code]` ([`crate::kinds::CheckKind::CODES`]); the registry exposes them,
//! `readyctl explain CODE` prints one, the kind's docs get their
//! "Finding codes" table generated from them, and the SARIF renderer takes
//! its rule help from them. Tests prove that codes are unique, that every
//! code a kind's source emits is declared and that every declared code is
//! emitted somewhere; the runner refuses (in debug builds) a finding whose
//! code its kind does not declare.
//!
//! The type lives in the report model, the lowest layer, so both the kinds
//! (which declare) and the renderers (which read) can name it.

use super::{Finding, Severity, Status};

/// Looks a declared code up (the command layer passes the kind registry's
/// lookup to renderers, which may not import the kinds themselves).
pub(crate) type CodeLookup = fn(&str) -> Option<&'static Code>;

/// What a finding with a code does to its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// Fails the check, at the check's own severity.
    Fail,
    /// Fails the check at this severity, whatever the catalogue says (kinds
    /// that grade their findings: a compose rule that stops the deploy is
    /// `critical`, one that weakens it lower).
    Graded(Severity),
    /// Reported; a check whose findings are all warnings ends in `warn`.
    Warn,
    /// Reported, never fails the check.
    Info,
}

impl Level {
    /// A graded level; `info` stays [`Level::Info`] (it never fails).
    pub(crate) const fn graded(severity: Severity) -> Level {
        match severity {
            Severity::Info => Level::Info,
            s => Level::Graded(s),
        }
    }

    /// Whether a finding at this level fails its check.
    pub(crate) const fn fails(self) -> bool {
        matches!(self, Level::Fail | Level::Graded(_))
    }

    /// How the level reads in docs and `explain`.
    pub(crate) fn describe(self) -> String {
        match self {
            Level::Fail => "fail".to_string(),
            Level::Graded(s) => s.as_str().to_string(),
            Level::Warn => "warn".to_string(),
            Level::Info => "info".to_string(),
        }
    }
}

/// One finding code a kind declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Code {
    /// Stable code, `kind/what` (e.g. `compose/missing-path`); published
    /// codes never change.
    pub code: &'static str,
    /// What a finding with this code does to its check.
    pub level: Level,
    /// What it means, one or two sentences (Markdown).
    pub summary: &'static str,
}

impl Code {
    /// A code that fails its check at the check's severity.
    pub(crate) const fn fail(code: &'static str, summary: &'static str) -> Code {
        Code {
            code,
            level: Level::Fail,
            summary,
        }
    }

    /// A code that only warns.
    pub(crate) const fn warn(code: &'static str, summary: &'static str) -> Code {
        Code {
            code,
            level: Level::Warn,
            summary,
        }
    }

    /// A code that never fails.
    pub(crate) const fn info(code: &'static str, summary: &'static str) -> Code {
        Code {
            code,
            level: Level::Info,
            summary,
        }
    }

    /// The kind a code belongs to: the part before the `/`.
    #[cfg(test)]
    pub(crate) fn kind(&self) -> &'static str {
        self.code.split('/').next().unwrap_or(self.code)
    }
}

/// The "Finding codes" table of a kind's docs, generated from its
/// declarations (Markdown; empty when the kind declares none).
pub(crate) fn table(codes: &[Code]) -> String {
    if codes.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "Generated from the kind's declarations; `readyctl explain CODE` prints one.\n\n| code | level | meaning |\n|---|---|---|\n",
    );
    for c in codes {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.code,
            c.level.describe(),
            c.summary.replace('|', "\\|").replace('\n', " ")
        ));
    }
    out
}

/// The level of one finding: its own severity when the kind graded it
/// (`info` never fails), else the level its code is declared with in
/// `declared` (the kind's `CODES`), else [`Level::Fail`] — a finding nobody
/// declared harmless counts against its check.
pub(crate) fn level_of(finding: &Finding, declared: &[Code]) -> Level {
    if let Some(s) = finding.severity {
        return Level::graded(s);
    }
    finding
        .code
        .as_deref()
        .and_then(|c| declared.iter().find(|d| d.code == c))
        .map_or(Level::Fail, |d| d.level)
}

/// A check's status from its findings' levels, the one place it is derived:
/// `fail` when any finding fails, else `warn` when any warns, else `pass`
/// (info findings, or none).
pub(crate) fn status_of(findings: &[Finding], declared: &[Code]) -> Status {
    let levels = || findings.iter().map(|f| level_of(f, declared));
    if levels().any(Level::fails) {
        Status::Fail
    } else if levels().any(|l| l == Level::Warn) {
        Status::Warn
    } else {
        Status::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checks_status_follows_its_findings_levels() {
        let declared = [
            Code::fail("x/broken", "fails"),
            Code::warn("x/weak", "warns"),
            Code::info("x/note", "notes"),
            Code {
                code: "x/graded",
                level: Level::graded(Severity::Info),
                summary: "graded info",
            },
        ];
        let f = |code: &str| Finding::new("m").code(code);
        assert_eq!(status_of(&[], &declared), Status::Pass);
        assert_eq!(status_of(&[f("x/note")], &declared), Status::Pass);
        assert_eq!(
            status_of(&[f("x/note"), f("x/weak")], &declared),
            Status::Warn
        );
        assert_eq!(
            status_of(&[f("x/weak"), f("x/broken"), f("x/note")], &declared),
            Status::Fail
        );
        // A finding's own severity wins over its code's declaration.
        assert_eq!(
            status_of(&[f("x/note").severity(Severity::High)], &declared),
            Status::Fail
        );
        assert_eq!(
            status_of(&[f("x/broken").severity(Severity::Info)], &declared),
            Status::Pass
        );
        assert_eq!(status_of(&[f("x/graded")], &declared), Status::Pass);
        // Undeclared codes and findings without a code fail.
        assert_eq!(status_of(&[f("x/other")], &declared), Status::Fail);
        assert_eq!(status_of(&[Finding::new("m")], &declared), Status::Fail);
    }

    #[test]
    fn graded_info_never_fails_and_the_table_lists_every_code() {
        assert_eq!(Level::graded(Severity::Info), Level::Info);
        assert_eq!(Level::graded(Severity::High), Level::Graded(Severity::High));
        let codes = [
            Code::fail("x/a", "a | b"),
            Code::warn("x/b", "warned"),
            Code::info("x/c", "noted"),
        ];
        let t = table(&codes);
        assert!(t.contains("| `x/a` | fail | a \\| b |"));
        assert!(t.contains("| `x/b` | warn | warned |"));
        assert!(t.contains("| `x/c` | info | noted |"));
        assert_eq!(codes[0].kind(), "x");
        assert!(table(&[]).is_empty());
    }
}
